"""Flow files: the schema, loading, and the checks done before anything runs.

A flow file is JSON:

    {"id": "index_and_train", "name": "...", "description": "...",
     "inputs": {"profile": "quick-demo"},
     "steps": [{"id": "index", "cmd": "INDEX", "args": {"source_dir": "docs/guide", "dataset_id": "app-guide"}},
               {"id": "train", "cmd": "TRAIN", "args": {"profile": "${inputs.profile}",
                                                        "dataset": "${steps.index.dataset_id}"}}]}

Shipped flows live in automation/flows/, the user's own in <data>/flows/; a user flow with the
id of a shipped one replaces it. Every check that can be made without running is made when
the file is loaded: the JSON, the schema, ids, duplicate step ids, each command's required and
known arguments, and every `${...}` reference (an input the flow declares; a step that comes
earlier, and an output its command has), against what each command's Step declares
(flows/steps/). A broken file is listed with its error, and the other flows are unaffected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ollama_trainer import paths
from ollama_trainer.contracts import FlowCommand, FlowInfo, FlowStep, Id, InputValue
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.flows.steps import STEPS

INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REFERENCE = re.compile(r"\$\{([^}]*)\}")
_COMMAND_LIST = ", ".join(list(STEPS)[:-1]) + " or " + list(STEPS)[-1]  # "TRAIN, INDEX, EXPORT or EVAL"


class FlowError(DomainError):
    code = "invalid_flow"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepDef(_Strict):
    id: Id
    cmd: FlowCommand
    args: dict[str, Any] = Field(default_factory=dict)
    continue_on_error: bool = False


class FlowDef(_Strict):
    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    steps: list[StepDef] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedFlow:
    definition: FlowDef
    path: Path
    source: str


# -- references ------------------------------------------------------------------------------

def references(value: Any) -> list[str]:
    """Every `${...}` expression inside a (nested) argument value."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, dict):
        return [ref for v in value.values() for ref in references(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in references(v)]
    return []


def input_kinds(flow: FlowDef) -> dict[str, str]:
    """What each input stands for: the kind of the step argument it is used for (the window
    offers a choice of profiles, datasets or runs for these, a number field for numbers), else
    what its default is."""
    kinds: dict[str, str] = {}
    for step in flow.steps:
        for arg, value in step.args.items():
            if isinstance(value, str) and value.startswith("${inputs.") and value.endswith("}"):
                name = value[len("${inputs."):-1]
                kind = STEPS[step.cmd].kinds.get(arg)
                if name in flow.inputs and kind is not None:
                    kinds.setdefault(name, kind)
    for name, default in flow.inputs.items():
        if name not in kinds:
            kinds[name] = ("boolean" if isinstance(default, bool) else
                           "number" if isinstance(default, (int, float)) else "text")
    return kinds


def _check_reference(ref: str, flow: FlowDef, index: int) -> str | None:
    """An error message for a bad reference made by step number `index`, or None."""
    parts = ref.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        if parts[1] not in flow.inputs:
            return f"${{{ref}}}: the flow has no input '{parts[1]}' (declare it under \"inputs\")"
        return None
    if parts[0] == "steps" and len(parts) == 3:
        step_id, field = parts[1], parts[2]
        earlier = {s.id: s for s in flow.steps[:index]}
        if step_id not in earlier:
            later = any(s.id == step_id for s in flow.steps[index:])
            why = "comes later (a step can only use earlier steps' outputs)" if later else "does not exist"
            return f"${{{ref}}}: step '{step_id}' {why}"
        cmd = earlier[step_id].cmd
        outputs = STEPS[cmd].output_names
        if field not in outputs:
            known = ", ".join(sorted(outputs))
            return f"${{{ref}}}: a {cmd} step has no output '{field}' (it has {known})"
        return None
    return f"${{{ref}}}: use ${{inputs.<name>}} or ${{steps.<step_id>.<field>}}"


def check(flow: FlowDef) -> None:
    """Raise FlowError for the first problem that can be seen without running the flow."""
    for name in flow.inputs:
        if not INPUT_NAME.fullmatch(name):
            raise FlowError(f"input '{name}': names are letters, digits and '_', not starting with a digit")
    seen: set[str] = set()
    for index, step in enumerate(flow.steps):
        where = f"step '{step.id}'"
        if step.id in seen:
            raise FlowError(f"{where}: duplicate step id")
        seen.add(step.id)
        spec = STEPS[step.cmd]
        missing = sorted(spec.required - step.args.keys())
        if missing:
            raise FlowError(f"{where} ({step.cmd}): missing required argument {', '.join(repr(m) for m in missing)}")
        unknown = sorted(step.args.keys() - spec.required - spec.optional)
        if unknown:
            known = ", ".join(sorted(spec.required | spec.optional))
            raise FlowError(f"{where} ({step.cmd}): unknown argument {', '.join(repr(u) for u in unknown)} "
                            f"(known: {known})")
        for ref in references(step.args):
            problem = _check_reference(ref, flow, index)
            if problem:
                raise FlowError(f"{where}: {problem}")


def parse(text: str, where: str) -> FlowDef:
    """Parse and check a flow file's text; FlowError names `where` and the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowError(f"{where}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise FlowError(f"{where}: not valid JSON: nested too deeply") from None
    except ValueError:  # e.g. an integer past Python's digit limit
        raise FlowError(f"{where}: not valid JSON: a number is too long") from None
    if not isinstance(data, dict):
        raise FlowError(f"{where}: a flow file is a JSON object")
    try:
        flow = FlowDef.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "file"
        msg = first["msg"]
        if first["type"] == "literal_error" and first["loc"][-1] == "cmd":
            msg = f"unknown command {first.get('input')!r} (use {_COMMAND_LIST})"
        raise FlowError(f"{where}: {field}: {msg}") from None
    try:
        check(flow)
    except FlowError as exc:
        raise FlowError(f"{where}: {exc.message}") from None
    except RecursionError:  # step args nested deeper than the reference check can walk
        raise FlowError(f"{where}: step arguments are nested too deeply") from None
    return flow


def load_file(path: Path) -> FlowDef:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path.name}: cannot read: {exc}") from None
    return parse(text, path.name)


# -- listing ---------------------------------------------------------------------------------

def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:64] or "flow"


def folders() -> list[tuple[Path, str]]:
    return [(paths.flows_dir(), "builtin"), (paths.user_flows_dir(), "user")]


def scan(dirs: list[tuple[Path, str]] | None = None) -> list[tuple[FlowInfo, LoadedFlow | None]]:
    """Every flow file, good or broken, as (FlowInfo, LoadedFlow or None when broken).
    A later folder's flow replaces an earlier folder's flow of the same id."""
    by_id: dict[str, tuple[FlowInfo, LoadedFlow | None]] = {}
    for folder, source in dirs if dirs is not None else folders():
        seen_here: dict[str, str] = {}
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                flow = load_file(path)
            except FlowError as exc:
                info = FlowInfo(id=_slug(path.stem), name=path.stem, file=str(path), source=source, error=exc.message)
                by_id.setdefault(f"\0broken:{path}", (info, None))
                continue
            if flow.id in seen_here:
                info = FlowInfo(id=_slug(path.stem), name=path.stem, file=str(path), source=source,
                                error=f"{path.name}: flow id '{flow.id}' is already used by {seen_here[flow.id]}")
                by_id[f"\0broken:{path}"] = (info, None)
                continue
            seen_here[flow.id] = path.name
            info = FlowInfo(
                id=flow.id, name=flow.name, description=flow.description, inputs=dict(flow.inputs),
                input_kinds=input_kinds(flow),
                steps=[FlowStep(id=s.id, cmd=s.cmd, args=s.args, continue_on_error=s.continue_on_error)
                       for s in flow.steps],
                file=str(path), source=source,
            )
            by_id[flow.id] = (info, LoadedFlow(flow, path, source))
    return list(by_id.values())


def list_flows(dirs: list[tuple[Path, str]] | None = None) -> list[FlowInfo]:
    return [info for info, _ in scan(dirs)]


def get_flow(flow_id: str, dirs: list[tuple[Path, str]] | None = None) -> LoadedFlow:
    """The flow to run; NotFound (unknown_flow) or FlowError (invalid_flow, broken file)."""
    broken = None
    for info, loaded in scan(dirs):
        if loaded is not None and loaded.definition.id == flow_id:
            return loaded
        if loaded is None and info.id == flow_id:
            broken = info
    if broken is not None:
        raise FlowError(f"flow '{flow_id}' cannot run: {broken.error}")
    raise NotFound(f"unknown flow '{flow_id}'", code="unknown_flow")


# -- templating ------------------------------------------------------------------------------

def resolve(value: Any, lookup) -> Any:
    """Replace references in a (nested) argument value. `lookup(ref) -> value` raises on a
    value that is not there. A string that is exactly one reference keeps the value's type;
    a reference inside a longer string is formatted as text."""
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:
            return lookup(whole.group(1))
        return REFERENCE.sub(lambda m: _text(lookup(m.group(1))), value)
    if isinstance(value, dict):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lookup) for v in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
