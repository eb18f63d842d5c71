"""Export a finished training run to Ollama, as a whole model (Ollama 0.34.1 and later create
models from whole model files only; no `from` base is pulled).

    export_run(training_id, model_name=None, host=None, quantize=None, on_status=None) -> ExportResult

Steps: check the run (done, with an adapter) -> the trained model file (model_source.py: the
run's F16 model.gguf or merged/ folder, written now if missing) -> quantized here when asked
(Q8_0, Q4_K_M by llama.cpp's own quantizer: model-Q4_K_M.gguf; the default for a base of 1 B
parameters or more) -> adapter.gguf (the LoRA alone, for llama.cpp users) and the Modelfile
(`FROM ./model.gguf`) -> GET /api/version (reachable? >= 0.5.5?) -> upload the file(s) as
blobs, skipped when the server has them, with progress -> POST /api/create with `files`, the
template the model was trained with, its stop tokens, the system prompt and parameters, never
`quantize` (Ollama 0.35 refuses it for a GGUF), streamed -> the export check
(export_check.py: show, the rendered prompt, one greedy answer).

Each step's state goes to runs/<id>/export.json (atomically rewritten); `export_state()` reads
it. A failed export raises DomainError with a stable code (ollama_unreachable, ollama_too_old,
ollama_create_failed, ollama_upload_failed, model_file_failed, not_exportable, ...) and a
message that says what to do; it never touches the run's training result. Retrying is running
the export again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from ollama_trainer import atomic, chat_formats, paths
from ollama_trainer.contracts import ExportResult, ExportState, TrainingRunSummary
from ollama_trainer.errors import Conflict, DomainError, InvalidArgument, NotFound
from ollama_trainer.ollama import blobs, export_check, export_errors, model_source, modelfile
from ollama_trainer.ollama import client as oc
from ollama_trainer.ollama.export_options import (QUANTIZE_CHOICES, check_model_name, default_model_name,
                                                  default_quantize, quantize_options, replaced_model)
from ollama_trainer.protocol import JobSpec
from ollama_trainer.timestamps import now_iso
from ollama_trainer.training import history
from ollama_trainer.training.run_folder import ADAPTER, EXPORT, GGUF_ADAPTER, RunFolder
from ollama_trainer.weights import gguf_adapter
from ollama_trainer.weights.lora import ADAPTER_FILES

log = logging.getLogger(__name__)
CLIENT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)

_running: set[str] = set()  # claimed before an export's first state write, let go after its last
_running_lock = threading.Lock()


def _exporting(training_id: str) -> bool:
    with _running_lock:
        return training_id in _running


class ExportFailed(DomainError):
    """A failed export: code and message for the person, state already written."""


# -- state file -----------------------------------------------------------------------------------
def _state_path(training_id: str) -> Path:
    return RunFolder.of(training_id).file(EXPORT)


def _write_state(state: ExportState) -> None:
    state.updated_at = now_iso()
    path = _state_path(state.training_id)
    atomic.write_text(path, state.model_dump_json(indent=2))


def export_state(training_id: str) -> ExportState:
    """The run's last export; `idle` when it was never exported. An `exporting` state that no
    export in this process owns (the app stopped mid-export) reads as an error; owning is asked
    before and after the read, so an export that starts or ends meanwhile still counts."""
    if not paths.is_valid_id(training_id):
        raise InvalidArgument(f"invalid training id '{training_id}'", code="invalid_argument")
    running = _exporting(training_id)
    try:
        state = ExportState.model_validate_json(_state_path(training_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = ExportState(training_id=training_id)
    running = _exporting(training_id) or running
    state.options = quantize_options(training_id)
    if state.state == "exporting" and not running:
        state.state, state.code = "error", "export_interrupted"
        state.error = state.message = "the export was interrupted (the app stopped); export again"
    return state


# -- preconditions --------------------------------------------------------------------------------
def _load_run(training_id: str) -> tuple[TrainingRunSummary, JobSpec]:
    if not paths.is_valid_id(training_id):
        raise InvalidArgument(f"invalid training id '{training_id}'", code="invalid_argument")
    summary = history.load_summary(training_id)
    job = history.load_job(training_id)
    if summary is None and job is None:
        raise NotFound(f"no training run '{training_id}'", code="unknown_training")
    adapter = RunFolder.of(training_id).file(ADAPTER)
    if summary is None or summary.status != "done":
        status = summary.status if summary is not None else "not finished"
        raise DomainError(f"run '{training_id}' has no trained adapter to export (its status is {status}); "
                          "export a run that finished", code="no_adapter")
    missing = [name for name in ADAPTER_FILES if not (adapter / name).is_file()]
    if missing:
        raise DomainError(f"run '{training_id}' has no trained adapter to export ({', '.join(missing)} missing "
                          f"in {adapter})", code="no_adapter")
    if job is None:
        raise DomainError(f"run '{training_id}' has no readable job.json: cannot tell which base model it was "
                          "trained on", code="no_adapter")
    return summary, job


# -- the export -----------------------------------------------------------------------------------
def export_run(training_id: str, *, model_name: str | None = None, host: str | None = None,
               quantize: str | None = None, on_status: Callable[[str], None] | None = None) -> ExportResult:
    """Export a finished run to Ollama and wait for it (the CLI, the EXPORT flow step)."""
    prepared = _prepare(training_id, model_name, host, quantize)
    return _run_claimed(prepared, on_status)


def start_export(training_id: str, *, model_name: str | None = None, host: str | None = None,
                 quantize: str | None = None) -> ExportState:
    """Check what can be checked at once (the run, the name, the host), then export in a
    background thread; the UI follows export_state(training_id)."""
    prepared = _prepare(training_id, model_name, host, quantize)
    _write_state(ExportState(training_id=training_id, state="exporting", message="starting the export",
                             model=prepared.name, host=prepared.host, quantize=prepared.quantize,
                             updated_at=now_iso()))

    def run() -> None:
        try:
            _run_claimed(prepared, None)
        except DomainError:
            pass  # the state file holds the error for the UI
        except Exception:  # noqa: BLE001 - a bug: say so in the state, never leave "exporting"
            log.exception("export of %s failed", training_id)
            _write_state(ExportState(training_id=training_id, state="error", code="internal_error",
                                     error="the export failed unexpectedly; see the app log", updated_at=now_iso()))

    threading.Thread(target=run, name=f"export-{training_id}", daemon=True).start()
    return export_state(training_id)


@dataclass(frozen=True)
class _Prepared:
    training_id: str
    job: JobSpec
    name: str
    host: str
    quantize: str | None


def _prepare(training_id: str, model_name: str | None, host: str | None, quantize: str | None) -> _Prepared:
    """Validate, then claim the run for one export at a time."""
    summary, job = _load_run(training_id)
    name = check_model_name(model_name) if model_name else default_model_name(summary.dataset_id, training_id)
    if quantize is not None and quantize not in QUANTIZE_CHOICES:
        raise InvalidArgument(f"quantize must be one of {', '.join(QUANTIZE_CHOICES)}, not '{quantize}'",
                              code="invalid_argument")
    quantize = quantize or default_quantize(job)
    try:
        resolved = oc.resolve_host(host)
    except ValueError as exc:
        raise InvalidArgument(str(exc), code="invalid_host") from exc
    with _running_lock:
        if training_id in _running:
            raise Conflict(f"run '{training_id}' is already being exported", code="export_running")
        _running.add(training_id)
    return _Prepared(training_id, job, name, resolved, quantize)


def _run_claimed(p: _Prepared, on_status: Callable[[str], None] | None) -> ExportResult:
    try:
        return _export(p, on_status)
    finally:
        with _running_lock:
            _running.discard(p.training_id)


def _record_model(training_id: str, model: str) -> None:
    """Note the Ollama model in the run's summary (a newer record supersedes the older one);
    the training's own result is never changed otherwise."""
    try:
        RunFolder.of(training_id).update_summary(ollama_model=model)
    except OSError as exc:
        log.warning("the summary of %s was not updated with the Ollama model: %s", training_id, exc)


