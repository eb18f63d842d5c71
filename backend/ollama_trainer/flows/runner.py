"""FlowRunner: runs a flow's steps in order in a thread and keeps a FlowRun snapshot the UI polls.

Each step is pending -> running -> done | error | cancelled, or skipped. A failed step stops
the flow (the remaining steps are skipped) unless it has `continue_on_error`; either way a
flow with a failed step ends `error`, never `done`. Cancelling stops the running step (a TRAIN
step's training job is cancelled through the manager), skips the rest and ends `cancelled`.

The snapshot is written to <data>/flow_runs/<id>/state.json at every change and, when the run
ends, appended to the flow history (see history.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ollama_trainer.timestamps import now_iso
from ollama_trainer.contracts import FLOW_TERMINAL_STATES, FlowRun, FlowStepRun
from ollama_trainer.errors import DomainError, InvalidArgument, NotFound
from ollama_trainer.flows import definition, history
from ollama_trainer.flows.step import StepCancelled, StepContext, StepFailed, StepFunction, Trainer
from ollama_trainer.flows.steps import STEP_FUNCTIONS

log = logging.getLogger(__name__)


def new_flow_run_id() -> str:
    return datetime.now(timezone.utc).strftime("flow-%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def resolve_inputs(declared: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """The declared defaults overridden by `given`. Unknown names and missing required inputs
    (default null) are errors; a text value for an input whose default is a number or a
    boolean is converted (the CLI passes text)."""
    given = dict(given or {})
    unknown = sorted(given.keys() - declared.keys())
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise InvalidArgument(f"unknown input {', '.join(repr(u) for u in unknown)} (this flow's inputs: {known})",
                              code="invalid_input")
    values = {}
    for name, default in declared.items():
        value = given.get(name, default)
        if value is None:
            raise InvalidArgument(f"input '{name}' is required", code="invalid_input")
        values[name] = _convert(name, value, default)
    return values


def check_input_ids(flow, values: dict[str, Any]) -> None:
    """Inputs that name a profile, a dataset or a run must name one that exists: said before
    the run starts, not when its step gets there."""
    from ollama_trainer import catalog
    from ollama_trainer.training.run_folder import RunFolder

    def training(training_id: str) -> None:
        if RunFolder.of(training_id).read_job() is None:
            raise NotFound(f"no training run '{training_id}'", code="unknown_training")

    lookups = {"profile": catalog.get_profile, "dataset": catalog.get_dataset_entry, "training": training}
    for name, kind in definition.input_kinds(flow).items():
        if kind not in lookups:
            continue
        try:
            lookups[kind](str(values[name]))
        except DomainError as exc:
            raise InvalidArgument(f"input '{name}': {exc.message}", code="invalid_input") from None


def _convert(name: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise InvalidArgument(f"input '{name}': {value!r} is not {_WANTED[type(default)]}",
                              code="invalid_input") from None
    return value


# What an input's default says it takes, in words a person reads.
_WANTED = {bool: "true or false", int: "a whole number", float: "a number"}


@dataclass
class _Live:
    run: FlowRun
    flow: definition.FlowDef
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    lock_fd: int | None = None


class FlowRunner:
    def __init__(self, manager: Trainer, *, step_functions: dict[str, StepFunction] | None = None,
                 flow_dirs=None, on_change=None):
        """manager: the TrainingManager that TRAIN steps train through (step.Trainer names
        what they ask of it). on_change(run: FlowRun) is called (from the run's thread) with a
        copy of the run after every state change, the final one included."""
        self._manager = manager
        self._on_change = on_change
        self._functions = step_functions or STEP_FUNCTIONS
        self._dirs = flow_dirs
        self._lock = threading.RLock()
        self._live: dict[str, _Live] = {}
        self.recover_interrupted()

    # -- listing ----------------------------------------------------------------------------
    def list_flows(self):
        return definition.list_flows(self._dirs)

    # -- run --------------------------------------------------------------------------------
    def run_flow(self, flow_id: str, inputs: dict[str, Any] | None = None) -> str:
        flow = definition.get_flow(flow_id, self._dirs).definition
        values = resolve_inputs(flow.inputs, inputs)
        check_input_ids(flow, values)
        flow_run_id = new_flow_run_id()
        run = FlowRun(
            flow_run_id=flow_run_id, flow_id=flow.id, flow_name=flow.name, status="running", inputs=values,
            started_at=now_iso(),
            steps=[FlowStepRun(id=s.id, cmd=s.cmd, args=s.args, continue_on_error=s.continue_on_error)
                   for s in flow.steps],
        )
        live = _Live(run, flow)
        live.lock_fd = history.lock(flow_run_id)
        with self._lock:
            self._live[flow_run_id] = live
            self._changed(run)
        log.info("flow run %s of flow %s started", flow_run_id, flow.id)
        threading.Thread(target=self._run, args=(live,), name=f"flow-{flow_run_id}", daemon=True).start()
        return flow_run_id

    def _run(self, live: _Live) -> None:
        failed: list[str] = []
        try:
            for index, step_def in enumerate(live.flow.steps):
                if live.cancel.is_set():
                    break
                status = self._run_step(live, index, step_def)
                if status == "cancelled":  # the flow was cancelled, or its training job was
                    live.cancel.set()
                    break
                if status == "error":
                    failed.append(step_def.id)
                    if not step_def.continue_on_error:
                        break
        except Exception as exc:  # a bug in the runner itself: end the run honestly
            log.exception("flow run %s failed", live.run.flow_run_id)
            failed.append(f"runner: {type(exc).__name__}: {exc}")
        self._finish(live, failed)

    def _run_step(self, live: _Live, index: int, step_def: definition.StepDef) -> str:
        """Run one step; its final status (done, error or cancelled)."""
        run_id = live.run.flow_run_id
        with self._lock:
            step = live.run.steps[index]
            step.status, step.started_at = "running", now_iso()
            self._changed(live.run)
        started = time.monotonic()

        def on_training(training_id: str) -> None:
            with self._lock:
                step.training_id = training_id
                self._changed(live.run)

        ctx = StepContext(flow_run_id=run_id, step_id=step_def.id, manager=self._manager,
                                cancel=live.cancel, on_training=on_training)
        status, outputs, error = "done", {}, None
        try:
            args = definition.resolve(step_def.args, lambda ref: self._lookup(live, ref))
            with self._lock:
                step.args = args
            outputs = self._functions[step_def.cmd](args, ctx) or {}
        except StepCancelled:
            status = "cancelled"
        except DomainError as exc:
            status, error = "error", exc.message
        except Exception as exc:  # a bug in a step: the message says so, the log has the trace
            log.exception("flow run %s step %s failed", run_id, step_def.id)
            status, error = "error", f"{type(exc).__name__}: {exc}"
        with self._lock:
            step.status, step.outputs, step.error = status, outputs, error
            if status == "done" and step_def.cmd == "TRAIN":
                step.training_id = outputs.get("training_id", step.training_id)
            step.finished_at = now_iso()
            step.duration_s = round(time.monotonic() - started, 2)
            self._changed(live.run)
        return status

    def _changed(self, run: FlowRun) -> None:
        """Called under the lock after every change: persist the state, tell the listener."""
        history.write_state(run)
        if self._on_change is not None:
            try:
                self._on_change(run.model_copy(deep=True))
            except Exception:  # a listener must not break the run
                log.exception("flow run listener failed")

    def _lookup(self, live: _Live, ref: str) -> Any:
        kind, *rest = ref.split(".")
        if kind == "inputs":
            return live.run.inputs[rest[0]]
        step_id, name = rest
        step = next(s for s in live.run.steps if s.id == step_id)
        if step.status != "done" or name not in step.outputs:
            raise StepFailed(f"${{{ref}}}: step '{step_id}' has no output '{name}' (it ended {step.status})")
        return step.outputs[name]

    def _finish(self, live: _Live, failed: list[str]) -> None:
        with self._lock:
            run = live.run
            for step in run.steps:
                if step.status == "pending":
                    step.status = "skipped"
            if live.cancel.is_set():
                run.status, run.error = "cancelled", "cancelled"
            elif failed:
                run.status = "error"
                errors = [f"step '{s.id}': {s.error}" for s in run.steps if s.status == "error"]
                run.error = "; ".join(errors) or "; ".join(failed)
            else:
                run.status = "done"
            run.finished_at = now_iso()
            run.duration_s = round(time.monotonic() - live.started, 2)
            final = run.model_copy(deep=True)
        try:
            history.record(final)
        except OSError as exc:  # disk full, read-only: the run says what was lost
            log.error("could not record flow run %s: %s", final.flow_run_id, exc)
            with self._lock:
                live.run.error = ((live.run.error + "; ") if live.run.error else "") + f"flow history not written: {exc}"
                final = live.run.model_copy(deep=True)
        finally:
            if self._on_change is not None:
                try:
                    self._on_change(final)
                except Exception:
                    log.exception("flow run listener failed")
            if live.lock_fd is not None:
                os.close(live.lock_fd)
            live.finished.set()
        log.info("flow run %s ended %s", final.flow_run_id, final.status)

    # -- queries ----------------------------------------------------------------------------
    def get(self, flow_run_id: str) -> FlowRun:
        with self._lock:
            live = self._live.get(flow_run_id)
            if live is not None:
                return live.run.model_copy(deep=True)
        found = history.find(flow_run_id)
        if found is None:
            raise NotFound(f"no flow run '{flow_run_id}'", code="unknown_flow_run")
        return found

    def recent(self, limit: int = 10) -> list[FlowRun]:
        """Running runs first (newest first), then the history, newest first."""
        with self._lock:
            running = [l.run.model_copy(deep=True) for l in self._live.values() if not l.finished.is_set()]
        running.sort(key=lambda r: r.flow_run_id, reverse=True)
        ids = {r.flow_run_id for r in running}
        older = [r for r in history.recent(limit + len(ids)) if r.flow_run_id not in ids]
        return (running + older)[:limit]

    def wait(self, flow_run_id: str, timeout: float | None = None) -> FlowRun:
        with self._lock:
            live = self._live.get(flow_run_id)
        if live is not None:
            live.finished.wait(timeout)
        return self.get(flow_run_id)

    # -- cancel -----------------------------------------------------------------------------
    def cancel(self, flow_run_id: str) -> FlowRun:
        with self._lock:
            live = self._live.get(flow_run_id)
            if live is None or live.finished.is_set():
                return self.get(flow_run_id)
            live.cancel.set()
            training_ids = [s.training_id for s in live.run.steps if s.status == "running" and s.training_id]
        for training_id in training_ids:
            log.info("flow run %s cancelled: cancelling training %s", flow_run_id, training_id)
            self._manager.cancel(training_id)
        return self.get(flow_run_id)

    def shutdown(self, timeout: float = 30.0) -> None:
        with self._lock:
            ids = [i for i, l in self._live.items() if not l.finished.is_set()]
        for flow_run_id in ids:
            self.cancel(flow_run_id)
            self.wait(flow_run_id, timeout)

    # -- recovery ---------------------------------------------------------------------------
    def recover_interrupted(self) -> list[str]:
        return history.recover_interrupted(now_iso())


__all__ = ["FlowRunner", "FLOW_TERMINAL_STATES", "resolve_inputs", "new_flow_run_id"]
