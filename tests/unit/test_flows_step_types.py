"""Each flow step is declared once (flows/steps/<cmd>.py): the loader's checks, the input kinds,
the docs' table and the commands' order all come from those declarations; the manager a TRAIN
step uses is the Trainer protocol, with TrainingManager's signatures."""

from __future__ import annotations

import inspect
import json
from typing import get_args

import pytest

from ollama_trainer.contracts import FlowCommand
from ollama_trainer.flows import definition, docs_table
from ollama_trainer.flows.step import StepContext, StepFailed, Trainer
from ollama_trainer.flows.steps import STEPS
from ollama_trainer.training.manager import TrainingManager


def test_the_docs_table_of_steps_is_generated_from_the_steps():
    text = docs_table.DOCS.read_text(encoding="utf-8")
    assert docs_table.render(text) == text, "run: python -m ollama_trainer.flows.docs_table --write"
    assert docs_table.main([]) == 0


def test_a_stale_table_is_found_and_rewritten(tmp_path, capsys):
    docs = tmp_path / "flows.md"
    docs.write_text(docs_table.DOCS.read_text(encoding="utf-8").replace("`training_id`", "`run`", 1))
    assert docs_table.main([], path=docs) == 1
    assert "docs_table --write" in capsys.readouterr().out
    assert docs_table.main(["--write"], path=docs) == 0
    assert docs.read_text(encoding="utf-8") == docs_table.DOCS.read_text(encoding="utf-8")


def test_a_docs_file_without_the_table_block_is_an_error():
    with pytest.raises(ValueError, match="steps table"):
        docs_table.render("# Flows\n")


def test_every_command_is_one_step_in_the_contracts_order():
    assert list(STEPS) == list(get_args(FlowCommand))
    for command, step in STEPS.items():
        assert step.command == command
        assert step.required and step.output_names, command


def test_the_loader_checks_arguments_and_outputs_against_the_declarations():
    flow = {"id": "f", "name": "F", "steps": [{"id": "t", "cmd": "TRAIN", "args": {"profile": "p"}}]}
    with pytest.raises(definition.FlowError, match="missing required argument 'dataset'"):
        definition.parse(json.dumps(flow), "f.json")
    flow["steps"][0]["args"] = {"profile": "p", "dataset": "d", "adapter": "x"}
    with pytest.raises(definition.FlowError, match=r"unknown argument 'adapter' \(known: dataset, epochs, from_run, profile\)"):
        definition.parse(json.dumps(flow), "f.json")
    flow["steps"][0]["cmd"] = "DEPLOY"
    with pytest.raises(definition.FlowError, match=r"unknown command 'DEPLOY' \(use TRAIN, INDEX, EXPORT or EVAL\)"):
        definition.parse(json.dumps(flow), "f.json")


def test_input_kinds_come_from_the_arguments_they_are_used_for():
    flow = definition.parse(json.dumps({
        "id": "kinds", "name": "Kinds",
        "inputs": {"profile": "quick-demo", "folder": "docs", "chunk": 128, "teacher": "t", "flag": True, "run": None},
        "steps": [
            {"id": "index", "cmd": "INDEX", "args": {"source_dir": "${inputs.folder}", "dataset_id": "d",
                                                     "chunk_tokens": "${inputs.chunk}", "teacher": "${inputs.teacher}"}},
            {"id": "train", "cmd": "TRAIN", "args": {"profile": "${inputs.profile}", "dataset": "d"}},
            {"id": "export", "cmd": "EXPORT", "args": {"training_id": "${inputs.run}"}},
        ]}), "kinds.json")
    assert definition.input_kinds(flow) == {"folder": "folder", "chunk": "number", "profile": "profile",
                                            "run": "training", "teacher": "text", "flag": "boolean"}


def test_a_step_checks_its_arguments_before_it_runs():
    ctx = StepContext(flow_run_id="flow-1", step_id="train", manager=None)
    with pytest.raises(StepFailed, match=r"TRAIN argument epochs: Input should be greater than or equal to 1 \(got 0\)"):
        STEPS["TRAIN"]({"profile": "quick-demo", "dataset": "identity-demo", "epochs": 0}, ctx)


def test_the_trainer_protocol_has_the_training_managers_signatures():
    for name in ("start", "wait", "cancel"):
        wanted = inspect.signature(getattr(Trainer, name))
        real = inspect.signature(getattr(TrainingManager, name))
        assert wanted.return_annotation == real.return_annotation, name
        for param in wanted.parameters.values():
            assert param.name in real.parameters, f"TrainingManager.{name} has no {param.name}"
            got = real.parameters[param.name]
            assert (got.kind, got.default, got.annotation) == (param.kind, param.default, param.annotation), \
                f"TrainingManager.{name}({param.name})"
        extra = [p for p in real.parameters.values() if p.name not in wanted.parameters]
        assert all(p.default is not inspect.Parameter.empty for p in extra), name  # the rest are optional
