"""Checking a chat conversation: `[{role, content}, ...]`.

Rules: roles are system, user or assistant; an optional system message comes first; user and
assistant turns then alternate, starting with user; the last turn is the assistant's; every
content is a non-empty string. Each problem names its field, e.g. `messages[2].role`.
"""

from __future__ import annotations

import json

from ollama_trainer.contracts import DatasetIssue
from ollama_trainer.datasets.reader import json_type

ROLES = ("system", "user", "assistant")


def check_messages(value: object, line: int, *, field: str = "messages",
                   last: str = "assistant") -> tuple[list[dict] | None, list[DatasetIssue]]:
    """Return (normalised messages, []) for a good conversation, else (None, issues). `field`
    names the list in the issues; `last` is whose turn ends it (a preference record's prompt
    ends with the user's)."""

    def issue(field: str, message: str) -> DatasetIssue:
        return DatasetIssue(line=line, field=field, message=message)

    if not isinstance(value, list):
        return None, [issue(field, f"must be an array of messages, not {json_type(value)}")]
    if not value:
        return None, [issue(field, "no messages (expected user and assistant turns)")]

    issues: list[DatasetIssue] = []
    messages: list[dict] = []
    roles_ok = True
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            issues.append(issue(where, f"must be an object with role and content, not {json_type(item)}"))
            roles_ok = False
            continue
        role = item.get("role")
        if "role" not in item:
            issues.append(issue(f"{where}.role", "missing role (allowed: system, user, assistant)"))
            roles_ok = False
        elif role not in ROLES:
            shown = json.dumps(role, ensure_ascii=False)
            issues.append(issue(f"{where}.role", f"role {shown} is not allowed (allowed: system, user, assistant)"))
            roles_ok = False
        content = item.get("content")
        if "content" not in item:
            issues.append(issue(f"{where}.content", "missing content"))
        elif not isinstance(content, str):
            issues.append(issue(f"{where}.content", f"content must be a string, not {json_type(content)}"))
        elif not content.strip():
            who = role if role in ROLES else "the"
            issues.append(issue(f"{where}.content", f"{who} message is empty"))
        messages.append({"role": role, "content": content})

    if roles_ok:
        order = _check_order([m["role"] for m in messages], field, last)
        if order:
            issues.append(issue(*order))
    return (None, issues) if issues else (messages, [])


def _check_order(roles: list[str], name: str = "messages", last: str = "assistant") -> tuple[str, str] | None:
    """The first (field, message) that breaks the turn order, or None."""
    expected = "user"
    for index, role in enumerate(roles):
        field = f"{name}[{index}].role"
        if role == "system":
            if index != 0:
                return field, "a system message may only come first"
            continue
        if role != expected:
            return field, (
                f"expected {'an' if expected == 'assistant' else 'a'} {expected} message here, got {role} "
                "(user and assistant turns alternate, starting with user)"
            )
        expected = "assistant" if role == "user" else "user"
    if last not in roles:
        return name, f"no {last} message"
    if roles[-1] != last:
        return f"{name}[{len(roles) - 1}].role", f"the last message must be from the {last}"
    return None
