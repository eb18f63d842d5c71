"""The job the UI, the CLI and the INDEX flow step drive: preview, then run.

    preview(request, count_tokens=None, chunks=3) -> Preview
        The kept pairs of the folder's first `chunks` chunks (question, answer, quote, source)
        and what was rejected. Its answers go into the output folder's cache, so the run that
        follows does not ask for those chunks again.
    run(request, count_tokens=None, progress=None, cancel=None) -> DocumentsResult
        Reads and chunks the folder, asks the teacher for each chunk not in the cache, checks
        the pairs, splits by document and writes the dataset (output.py). `progress(Progress)`
        is called once the folder is read and after every chunk; `cancel` (a threading.Event)
        is looked at before every chunk and raises Cancelled (code `cancelled`); an exception
        raised by `progress` ends the run the same way. Run it again after a cancel or a
        crash: the cache answers every chunk done before. One job per output folder at a time
        (Conflict `documents_job_running`).
        Without a teacher (request.teacher empty) it writes text chunks (format `text`).

Errors are DomainErrors with stable codes: documents_not_found, no_documents, no_teacher
(preview without a teacher), ollama_unreachable, unknown_teacher, teacher_failing,
invalid_host, ollama_client_missing, documents_job_running, cancelled. `count_tokens` overrides request.tokenizer_dir (tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from ollama_trainer.documents import output
from ollama_trainer.documents.cache import TeacherCache
from ollama_trainer.documents.folder import Cancelled, Folder, read_folder
from ollama_trainer.documents.generate import PairMaker, source_of
from ollama_trainer.documents.models import (DocumentsReport, DocumentsRequest, DocumentsResult, DocumentSummary,
                                             Pair, Preview, Progress)
from ollama_trainer.documents.split import split_documents
from ollama_trainer.documents.teacher import PROMPT_VERSION, Teacher, canonical_model
from ollama_trainer.documents.tokens import TokenCounter, token_counter
from ollama_trainer.errors import DomainError, InvalidArgument
from ollama_trainer.timestamps import now_iso

PREVIEW_CHUNKS = 3
MAX_HELD_OUT_PROMPTS = 20
MIN_PAIRS_TO_ASK = 3  # a document gives one of its questions to Learned when it has this many pairs
MAX_QUESTIONS_OF_TRAINED = 10
ProgressCallback = Callable[[Progress], None]
TEXT_MODE_NOTE = ("No teacher: the dataset is the documents' own text in chunks (format text). Training on it "
                  "teaches the model the documents' style and wording, not to answer questions about them; pick a "
                  "teacher model in Ollama to make question-answer pairs instead.")


def preview(request: DocumentsRequest, *, count_tokens: Callable[[str], int] | None = None,
            chunks: int = PREVIEW_CHUNKS) -> Preview:
    if request.mode != "qa":
        raise InvalidArgument("a preview needs a teacher: pick one of Ollama's models", code="no_teacher")
    out, made = _output_dir(request)
    with output.locked(out, made=made):
        return _preview(request, out, count_tokens, chunks)


def run(request: DocumentsRequest, *, count_tokens: Callable[[str], int] | None = None,
        progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> DocumentsResult:
    started_at, started = now_iso(), time.monotonic()
    out, made = _output_dir(request)
    with output.locked(out, made=made):
        return _run(request, out, count_tokens, progress, cancel, started_at, started)


def _preview(request: DocumentsRequest, out: Path, count_tokens, chunks: int) -> Preview:
    counter = _counter(request, count_tokens)
    folder = read_folder(request.source_dir, request.chunk_tokens, request.overlap_tokens, counter,
                         exclude=out, max_chunks=chunks, patterns=request.patterns)
    if not folder.chunks:
        raise folder.nothing_to_read()
    name = canonical_model(request.teacher)
    pairs: list[Pair] = []
    with Teacher(request.teacher, request.host, pairs_per_chunk=request.pairs_per_chunk,
                 chunk_tokens=request.chunk_tokens) as teacher:
        maker = PairMaker(teacher, TeacherCache(out), name, request.pairs_per_chunk)
        for chunk in folder.chunks[:chunks]:
            pairs.extend(maker.pairs_for(chunk))
    return Preview(teacher=name, chunks=min(chunks, len(folder.chunks)), pairs=pairs,
                   rejected=maker.rejected.as_dict(), skipped=folder.skipped)


def _run(request: DocumentsRequest, out: Path, count_tokens, progress: ProgressCallback | None,
         cancel: threading.Event | None, started_at: str, started: float) -> DocumentsResult:
    counter = _counter(request, count_tokens)
    folder = read_folder(request.source_dir, request.chunk_tokens, request.overlap_tokens, counter,
                         exclude=out, cancel=cancel, patterns=request.patterns)
    if not folder.chunks:
        raise folder.nothing_to_read()
    if request.mode == "text":
        return _text_result(request, folder, out, counter, started_at, started, progress)

    name = canonical_model(request.teacher)
    pairs_by_file: dict[str, list[Pair]] = {}
    total = len(folder.chunks)
    with Teacher(request.teacher, request.host, pairs_per_chunk=request.pairs_per_chunk,
                 chunk_tokens=request.chunk_tokens) as teacher:
        maker = PairMaker(teacher, TeacherCache(out), name, request.pairs_per_chunk)
        to_ask = sum(1 for c in folder.chunks if not maker.is_cached(c))
        _tell(progress, maker, 0, total, to_ask, started, None)
        for done, chunk in enumerate(folder.chunks, 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"cancelled after {done - 1} of {total} chunks; run again to go on from there "
                                f"(the teacher's answers are kept in {maker.cache.path})")
            was_cached = maker.is_cached(chunk)
            pairs_by_file.setdefault(chunk.file, []).extend(maker.pairs_for(chunk))
            to_ask -= 0 if was_cached else 1
            _tell(progress, maker, done, total, to_ask, started, chunk.file)

    with_pairs = [d.file for d in folder.documents if pairs_by_file.get(d.file)]
    train_files, held_files = split_documents(with_pairs, request.held_out_fraction, request.seed)
    asked = held_out_questions(train_files, pairs_by_file, request.seed)  # of documents it trains on
    train = [p for f in train_files for p in pairs_by_file[f] if p not in asked]
    held = asked + [p for f in held_files for p in pairs_by_file[f]]
    output.write_pairs(out, output.TRAIN, output.TRAIN_PROVENANCE, train)
    output.write_pairs(out, output.HELD_OUT, output.HELD_OUT_PROVENANCE, held)
    whole = _prompts(held_files, pairs_by_file, MAX_HELD_OUT_PROMPTS - len(asked))
    held_out_prompts = [p.question for p in asked] + whole
    kinds = {p.question: "trained_document" for p in asked} | {q: "held_out_document" for q in whole}

    split = {f: "train" for f in train_files} | {f: "held_out" for f in held_files}
    report = _report(request, folder, out, counter, started_at, started, mode="qa", teacher=name,
                     pairs_kept=maker.kept, rejected=maker.rejected.as_dict(), calls=maker.calls,
                     cached=maker.cached, train_rows=len(train), held_rows=len(held), held_files=held_files,
                     pairs={f: len(v) for f, v in pairs_by_file.items()}, split=split,
                     notes=_qa_notes(maker.kept, len(with_pairs), held_files, maker.rejected.as_dict(), counter,
                                     len(asked)))
    report_path = output.write_report(out, report.model_dump_json(indent=2))
    return DocumentsResult(format="chat", train_path=str(out / output.TRAIN),
                           train_provenance_path=str(out / output.TRAIN_PROVENANCE),
                           held_out_path=str(out / output.HELD_OUT),
                           held_out_provenance_path=str(out / output.HELD_OUT_PROVENANCE),
                           report_path=str(report_path), held_out_prompts=held_out_prompts,
                           held_out_kinds=kinds, report=report)


# -- pieces --------------------------------------------------------------------------------------

def _output_dir(request: DocumentsRequest) -> tuple[Path, bool]:
    """The output folder, and whether it was made now."""
    out = Path(request.output_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise InvalidArgument(f"the output folder is a file: {out}; choose a folder", code="invalid_output_dir")
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DomainError(f"cannot create the output folder {out}: {exc.strerror or exc}",
                          code="invalid_output_dir") from None
    return out, made


def _counter(request: DocumentsRequest, count_tokens: Callable[[str], int] | None) -> TokenCounter:
    if isinstance(count_tokens, TokenCounter):
        return count_tokens
    if count_tokens is not None:
        return TokenCounter(count_tokens, "the caller's count_tokens", exact=True)
    return token_counter(request.tokenizer_dir)


def _tell(progress: ProgressCallback | None, maker: PairMaker, done: int, total: int, to_ask: int,
          started: float, file: str | None) -> None:
    if progress is None:
        return
    if to_ask == 0:
        eta = 0.0
    elif maker.calls:
        eta = round(maker.teacher_s / maker.calls * to_ask, 1)
    else:
        eta = None
    progress(Progress(chunks_done=done, chunks_total=total, pairs_kept=maker.kept,
                      pairs_rejected=maker.rejected.total(), from_cache=maker.cached,
                      elapsed_s=round(time.monotonic() - started, 3), eta_s=eta, file=file,
                      rejected=maker.rejected.as_dict()))


def held_out_questions(train_files: list[str], pairs_by_file: dict[str, list[Pair]], seed: int) -> list[Pair]:
    """One question held out of each document the model trains on that gave at least
    MIN_PAIRS_TO_ASK pairs (up to MAX_QUESTIONS_OF_TRAINED): its document's other questions
    teach the same material, so the answer measures whether training taught it. Chosen by a
    hash of (seed, question), so it does not change when other documents are added."""
    import hashlib

    asked: list[Pair] = []
    for file in train_files:
        pairs = pairs_by_file[file]
        if len(pairs) < MIN_PAIRS_TO_ASK or len(asked) >= MAX_QUESTIONS_OF_TRAINED:
            continue
        asked.append(min(pairs, key=lambda p: hashlib.sha256(f"{seed}\0{p.question}".encode()).hexdigest()))
    return asked


def _prompts(held_files: list[str], pairs_by_file: dict[str, list[Pair]], limit: int = MAX_HELD_OUT_PROMPTS) -> list[str]:
    """Up to `limit` questions, taken in turn from each document held out whole."""
    queues = [list(pairs_by_file[f]) for f in held_files]
    prompts: list[str] = []
    depth = 0
    while len(prompts) < limit and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(prompts) < limit:
                prompts.append(queue[depth].question)
        depth += 1
    return prompts


def _qa_notes(kept: int, documents: int, held_files: list[str], rejected: dict[str, int],
              counter: TokenCounter, asked: int = 0) -> list[str]:
    notes: list[str] = []
    if not kept:
        reasons = ", ".join(f"{k} {v}" for k, v in rejected.items()) or "the teacher wrote none"
        notes.append(f"No pair was kept ({reasons}): there is nothing to train on; try another teacher model.")
        return notes
    if asked:
        notes.append(f"{asked} question(s) are held out of the documents the model trains on (one from each): "
                     "Learned on them says whether training taught what those documents say.")
    if held_files:
        notes.append(f"{len(held_files)} of {documents} documents are held out whole: their questions show what the "
                     "model makes of facts it never trained on (a model cannot learn those; they are scored apart).")
    if not asked and not held_files:
        notes.append("Too few pairs to hold any question out: the answers before and after training are to "
                     "questions the model was trained on.")
    if not counter.exact:
        notes.append(f"Chunk sizes were counted with the {counter.description}, not the base model's tokenizer.")
    return notes


def _text_result(request: DocumentsRequest, folder: Folder, out: Path, counter: TokenCounter, started_at: str,
                 started: float, progress: ProgressCallback | None) -> DocumentsResult:
    rows = [{"text": c.text} for c in folder.chunks]
    output.write_rows(out, output.TRAIN, output.TRAIN_PROVENANCE, rows, [source_of(c, None) for c in folder.chunks])
    output.remove_stale(out, [output.HELD_OUT, output.HELD_OUT_PROVENANCE])
    if progress is not None:
        total = len(folder.chunks)
        progress(Progress(chunks_done=total, chunks_total=total, pairs_kept=0, pairs_rejected=0, from_cache=0,
                          elapsed_s=round(time.monotonic() - started, 3), eta_s=0.0, file=None))
    notes = [TEXT_MODE_NOTE] + ([f"Chunk sizes were counted with the {counter.description}."] if not counter.exact else [])
    report = _report(request, folder, out, counter, started_at, started, mode="text", teacher=None, pairs_kept=0,
                     rejected={}, calls=0, cached=0, train_rows=len(rows), held_rows=0, held_files=[],
                     pairs={}, split={d.file: "train" for d in folder.documents}, notes=notes)
    report_path = output.write_report(out, report.model_dump_json(indent=2))
    return DocumentsResult(format="text", train_path=str(out / output.TRAIN),
                           train_provenance_path=str(out / output.TRAIN_PROVENANCE), held_out_path=None,
                           held_out_provenance_path=None, report_path=str(report_path), held_out_prompts=[],
                           report=report)


def _report(request: DocumentsRequest, folder: Folder, out: Path, counter: TokenCounter, started_at: str,
            started: float, *, mode, teacher, pairs_kept, rejected, calls, cached, train_rows, held_rows,
            held_files, pairs: dict[str, int], split: dict[str, str], notes: list[str]) -> DocumentsReport:
    chunks_per_file: dict[str, int] = {}
    for chunk in folder.chunks:
        chunks_per_file[chunk.file] = chunks_per_file.get(chunk.file, 0) + 1
    files = [DocumentSummary(file=d.file, kind=d.kind, pages=d.pages, chunks=chunks_per_file.get(d.file, 0),
                             pairs=pairs.get(d.file, 0), split=split.get(d.file, "none")) for d in folder.documents]
    return DocumentsReport(
        mode=mode, source_dir=str(folder.root), output_dir=str(out), documents=len(folder.documents),
        pages=folder.pages, chunks=len(folder.chunks), duplicate_chunks=folder.duplicate_chunks,
        chunk_tokens=request.chunk_tokens, overlap_tokens=request.overlap_tokens, tokenizer=counter.description,
        teacher=teacher, pairs_per_chunk=request.pairs_per_chunk if mode == "qa" else None,
        prompt_version=PROMPT_VERSION if mode == "qa" else None, pairs_kept=pairs_kept, rejected=rejected,
        teacher_calls=calls, cached_chunks=cached, train_rows=train_rows, held_out_rows=held_rows,
        held_out_documents=held_files, files=files, skipped=folder.skipped, ignored_files=folder.ignored_files,
        started_at=started_at, finished_at=now_iso(), duration_s=round(time.monotonic() - started, 3), notes=notes)
