"""Training profiles and datasets: load the shipped catalog and the user's own, validate, list.

Shipped entries live in config/ (training_profiles.json, datasets.json); the user's own live in
the data folder (profiles.json, datasets/index.json). A user entry with the id of a shipped one
replaces it. A broken catalog file is reported by name, never silently ignored.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from ollama_trainer import atomic, paths
from ollama_trainer.contracts import (
    DatasetEntry, DatasetInfo, DatasetIssue, DatasetPreview, PreviewRow, TrainingProfile,
    BrokenEntries, BrokenEntry,
)
from ollama_trainer.errors import DomainError, NotFound


class CatalogError(DomainError):
    code = "invalid_catalog"


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}: {exc.msg}") from None


def _entries(path: Path, key: str, model, source: str, broken: list | None = None) -> list:
    """The valid entries of a catalog file. With `broken` (the user's own files), an entry that
    does not validate, or a whole file that cannot be read, goes there with its error instead
    of stopping every command that reads the catalog."""
    if not path.exists():
        return []
    kind = "profile" if key == "profiles" else "dataset"
    try:
        data = _read_json(path)
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise CatalogError(f"{path}: expected an object with a '{key}' list")
    except (CatalogError, OSError) as exc:
        if broken is None:
            raise
        broken.append(BrokenEntry(kind=kind, file=str(path), error=getattr(exc, "message", None) or str(exc)))
        return []
    out = []
    for index, item in enumerate(items):
        try:
            entry = model.model_validate({**item, "source": source} if isinstance(item, dict) else item)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            error = f"{path}: {key}[{index}].{field}: {first['msg']}"
            if broken is None:
                raise CatalogError(error) from None
            named = item if isinstance(item, dict) else {}
            broken.append(BrokenEntry(kind=kind, id=_text(named.get("id")), name=_text(named.get("name")),
                                      file=str(path), error=error))
            continue
        if model is DatasetEntry:
            entry.path = str((path.parent / entry.path).resolve())
        out.append(entry)
    return out


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def user_entries(path: Path, key: str, model) -> list:
    """The user's own valid entries in one of the data folder's files (broken ones left out)."""
    return _entries(path, key, model, "user", broken=[])


def broken_entries() -> BrokenEntries:
    """The user's profiles and dataset entries that cannot be read, each with its error."""
    profiles: list = []
    datasets: list = []
    _entries(user_profiles_file(), "profiles", TrainingProfile, "user", broken=profiles)
    _entries(user_datasets_file(), "datasets", DatasetEntry, "user", broken=datasets)
    return BrokenEntries(profiles=profiles, datasets=datasets)


def _merge(builtin: list, user: list) -> list:
    by_id = {e.id: e for e in builtin}
    by_id.update({e.id: e for e in user})
    return list(by_id.values())


def user_profiles_file() -> Path:
    return paths.data_dir() / "profiles.json"


def user_datasets_file() -> Path:
    return paths.user_datasets_dir() / "index.json"


def _both(builtin_name: str, user_file: Path, key: str, model: type) -> list:
    """The shipped entries, then the user's (a user entry replaces a shipped one of its id)."""
    return _merge(_entries(paths.config_dir() / builtin_name, key, model, "builtin"),
                  user_entries(user_file, key, model))


def _find(entries: list, entry_id: str, what: str, code: str):
    for entry in entries:
        if entry.id == entry_id:
            return entry
    raise NotFound(f"unknown {what} '{entry_id}'", code=code)


def list_profiles() -> list[TrainingProfile]:
    return _both("training_profiles.json", user_profiles_file(), "profiles", TrainingProfile)


def get_profile(profile_id: str) -> TrainingProfile:
    return _find(list_profiles(), profile_id, "training profile", "unknown_profile")


def list_dataset_entries() -> list[DatasetEntry]:
    return _both("datasets.json", user_datasets_file(), "datasets", DatasetEntry)


def get_dataset_entry(dataset_id: str) -> DatasetEntry:
    return _find(list_dataset_entries(), dataset_id, "dataset", "unknown_dataset")


_lock = threading.Lock()


def rewrite_user_file(path: Path, key: str, model, change) -> None:
    """Rewrite one of the user's catalog files (atomically) with `change(valid entries)`; items
    that do not validate are kept in the file exactly as they were, for the user to fix."""
    kept, valid = [], []
    if path.exists():
        data = _read_json(path)  # a file that is not JSON at all is not rewritten: CatalogError
        for item in (data.get(key) if isinstance(data, dict) else None) or []:
            try:
                valid.append(model.model_validate({**item, "source": "user"} if isinstance(item, dict) else item))
            except ValidationError:
                kept.append(item)
    items = kept + [e.model_dump(exclude={"source"}) for e in change(valid)]
    atomic.write_text(path, json.dumps({key: items}, indent=2, ensure_ascii=False) + "\n")


def register_user_dataset(entry: DatasetEntry) -> None:
    """Add or replace an entry in the user's dataset index (written atomically)."""
    with _lock:
        rewrite_user_file(user_datasets_file(), "datasets", DatasetEntry,
                          lambda current: [e for e in current if e.id != entry.id] + [entry])


def describe_dataset(entry: DatasetEntry) -> DatasetInfo:
    """Validate a dataset and describe it for the UI: examples, format, tokens, first error."""
    from ollama_trainer import datasets  # local: the datasets package is large-ish

    info = DatasetInfo(**entry.model_dump())
    try:
        loaded = datasets.load(entry.path, entry.format, display_path=_display(entry))
    except DomainError as exc:
        info.errors = [DatasetIssue(line=None, message=exc.message)]
        info.first_error = exc.message
        return info
    info.examples = len(loaded.examples)
    info.detected_format = loaded.detected_format
    info.errors = list(loaded.errors)
    info.warnings = list(loaded.warnings)
    info.valid = loaded.valid
    info.tokens = token_count(loaded.examples)
    info.tokens_exact = tokens_are_exact()
    if loaded.errors:
        info.first_error = loaded.report_lines()[0]
    elif not loaded.valid:
        info.first_error = "no examples"
    return info


def _display(entry: DatasetEntry) -> str:
    path = Path(entry.path)
    try:
        return str(path.relative_to(paths.shipped_root()))
    except ValueError:
        return str(path)


def list_datasets() -> list[DatasetInfo]:
    return [describe_dataset(e) for e in list_dataset_entries()]


# -- token counts (no torch: the `tokenizers` library on the cached base model's tokenizer) --

_CHAT_OVERHEAD = 5  # ChatML: <|im_start|> role \n ... <|im_end|> \n


@lru_cache(maxsize=4)
def _load_tokenizer(path: str, mtime: float):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(path)


def _tokenizer():
    """The default model's tokenizer, once its converted folder exists (looked for at every
    call, so a long-running app and a new one count alike); None before that."""
    path = paths.models_dir() / "smollm2-135m-instruct" / "tokenizer.json"
    try:
        return _load_tokenizer(str(path), path.stat().st_mtime)
    except (OSError, ImportError, ValueError):
        return None


def tokens_are_exact() -> bool:
    return _tokenizer() is not None


def token_count(examples: list[dict]) -> int:
    """Tokens the examples hold under the default model's tokenizer (about: words * 1.3, until
    the default model has been converted once; `tokens_are_exact` says which)."""
    tok = _tokenizer()

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids) if tok else round(len(text.split()) * 1.3)

    total = 0
    for ex in examples:
        if "text" in ex:
            total += count(ex["text"])
        else:
            total += sum(count(m["content"]) + _CHAT_OVERHEAD for m in ex.get("messages", []))
    return total


