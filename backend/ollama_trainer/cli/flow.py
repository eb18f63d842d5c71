"""`ollama-trainer flow list | run | history`: the same FlowRunner and TrainingManager as the window."""

from __future__ import annotations

import argparse
import sys

from ollama_trainer.cli.common import listing
from ollama_trainer.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, DomainError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flow", help="list and run flows (multi-step jobs)", description="Flows: list, run, history.")
    fsub = p.add_subparsers(dest="flow_command", metavar="ACTION", required=True)

    listing(fsub, "list", help="list the flows, broken files with their error",
            description="List the shipped flows and your own (<data>/flows/*.json).",
            fetch=flows, show=show_flows)

    c = fsub.add_parser("run", help="run a flow, printing each step's progress",
                        description="Run a flow. Exit 0 done, 1 failed, 2 invalid, 130 cancelled (Ctrl-C).")
    c.add_argument("flow_id", metavar="ID")
    c.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                   help="set one of the flow's inputs (repeatable)")
    c.add_argument("--json", action="store_true", help="print the FlowRun as JSON at each change")
    c.set_defaults(handler=cmd_run)

    listing(fsub, "history", help="list earlier flow runs, newest first",
            description="List earlier flow runs, newest first.",
            fetch=flow_runs, show=show_history, limit=True)


def flows(_args):
    from ollama_trainer.flows import definition

    return definition.list_flows()


def flow_runs(args):
    from ollama_trainer.flows import history

    return history.recent(max(1, args.limit))


def show_flows(flows) -> None:
    for f in flows:
        if f.error:
            print(f"{f.id:<20} BROKEN: {f.error}")
            continue
        steps = " -> ".join(f"{s.cmd}" for s in f.steps)
        inputs = ", ".join(f"{k}={v}" for k, v in f.inputs.items())
        print(f"{f.id:<20} {f.name}  [{steps}]" + (f"  inputs: {inputs}" if inputs else ""))


def parse_inputs(pairs: list[str]) -> dict[str, str]:
    inputs = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise DomainError(f"--input {pair!r}: use NAME=VALUE", code="invalid_input")
        inputs[name] = value
    return inputs


def _step_line(step) -> str:
    line = f"step {step.id} ({step.cmd}): {step.status}"
    if step.training_id:
        line += f" training_id={step.training_id}"
    if step.status == "done" and step.duration_s is not None:
        line += f" in {step.duration_s:.1f}s"
    if step.error:
        line += f": {step.error}"
    if step.status == "done":
        for skipped in step.outputs.get("skipped") or []:  # INDEX: the files it could not read, and why
            line += f"\n  skipped {skipped.get('file', '?')}: {skipped.get('reason', '')}"
        for note in step.outputs.get("notes") or []:
            line += f"\n  note: {note}"
    return line


def _resume_hints(run) -> list[str]:
    """For a flow run that stopped: how to go on with each training it left resumable."""
    from ollama_trainer.training.manager import TrainingManager

    hints = []
    for step in run.steps:
        if not step.training_id:
            continue
        try:
            status = TrainingManager.status_of_folder(step.training_id)
        except Exception:  # noqa: BLE001 - a hint, never a failure
            continue
        if status is not None and status.can_resume:
            hints.append(f"Resume the training of step {step.id} with: ollama-trainer train --resume {step.training_id}")
    return hints


def cmd_run(args) -> int:
    from ollama_trainer import wiring

    printer = _Printer(args.json)
    runner = wiring.build("cli", on_flow_change=printer).flows
    flow_run_id = runner.run_flow(args.flow_id, parse_inputs(args.input))
    if not args.json:
        print(f"Flow run {flow_run_id} of {args.flow_id}", file=sys.stderr)
    try:
        run = _wait(runner, flow_run_id)
    except KeyboardInterrupt:
        print("\nCancelling the flow run...", file=sys.stderr)
        runner.cancel(flow_run_id)
        run = _wait(runner, flow_run_id)
    if run.status == "done":
        if not args.json:
            print(f"Done in {run.duration_s:.1f}s", file=sys.stderr)
        return EXIT_OK
    if run.status == "cancelled":
        if not args.json:
            print("Cancelled", file=sys.stderr)
            for hint in _resume_hints(run):
                print(hint, file=sys.stderr)
        return EXIT_CANCELLED
    if not args.json:
        print(f"ollama-trainer: flow {run.status}: {run.error}", file=sys.stderr)
        for hint in _resume_hints(run):
            print(hint, file=sys.stderr)
    return EXIT_FAILED


def _wait(runner, flow_run_id: str):
    from ollama_trainer.contracts import FLOW_TERMINAL_STATES

    while True:  # short waits, so Ctrl-C is seen promptly
        run = runner.wait(flow_run_id, timeout=0.5)
        if run.status in FLOW_TERMINAL_STATES:
            return run


class _Printer:
    """The runner's on_change listener: one line per step state change, or the FlowRun JSON."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.seen: dict[str, tuple] = {}

    def __call__(self, run) -> None:
        if self.as_json:
            print(run.model_dump_json(), flush=True)
            return
        for step in run.steps:
            key = (step.status, step.training_id)
            if step.status != "pending" and self.seen.get(step.id) != key:
                self.seen[step.id] = key
                print(_step_line(step), flush=True)


def show_history(runs) -> None:
    if not runs:
        print("No flow runs yet. Run one with: ollama-trainer flow run train_default")
    for r in runs:
        dur = f"{r.duration_s:.0f}s" if r.duration_s is not None else "-"
        trainings = ",".join(s.training_id for s in r.steps if s.training_id) or "-"
        print(f"{r.started_at}  {r.flow_run_id}  {r.flow_id:<18} {r.status:<11} {dur:<6} trainings {trainings}")
