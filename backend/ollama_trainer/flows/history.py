"""Flow run records on disk.

- `<data>/flow_runs/<flow_run_id>/state.json`: the run's live state, rewritten atomically at
  every step change (a `.lock` file next to it is held while the run is live).
- `<data>/logs/flows/flow_runs.jsonl`: one FlowRun per finished run, appended once.

A state.json that is not finished, not held by a live process and has no record in the log
was left by an app that stopped: `recover_interrupted` records it as `interrupted`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ollama_trainer import atomic, file_lock, paths
from ollama_trainer.contracts import FLOW_TERMINAL_STATES, FlowRun
from ollama_trainer.jsonl_log import JsonlLog

log = logging.getLogger(__name__)
INTERRUPTED = "the app stopped while this flow was running"


def flow_log() -> JsonlLog[FlowRun]:
    return JsonlLog(paths.flow_log(), FlowRun)


def runs_root() -> Path:
    return paths.sub("flow_runs")


def run_dir(flow_run_id: str) -> Path:
    return runs_root() / flow_run_id


def write_state(run: FlowRun) -> None:
    folder = run_dir(run.flow_run_id)
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_text(folder / "state.json", run.model_dump_json(indent=2))


def read_state(flow_run_id: str) -> FlowRun | None:
    try:
        return FlowRun.model_validate_json((run_dir(flow_run_id) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record(run: FlowRun) -> None:
    """A finished run: final state.json, then one line in the log."""
    write_state(run)
    flow_log().append(run)


def lock(flow_run_id: str) -> int:
    """Hold the run's lock while it is live (raises OSError when another process holds it)."""
    folder = run_dir(flow_run_id)
    folder.mkdir(parents=True, exist_ok=True)
    return file_lock.take(folder / ".lock")


def recent(limit: int) -> list[FlowRun]:
    return flow_log().newest(limit)


def find(flow_run_id: str) -> FlowRun | None:
    return read_state(flow_run_id) or flow_log().find_newest(lambda r: r.flow_run_id == flow_run_id)


def recover_interrupted(now: str) -> list[str]:
    """Record every run left unfinished (or finished but never logged) by a stopped app."""
    root = runs_root()
    candidates = [d for d in sorted(root.iterdir()) if (d / "state.json").is_file()]
    if not candidates:
        return []
    logged = {r.flow_run_id for r in flow_log().all()}
    recovered = []
    for folder in candidates:
        if folder.name in logged:
            continue
        try:
            fd = lock(folder.name)
        except OSError:
            continue  # live in another app process
        try:
            run = read_state(folder.name)
            if run is None:
                log.warning("flow run %s: unreadable state.json, left as it is", folder.name)
                continue
            if run.status not in FLOW_TERMINAL_STATES:
                run.status = "interrupted"
                run.error = INTERRUPTED
                run.finished_at = now
                for step in run.steps:
                    if step.status == "running":
                        step.status, step.error, step.finished_at = "error", INTERRUPTED, now
                    elif step.status == "pending":
                        step.status = "skipped"
            record(run)
            recovered.append(run.flow_run_id)
        except OSError as exc:
            log.warning("could not recover flow run %s: %s", folder.name, exc)
        finally:
            os.close(fd)
    return recovered