def _export(p: _Prepared, on_status: Callable[[str], None] | None) -> ExportResult:
    run_dir = RunFolder.of(p.training_id).path
    state = ExportState(training_id=p.training_id, state="exporting", model=p.name, host=p.host, quantize=p.quantize,
                        message="preparing the model file", command=modelfile.create_command(run_dir, p.name))

    def status(text: str, progress: float | None = None) -> None:
        state.message, state.progress = text, progress
        _write_state(state)
        if on_status is not None:
            on_status(text)

    def fail(code: str, message: str) -> ExportFailed:
        state.state, state.code, state.error, state.message, state.progress = "error", code, message, "export failed", None
        _write_state(state)
        log.warning("export of %s failed: %s: %s", p.training_id, code, message)
        return ExportFailed(message, code=code)

    status("preparing the model file")
    try:
        source = model_source.prepare(p.job, run_dir, on_progress=status)
    except DomainError as exc:
        raise fail(exc.code, exc.message) from exc
    except OSError as exc:
        raise fail("model_file_failed", f"the trained model file could not be written ({exc.strerror or exc}); "
                   "free some disk space, then export again") from exc
    if p.quantize != "f16":
        source = _quantized(source, p.quantize, status, fail)
    state.model_file, state.model_bytes = str(source.path), source.bytes
    spec = _write_artifacts(p, source, run_dir, state)
    status(f"checking Ollama at {p.host}")
    _check_version(p.host, fail)

    client = oc.make_client(p.host, timeout=CLIENT_TIMEOUT)
    statuses: list[str] = []
    try:
        files = _upload(p.host, source, status)
        replaced = replaced_model(client, p.name)
        if replaced:
            status(f"{p.name} replaces Ollama's existing model {replaced} (Ollama compares names without case)")
        status(f"creating {p.name}")
        _create(client, p.name, files, spec, statuses, status, fail)
        status("checking that Ollama answers as the trained model")
        fmt = chat_formats.FORMATS.get((p.job.base.chat_format if p.job.base else None) or "")
        state.check = export_check.check(client, p.host, p.name, export_check.first_sample(run_dir),
                                         bos=fmt.bos if fmt else "")
    except ExportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - every client failure becomes a coded DomainError
        raise export_errors.translate(exc, p.name, p.host, statuses, fail) from exc
    finally:
        client.close()
    if not state.check.known:
        raise fail("ollama_create_failed", state.check.message)

    _record_model(p.training_id, p.name)  # before "done": whoever sees done finds it in the summary
    state.state, state.code, state.error, state.progress = "done", None, None, None
    differs = "differs" in (state.check.rendered, state.check.answer)
    state.message = (f"Ollama model {p.name} was created, but it does not answer as the trained model: "
                     f"{state.check.message}" if differs else f"Ollama model {p.name} is ready: ollama run {p.name}")
    _write_state(state)
    if on_status is not None:
        on_status(state.message)
    return ExportResult(training_id=p.training_id, ollama_model=p.name, host=p.host, model_file=str(source.path),
                        modelfile=state.modelfile or "", command=state.command or "",
                        gguf_adapter=state.gguf_adapter, check=state.check, statuses=statuses)


