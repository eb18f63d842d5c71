"""`ollama-trainer dataset from-docs FOLDER --teacher NAME --id DATASET_ID`: a folder of documents
becomes a checked question-answer dataset, written by a teacher model in the local Ollama.

Progress goes to stderr (a tqdm bar); the report, or with --json one JSON object, to stdout.
Exit 0 when at least one pair was kept (the dataset is registered), 2 when none was (with the
reasons), 130 on Ctrl-C (run the same command again: the chunks done are not asked again).
"""

from __future__ import annotations

import argparse
import json
import sys

from ollama_trainer.paths import ID_PATTERN


def register(dsub: argparse._SubParsersAction) -> None:
    p = dsub.add_parser(
        "from-docs", help="make a question-answer dataset from a folder of documents",
        description="Read a folder of PDF, Word (.docx), HTML, Markdown and text files, ask a teacher model in "
                    "the local Ollama for question-answer pairs about each chunk, keep the pairs whose quote is "
                    "in the text, and register them as a chat dataset (a held-out split by document). "
                    "Exit 0 when a pair was kept, 2 when none was. Run it again after a stop: chunks already "
                    "answered are not asked again.")
    p.add_argument("folder", metavar="FOLDER", help="the folder of documents (read recursively)")
    p.add_argument("--teacher", required=True, metavar="NAME", help="an Ollama model that writes the pairs, e.g. llama3.2")
    p.add_argument("--id", required=True, dest="dataset_id", metavar="DATASET_ID",
                   help="the new dataset's id (lowercase letters, digits, '-' and '_'); your own dataset of that id is replaced")
    p.add_argument("--pairs-per-chunk", type=int, default=3, metavar="N", help="pairs asked for per chunk (default 3)")
    p.add_argument("--chunk-tokens", type=int, default=256, metavar="N", help="chunk size in tokens (default 256)")
    p.add_argument("--overlap", type=int, default=32, metavar="N", help="tokens shared by neighbouring chunks (default 32)")
    p.add_argument("--host", metavar="URL", help="Ollama's address (default: the app's setting, OLLAMA_HOST or 127.0.0.1:11434)")
    p.add_argument("--preview", action="store_true", help="show the pairs of the first 3 chunks; write no dataset")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_from_docs)


def _request(args):
    from pydantic import ValidationError

    from ollama_trainer import settings
    from ollama_trainer.documents.dataset import BuildRequest
    from ollama_trainer.errors import InvalidArgument

    if not ID_PATTERN.fullmatch(args.dataset_id):
        raise InvalidArgument(f"--id '{args.dataset_id}': use lowercase letters, digits, '-' and '_' "
                              "(at most 64, starting with a letter or digit)")
    try:
        return BuildRequest(source_dir=args.folder, dataset_id=args.dataset_id, teacher=args.teacher, mode="qa",
                            host=settings.ollama_host(args.host), chunk_tokens=args.chunk_tokens,
                            overlap_tokens=args.overlap, pairs_per_chunk=args.pairs_per_chunk)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "arguments"
        raise InvalidArgument(f"{where}: {first['msg']}") from None


def cmd_from_docs(args) -> int:
    from ollama_trainer.errors import InvalidArgument

    req = _request(args)
    if req.overlap_tokens * 2 > req.chunk_tokens:  # checked before anything is read
        raise InvalidArgument(f"--overlap ({req.overlap_tokens}) must be at most half of --chunk-tokens "
                              f"({req.chunk_tokens})")
    return _preview(req, args.json) if args.preview else _run(req, args.json)


def _preview(req, as_json: bool) -> int:
    from ollama_trainer.documents import dataset

    shown = dataset.preview(req)
    if as_json:
        print(json.dumps({"event": "preview", **shown.model_dump(mode="json")}, ensure_ascii=False), flush=True)
        return 0 if shown.pairs else 2
    print(f"Preview: {len(shown.pairs)} pair(s) kept from the first {shown.chunks} chunk(s), teacher {shown.teacher}")
    for n, pair in enumerate(shown.pairs, 1):
        print(f"\n{n}. Q: {pair.question}\n   A: {pair.answer}\n   quote: \"{pair.quote}\"\n   source: {pair.source.label}")
    _print_rejected(shown.rejected)
    for s in shown.skipped:
        print(f"skipped {s.file}: {s.reason}")
    if not shown.pairs:
        print("No pair was kept: try another teacher model.")
        return 2
    print("\nNo dataset was written; run without --preview for the whole folder (these chunks are not asked again).")
    return 0


def _run(req, as_json: bool) -> int:
    from tqdm import tqdm

    from ollama_trainer.documents import dataset

    bar = None

    def progress(p) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=p.chunks_total, unit="chunk", file=sys.stderr, desc="chunks", dynamic_ncols=True)
        bar.update(p.chunks_done - bar.n)
        bar.set_postfix(kept=p.pairs_kept, rejected=p.pairs_rejected, cached=p.from_cache, refresh=False)

    try:
        built = dataset.build(req, progress=progress)
    except KeyboardInterrupt:
        print(f"\ncancelled: run the same command again to go on (the chunks done are kept in "
              f"{dataset.output_dir(req.dataset_id)})", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    report = built.result.report
    if as_json:
        print(json.dumps({"event": "done" if built.dataset else "no_pairs",
                          "dataset": built.dataset.model_dump(mode="json") if built.dataset else None,
                          "report_path": built.result.report_path, "report": report.model_dump(mode="json"),
                          "notes": built.notes}, ensure_ascii=False), flush=True)
        return 0 if built.dataset else 2
    print(f"documents {report.documents} ({report.pages} PDF pages), chunks {report.chunks}"
          + (f" ({report.duplicate_chunks} duplicates left out)" if report.duplicate_chunks else ""))
    print(f"teacher {report.teacher}: {report.teacher_calls} chunk(s) asked, {report.cached_chunks} from the cache")
    print(f"pairs kept {report.pairs_kept}: {report.train_rows} to train on, {report.held_out_rows} held out "
          f"({len(report.held_out_documents)} document(s))")
    _print_rejected(report.rejected)
    for s in report.skipped:
        print(f"skipped {s.file}: {s.reason}")
    print(f"tokens counted with the {report.tokenizer}; {report.duration_s:.1f} s")
    for note in built.notes:
        print(note)
    print(f"report: {built.result.report_path}")
    if built.dataset is None:
        return 2
    print(f"dataset '{built.dataset.id}' registered: {built.dataset.path}")
    print(f"train on it: ollama-trainer train --profile quick-demo --dataset {built.dataset.id}")
    return 0


def _print_rejected(rejected: dict[str, int]) -> None:
    if rejected:
        print("rejected: " + ", ".join(f"{reason} {n}" for reason, n in rejected.items()))
