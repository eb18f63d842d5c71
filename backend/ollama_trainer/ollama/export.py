"""Export a finished training run to Ollama.

    export_run(training_id, model_name=None, host=None, on_status=None) -> ExportResult

Steps: check the run (done, with an adapter) -> write adapter.gguf (the GGUF conversion, for
the manual path) and the Modelfile -> GET /api/version (reachable? >= 0.5.5?) -> upload
adapter_model.safetensors and adapter_config.json as blobs -> POST /api/create with `from`,
`adapters`, template, system, parameters, streamed -> POST /api/show to confirm.

Each step's state goes to runs/<id>/export.json (atomically rewritten); `export_state()` reads
it. A failed export raises DomainError with a stable code (ollama_unreachable, ollama_too_old,
ollama_create_failed, ...) and a message that says what to do; it never touches the run's own
summary or adapter. Retrying is running the export again. Recording the model name in the
run's summary is the caller's job (ExportResult.ollama_model).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Callable

import httpx

from ollama_trainer.timestamps import now_iso
from ollama_trainer import atomic, paths
from ollama_trainer.errors import Conflict, DomainError, InvalidArgument, NotFound
from ollama_trainer.ollama import client as oc
from ollama_trainer.ollama import modelfile
from ollama_trainer.weights import gguf_adapter
from ollama_trainer.contracts import MODEL_NAME_PATTERN, ExportResult, ExportState
from ollama_trainer.training import history

log = logging.getLogger(__name__)
ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")
BUILTIN_BASE = "smollm2-135m-instruct"
CLIENT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
TOO_OLD_ANSWER = "neither 'from' or 'files' was specified"

_running: set[str] = set()
_running_lock = threading.Lock()


class ExportFailed(DomainError):
    """A failed export: code and message for the person, state already written."""


# -- names ----------------------------------------------------------------------------------------
def sanitize_model_name(text: str) -> str:
    """Lowercase, only [a-z0-9._-], optional `:tag`; runs of other characters become '-'."""
    name, _, tag = text.strip().lower().partition(":")

    def clean(part: str) -> str:
        part = re.sub(r"[^a-z0-9._-]+", "-", part)
        part = re.sub(r"-{2,}", "-", part).strip("-._")
        return part[:80]

    name, tag = clean(name), clean(tag)
    if not name:
        name = "model"
    return f"{name}:{tag}" if tag else name


def default_model_name(dataset_id: str, training_id: str) -> str:
    short = training_id.rsplit("-", 1)[-1][-6:] if "-" in training_id else training_id[-6:]
    return sanitize_model_name(f"{dataset_id}-{short}")


def check_model_name(name: str) -> str:
    value = name.strip().lower()
    if not MODEL_NAME_PATTERN.fullmatch(value):
        raise InvalidArgument(
            f"'{name}' is not a valid Ollama model name: use a-z, 0-9, '.', '_' or '-' (starting with a letter "
            f"or digit), optionally followed by ':tag', e.g. '{sanitize_model_name(name)}'",
            code="invalid_model_name")
    return value


# -- state file -----------------------------------------------------------------------------------
def _state_path(training_id: str) -> Path:
    return history.run_dir(training_id) / "export.json"


def _write_state(state: ExportState) -> None:
    state.updated_at = now_iso()
    path = _state_path(state.training_id)
    atomic.write_text(path, state.model_dump_json(indent=2))


def export_state(training_id: str) -> ExportState:
    """The run's last export; `idle` when it was never exported. An `exporting` state that no
    export in this process owns (the app stopped mid-export) reads as an error."""
    if not paths.is_valid_id(training_id):
        raise InvalidArgument(f"invalid training id '{training_id}'", code="invalid_argument")
    try:
        state = ExportState.model_validate_json(_state_path(training_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ExportState(training_id=training_id)
    with _running_lock:
        running = training_id in _running
    if state.state == "exporting" and not running:
        state.state, state.code = "error", "export_interrupted"
        state.error = state.message = "the export was interrupted (the app stopped); export again"
    return state


# -- preconditions --------------------------------------------------------------------------------
def _load_run(training_id: str) -> tuple[object, dict, Path]:
    if not paths.is_valid_id(training_id):
        raise InvalidArgument(f"invalid training id '{training_id}'", code="invalid_argument")
    summary = history.load_summary(training_id)
    job = history.load_job(training_id)
    if summary is None and job is None:
        raise NotFound(f"no training run '{training_id}'", code="unknown_training")
    adapter = history.run_dir(training_id) / "adapter"
    if summary is None or summary.status != "done":
        status = summary.status if summary is not None else "not finished"
        raise DomainError(f"run '{training_id}' has no trained adapter to export (its status is {status}); "
                          "export a run that finished", code="no_adapter")
    missing = [name for name in ADAPTER_FILES if not (adapter / name).is_file()]
    if missing:
        raise DomainError(f"run '{training_id}' has no trained adapter to export ({', '.join(missing)} missing "
                          f"in {adapter})", code="no_adapter")
    if job is None or not isinstance(job.get("profile"), dict) or not job["profile"].get("ollama_base"):
        raise DomainError(f"run '{training_id}' has no job.json with a profile: cannot tell which Ollama base "
                          "model to build on", code="no_adapter")
    return summary, job, adapter


def base_model_folder(job: dict, adapter_dir: Path) -> Path | None:
    """A local folder holding the base model's config.json, when one can be found without a
    download: the adapter's base_model_name_or_path, the builtin cache, a local folder, or the
    Hugging Face cache."""
    candidates: list[Path] = []
    try:
        cfg = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
        if cfg.get("base_model_name_or_path"):
            candidates.append(Path(os.path.expanduser(str(cfg["base_model_name_or_path"]))))
    except (OSError, ValueError):
        pass
    base = str(job.get("profile", {}).get("base_model") or "")
    if base == BUILTIN_BASE:
        candidates.append(Path(job.get("models_dir") or paths.models_dir()) / BUILTIN_BASE)
    elif base:
        candidates.append(Path(os.path.expanduser(base)))
    for folder in candidates:
        if (folder / "config.json").is_file():
            return folder
    if base and base != BUILTIN_BASE and base.count("/") <= 1 and not base.startswith((".", "/", "~")):
        try:
            from huggingface_hub import try_to_load_from_cache

            hit = try_to_load_from_cache(base, "config.json")
            if isinstance(hit, str):
                return Path(hit).parent
        except Exception:  # noqa: BLE001 - the cache is optional
            return None
    return None


def _base_config(job: dict, folder: Path | None) -> dict | None:
    if folder is not None:
        try:
            return json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    if job.get("profile", {}).get("base_model") == BUILTIN_BASE:
        n_head, n_kv = gguf_adapter.SMOLLM2_135M_HEADS
        return {"model_type": "llama", "num_attention_heads": n_head, "num_key_value_heads": n_kv}
    return None


# -- the export -----------------------------------------------------------------------------------
def export_run(training_id: str, *, model_name: str | None = None, host: str | None = None,
               on_status: Callable[[str], None] | None = None) -> ExportResult:
    """Export a finished run to Ollama and wait for it (the CLI, the EXPORT flow step)."""
    prepared = _prepare(training_id, model_name, host)
    return _run_claimed(*prepared, on_status)


def start_export(training_id: str, *, model_name: str | None = None, host: str | None = None) -> ExportState:
    """Check what can be checked at once (the run, the name, the host), then export in a
    background thread; the UI follows export_state(training_id)."""
    prepared = _prepare(training_id, model_name, host)
    _write_state(ExportState(training_id=training_id, state="exporting", message="starting the export",
                             model=prepared[3], host=prepared[4], updated_at=now_iso()))

    def run() -> None:
        try:
            _run_claimed(*prepared, None)
        except DomainError:
            pass  # the state file holds the error for the UI
        except Exception:  # noqa: BLE001 - a bug: say so in the state, never leave "exporting"
            log.exception("export of %s failed", training_id)
            _write_state(ExportState(training_id=training_id, state="error", code="internal_error",
                                     error="the export failed unexpectedly; see the app log", updated_at=now_iso()))

    threading.Thread(target=run, name=f"export-{training_id}", daemon=True).start()
    return export_state(training_id)


def _prepare(training_id: str, model_name: str | None, host: str | None) -> tuple:
    """Validate, then claim the run for one export at a time."""
    summary, job, adapter_dir = _load_run(training_id)
    name = check_model_name(model_name) if model_name else default_model_name(summary.dataset_id, training_id)
    try:
        resolved = oc.resolve_host(host)
    except ValueError as exc:
        raise InvalidArgument(str(exc), code="invalid_host") from exc
    with _running_lock:
        if training_id in _running:
            raise Conflict(f"run '{training_id}' is already being exported", code="export_running")
        _running.add(training_id)
    return training_id, job, adapter_dir, name, resolved


def _run_claimed(training_id: str, job: dict, adapter_dir: Path, name: str, host: str,
                 on_status: Callable[[str], None] | None) -> ExportResult:
    try:
        return _export(training_id, job, adapter_dir, name, host, on_status)
    finally:
        with _running_lock:
            _running.discard(training_id)


def _record_model(training_id: str, model: str) -> None:
    """Note the Ollama model in the run's summary (a newer record supersedes the older one);
    the training's own result is never changed otherwise."""
    summary = history.load_summary(training_id)
    if summary is not None and summary.ollama_model != model:
        try:
            history.record(summary.model_copy(update={"ollama_model": model}))
        except OSError as exc:
            log.warning("the summary of %s was not updated with the Ollama model: %s", training_id, exc)