def _write_artifacts(p: _Prepared, source: model_source.ModelSource, run_dir: Path,
                     state: ExportState) -> modelfile.ModelfileSpec:
    """adapter.gguf (best effort: for llama.cpp users only) and the Modelfile."""
    notes: list[str] = []
    gguf_path = run_dir / GGUF_ADAPTER
    try:
        if source.head_counts is None or source.architecture != "llama":
            raise gguf_adapter.GGUFAdapterError(f"a llama.cpp LoRA file is written for llama bases only, "
                                                f"not {source.architecture or 'this base'}")
        n_head, n_kv = source.head_counts
        gguf_adapter.convert(run_dir / ADAPTER, gguf_path, name=f"{p.training_id} LoRA",
                             base_config={"model_type": "llama", "num_attention_heads": n_head,
                                          "num_key_value_heads": n_kv})
        state.gguf_adapter = str(gguf_path)
    except (gguf_adapter.GGUFAdapterError, OSError, KeyError, ValueError) as exc:
        gguf_path.unlink(missing_ok=True)
        state.gguf_adapter = None
        notes.append(f"no adapter.gguf: {exc}")
    base = p.job.base
    spec = modelfile.build_spec(source=source.modelfile_from, base_name=p.job.profile.ollama_base or "",
                                system_prompt=p.job.presented_system, chat_template=source.chat_template,
                                system_note=p.job.system_note,
                                chat_format=base.chat_format if base else None)
    spec.notes = notes + spec.notes
    try:
        state.modelfile = str(modelfile.write(run_dir, spec, training_id=p.training_id))
    except (OSError, ValueError) as exc:
        log.warning("could not write the Modelfile of %s: %s", p.training_id, exc)
        state.modelfile = None
    return spec