# -- importing the user's own dataset --------------------------------------------------------

def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:64]
    return slug or "dataset"


def _free_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted[:60]}-{n}" in taken:
        n += 1
    return f"{wanted[:60]}-{n}"


def import_dataset(path: str, *, dataset_id: str | None = None, name: str | None = None,
                   description: str | None = None, replace: bool = False) -> DatasetInfo:
    """Validate a .jsonl file and copy it into the data folder as a user dataset. An id that is
    taken is never replaced silently: a chosen id is refused unless `replace`, an id made from
    the file name gets a free one (`faq-2`)."""
    from ollama_trainer import datasets

    source = Path(path).expanduser()
    if "\x00" in path or not source.is_file():
        raise DomainError(f"no such file: {path}", code="file_not_found")
    if source.suffix.lower() not in (".jsonl", ".json", ".txt"):
        raise DomainError(f"{source.name}: datasets are JSON-lines files (.jsonl)", code="invalid_dataset")
    loaded = datasets.load(source, None, display_path=source.name)
    if not loaded.valid:
        lines = loaded.report_lines()[:5] or [f"{source.name}: no examples"]
        raise DomainError("\n".join(lines), code="invalid_dataset")  # one problem a line
    existing = {e.id: e for e in list_dataset_entries()}
    if dataset_id is None:
        dataset_id = _free_id(_slug(source.stem), set(existing))
    elif dataset_id in existing:
        if existing[dataset_id].source == "builtin":
            raise DomainError(f"'{dataset_id}' is a built-in dataset's id; choose another id", code="dataset_exists")
        if not replace:
            raise DomainError(f"you already have a dataset '{dataset_id}' ({existing[dataset_id].name}); choose "
                              "another id, or replace it", code="dataset_exists")
    target = paths.user_datasets_dir() / f"{dataset_id}.jsonl"
    tmp = target.with_suffix(".jsonl.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    entry = DatasetEntry(id=dataset_id, name=name or source.stem, path=str(target), format=loaded.format,
                         description=description if description is not None else f"Imported from {source.name}",
                         source="user")
    register_user_dataset(entry)
    return describe_dataset(get_dataset_entry(dataset_id))


