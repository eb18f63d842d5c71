"""What the trainer asks of a loaded example.

A chat-like example is `{"messages": [...], "line": n}`; a preference example's messages are its
prompt, with `chosen` and `rejected` answers beside them (as a conversation it is the prompt and
the chosen answer); a text example is `{"text": str, "line": n}` and has no turns: the trainer
tokenizes its text directly and trains on all of it, so both helpers return None for it.
"""

from __future__ import annotations


def to_chat_messages(example: dict) -> list[dict] | None:
    """A copy of the example's messages as `[{role, content}, ...]` (a preference example's
    prompt and its chosen answer); None for a text example."""
    messages = example.get("messages")
    if messages is None:
        return None
    turns = [{"role": m["role"], "content": m["content"]} for m in messages]
    if "chosen" in example:
        turns.append({"role": "assistant", "content": example["chosen"]})
    return turns


def is_pair(example: dict) -> bool:
    """A preference example: a prompt with a chosen and a rejected answer."""
    return "chosen" in example and "rejected" in example


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
