"""Preference records: a prompt, the answer to prefer and the answer to avoid, in the shapes TRL
documents for DPO and ORPO (huggingface.co/docs/trl/dataset_formats, "preference"):

    {"prompt": "Q", "chosen": "good answer", "rejected": "bad answer", "system"?: "..."}
    {"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant", "content": "good"}],
     "rejected": [{"role": "assistant", "content": "bad"}]}
    {"chosen": [...whole conversation...], "rejected": [...]}   implicit prompt: the turns they share

Each becomes `{"messages": [prompt turns, ending with the user's], "chosen": str, "rejected": str,
"line": n}`: the prompt is what a held-out pair asks, `chosen`/`rejected` the two last turns.
"""

from __future__ import annotations

from ollama_trainer.contracts import DatasetIssue
from ollama_trainer.datasets.chat import check_messages
from ollama_trainer.datasets.reader import json_type


def normalise(record: dict, line: int) -> tuple[dict | None, list[DatasetIssue]]:
    issues: list[DatasetIssue] = []

    def issue(field: str, message: str) -> None:
        issues.append(DatasetIssue(line=line, field=field, message=message))

    for name in ("chosen", "rejected"):
        if name not in record:
            issue(name, f"missing field '{name}' (a preference record has chosen and rejected answers)")
    if issues:
        return None, issues
    system = record.get("system")
    if system is not None and not (isinstance(system, str)):
        issue("system", f"system must be a string, not {json_type(system)}")
    prompt = _prompt(record, line, issues)
    chosen = _answer(record["chosen"], "chosen", line, issues, implicit="prompt" not in record)
    rejected = _answer(record["rejected"], "rejected", line, issues, implicit="prompt" not in record)
    if "prompt" not in record and chosen is not None and rejected is not None:
        prompt = _shared_prompt(record["chosen"], record["rejected"], line, issues)
    if issues or prompt is None or chosen is None or rejected is None:
        return None, issues
    if chosen[1].strip() == rejected[1].strip():
        issue("rejected", "rejected is the same answer as chosen: a pair must differ")
        return None, issues
    if isinstance(system, str) and system.strip() and not any(m["role"] == "system" for m in prompt):
        prompt = [{"role": "system", "content": system}, *prompt]
    return {"messages": prompt, "chosen": chosen[1], "rejected": rejected[1], "line": line}, []


def _prompt(record: dict, line: int, issues: list[DatasetIssue]) -> list[dict] | None:
    if "prompt" not in record:
        return None
    value = record["prompt"]
    if isinstance(value, str):
        if not value.strip():
            issues.append(DatasetIssue(line=line, field="prompt", message="prompt is empty"))
            return None
        return [{"role": "user", "content": value}]
    messages, found = check_messages(value, line, field="prompt", last="user")
    issues.extend(found)
    return messages


def _answer(value: object, field: str, line: int, issues: list[DatasetIssue], *,
            implicit: bool) -> tuple[list[dict], str] | None:
    """(the whole list as given, the answer's text)."""
    if isinstance(value, str) and not implicit:
        if not value.strip():
            issues.append(DatasetIssue(line=line, field=field, message=f"{field} is empty"))
            return None
        return [{"role": "assistant", "content": value}], value
    if isinstance(value, str):
        issues.append(DatasetIssue(line=line, field=field, message=(
            f"{field} is a string but the record has no prompt: give a prompt, or {field} as the whole "
            "conversation (a list of messages)")))
        return None
    if implicit:
        messages, found = check_messages(value, line, field=field)
        issues.extend(found)
        return (messages, messages[-1]["content"]) if messages else None
    if not isinstance(value, list) or len(value) != 1:
        shown = f"{len(value)} messages" if isinstance(value, list) else json_type(value)
        issues.append(DatasetIssue(line=line, field=field, message=(
            f"{field} must be the assistant's answer to the prompt: a string or a list of one assistant "
            f"message, not {shown}")))
        return None
    item = value[0]
    content = item.get("content") if isinstance(item, dict) else None
    if not isinstance(item, dict) or item.get("role") != "assistant":
        issues.append(DatasetIssue(line=line, field=f"{field}[0].role", message="the answer must be from the assistant"))
        return None
    if not isinstance(content, str) or not content.strip():
        issues.append(DatasetIssue(line=line, field=f"{field}[0].content",
                                   message="the answer must be a non-empty string"))
        return None
    messages = [{"role": "assistant", "content": content}]
    return messages, messages[-1]["content"]


def _shared_prompt(chosen: list[dict], rejected: list[dict], line: int,
                   issues: list[DatasetIssue]) -> list[dict] | None:
    """An implicit prompt: every turn but the last, the same in both conversations."""
    if [(m["role"], m["content"]) for m in chosen[:-1]] != [(m["role"], m["content"]) for m in rejected[:-1]]:
        issues.append(DatasetIssue(line=line, field="rejected", message=(
            "without a prompt field, chosen and rejected must be the same conversation up to their last "
            "(assistant) turn")))
        return None
    return [dict(m) for m in chosen[:-1]]
