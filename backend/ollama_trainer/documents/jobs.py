"""Documents jobs for the window: one thread per job, watched by polling, cancelled by an event.

    DocumentsJobs().start(DocumentsFolderRequest) -> DocumentsJobState   (returns at once)
    .state(job_id) -> DocumentsJobState     progress: chunks done/total, pairs kept, rejected
                                             by reason, ETA; the report and dataset when done
    .cancel(job_id) -> DocumentsJobState    stops before the next chunk; a new job on the same
                                             dataset id goes on from there (the teacher cache)
    .preview(DocumentsFolderRequest) -> DocumentsPreview   (the first 3 chunks' pairs)
    teacher_models(host) -> TeacherModelList                 (Ollama's /api/tags)

One job per dataset id at a time (Conflict `documents_job_running`). Jobs live as long as the
app; the files they write (dataset, provenance, report, cache) stay in the data folder.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from ollama_trainer.contracts import (DocumentsFolderRequest, DocumentsJobState, DocumentsPreview, DocumentsProgress,
                                      TeacherModel, TeacherModelList)
from ollama_trainer.documents.dataset import BuildRequest, build, check_dataset_id, preview
from ollama_trainer.documents.folder import Cancelled
from ollama_trainer.errors import Conflict, DomainError, NotFound
from ollama_trainer.timestamps import now_iso

log = logging.getLogger(__name__)


def _build_request(req: DocumentsFolderRequest, host: str | None) -> BuildRequest:
    teacher = (req.teacher or "").strip() or None
    if req.overlap_tokens * 2 > req.chunk_tokens:
        raise DomainError(f"overlap_tokens ({req.overlap_tokens}) must be at most half of chunk_tokens "
                          f"({req.chunk_tokens})", code="invalid_argument")
    return BuildRequest(source_dir=req.source_dir, dataset_id=req.dataset_id, name=req.name, teacher=teacher,
                        host=host, chunk_tokens=req.chunk_tokens, overlap_tokens=req.overlap_tokens,
                        pairs_per_chunk=req.pairs_per_chunk)


@dataclass
class _Job:
    state: DocumentsJobState
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class DocumentsJobs:
    def __init__(self, host: Callable[[str | None], str | None] = lambda explicit: explicit):
        self._host = host  # the app's Ollama address for an empty host (settings.ollama_host)
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def start(self, req: DocumentsFolderRequest) -> DocumentsJobState:
        build_req = _build_request(req, self._host(req.host))
        check_dataset_id(req.dataset_id)
        with self._lock:
            for job in self._jobs.values():
                if job.state.dataset_id == req.dataset_id and job.state.status == "running":
                    raise Conflict(f"documents are already being read into '{req.dataset_id}' "
                                   f"({job.state.job_id}); wait for it or cancel it", code="documents_job_running")
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            job_id = f"docs-{stamp}-{secrets.token_hex(3)}"
            state = DocumentsJobState(job_id=job_id, dataset_id=req.dataset_id, status="running",
                                      mode=build_req.chosen_mode(), teacher=build_req.teacher,
                                      started_at=now_iso())
            job = _Job(state=state)
            self._jobs[job_id] = job
        job.thread = threading.Thread(target=self._run, args=(job, build_req), name=f"documents-{job_id}", daemon=True)
        job.thread.start()
        return self.state(job_id)

    def _run(self, job: _Job, req: BuildRequest) -> None:
        def progress(p: DocumentsProgress) -> None:
            with self._lock:
                job.state.progress = p

        update: dict = {}
        try:
            built = build(req, progress=progress, cancel=job.cancel)
        except Cancelled as exc:
            update = dict(status="cancelled", error_code=exc.code, error=exc.message)
        except DomainError as exc:
            update = dict(status="error", error_code=exc.code, error=exc.message)
        except Exception as exc:  # a bug: shown as it is, logged with its traceback
            log.exception("documents job %s failed", job.state.job_id)
            update = dict(status="error", error_code="internal_error", error=f"{type(exc).__name__}: {exc}")
        else:
            dataset = None
            if built.dataset is not None:
                from ollama_trainer import catalog

                dataset = catalog.describe_dataset(built.dataset)
            update = dict(status="done" if dataset else "no_pairs", notes=built.notes, report=built.result.report,
                          dataset=dataset)
        with self._lock:
            job.state = job.state.model_copy(update={**update, "finished_at": now_iso()})

    def state(self, job_id: str) -> DocumentsJobState:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFound(f"no documents job '{job_id}'", code="not_found")
            return job.state.model_copy(deep=True)

    def cancel(self, job_id: str) -> DocumentsJobState:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no documents job '{job_id}'", code="not_found")
        job.cancel.set()
        return self.state(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> DocumentsJobState:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None and job.thread is not None:
            job.thread.join(timeout)
        return self.state(job_id)

    def preview(self, req: DocumentsFolderRequest) -> DocumentsPreview:
        return preview(_build_request(req, self._host(req.host)))


def teacher_models(host: str | None) -> TeacherModelList:
    """Ollama's models (GET /api/tags through the official client), for the teacher picker. An
    Ollama that cannot be reached is an answer, not an error: the list says why it is empty."""
    from ollama_trainer.ollama import client as oc

    try:
        resolved = oc.resolve_host(host)
    except ValueError as exc:
        raise DomainError(str(exc), code="invalid_host") from None
    try:
        import ollama

        with oc.make_client(resolved, timeout=httpx.Timeout(10.0, connect=oc.CONNECT_TIMEOUT_S)) as client:
            listed = client.list()
    except ImportError:
        raise DomainError("the Ollama client is not installed: pip install 'ollama-trainer[ollama]'",
                          code="ollama_client_missing") from None
    except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as exc:
        detail = "" if isinstance(exc, (ConnectionError, httpx.ConnectError)) else f" ({type(exc).__name__}: {exc})"
        return TeacherModelList(host=resolved, reachable=False, message=oc.unreachable_message(resolved) + detail,
                                models=[])
    models = []
    for m in listed.models:
        details = m.details
        models.append(TeacherModel(name=m.model or "", size_bytes=m.size,
                                   family=details.family if details else None,
                                   parameter_size=details.parameter_size if details else None,
                                   quantization=details.quantization_level if details else None))
    models = sorted((m for m in models if m.name), key=lambda m: m.name)
    message = (f"{len(models)} model(s) in Ollama at {resolved}" if models else
               f"Ollama at {resolved} has no models: `ollama pull llama3.2` gets one to use as the teacher")
    return TeacherModelList(host=resolved, reachable=True, message=message, models=models)
