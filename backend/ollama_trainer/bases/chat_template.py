"""The chat template saved with a local model folder: what a base was trained to read, used to
choose the chat format a run trains in (chat_formats.py) and the Modelfile declares."""

from __future__ import annotations

from pathlib import Path


def read_chat_template(model_dir: str | Path | None) -> str | None:
    """The chat template saved with a local model folder (chat_template.jinja or
    tokenizer_config.json), or None."""
    import json

    if not model_dir:
        return None
    folder = Path(model_dir)
    jinja = folder / "chat_template.jinja"
    try:
        if jinja.is_file():
            return jinja.read_text(encoding="utf-8")
        config = folder / "tokenizer_config.json"
        if config.is_file():
            value = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
            return value if isinstance(value, str) else None
    except (OSError, ValueError):
        return None
    return None
