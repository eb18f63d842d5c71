"""Load: 50 clients polling status, metrics and history over HTTP while a run trains, and
start/cancel over and over: no errors, no deadlock, and no leaked threads, file handles or
processes afterwards; memory settles. `make test` runs short versions; bench/soak.py runs
the full minute and 100 rounds (OT_SOAK_SECONDS, OT_SOAK_ROUNDS) and prints the figures."""

from __future__ import annotations

import json
import os
import threading
import time

import httpx

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.http import TOKEN_HEADER
from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.worker_client import _SPAWNER
from tests.bridge_helpers import running_server
from tests.reliability.conftest import alive, child_pids, open_fds, rss_kib
from tests.waiting import wait_until

SOAK_SECONDS = float(os.environ.get("OT_SOAK_SECONDS", "8"))
SOAK_ROUNDS = int(os.environ.get("OT_SOAK_ROUNDS", "12"))
CLIENTS = 50


def report(name: str, **figures) -> None:
    """Figures for bench/soak.py (a JSON line per test, appended to OT_SOAK_REPORT)."""
    target = os.environ.get("OT_SOAK_REPORT")
    if target:
        with open(target, "a") as f:
            f.write(json.dumps({"test": name, **figures}) + "\n")


def baseline() -> tuple[int, int]:
    _SPAWNER.submit(lambda: None).result()  # the manager's one long-lived spawner thread exists by design
    return threading.active_count(), open_fds()


def settle(baseline_threads: int, baseline_fds: int) -> tuple[int, int]:
    """Wait for threads and fds to come back to the baseline (daemon threads end lazily); the
    counts then, for the report and the caller's assertions, which name what stayed above it."""
    try:
        wait_until(lambda: threading.active_count() <= baseline_threads and open_fds() <= baseline_fds,
                   what="threads and file handles back to the baseline")
    except AssertionError:
        pass  # reported, then asserted, by the caller
    return threading.active_count(), open_fds()


def poller(server, training_id: str, stop: threading.Event, latencies: list, errors: list) -> None:
    calls = [("get_training_status", {"training_id": training_id}), ("get_training_history", {"limit": 20}),
             ("get_training_metrics", {"training_id": training_id, "since_step": 0}), ("get_active_training", {})]
    with httpx.Client(base_url=server.url, headers={TOKEN_HEADER: server.token}, timeout=30) as client:
        i = 0
        while not stop.is_set():
            name, args = calls[i % len(calls)]
            i += 1
            t0 = time.monotonic()
            try:
                r = client.post(f"api/{name}", json=args)
                if r.status_code != 200:
                    errors.append(f"{name}: {r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            latencies.append(time.monotonic() - t0)
            time.sleep(0.05)


def test_fifty_clients_poll_while_a_run_trains(tiny_catalog):
    baseline_threads, baseline_fds = baseline()
    children_before = child_pids()  # e.g. a browser other tests of this session keep open
    commands = Commands(transport="browser")
    manager: TrainingManager = commands._manager
    with running_server(commands) as server:
        headers = {TOKEN_HEADER: server.token}
        tid = httpx.post(f"{server.url}api/start_training_job", headers=headers, timeout=30,
                         json={"profile_id": "tiny", "dataset_id": "colours", "epochs": 100}).json()["training_id"]
        wait_until(lambda: manager.status(tid).status == "running", what="the run to train")
        stop, latencies, errors = threading.Event(), [], []
        threads = [threading.Thread(target=poller, args=(server, tid, stop, latencies, errors)) for _ in range(CLIENTS)]
        step_before = manager.status(tid).step
        for t in threads:
            t.start()
        time.sleep(SOAK_SECONDS / 2)
        rss_mid = rss_kib()
        time.sleep(SOAK_SECONDS / 2)
        stop.set()
        for t in threads:
            t.join(30)
        rss_end = rss_kib()
        step_after = manager.status(tid).step
        assert manager.cancel(tid).status in ("running", "preparing")
        final = manager.wait(tid, 120)
    pid = manager._jobs[tid].process.pid
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    threads_after, fds_after = settle(baseline_threads, baseline_fds)
    report("poll", seconds=SOAK_SECONDS, clients=CLIENTS, requests=len(latencies), errors=len(errors),
           p50_s=round(p50, 4), p99_s=round(p99, 4), steps_trained=step_after - step_before,
           rss_mid_kib=rss_mid, rss_end_kib=rss_end, threads=[baseline_threads, threads_after],
           fds=[baseline_fds, fds_after])
    assert not errors, errors[:5]
    assert len(latencies) > CLIENTS * SOAK_SECONDS  # every client got answers all along (no deadlock)
    assert p99 < 5.0, p99
    assert step_after > step_before, "the run did not train while being polled"
    assert final.status == "cancelled"
    assert not alive(pid) and child_pids() <= children_before
    assert threads_after <= baseline_threads and fds_after <= baseline_fds
    assert rss_end - rss_mid < 64 * 1024, (rss_mid, rss_end)  # settles: no growth per request


def test_start_and_cancel_over_and_over(tiny_catalog):
    prof, data = tiny_catalog
    manager = TrainingManager(cancel_grace_s=30)
    manager.start(prof, data, epochs=1)  # warm up: the first import of torch and the model
    wait_until(lambda: manager.active_id() is None, what="the warm-up run")
    baseline_threads, baseline_fds = baseline()
    children_before = child_pids()
    rss_start = rss_kib()
    delays = [0.0, 0.05, 0.0, 0.5]  # before the worker's SIGTERM handler, just after it, mid-setup
    outcomes: dict[str, int] = {}
    pids = []
    t0 = time.monotonic()
    for round_ in range(SOAK_ROUNDS):
        tid = manager.start(prof, data, epochs=50)
        time.sleep(delays[round_ % len(delays)])
        manager.cancel(tid)
        final = manager.wait(tid, 120)
        assert manager._jobs[tid].finished.is_set(), f"round {round_}: the job did not end (deadlock?)"
        pids.append(manager._jobs[tid].process.pid)
        outcomes[final.status] = outcomes.get(final.status, 0) + 1
        assert final.status == "cancelled", (round_, final.status, final.error)
    elapsed = time.monotonic() - t0
    threads_after, fds_after = settle(baseline_threads, baseline_fds)
    rss_end = rss_kib()
    report("start_cancel", rounds=SOAK_ROUNDS, seconds=round(elapsed, 1), outcomes=outcomes,
           threads=[baseline_threads, threads_after], fds=[baseline_fds, fds_after],
           rss_start_kib=rss_start, rss_end_kib=rss_end)
    assert manager.active_id() is None
    assert not any(alive(pid) for pid in pids) and child_pids() <= children_before
    assert threads_after <= baseline_threads and fds_after <= baseline_fds
    summaries = [s for s in history.log().all() if s.status == "cancelled"]
    assert len(summaries) == SOAK_ROUNDS == len({s.training_id for s in summaries})  # each recorded once
    assert rss_end - rss_start < 64 * 1024
