"""The window's documents commands through the bridge dispatch, against the Ollama stand-in's
teacher: the teacher picker, preview, a job watched to the end, cancel and go on, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import CommandFailed, dispatch
from tests.fakes.ollama_standin import OllamaStandin
from tests.fakes.standin_teacher import StandinTeacher
from tests.waiting import wait_until

from .test_documents_teacher import free_port, make_folder, many_chunks_folder


@pytest.fixture
def standin():
    with OllamaStandin(models=("teacher:latest", "other:7b")) as s:
        s.chat_responder = StandinTeacher()
        yield s


@pytest.fixture(scope="module")
def commands():
    return Commands()


def job_args(folder: Path, standin, **extra) -> dict:
    return {"source_dir": str(folder), "dataset_id": "docs", "teacher": "teacher", "host": standin.url,
            "chunk_tokens": 64, "overlap_tokens": 0, "pairs_per_chunk": 2, **extra}


def job_state(commands, job_id: str) -> dict:
    return dispatch(commands, "get_documents_job", {"job_id": job_id})


def wait(commands, job_id: str) -> dict:
    """The job's state once it is no longer running."""
    last = []

    def ended():
        last[:] = [job_state(commands, job_id)]
        return last[0] if last[0]["status"] != "running" else None

    try:
        return wait_until(ended, what=f"documents job {job_id} to end")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last state {last[0]}") from None


def test_teacher_models_come_from_ollamas_tags(commands, standin):
    listed = dispatch(commands, "list_teacher_models", {"host": standin.url})
    assert listed["reachable"] and [m["name"] for m in listed["models"]] == ["other:7b", "teacher:latest"]
    assert listed["models"][0]["family"] and "2 model(s)" in listed["message"]
    assert standin.calls("GET", "/api/tags")
    host = f"http://127.0.0.1:{free_port()}"
    down = dispatch(commands, "list_teacher_models", {"host": host})
    assert not down["reachable"] and down["models"] == [] and "not reachable" in down["message"]


def test_preview_then_a_job_to_the_end_registers_the_dataset(commands, standin, tmp_path):
    folder = make_folder(tmp_path / "docs")
    shown = dispatch(commands, "preview_documents", job_args(folder, standin))
    assert shown["chunks"] == 3 and len(shown["pairs"]) == 6
    assert shown["pairs"][0]["source"]["label"] == "ferry.pdf p. 1"

    started = dispatch(commands, "start_documents_job", job_args(folder, standin, name="Harbour papers"))
    assert started["status"] == "running" and started["job_id"].startswith("docs-") and started["mode"] == "qa"
    state = wait(commands, started["job_id"])
    assert state["status"] == "done", state
    p = state["progress"]
    assert p["chunks_done"] == p["chunks_total"] == state["report"]["chunks"] and p["eta_s"] == 0.0
    assert p["from_cache"] == 3 and p["pairs_kept"] == state["report"]["pairs_kept"] > 0
    assert state["dataset"]["id"] == "docs" and state["dataset"]["name"] == "Harbour papers"
    assert state["dataset"]["valid"] and state["dataset"]["format"] == "chat" and state["dataset"]["held_out_prompts"]
    assert "docs" in {d["id"] for d in dispatch(commands, "list_datasets", {})}
    assert len(standin.chat_responder.asked) == state["report"]["chunks"]  # the preview's chunks not asked again


def test_rejections_by_reason_and_no_pairs(commands, standin, tmp_path):
    folder = make_folder(tmp_path / "docs")
    standin.chat_responder.mode = "broken_json"
    standin.chat_responder.markers = {}
    state = wait(commands, dispatch(commands, "start_documents_job",
                                    job_args(folder, standin, dataset_id="broken"))["job_id"])
    assert state["status"] == "no_pairs" and state["dataset"] is None
    assert state["progress"]["rejected"] == state["report"]["rejected"]
    assert list(state["report"]["rejected"]) == ["broken_json"] and state["report"]["rejected"]["broken_json"] > 0
    assert state["progress"]["pairs_kept"] == 0
    assert any(n.startswith("No pair was kept (broken_json") for n in state["notes"])


def test_cancel_then_a_new_job_goes_on_from_there(commands, standin, tmp_path):
    folder = many_chunks_folder(tmp_path / "docs")
    standin.delay_s = 0.05
    started = dispatch(commands, "start_documents_job", job_args(folder, standin))
    wait_until(lambda: (job_state(commands, started["job_id"])["progress"] or {}).get("chunks_done", 0) >= 2,
               interval=0.02, what="two chunks done")
    with pytest.raises(CommandFailed) as busy:
        dispatch(commands, "start_documents_job", job_args(folder, standin))
    assert busy.value.code == "documents_job_running"
    dispatch(commands, "cancel_documents_job", {"job_id": started["job_id"]})
    cancelled = wait(commands, started["job_id"])
    assert cancelled["status"] == "cancelled" and cancelled["error_code"] == "cancelled"
    done_before = cancelled["progress"]["chunks_done"]
    assert 2 <= done_before < cancelled["progress"]["chunks_total"]

    standin.delay_s = 0
    again = wait(commands, dispatch(commands, "start_documents_job", job_args(folder, standin))["job_id"])
    assert again["status"] == "done" and again["report"]["cached_chunks"] >= done_before
    assert len(standin.chat_responder.asked) == again["report"]["chunks"]  # no chunk asked twice


@pytest.mark.parametrize("name, args, code, words", [
    ("get_documents_job", {"job_id": "docs-nope"}, "not_found", "no documents job"),
    ("get_documents_job", {"job_id": "../x"}, "invalid_argument", "job_id"),
    ("cancel_documents_job", {"job_id": "docs-nope"}, "not_found", "no documents job"),
    ("start_documents_job", {"overlap_tokens": 40}, "invalid_argument", "at most half"),
    ("start_documents_job", {"dataset_id": "identity-demo"}, "dataset_exists", "built-in"),
    ("start_documents_job", {"dataset_id": "Bad Id"}, "invalid_argument", "dataset_id"),
    ("preview_documents", {"teacher": None}, "no_teacher", "need a teacher"),
    ("preview_documents", {"source_dir": "/nonexistent/docs"}, "documents_not_found", "not found"),
])
def test_errors(commands, standin, tmp_path, name, args, code, words):
    if name != "get_documents_job" and name != "cancel_documents_job":
        args = job_args(make_folder(tmp_path / "docs"), standin) | args
    with pytest.raises(CommandFailed) as error:
        dispatch(commands, name, args)
    assert error.value.code == code and words in error.value.message
