"""The one way the app writes a time: ISO-8601 in UTC, to the second."""

from datetime import datetime, timezone


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