def _upload(host: str, source: model_source.ModelSource, status) -> dict[str, str]:
    """Every file of the model as a blob; returns /api/create's `files` map."""
    total = max(1, source.bytes)
    done = 0
    files = {}
    shown = {"percent": -1}
    for name, path in source.files.items():
        size = path.stat().st_size

        def progress(sent: int, _size: int, name=name) -> None:
            percent = int(100 * (done + sent) / total)
            if percent // 5 > shown["percent"] // 5 or done + sent == total:  # every 5 %: the state file is rewritten
                shown["percent"] = percent
                status(f"uploading {name}: {(done + sent) / 1e6:.0f} / {total / 1e6:.0f} MB", (done + sent) / total)

        status(f"hashing {name}", done / total)
        files[name], _ = blobs.upload(host, path, on_progress=progress)
        done += size
    return files


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
        raise fail("ollama_too_old", f"Ollama {version} at {host} is too old to create models from files: "
                   "upgrade Ollama to 0.5.5 or newer (or build the model by hand with the Modelfile)")


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.text)
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase


def _quantized(source: model_source.ModelSource, kind: str, status, fail) -> model_source.ModelSource:
    """The model file quantized here (llama.cpp's quantizer), made once per run and type."""
    from ollama_trainer.weights import quantize

    if source.kind != "gguf":
        raise fail("not_exportable", f"a {kind} model file is made from a GGUF; this run's trained model is a "
                   "safetensors folder that llama.cpp's converter could not write as one: export it as F16")
    status(f"quantizing the model file to {kind.upper()} (llama.cpp)")
    try:
        return model_source.quantized(source, kind)
    except quantize.QuantizeError as exc:
        raise fail("model_file_failed", str(exc)) from exc


def _create(client, name: str, files: dict, spec: modelfile.ModelfileSpec, statuses: list[str], status,
            fail) -> None:
    """A model from a whole model file; never `quantize` (Ollama 0.35 refuses it for a GGUF: the file
    is quantized here before the upload)."""
    stream = client.create(model=name, files=files, template=spec.template,
                           system=spec.system, parameters=spec.parameters, stream=True)
    for part in stream:
        text = part.status or ""
        progress = None
        if part.completed is not None and part.total:
            text = f"{text} ({part.completed}/{part.total})"
            progress = part.completed / part.total
        statuses.append(text)
        status(text, progress)
    if not statuses or statuses[-1] != "success":
        raise fail("ollama_create_failed", f"Ollama stopped creating '{name}' before it reported success "
                   f"(last status: {statuses[-1] if statuses else 'none'}); export again")
