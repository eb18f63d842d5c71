"""Datasets: read a JSONL file in one of five formats, normalise its records, validate them.

Public API (used by the catalog, the CLI, the worker and the INDEX flow step):

    load(path, format=None, *, display_path=None) -> LoadedDataset
        Reads and validates the whole file; never raises for bad content (problems are in
        LoadedDataset.errors / .warnings, each naming its line). Raises DatasetReadError only
        when the file cannot be opened at all.

    LoadedDataset.examples: list[Example]; Example is a dict, either
        {"messages": [{"role": "system"|"user"|"assistant", "content": str}, ...], "line": int}
        or {"text": str, "line": int} for the plain `text` format, or for a `preference` record
        {"messages": [the prompt], "chosen": str, "rejected": str, "line": int}.

    LoadedDataset: path, format (the one used), detected_format, examples, errors, warnings,
        valid (no errors and at least one example), report_lines() -> ["path:line: message"].
    check_lengths(loaded, count_tokens, max_seq_len) adds a warning per example longer than
        max_seq_len; count_tokens(example) -> int is the caller's tokenizer.
    to_chat_messages(example) / prompt_of(example): the messages, or those before the last
        assistant turn; both None for a text example (the trainer trains on its whole text).
    index_folder(source_dir, ...) -> (records, report): .md/.txt documents as text records.
"""

from ollama_trainer.datasets.examples import is_pair, prompt_of, to_chat_messages
from ollama_trainer.datasets.index import index_folder
from ollama_trainer.datasets.loader import MAX_ISSUES, LoadedDataset, check_lengths, load
from ollama_trainer.datasets.reader import DatasetReadError

__all__ = [
    "MAX_ISSUES",
    "DatasetReadError",
    "LoadedDataset",
    "check_lengths",
    "index_folder",
    "is_pair",
    "load",
    "prompt_of",
    "to_chat_messages",
]
