"""Loading a dataset file: read, detect the format, normalise, collect issues by line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ollama_trainer.contracts import DatasetFormat, DatasetIssue
from ollama_trainer.datasets.formats import FORMATS, detect, normalise, unknown_format
from ollama_trainer.datasets.reader import parse_records, read_bytes
from ollama_trainer.errors import InvalidArgument

MAX_ISSUES = 200


@dataclass
class LoadedDataset:
    path: Path
    format: DatasetFormat | None
    detected_format: DatasetFormat | None
    examples: list[dict] = field(default_factory=list)
    errors: list[DatasetIssue] = field(default_factory=list)
    warnings: list[DatasetIssue] = field(default_factory=list)
    display_path: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors and bool(self.examples)

    def report_lines(self) -> list[str]:
        """Every error, then every warning, as `path:line: field: message`."""
        where = self.display_path or str(self.path)
        return [issue.render(where) for issue in [*self.errors, *self.warnings]]


class _Capped:
    """Collects issues up to a limit, then only counts them."""

    def __init__(self, kind: str, limit: int = MAX_ISSUES):
        self.kind, self.limit = kind, limit
        self.items: list[DatasetIssue] = []
        self.dropped = 0

    def add(self, issue: DatasetIssue) -> None:
        if len(self.items) < self.limit:
            self.items.append(issue)
        else:
            self.dropped += 1

    def finish(self) -> list[DatasetIssue]:
        if self.dropped:
            severity = "warning" if self.kind == "warnings" else "error"
            more = f"... and {self.dropped} more {self.kind}"
            return [*self.items, DatasetIssue(line=None, message=more, severity=severity)]
        return self.items


def load(
    path: str | Path, format: DatasetFormat | None = None, *, display_path: str | None = None
) -> LoadedDataset:
    """Read and check a whole JSONL file. Bad content never raises: it becomes issues.

    The format is `format` when given, else the one the first record with known keys points to.
    Raises DatasetReadError when the file cannot be read at all.
    """
    if format is not None and format not in FORMATS:
        raise InvalidArgument(f"unknown dataset format {format!r}; expected one of {', '.join(FORMATS)}")
    data = read_bytes(path)
    detected: DatasetFormat | None = None
    examples: list[dict] = []
    errors = _Capped("errors")
    for item in parse_records(data):
        if isinstance(item, DatasetIssue):
            errors.add(item)
            continue
        detected = detected or detect(item.value)
        chosen = format or detected
        if chosen is None:
            errors.add(unknown_format(item.value, item.line))
            continue
        example, issues = normalise(item.value, chosen, item.line)
        for issue in issues:
            errors.add(issue)
        if example is not None:
            examples.append(example)
    found = errors.finish()
    if not examples:
        found.append(DatasetIssue(line=None, message="no examples"))
    return LoadedDataset(
        path=Path(path),
        format=format or detected,
        detected_format=detected,
        examples=examples,
        errors=found,
        display_path=display_path,
    )


def check_lengths(
    loaded: LoadedDataset, count_tokens: Callable[[dict], int], max_seq_len: int
) -> None:
    """Add a warning to `loaded` for each example longer than max_seq_len tokens.

    `count_tokens(example)` is the caller's (the tokenizer and chat template live in the
    worker); it is called once per example.
    """
    warnings = _Capped("warnings")
    for issue in loaded.warnings:
        warnings.add(issue)
    for example in loaded.examples:
        tokens = count_tokens(example)
        if tokens > max_seq_len:
            warnings.add(
                DatasetIssue(
                    line=example.get("line"),
                    message=f"example is {tokens} tokens; it will be truncated to max_seq_len ({max_seq_len})",
                    severity="warning",
                )
            )
    loaded.warnings = warnings.finish()
