"""Uploading a file as an Ollama blob, with progress, skipped when the server already has it.

`HEAD /api/blobs/<digest>` says whether the server has the blob; `POST` sends the raw bytes
(the server checks the digest). The official client's create_blob has no progress and no
check first, so this is done with httpx directly, streaming the file in 1 MiB pieces.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterator

import httpx

CHUNK = 1 << 20
UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()


class UploadFailed(Exception):
    """The server refused the blob; `status` and `error` are its answer."""

    def __init__(self, status: int, error: str):
        super().__init__(f"HTTP {status}: {error}")
        self.status, self.error = status, error


def _pieces(path: Path, size: int, on_progress: Callable[[int, int], None] | None) -> Iterator[bytes]:
    sent = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            sent += len(chunk)
            yield chunk
            if on_progress is not None:
                on_progress(sent, size)


def upload(host: str, path: Path, *, digest: str | None = None,
           on_progress: Callable[[int, int], None] | None = None) -> tuple[str, bool]:
    """(digest, uploaded): False when the server already had it. Raises httpx errors for a
    broken connection and UploadFailed for a refusal."""
    path = Path(path)
    digest = digest or file_digest(path)
    size = path.stat().st_size
    url = f"{host}/api/blobs/{digest}"
    with httpx.Client(timeout=UPLOAD_TIMEOUT) as http:
        if http.head(url).status_code == 200:
            if on_progress is not None:
                on_progress(size, size)
            return digest, False
        response = http.post(url, content=_pieces(path, size, on_progress),
                             headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
    if response.status_code not in (200, 201):
        try:
            error = str(response.json().get("error") or response.text)
        except ValueError:
            error = response.text.strip()[:200] or response.reason_phrase
        raise UploadFailed(response.status_code, error)
    return digest, response.status_code == 201
