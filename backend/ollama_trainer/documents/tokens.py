"""Counting tokens with a model's own tokenizer, without transformers or torch.

`token_counter(model_dir)` loads `<model_dir>/tokenizer.json` with the `tokenizers` library
(the Rust tokenizer that transformers itself uses) and counts the tokens of a text without
special tokens. When there is no folder, no tokenizer.json, or the file or library cannot be
loaded, it falls back to the word approximation of the INDEX step (words x 1.3) and says so in
its description, which goes into the report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ollama_trainer.datasets.index import approx_tokens

log = logging.getLogger(__name__)
APPROXIMATION = "approximation (words x 1.3)"


@dataclass(frozen=True)
class TokenCounter:
    count: Callable[[str], int]
    description: str
    exact: bool

    def __call__(self, text: str) -> int:
        return self.count(text)


def approximate() -> TokenCounter:
    return TokenCounter(approx_tokens, APPROXIMATION, exact=False)


def token_counter(model_dir: str | Path | None) -> TokenCounter:
    if model_dir is None:
        return approximate()
    path = Path(model_dir)
    file = path / "tokenizer.json" if path.is_dir() else path
    if not file.is_file():
        return TokenCounter(approx_tokens, f"{APPROXIMATION}: no tokenizer.json in {model_dir}", exact=False)
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(file))
    except Exception as exc:  # ImportError, or a file the library cannot parse
        log.warning("cannot load %s: %s", file, exc)
        return TokenCounter(approx_tokens, f"{APPROXIMATION}: {file} could not be loaded ({exc})", exact=False)

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return TokenCounter(count, f"tokenizer.json of {file.parent.name}", exact=True)
