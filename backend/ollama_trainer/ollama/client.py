"""Where Ollama is and how to talk to it.

The host comes from an explicit argument (a setting in the window), else OLLAMA_HOST, else
http://127.0.0.1:11434. OLLAMA_HOST may be `host`, `host:port`, `:port` or
`scheme://host[:port]`; without a port it is 11434, or 80/443 when a scheme is given (the same
rules as Ollama's own client). Blobs, create, show and chat go through the official `ollama`
client; the version is read with a plain GET because older clients lack a call for it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import urllib.parse

import httpx

from ollama_trainer.contracts import OllamaConnection

DEFAULT_HOST = "http://127.0.0.1:11434"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
DEFAULT_PORT = 11434
CONNECT_TIMEOUT_S = 2.0
MIN_VERSION = (0, 5, 5)


def resolve_host(host: str | None = None) -> str:
    """`scheme://host:port[/path]` for an explicit host, else OLLAMA_HOST, else the default."""
    raw = (host if host is not None and host.strip() else os.environ.get("OLLAMA_HOST", "")).strip()
    if not raw:
        return DEFAULT_HOST
    port = DEFAULT_PORT
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "http", raw
    else:
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme in Ollama host '{raw}' (use http or https)")
        port = 443 if scheme == "https" else 80
    split = urllib.parse.urlsplit(f"{scheme}://{rest}")
    try:
        explicit_port = split.port
    except ValueError as exc:
        raise ValueError(f"invalid port in Ollama host '{raw}'") from exc
    if sep and not rest.strip("/"):
        raise ValueError(f"Ollama host '{raw}' names no host (e.g. http://127.0.0.1:11434)")
    name = split.hostname or "127.0.0.1"
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            name = f"[{name}]"
    except ValueError:
        if not _HOSTNAME.fullmatch(name):
            raise ValueError(f"'{raw}' is not an address: use a host name or IP, with an optional port, "
                             "e.g. http://127.0.0.1:11434 or gpu-box:11434") from None
    path = split.path.rstrip("/")
    return f"{scheme}://{name}:{explicit_port or port}{path}"


def make_client(host: str | None = None, *, timeout: float | httpx.Timeout | None = None):
    """The official client for `host` (already resolved or not)."""
    import ollama

    return ollama.Client(host=resolve_host(host), timeout=timeout)


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """'0.5.7', '0.12.11-rc1', 'v0.6.0' -> a tuple; None when it is not a version."""
    if not text:
        return None
    core = text.strip().lstrip("v").split("-")[0].split("+")[0]
    parts = core.split(".")
    try:
        numbers = [int(p) for p in parts[:3]]
    except ValueError:
        return None
    while len(numbers) < 3:
        numbers.append(0)
    return numbers[0], numbers[1], numbers[2]


def get_version(host: str | None = None, *, timeout: float = CONNECT_TIMEOUT_S) -> str:
    """GET /api/version. Raises httpx errors when the server cannot be reached or answers badly."""
    url = resolve_host(host) + "/api/version"
    response = httpx.get(url, timeout=timeout)
    response.raise_for_status()
    return str(response.json().get("version", ""))


def unreachable_message(host: str) -> str:
    return f"Ollama is not reachable at {host}: start Ollama (`ollama serve`) or set its address"


def connection_state(host: str | None = None, *, timeout: float = CONNECT_TIMEOUT_S) -> OllamaConnection:
    """Is Ollama there, and which version? Never waits longer than about `timeout` seconds."""
    try:
        resolved = resolve_host(host)
    except ValueError as exc:
        return OllamaConnection(reachable=False, version=None, host=str(host), message=str(exc))
    try:
        version = get_version(resolved, timeout=timeout)
    except (httpx.HTTPError, ValueError) as exc:
        detail = f" ({type(exc).__name__})" if not isinstance(exc, httpx.ConnectError) else ""
        return OllamaConnection(reachable=False, version=None, host=resolved,
                                message=unreachable_message(resolved) + detail)
    parsed = parse_version(version)
    too_old = parsed is not None and parsed < MIN_VERSION
    if too_old:
        message = f"Ollama {version} at {resolved} is too old: upgrade Ollama to 0.5.5 or newer"
    else:
        message = f"Ollama {version or '(unknown version)'} at {resolved}"
    return OllamaConnection(reachable=True, version=version or None, host=resolved, message=message,
                            can_import=not too_old)
