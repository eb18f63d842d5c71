"""Exporting a finished run to an Ollama stand-in that drops the upload, answers 500, answers
too slowly or sends a malformed line: the export fails with a readable state, the training
result is untouched, and a retry succeeds once the stand-in recovers."""

from __future__ import annotations

import httpx
import pytest

from ollama_trainer import paths
from ollama_trainer.errors import DomainError
from ollama_trainer.ollama import export as ex
from ollama_trainer.training import history
from tests.fakes.fixtures import ollama_standin  # noqa: F401
from tests.integration.conftest import tiny_adapter  # noqa: F401
from tests.integration.export_helpers import TRAINING_ID, make_run


def drop_upload(standin, monkeypatch):
    standin.drop_upload = True


def server_error(standin, monkeypatch):
    standin.fail_status = {"/api/create": 500}


def too_slow(standin, monkeypatch):
    monkeypatch.setattr(ex, "CLIENT_TIMEOUT", httpx.Timeout(0.5, connect=5.0))
    standin.delay_s = 1.5


def malformed_line(standin, monkeypatch):
    standin.malformed_line = True


def recover(standin):
    standin.drop_upload = standin.malformed_line = False
    standin.fail_status = {}
    standin.delay_s = 0.0


FAULTS = [drop_upload, server_error, too_slow, malformed_line]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.__name__ for f in FAULTS])
def test_export_fault_then_retry(fault, tiny_adapter, ollama_standin):  # noqa: F811
    make_run(*tiny_adapter)
    summary_before = history.load_summary(TRAINING_ID)
    log_before = paths.training_log().read_bytes()
    adapter_before = {p.name: p.read_bytes() for p in (history.run_dir(TRAINING_ID) / "adapter").iterdir()}

    with pytest.MonkeyPatch.context() as mp:
        fault(ollama_standin, mp)
        with pytest.raises(DomainError) as exc:
            ex.export_run(TRAINING_ID, model_name="colours-test", host=ollama_standin.url)
    state = ex.export_state(TRAINING_ID)
    assert state.state == "error" and state.code == exc.value.code and state.error == exc.value.message
    assert state.error and "Traceback" not in state.error and "export again" in state.error, state.error
    # the training result is untouched
    assert history.load_summary(TRAINING_ID) == summary_before
    assert paths.training_log().read_bytes() == log_before
    assert {p.name: p.read_bytes() for p in (history.run_dir(TRAINING_ID) / "adapter").iterdir()} == adapter_before
    if fault is not malformed_line:  # there the server finished creating; only its answer was bad
        assert ollama_standin.find("colours-test") is None

    recover(ollama_standin)
    result = ex.export_run(TRAINING_ID, model_name="colours-test", host=ollama_standin.url)
    assert result.ollama_model == "colours-test" and ollama_standin.find("colours-test") is not None
    assert ex.export_state(TRAINING_ID).state == "done"
    after = history.load_summary(TRAINING_ID)
    assert after.ollama_model == "colours-test"
    assert after.model_copy(update={"ollama_model": None}) == summary_before  # only the model name was added
