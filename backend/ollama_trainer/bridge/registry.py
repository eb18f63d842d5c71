"""Turn Commands' public methods into a validated, transport-neutral call: name + JSON args in,
JSON-able result or `{code, message}` out. Both transports use `dispatch`, so validation and
error shapes cannot drift apart."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel, TypeAdapter, ValidationError

from ollama_trainer.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    request: type[BaseModel] | None
    result: TypeAdapter
    annotation: Any = Any  # the result type as written, for the generated command map


def command(request: type[BaseModel] | None = None, result: Any = Any):
    """Mark a Commands method as a bridge command taking `request` and returning `result`."""

    def mark(func: Callable) -> Callable:
        func.__command__ = CommandSpec(func.__name__, request, TypeAdapter(result), result)
        return func

    return mark


def specs(cls: type) -> dict[str, CommandSpec]:
    return {
        name: member.__command__
        for name, member in vars(cls).items()
        if not name.startswith("_") and hasattr(member, "__command__")
    }


class CommandFailed(Exception):
    """A dispatch outcome that is an error: carries the HTTP status and the `{code, message}` body."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        return {"code": self.code, "message": self.message}


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {err['msg']}")
    return "\n".join(parts)  # one problem a line


def dispatch(commands: object, name: str, args: Any) -> Any:
    """Validate `args`, call the command, return its JSON-able result; raise CommandFailed."""
    table = specs(type(commands))
    spec = table.get(name)
    if spec is None:
        raise CommandFailed(404, "unknown_command", f"unknown command '{name[:100]}'")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise CommandFailed(400, "invalid_argument", "arguments must be a JSON object")
    try:
        if spec.request is None:
            if args:
                raise CommandFailed(400, "invalid_argument", f"'{name}' takes no arguments")
            result = getattr(commands, name)()
        else:
            result = getattr(commands, name)(spec.request.model_validate(args))
        return spec.result.dump_python(result, mode="json")
    except CommandFailed:
        raise
    except ValidationError as exc:
        raise CommandFailed(400, "invalid_argument", describe_validation_error(exc)) from None
    except DomainError as exc:
        raise CommandFailed(exc.http_status, exc.code, exc.message) from None
    except Exception as exc:  # a bug: log it whole, tell the UI in one line
        log.exception("command %s failed", name)
        raise CommandFailed(500, "internal_error", f"{name} failed: {type(exc).__name__}: {exc}") from None
