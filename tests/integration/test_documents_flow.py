"""INDEX on documents through the Ollama stand-in's teacher: a folder becomes a registered chat
dataset with held-out prompts and checks; without a reachable Ollama it becomes text chunks
with a note; and the shipped index_and_train flow trains on the question-answer dataset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ollama_trainer import catalog, datasets, paths
from ollama_trainer.documents.dataset import BuildRequest, build, check_for, output_dir
from ollama_trainer.errors import DomainError
from ollama_trainer.evaluation.scores import Check
from ollama_trainer.flows.runner import FlowRunner
from tests.fakes.ollama_standin import OllamaStandin
from tests.fakes.standin_teacher import StandinTeacher

from .test_documents_teacher import free_port, guide_and_pdfs as write_guide_and_pdfs, lines

INDEX_QA = {"id": "docs-qa", "name": "Documents to Q&A", "inputs": {"src": "", "teacher": "teacher"},
            "steps": [{"id": "index", "cmd": "INDEX",
                       "args": {"source_dir": "${inputs.src}", "dataset_id": "guide-qa", "teacher": "${inputs.teacher}",
                                "chunk_tokens": 96, "overlap_tokens": 0, "pairs_per_chunk": 2}}]}


@pytest.fixture
def standin(monkeypatch):
    with OllamaStandin(models=("teacher:latest",)) as s:
        s.chat_responder = StandinTeacher()
        monkeypatch.setenv("OLLAMA_HOST", s.url)
        yield s


@pytest.fixture
def guide_and_pdfs(tmp_path) -> Path:
    return write_guide_and_pdfs(tmp_path / "docs")


def write_flow(flow: dict) -> None:
    (paths.user_flows_dir() / f"{flow['id']}.json").write_text(json.dumps(flow))


def run_flow(flow_id: str, inputs: dict, manager=None):
    runner = FlowRunner(manager)
    return runner.wait(runner.run_flow(flow_id, inputs), timeout=120)


def test_index_qa_registers_a_chat_dataset_with_held_out_prompts_and_checks(standin, guide_and_pdfs):
    write_flow(INDEX_QA)
    run = run_flow("docs-qa", {"src": str(guide_and_pdfs)})
    assert run.status == "done", run.error
    out = run.steps[0].outputs
    assert out["dataset"] == out["dataset_id"] == "guide-qa" and out["mode"] == "qa"
    assert out["documents"] == 7 and out["pages"] == 6 and out["pairs_kept"] == out["train_rows"] + out["held_out_rows"]
    assert out["held_out_rows"] > 0 and out["skipped"] == []
    report = json.loads(Path(out["report"]).read_text())
    assert report["teacher"] == "teacher:latest" and report["pairs_kept"] == out["pairs_kept"]
    assert report["tokenizer"] == "tokenizer.json of smollm2-135m-instruct" or report["tokenizer"].startswith(
        "approximation")

    entry = catalog.get_dataset_entry("guide-qa")
    assert entry.source == "user" and entry.format == "chat" and entry.path == out["path"]
    loaded = datasets.load(entry.path, entry.format)
    assert loaded.valid and len(loaded.examples) == out["train_rows"]
    held = lines(Path(out["path"]).parent / "held_out.jsonl")
    answers = {r["messages"][0]["content"]: r["messages"][1]["content"] for r in held}
    assert entry.held_out_prompts and set(entry.held_out_prompts) <= set(answers)
    train_questions = {ex["messages"][0]["content"] for ex in loaded.examples}
    assert not set(entry.held_out_prompts) & train_questions
    assert [c.prompt for c in entry.held_out_checks] == entry.held_out_prompts
    for check in entry.held_out_checks:  # the taught answer passes its check; an unrelated one does not
        assert Check(check.mode, check.value).holds(answers[check.prompt])
        assert not Check(check.mode, check.value).holds("I do not know.")
    assert catalog.describe_dataset(entry).valid

    # run again: every chunk comes from the cache, the dataset is the same
    asked = len(standin.chat_responder.asked)
    again = run_flow("docs-qa", {"src": str(guide_and_pdfs)})
    assert again.status == "done" and len(standin.chat_responder.asked) == asked
    assert again.steps[0].outputs["pairs_kept"] == out["pairs_kept"]


def test_index_without_a_teacher_or_with_ollama_unreachable_makes_text_chunks(guide_and_pdfs, monkeypatch):
    write_flow(INDEX_QA)
    run = run_flow("docs-qa", {"src": str(guide_and_pdfs), "teacher": ""})
    assert run.status == "done", run.error
    out = run.steps[0].outputs
    assert out["mode"] == "text" and out["pairs_kept"] == 0 and out["held_out_rows"] == 0
    assert any("not to answer questions" in n for n in out["notes"])
    assert catalog.get_dataset_entry("guide-qa").format == "text"

    host = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("OLLAMA_HOST", host)
    run = run_flow("docs-qa", {"src": str(guide_and_pdfs)})
    assert run.status == "done", run.error
    out = run.steps[0].outputs
    assert out["mode"] == "text"
    assert out["notes"][0].startswith("The teacher 'teacher' was not asked") and host in out["notes"][0]
    assert any("not to answer questions" in n for n in out["notes"])
    entry = catalog.get_dataset_entry("guide-qa")
    assert entry.format == "text" and entry.held_out_prompts == [] and entry.held_out_checks == []


def test_index_qa_with_an_unknown_teacher_or_no_pair_kept_fails(standin, guide_and_pdfs):
    write_flow(INDEX_QA)
    run = run_flow("docs-qa", {"src": str(guide_and_pdfs), "teacher": "nosuch"})
    assert run.status == "error" and "no model 'nosuch'" in run.steps[0].error

    standin.chat_responder.mode = "broken_json"
    standin.chat_responder.markers = {}
    write_flow({**INDEX_QA, "id": "docs-qa2", "steps": [
        {**INDEX_QA["steps"][0], "args": {**INDEX_QA["steps"][0]["args"], "dataset_id": "broken-qa"}}]})
    run = run_flow("docs-qa2", {"src": str(guide_and_pdfs)})
    assert run.status == "error" and "No pair was kept (broken_json" in run.steps[0].error
    with pytest.raises(DomainError):
        catalog.get_dataset_entry("broken-qa")


def test_explicit_text_mode_asks_no_teacher_and_qa_needs_one(standin, guide_and_pdfs):
    built = build(BuildRequest(source_dir=str(guide_and_pdfs), dataset_id="plain", teacher="teacher", mode="text"))
    assert built.result.format == "text" and standin.chat_responder.asked == []
    assert built.dataset.id == "plain" and Path(built.dataset.path).parent == output_dir("plain")
    assert built.result.report.documents == 7
    only_pdfs = build(BuildRequest(source_dir=str(guide_and_pdfs), dataset_id="plain", patterns=["*.PDF"]))
    assert only_pdfs.result.report.documents == 3 and only_pdfs.result.report.ignored_files == 4
    with pytest.raises(DomainError) as error:
        build(BuildRequest(source_dir=str(guide_and_pdfs), dataset_id="plain", mode="qa"))
    assert error.value.code == "no_teacher"
    with pytest.raises(DomainError) as error:
        build(BuildRequest(source_dir=str(guide_and_pdfs), dataset_id="identity-demo"))
    assert error.value.code == "dataset_exists"


def test_a_check_holds_the_answers_new_words():
    check = check_for("What colour is the sky over the harbour?", "The sky over the harbour is grey in winter.")
    assert check.mode == "regex" and re.search(check.value, "In WINTER it is grey.", re.I)
    assert not re.search(check.value, "It is grey.", re.I)
    assert check_for("Is it?", "Is it.").mode == "contains"


@pytest.mark.slow
def test_index_and_train_flow_trains_on_the_teachers_pairs(standin, guide_and_pdfs, tiny_model):
    from ollama_trainer.training import history
    from ollama_trainer.training.manager import TrainingManager

    from .test_flows_train import assert_linked, use_tiny_profile

    use_tiny_profile(tiny_model)
    run = run_flow("index_and_train", {"profile": "tiny", "source_dir": str(guide_and_pdfs), "teacher": "teacher"},
                   manager=TrainingManager())
    assert run.status == "done", run.error
    index = run.steps[0].outputs
    assert index["dataset"] == "app-guide" and index["mode"] == "qa" and index["pairs_kept"] > 0
    entry = catalog.get_dataset_entry("app-guide")
    assert entry.format == "chat" and entry.held_out_prompts
    training_id = assert_linked(run, 1)
    summary = history.load_summary(training_id)
    assert summary.dataset_id == "app-guide"
    assert history.load_job(training_id).dataset.held_out_prompts == entry.held_out_prompts
