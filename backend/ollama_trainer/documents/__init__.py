"""Documents: a folder of PDF, Word, HTML, Markdown and text files becomes a dataset.

With a teacher model in the local Ollama, a checked question-answer dataset (chat format), a
held-out split by document, per-row provenance and a report; without one, text chunks.

Public API (the UI, the CLI and the INDEX flow step call these):

    preview(DocumentsRequest, count_tokens=None, chunks=3) -> Preview
    run(DocumentsRequest, count_tokens=None, progress=None, cancel=None) -> DocumentsResult
    token_counter(model_dir) -> TokenCounter   (tokenizer.json via `tokenizers`; else words x 1.3)
    read_folder(source_dir, chunk_tokens, overlap_tokens, count) -> Folder   (read + chunk only)

Modules: readers (find and dispatch) with read_pdf, read_docx, read_html, read_text; chunking;
tokens; folder; teacher (the Ollama request); checks (which pairs are kept); cache; generate
(cache or teacher, then checks); split (held-out documents); output (the files); job.
Nothing here imports torch or transformers.
"""

from ollama_trainer.documents.folder import Cancelled, Folder, read_folder
from ollama_trainer.documents.job import preview, run
from ollama_trainer.documents.models import (DocumentsReport, DocumentsRequest, DocumentsResult, DocumentSummary,
                                             Pair, Preview, Progress, RowSource, SkippedFile)
from ollama_trainer.documents.tokens import TokenCounter, token_counter

__all__ = [
    "Cancelled",
    "DocumentSummary",
    "DocumentsReport",
    "DocumentsRequest",
    "DocumentsResult",
    "Folder",
    "Pair",
    "Preview",
    "Progress",
    "RowSource",
    "SkippedFile",
    "TokenCounter",
    "preview",
    "read_folder",
    "run",
    "token_counter",
]