def upload_dataset(filename: str, content: str, **options) -> DatasetInfo:
    """A dataset sent as content (the page's file input or drag and drop): checked and stored
    exactly like an imported file."""
    safe = Path(filename).name or "dataset.jsonl"
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=paths.sub("uploads")))
    try:
        staged = folder / safe
        staged.write_text(content, encoding="utf-8")
        return import_dataset(str(staged), **options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _user_entry(dataset_id: str) -> DatasetEntry:
    entry = get_dataset_entry(dataset_id)  # raises unknown_dataset
    if entry.source != "user":
        raise DomainError(f"'{dataset_id}' ships with the app; only your own datasets can be changed",
                          code="invalid_argument")
    return entry


def update_dataset(dataset_id: str, *, name: str | None = None, description: str | None = None) -> DatasetInfo:
    entry = _user_entry(dataset_id)
    changes = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    register_user_dataset(entry.model_copy(update=changes))
    return describe_dataset(get_dataset_entry(dataset_id))


def delete_dataset(dataset_id: str) -> None:
    """Remove one of the user's datasets: its file and its entry. Runs trained on it keep their
    record and page (job.json keeps what they were trained with)."""
    entry = _user_entry(dataset_id)
    with _lock:
        rewrite_user_file(user_datasets_file(), "datasets", DatasetEntry,
                          lambda current: [e for e in current if e.id != dataset_id])
    target = Path(entry.path)
    if target.parent == paths.user_datasets_dir():
        target.unlink(missing_ok=True)


def preview_dataset(dataset_id: str, limit: int = 5) -> DatasetPreview:
    from ollama_trainer import datasets
    from ollama_trainer.datasets.examples import to_chat_messages

    entry = get_dataset_entry(dataset_id)
    loaded = datasets.load(entry.path, entry.format)
    rows = [PreviewRow(line=ex.get("line", i + 1), messages=to_chat_messages(ex), text=ex.get("text"),
                       rejected=ex.get("rejected"))
            for i, ex in enumerate(loaded.examples[:limit])]
    return DatasetPreview(id=dataset_id, rows=rows, total=len(loaded.examples))