def _export(training_id: str, job: dict, adapter_dir: Path, name: str, host: str,
            on_status: Callable[[str], None] | None) -> ExportResult:
    run_dir = history.run_dir(training_id)
    profile = job["profile"]
    state = ExportState(training_id=training_id, state="exporting", model=name, host=host,
                        message="preparing the adapter", command=modelfile.create_command(run_dir, name))

    def status(text: str) -> None:
        state.message = text
        _write_state(state)
        if on_status is not None:
            on_status(text)

    def fail(code: str, message: str) -> ExportFailed:
        state.state, state.code, state.error, state.message = "error", code, message, "export failed"
        _write_state(state)
        log.warning("export of %s failed: %s: %s", training_id, code, message)
        return ExportFailed(message, code=code)

    status("preparing the adapter")
    spec = _write_artifacts(training_id, job, adapter_dir, run_dir, state)
    status(f"checking Ollama at {host}")
    _check_version(host, fail)

    client = oc.make_client(host, timeout=CLIENT_TIMEOUT)
    statuses: list[str] = []
    try:
        adapters = {}
        for filename in ADAPTER_FILES:
            status(f"uploading {filename}")
            adapters[filename] = client.create_blob(adapter_dir / filename)
        status(f"creating {name} from {profile['ollama_base']}")
        _create(client, name, profile["ollama_base"], adapters, spec, statuses, status, fail)
        status(f"checking that Ollama knows {name}")
        client.show(name)
    except ExportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - every client failure becomes a coded DomainError
        raise _translate(exc, name, profile["ollama_base"], host, statuses, fail) from exc
    finally:
        client.close()

    _record_model(training_id, name)  # before "done": whoever sees done finds it in the summary
    state.state, state.code, state.error = "done", None, None
    state.message = f"Ollama model {name} is ready: ollama run {name}"
    _write_state(state)
    if on_status is not None:
        on_status(state.message)
    return ExportResult(training_id=training_id, ollama_model=name, host=host, modelfile=state.modelfile or "",
                        command=state.command or "", gguf_adapter=state.gguf_adapter, statuses=statuses)


