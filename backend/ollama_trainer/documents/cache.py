"""The teacher's answers on disk, so a preview, a cancel or a crash never costs a second ask.

One JSON line per answered chunk in `<output_dir>/teacher_cache.jsonl`, appended, flushed and
fsynced (the project's JsonlLog), so what was written before a crash is there afterwards and a
torn last line is skipped on reading. The key is the sha256 of the chunk text, the teacher
(canonical name), the prompt version and system prompt, and the pairs per chunk: change any of
them and the chunk is asked again. The raw answer is stored (not the checked pairs), so the
checks are replayed in chunk order on every run and give the same dataset however often the
run was interrupted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel

from ollama_trainer.jsonl_log import JsonlLog

CACHE_FILE = "teacher_cache.jsonl"


class CacheEntry(BaseModel):
    key: str
    chunk_id: str
    teacher: str
    content: str


def cache_key(chunk_text: str, teacher: str, prompt_version: str, system_prompt: str, pairs_per_chunk: int) -> str:
    material = json.dumps([chunk_text, teacher, prompt_version, system_prompt, pairs_per_chunk], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class TeacherCache:
    def __init__(self, output_dir: Path):
        self.path = Path(output_dir) / CACHE_FILE
        self._log = JsonlLog(self.path, CacheEntry)
        self._answers: dict[str, str] = {entry.key: entry.content for entry in self._log.all()}

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> str | None:
        return self._answers.get(key)

    def put(self, key: str, chunk_id: str, teacher: str, content: str) -> None:
        self._log.append(CacheEntry(key=key, chunk_id=chunk_id, teacher=teacher, content=content))
        self._answers[key] = content
