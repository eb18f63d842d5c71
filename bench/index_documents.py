"""How fast a folder of PDFs is read and chunked (the teacher's time apart): builds 200 A4 pages
of realistic paragraphs with fpdf2 in a temporary folder, then reads and chunks them with the
builtin model's tokenizer (tokenizer.json of the converted smollm2-135m-instruct in the models
cache; the word approximation, with a note, when it has not been converted yet).
Goal: under 10 s for 200 pages on 2 cores.

Run: .venv/bin/python bench/index_documents.py [--pages 200] [--files 10] [--chunk-tokens 256]
     [--overlap 32] [--tokenizer FOLDER]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUBJECTS = ["The harbour master", "Each ferry", "The night crew", "A visiting captain", "The pilot boat",
            "Every fishing vessel", "The customs office", "The lighthouse keeper", "Our maintenance team",
            "The coast guard", "The port authority", "A cargo ship"]
VERBS = ["inspects", "records", "reports", "checks", "must confirm", "is asked to log", "reviews", "signs off on",
         "keeps track of", "sends a note about"]
OBJECTS = ["the tide tables", "the fuel levels", "every mooring line", "the weather forecast", "the cargo manifest",
           "the radio schedule", "the emergency equipment", "the berth assignments", "the harbour fees",
           "all passenger lists", "the depth soundings", "the lamp and its lenses"]
TAILS = ["before the first departure of the day", "once a week, usually on Monday", "whenever a storm warning is issued",
         "after every repair in the dry dock", "at the end of each shift", "when the water drops below two metres",
         "as required by the regulations of 2019", "and files the result in the logbook", "within an hour of arrival",
         "so that the next crew knows what to expect"]


def paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 7)):
        sentence = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
        if rng.random() < 0.3:
            sentence += f", which takes about {rng.randint(5, 90)} minutes"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def build_pdfs(folder: Path, pages: int, files: int, seed: int = 0) -> int:
    """`pages` A4 pages over `files` PDFs: a heading and paragraphs until each page is full."""
    from fpdf import FPDF

    rng = random.Random(seed)
    per_file = [pages // files + (1 if i < pages % files else 0) for i in range(files)]
    words = 0
    for number, count in enumerate(per_file, 1):
        pdf = FPDF(format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(20, 20, 20)
        for page in range(count):
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, f"Section {number}.{page + 1}: harbour operations", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10.5)
            while pdf.get_y() < 240:
                text = paragraph(rng)
                words += len(text.split())
                pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
        pdf.output(str(folder / f"manual-{number:02d}.pdf"))
    return words


def builtin_tokenizer() -> Path:
    cache = os.environ.get("OLLAMA_TRAINER_MODELS_CACHE") or str(REPO / ".cache" / "models")
    return Path(cache) / "smollm2-135m-instruct"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--chunk-tokens", type=int, default=256)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--tokenizer", type=Path, default=None, help="a folder with tokenizer.json")
    args = parser.parse_args()

    from ollama_trainer.documents import read_folder, token_counter
    from ollama_trainer.documents.readers import list_documents, read_document

    folder = Path(tempfile.mkdtemp(prefix="ot-bench-docs-"))
    try:
        t0 = time.perf_counter()
        words = build_pdfs(folder, args.pages, args.files)
        built = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

        counter = token_counter(args.tokenizer or builtin_tokenizer())
        if not counter.exact:
            print(f"note: {counter.description}; the builtin model is converted into {builtin_tokenizer()} by "
                  "`make test` or a first training. Approximated tokens are faster to count than real ones.")

        t0 = time.perf_counter()
        result = read_folder(folder, args.chunk_tokens, args.overlap, counter)
        total = time.perf_counter() - t0

        t0 = time.perf_counter()  # the reading alone, to show where the time goes
        paths, _ = list_documents(folder)
        for path in paths:
            read_document(path, folder)
        reading = time.perf_counter() - t0

        tokens = sum(c.tokens for c in result.chunks)
        print(f"built {args.pages} pages in {args.files} PDFs ({words} words, {size_mb:.1f} MB) in {built:.1f} s")
        print(f"tokenizer        : {counter.description}")
        print(f"chunking         : {args.chunk_tokens} tokens, {args.overlap} overlap")
        print(f"pages read       : {result.pages}  (skipped files: {len(result.skipped)})")
        print(f"chunks           : {len(result.chunks)}  ({tokens} tokens, {len(result.chunks) / max(1, result.pages):.1f} per page)")
        print(f"read + chunk     : {total:6.2f} s   {result.pages / total:6.1f} pages/s   (goal: 200 pages < 10 s)")
        print(f"  of which read  : {reading:6.2f} s   (pypdf text extraction)")
        print(f"  of which chunk : {max(0.0, total - reading):6.2f} s")
        print(f"cores available  : {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