def _write_artifacts(training_id: str, job: dict, adapter_dir: Path, run_dir: Path,
                     state: ExportState) -> modelfile.ModelfileSpec:
    """adapter.gguf (best effort: only the manual path needs it) and the Modelfile."""
    profile = job["profile"]
    folder = base_model_folder(job, adapter_dir)
    notes: list[str] = []
    gguf_path = run_dir / "adapter.gguf"
    config = _base_config(job, folder)
    try:
        if config is None:
            raise gguf_adapter.GGUFAdapterError("the base model's config.json was not found")
        gguf_adapter.convert(adapter_dir, gguf_path, base_config=config, name=f"{training_id} LoRA")
        state.gguf_adapter = str(gguf_path)
    except (gguf_adapter.GGUFAdapterError, OSError, KeyError, ValueError) as exc:
        gguf_path.unlink(missing_ok=True)
        state.gguf_adapter = None
        notes.append(f"no adapter.gguf: {exc}")
    spec = modelfile.build_spec(ollama_base=profile["ollama_base"], system_prompt=profile.get("system_prompt"),
                                chat_template=modelfile.read_chat_template(folder),
                                gguf_adapter=state.gguf_adapter is not None)
    spec.notes = notes + spec.notes
    try:
        state.modelfile = str(modelfile.write(run_dir, spec, training_id=training_id))
    except (OSError, ValueError) as exc:
        log.warning("could not write the Modelfile of %s: %s", training_id, exc)
        state.modelfile = None
    return spec


