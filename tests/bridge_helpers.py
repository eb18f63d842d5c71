"""Call commands over both transports the same way the UI does."""

from __future__ import annotations

import contextlib

import httpx

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.desktop import make_js_api
from ollama_trainer.bridge.http import TOKEN_HEADER, BridgeServer


@contextlib.contextmanager
def running_server(commands: Commands | None = None, port: int = 0):
    server = BridgeServer(commands or Commands(transport="browser"), port=port)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def http_call(server: BridgeServer, name: str, args=None) -> tuple[int, object]:
    response = httpx.post(f"{server.url}api/{name}", json=args if args is not None else {},
                          headers={TOKEN_HEADER: server.token}, timeout=120)
    return response.status_code, response.json()


def desktop_call(commands: Commands, name: str, args=None) -> dict:
    """What pywebview runs for `window.pywebview.api.<name>(args)`."""
    api = make_js_api(commands)
    return getattr(api, name)(args)
