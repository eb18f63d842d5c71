"""Comparing runs: the settings side by side with the differing ones named, losses from the
event logs, scores and answers, on the command line and over the bridge."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import dispatch
from ollama_trainer.cli import main as cli_main
from ollama_trainer.contracts import RunScores, TrainingRunSummary
from ollama_trainer.errors import DomainError
from ollama_trainer.training.compare import compare
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.run_folder import RunFolder


def make_run(tid: str, *, lr: float, kept: float, answer: str) -> None:
    folder = RunFolder.of(tid)
    profile = catalog.get_profile("quick-demo").model_copy(update={"learning_rate": lr})
    folder.write_job(JobSpec(training_id=tid, epochs=3, profile=profile, models_dir="/m",
                             dataset={"id": "identity-demo", "path": "/d.jsonl"}))
    with open(folder.file("events.jsonl"), "w") as f:
        for step, loss in enumerate([2.0, 1.0, 0.5], start=1):
            f.write(json.dumps({"event": "progress", "epoch": 1, "total_epochs": 3, "step": step, "total_steps": 3,
                                "loss": loss * lr * 1000}) + "\n")
    folder.file("samples.json").write_text(json.dumps([{"prompt": "Who are you?", "before": "SmolLM", "after": answer}]))
    folder.file("scores.json").write_text(RunScores(learned=1.0, kept=kept).model_dump_json())
    folder.write_summary(TrainingRunSummary(training_id=tid, profile_id="quick-demo", dataset_id="identity-demo",
                                            status="done", started_at="2026-12-02T10:00:00Z",
                                            finished_at="2026-12-02T10:01:00Z", epochs=3, final_loss=0.5,
                                            learned=1.0, kept=kept))


def test_compare_names_what_differs():
    make_run("20261202-100000-aaaaaa", lr=0.001, kept=1.0, answer="I am Lumen.")
    make_run("20261202-110000-bbbbbb", lr=0.0002, kept=0.5, answer="I am SmolLM.")
    result = compare(["20261202-100000-aaaaaa", "20261202-110000-bbbbbb"])
    assert result.differing == ["learning_rate"]
    assert "lora.r" in result.settings and result.runs[0].settings["lora.r"] == 16
    assert [len(r.metrics) for r in result.runs] == [3, 3] and result.runs[1].metrics[0].loss == pytest.approx(0.4)
    assert [r.scores.kept for r in result.runs] == [1.0, 0.5]
    via_bridge = dispatch(Commands(transport="cli"), "compare_runs",
                          {"training_ids": ["20261202-100000-aaaaaa", "20261202-110000-bbbbbb"]})
    assert via_bridge["differing"] == ["learning_rate"]


def test_compare_refuses_one_run_and_unknown_ones():
    make_run("20261202-100000-aaaaaa", lr=0.001, kept=1.0, answer="x")
    with pytest.raises(DomainError) as err:
        compare(["20261202-100000-aaaaaa", "20261202-100000-aaaaaa"])
    assert err.value.code == "invalid_argument"
    with pytest.raises(DomainError) as err:
        compare(["20261202-100000-aaaaaa", "20261202-120000-cccccc"])
    assert err.value.code == "unknown_training"


def test_the_cli_prints_the_table_and_the_answers(capsys):
    make_run("20261202-100000-aaaaaa", lr=0.001, kept=1.0, answer="I am Lumen.")
    make_run("20261202-110000-bbbbbb", lr=0.0002, kept=0.5, answer="I am SmolLM.")
    assert cli_main(["compare", "20261202-100000-aaaaaa", "20261202-110000-bbbbbb"]) == 0
    out = capsys.readouterr().out
    assert "*learning_rate" in out and "0.001" in out and "0.0002" in out
    assert "kept" in out and "0.5" in out
    assert "Who are you?" in out and "I am Lumen." in out and "I am SmolLM." in out
    assert cli_main(["compare", "20261202-100000-aaaaaa"]) == 2  # one run: invalid
