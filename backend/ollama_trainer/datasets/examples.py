"""What the trainer asks of a loaded example.

A chat-like example is `{"messages": [...], "line": n}`; a text example is
`{"text": str, "line": n}` and has no turns: the trainer tokenizes its text directly and
trains on all of it, so both helpers return None for it.
"""

from __future__ import annotations


def to_chat_messages(example: dict) -> list[dict] | None:
    """A copy of the example's messages as `[{role, content}, ...]`; None for a text example."""
    messages = example.get("messages")
    if messages is None:
        return None
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def prompt_of(example: dict) -> list[dict] | None:
    """The messages before the last assistant turn (what a held-out prompt is built from).

    None for a text example or one without an assistant turn.
    """
    messages = to_chat_messages(example)
    if messages is None:
        return None
    for index in range(len(messages) - 1, -1, -1):
        if messages[index]["role"] == "assistant":
            return messages[:index]
    return None
