"""Browser mode refuses what a hostile page or network could send it."""

from __future__ import annotations

import socket

import httpx
import pytest

from ollama_trainer.bridge.http import MAX_BODY, TOKEN_HEADER
from tests.bridge_helpers import running_server


@pytest.fixture(scope="module")
def server():
    with running_server() as server:
        yield server


def post(server, path="api/list_training_profiles", headers=None, **kw):
    return httpx.post(f"{server.url}{path}", headers=headers or {}, timeout=10, **kw)


def test_binds_to_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"


def test_no_token_is_refused(server):
    r = post(server, json={})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_wrong_token_is_refused(server):
    r = post(server, json={}, headers={TOKEN_HEADER: "x" * 43})
    assert r.status_code == 403


def test_right_token_is_accepted(server):
    r = post(server, json={}, headers={TOKEN_HEADER: server.token})
    assert r.status_code == 200 and isinstance(r.json(), list)


def test_foreign_host_is_refused_for_commands_and_page(server):
    r = post(server, json={}, headers={TOKEN_HEADER: server.token, "Host": "evil.example:80"})
    assert r.status_code == 403
    page = httpx.get(server.url, headers={"Host": f"rebind.example:{server.port}"})
    assert page.status_code == 403 and server.token not in page.text


def test_foreign_origin_is_refused(server):
    r = post(server, json={}, headers={TOKEN_HEADER: server.token, "Origin": "http://evil.example"})
    assert r.status_code == 403
    same = post(server, json={}, headers={TOKEN_HEADER: server.token, "Origin": f"http://127.0.0.1:{server.port}"})
    assert same.status_code == 200


def test_oversize_body_is_refused(server):
    r = post(server, content=b"{" + b" " * MAX_BODY + b"}",
             headers={TOKEN_HEADER: server.token, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"


def test_malformed_json_is_400(server):
    r = post(server, content=b"{not json", headers={TOKEN_HEADER: server.token})
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"


def test_unknown_command_is_404_json(server):
    r = post(server, "api/format_disk", json={}, headers={TOKEN_HEADER: server.token})
    assert r.status_code == 404 and r.json() == {"code": "unknown_command", "message": "unknown command 'format_disk'"}


def test_page_is_served_with_the_token(server):
    page = httpx.get(server.url)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert f'content="{server.token}"' in page.text
    assert "%OT_TOKEN%" not in page.text


def test_static_files_cannot_escape_the_bundle(server):
    for path in ("../pyproject.toml", "..%2f..%2fpyproject.toml", "/etc/passwd"):
        r = httpx.get(f"{server.url}{path}")
        assert r.status_code in (403, 404), path


def test_errors_are_json_never_html(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"BREW /coffee HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % server.port)
        reply = s.recv(4096).decode("latin-1")
    assert "application/json" in reply and "<html" not in reply.lower()
