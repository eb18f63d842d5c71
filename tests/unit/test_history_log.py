"""The training history: appends survive torn lines, tail reads return the newest first."""

from __future__ import annotations

import threading

from ollama_trainer import paths
from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.training import history


def summary(n: int, **kw) -> TrainingRunSummary:
    base = dict(training_id=f"run-{n:05d}", profile_id="quick-demo", dataset_id="identity-demo", status="done",
                started_at="2026-11-28T10:00:00+00:00", finished_at="2026-11-28T10:01:00+00:00", epochs=3,
                final_loss=0.1 * n)
    return TrainingRunSummary(**{**base, **kw})


def test_empty_history_is_empty():
    assert history.recent(10) == []


def test_newest_first_and_limit():
    for n in range(25):
        history.log().append(summary(n))
    got = history.recent(10)
    assert [s.training_id for s in got] == [f"run-{n:05d}" for n in range(24, 14, -1)]
    assert len(history.recent(1000)) == 25


def test_corrupted_line_is_skipped_and_others_survive():
    log = history.log()
    log.append(summary(1))
    with open(paths.training_log(), "ab") as f:
        f.write(b'{"training_id": "broken", "status": \n')
        f.write(b"\xff\xfe not json at all\n")
    log.append(summary(2))
    assert [s.training_id for s in history.recent(10)] == ["run-00002", "run-00001"]
    assert [s.training_id for s in log.all()] == ["run-00001", "run-00002"]


def test_half_written_last_line_is_not_glued_to_the_next_record():
    log = history.log()
    log.append(summary(1))
    with open(paths.training_log(), "ab") as f:
        f.write(b'{"training_id": "run-half", "profile_id": "q')  # the app died mid-append
    log.append(summary(2))
    assert [s.training_id for s in history.recent(10)] == ["run-00002", "run-00001"]
    raw = paths.training_log().read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 3


def test_concurrent_appends_never_interleave():
    log = history.log()
    threads = [threading.Thread(target=lambda k=k: [log.append(summary(k * 100 + i)) for i in range(50)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list(log.all())
    assert len(records) == 200
    assert len({r.training_id for r in records}) == 200


def test_record_writes_run_summary_and_history():
    history.record(summary(7, status="error", error="boom"))
    assert history.load_summary("run-00007").error == "boom"
    assert history.recent(1)[0].training_id == "run-00007"


def test_tail_read_crosses_block_boundaries():
    long = "x" * 70_000  # one record larger than the read block
    history.log().append(summary(1, error=long))
    history.log().append(summary(2))
    got = history.recent(5)
    assert [s.training_id for s in got] == ["run-00002", "run-00001"]
    assert got[1].error == long


def test_an_updated_summary_supersedes_the_older_one():
    history.record(summary(1))
    history.record(summary(2))
    history.record(summary(1, ollama_model="faq-1"))
    got = history.recent(10)
    assert [(s.training_id, s.ollama_model) for s in got] == [("run-00001", "faq-1"), ("run-00002", None)]
    assert history.load_summary("run-00001").ollama_model == "faq-1"
