"""Whatever a line of worker output holds, readers of events never fail on it: `parse_event`
gives an event or None, the supervisor's follower always ends the job, and a run folder whose
events.jsonl holds such lines still reads (status, metrics, compare)."""

from __future__ import annotations

import io
import json
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ollama_trainer import protocol
from ollama_trainer.training import compare, outcome
from ollama_trainer.training.run_folder import RunFolder
from ollama_trainer.training.supervisor import Supervisor

EVENT_NAMES = sorted(protocol.KNOWN_EVENTS) + ["nope", "", "progress ", "DONE"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=12)
EVENT_LIKE = st.fixed_dictionaries({"event": st.sampled_from(EVENT_NAMES)},
                                   optional={"step": JSON, "epoch": JSON, "loss": JSON, "total_steps": JSON,
                                             "total_epochs": JSON, "message": JSON, "recorded": JSON})
LINES = st.one_of(st.binary(max_size=200),
                  JSON.map(lambda v: json.dumps(v).encode()),
                  EVENT_LIKE.map(lambda v: json.dumps(v).encode()))


@given(LINES)
@settings(max_examples=300, deadline=None)
def test_parse_event_gives_an_event_or_none(line):
    event = protocol.parse_event(line)
    assert event is None or event.event in protocol.KNOWN_EVENTS


def test_known_but_malformed_and_unknown_events_are_none():
    assert protocol.parse_event('{"event":"nope"}') is None
    assert protocol.parse_event('{"event":"progress","step":1}') is None  # epoch etc. missing
    assert protocol.parse_event('{"event":"done","steps":"many"}') is None
    assert protocol.parse_event(b"\xff\xfe") is None
    assert protocol.parse_event('{"event":"done"}').event == "done"


class _Ended:
    """A finished child: its output is `lines`, its exit code 0."""

    def __init__(self, lines: list[bytes]):
        self.stdout = io.BytesIO(b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines))
        self.pid = 4242

    def wait(self, timeout=None):
        return 0

    def poll(self):
        return 0


@given(st.lists(LINES, max_size=8))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_follower_ends_the_job_whatever_the_lines(tmp_path, lines):
    ends, seen = [], []
    supervisor = Supervisor(RunFolder(tmp_path / "run"), seen.append, ends.append, stall_timeout_s=600, grace_s=1,
                            process=_Ended(lines))
    supervisor._follow_stdout()
    assert len(ends) == 1 and ends[0].code == 0 and supervisor.finished.is_set()
    assert all(e.event in protocol.KNOWN_EVENTS for e in seen)


def test_an_owner_that_fails_on_an_event_still_gets_the_end(tmp_path):
    ends = []

    def broken(event):
        raise RuntimeError("a bug in the owner")

    supervisor = Supervisor(RunFolder(tmp_path / "run"), broken, ends.append, stall_timeout_s=600, grace_s=1,
                            process=_Ended([b'{"event":"started"}', b'{"event":"done"}']))
    thread = threading.Thread(target=supervisor._follow_stdout)
    thread.start()
    thread.join(10)
    assert ends and supervisor.finished.is_set()


def _write_run(home, tid: str, lines: list[bytes]) -> None:
    from tests.integration.conftest import profile

    folder = RunFolder.of(tid)
    folder.path.mkdir(parents=True)
    folder.file("job.json").write_text(json.dumps({
        "training_id": tid, "epochs": 1, "profile": {**profile("base"), "id": "p"},
        "dataset": {"id": "d", "path": "/nowhere.jsonl"}, "models_dir": str(home)}))
    folder.file("events.jsonl").write_bytes(b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines))


@given(st.lists(LINES, max_size=8))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_run_folder_with_any_lines_still_reads(data_home, lines):
    import shutil

    shutil.rmtree(data_home / "runs", ignore_errors=True)
    _write_run(data_home, "20261206-000000-aaaaaa", lines)
    _write_run(data_home, "20261206-000000-bbbbbb", [b'{"event":"progress","epoch":1,"total_epochs":1,"step":1,'
                                                     b'"total_steps":1,"loss":1.5}'])
    folder = RunFolder.of("20261206-000000-aaaaaa")
    assert outcome.status_of(folder) is not None
    folder.metric_points()
    result = compare.compare(["20261206-000000-aaaaaa", "20261206-000000-bbbbbb"])
    assert len(result.runs) == 2
