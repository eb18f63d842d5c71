"""Browser mode under hostile clients: slow loris (a request trickled byte by byte for longer
than the timeout) is cut off, and while 20 of them are open, an honest client still gets its
answer at once. (No token, a wrong token, a foreign Host or Origin and an oversize body are
refused in tests/unit/test_http_security.py; here they are repeated while the server is busy.)"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from ollama_trainer.bridge import http as bridge_http
from ollama_trainer.bridge.http import MAX_BODY, TOKEN_HEADER
from tests.bridge_helpers import running_server

TIMEOUT_S = 2.0  # the server's SOCKET_TIMEOUT_S, shortened for the test


@pytest.fixture()
def server(monkeypatch):
    monkeypatch.setattr(bridge_http._Handler, "timeout", TIMEOUT_S)
    with running_server() as server:
        yield server


def slow_loris(server, count: int) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"POST /api/list_training_profiles HTTP/1.1\r\n")
        socks.append(s)
    return socks


def trickle(socks: list[socket.socket], seconds: float, closed: dict) -> None:
    """One header byte every 0.2 s to each socket (well under the per-read timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.sendall(b"X")
            except OSError:
                closed[i] = time.monotonic() - start
        time.sleep(0.2)


def server_closed(s: socket.socket) -> bool:
    s.settimeout(0.5)
    try:
        return s.recv(1024) == b""  # the server sends nothing and closes
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def honest_call(server) -> tuple[float, int]:
    t0 = time.monotonic()
    r = httpx.post(f"{server.url}api/list_training_profiles", json={}, headers={TOKEN_HEADER: server.token}, timeout=5)
    return time.monotonic() - t0, r.status_code


def test_slow_loris_is_cut_off_without_blocking_other_clients(server):
    socks = slow_loris(server, 20)
    closed: dict[int, float] = {}
    feeder = threading.Thread(target=trickle, args=(socks, TIMEOUT_S * 3, closed))
    feeder.start()
    try:
        latencies = []
        for _ in range(5):  # while the 20 hold their connections
            elapsed, status = honest_call(server)
            assert status == 200
            latencies.append(elapsed)
            time.sleep(0.2)
        assert max(latencies) < 1.0, latencies
        feeder.join()
        assert all(server_closed(s) for s in socks), "a trickling client kept its connection past the timeout"
    finally:
        feeder.join()
        for s in socks:
            s.close()
    assert honest_call(server)[1] == 200


def test_slow_body_is_cut_off_too(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(f"POST /api/list_training_profiles HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
              f"{TOKEN_HEADER}: {server.token}\r\nContent-Length: 1000\r\n\r\n".encode())
    t0 = time.monotonic()
    closed_after = None
    while time.monotonic() - t0 < TIMEOUT_S * 3:
        try:
            s.sendall(b" ")
        except OSError:
            closed_after = time.monotonic() - t0
            break
        time.sleep(0.2)
    assert closed_after is not None or server_closed(s)
    s.close()


def test_refusals_answer_promptly_while_slow_clients_hold_connections(server):
    socks = slow_loris(server, 20)
    try:
        url = f"{server.url}api/list_training_profiles"
        cases = [
            ({}, {}, 403),  # no token
            ({TOKEN_HEADER: "x" * 43}, {}, 403),  # wrong token
            ({TOKEN_HEADER: server.token, "Host": "evil.example"}, {}, 403),
            ({TOKEN_HEADER: server.token, "Origin": "http://evil.example"}, {}, 403),
            ({TOKEN_HEADER: server.token, "Content-Type": "application/json"},
             {"content": b"[" + b" " * MAX_BODY + b"]"}, 413),
        ]
        for headers, body, expected in cases:
            t0 = time.monotonic()
            r = httpx.post(url, headers=headers, timeout=5, **(body or {"json": {}}))
            assert r.status_code == expected and set(r.json()) == {"code", "message"}
            assert time.monotonic() - t0 < 1.0
    finally:
        for s in socks:
            s.close()
