"""Holding documents out, whole: no document has rows in both train and held-out.

Each document is ranked by sha256(seed, file) and the lowest-ranked are held out: the choice
depends only on the seed and the file's own name, so adding a document to the folder does not
reshuffle the others. How many: round(fraction x documents), but at least one when there are
two or more documents (so a small folder still has questions to compare before and after
training), and never all of them. With one document nothing is held out.
"""

from __future__ import annotations

import hashlib


def held_out_count(documents: int, fraction: float) -> int:
    if documents < 2 or fraction <= 0:
        return 0
    return min(documents - 1, max(1, round(fraction * documents)))


def split_documents(files: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train files, held-out files), each in the order given."""
    ranked = sorted(set(files), key=lambda f: hashlib.sha256(f"{seed}\0{f}".encode("utf-8")).hexdigest())
    held = set(ranked[:held_out_count(len(ranked), fraction)])
    return [f for f in files if f not in held], [f for f in files if f in held]