def _check_version(host: str, fail) -> None:
    try:
        version = oc.get_version(host, timeout=5.0)
    except httpx.HTTPStatusError as exc:
        raise fail("ollama_unreachable", f"Ollama at {host} answered /api/version with HTTP "
                   f"{exc.response.status_code}: {_error_text(exc.response)}; restart Ollama and export again")
    except (httpx.HTTPError, ValueError):
        raise fail("ollama_unreachable", oc.unreachable_message(host))
    parsed = oc.parse_version(version)
    if parsed is not None and parsed < oc.MIN_VERSION:
        raise fail("ollama_too_old", f"Ollama {version} at {host} is too old to import an adapter: "
                   "upgrade Ollama to 0.5.5 or newer")


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.text)
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase


def _create(client, name: str, base: str, adapters: dict, spec: modelfile.ModelfileSpec,
            statuses: list[str], status, fail) -> None:
    stream = client.create(model=name, from_=base, adapters=adapters, template=spec.template,
                           system=spec.system, parameters=spec.parameters, stream=True)
    for part in stream:
        text = part.status or ""
        if part.completed is not None and part.total:
            text = f"{text} ({part.completed}/{part.total})"
        statuses.append(text)
        status(text)
    if not statuses or statuses[-1] != "success":
        raise fail("ollama_create_failed", f"Ollama stopped creating '{name}' before it reported success "
                   f"(last status: {statuses[-1] if statuses else 'none'}); export again")


def _translate(exc: Exception, name: str, base: str, host: str, statuses: list[str], fail) -> ExportFailed:
    import ollama

    if isinstance(exc, ollama.ResponseError):
        error = str(exc.error)
        if TOO_OLD_ANSWER in error:
            return fail("ollama_too_old", f"Ollama at {host} does not understand the adapter import "
                        f"({error}): upgrade Ollama to 0.5.5 or newer")
        if "pulling manifest" in statuses or "pull model manifest" in error:
            return fail("ollama_create_failed", f"Ollama could not create '{name}': {error}. The base model "
                        f"'{base}' is not available in Ollama: run `ollama pull {base}`, then export again")
        if exc.status_code == 404 and statuses and statuses[-1] == "success":
            return fail("ollama_create_failed", f"Ollama reported success but does not know '{name}' ({error}); "
                        "export again")
        hint = ("the adapter's base must be a llama or gemma2 model" if "unsupported architecture" in error
                else "check the Ollama server log, then export again")
        where = f"HTTP {exc.status_code}: " if exc.status_code and exc.status_code > 0 else ""
        return fail("ollama_create_failed", f"Ollama could not create '{name}': {where}{error}; {hint}")
    if isinstance(exc, (ConnectionError, httpx.ConnectError)):
        return fail("ollama_unreachable", oc.unreachable_message(host))
    if isinstance(exc, json.JSONDecodeError):
        return fail("ollama_create_failed", f"Ollama sent an answer that is not JSON while creating '{name}' "
                    f"({exc.msg}); check that {host} is Ollama, then export again")
    if isinstance(exc, httpx.TimeoutException):
        return fail("ollama_create_failed", f"Ollama at {host} did not answer in time while creating '{name}'; "
                    "export again")
    if isinstance(exc, (httpx.HTTPError, OSError)):
        return fail("ollama_create_failed", f"the connection to Ollama at {host} broke while creating '{name}' "
                    f"({type(exc).__name__}: {exc}); export again")
    return fail("ollama_create_failed", f"exporting '{name}' failed: {type(exc).__name__}: {exc}")
