"""Host resolution, version parsing, connection state, model names."""

from __future__ import annotations

import socket
import time

import pytest

from ollama_trainer.ollama import client as oc
from ollama_trainer.ollama.export_options import check_model_name, default_model_name, sanitize_model_name
from tests.fakes.fixtures import ollama_standin  # noqa: F401


@pytest.mark.parametrize("raw, expected", [
    (None, "http://127.0.0.1:11434"),
    ("", "http://127.0.0.1:11434"),
    ("example.com", "http://example.com:11434"),
    ("example.com:5000", "http://example.com:5000"),
    (":5000", "http://127.0.0.1:5000"),
    ("http://example.com", "http://example.com:80"),
    ("https://example.com", "https://example.com:443"),
    ("https://example.com:8443/", "https://example.com:8443"),
    ("http://10.0.0.2:11434/ollama/", "http://10.0.0.2:11434/ollama"),
    ("[::1]", "http://[::1]:11434"),
    ("[::1]:9", "http://[::1]:9"),
    (" 0.0.0.0 ", "http://0.0.0.0:11434"),
])
def test_resolve_host(raw, expected, monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert oc.resolve_host(raw) == expected


def test_resolve_host_env_and_explicit(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:7000")
    assert oc.resolve_host() == "http://gpu-box:7000"
    assert oc.resolve_host("localhost") == "http://localhost:11434"  # the explicit setting wins


@pytest.mark.parametrize("raw", ["ftp://x", "http://x:notaport", "not a url", "http://", "http://my box"])
def test_resolve_host_rejects(raw):
    with pytest.raises(ValueError):
        oc.resolve_host(raw)


@pytest.mark.parametrize("text, expected", [
    ("0.5.5", (0, 5, 5)), ("0.12.11-rc1", (0, 12, 11)), ("v0.6", (0, 6, 0)), ("", None), ("dev", None),
])
def test_parse_version(text, expected):
    assert oc.parse_version(text) == expected


def test_connection_state(ollama_standin):
    state = oc.connection_state(ollama_standin.url)
    assert (state.reachable, state.version, state.host) == (True, "0.35.0", ollama_standin.url)
    assert state.can_import  # the export card offers every type: the app makes each file itself
    ollama_standin.version = "0.5.1"
    state = oc.connection_state(ollama_standin.url)
    assert state.reachable and "upgrade Ollama to 0.5.5 or newer" in state.message
    assert not state.can_import


def test_connection_state_unreachable_is_quick():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    state = oc.connection_state(f":{port}")
    assert time.monotonic() - start < 3
    assert not state.reachable and state.version is None and not state.can_import
    assert state.message.startswith(f"Ollama is not reachable at http://127.0.0.1:{port}")


def test_connection_state_slow_server_times_out(ollama_standin):
    ollama_standin.delay_s = 2.0
    start = time.monotonic()
    state = oc.connection_state(ollama_standin.url, timeout=0.3)
    assert time.monotonic() - start < 1.5
    assert not state.reachable and "ReadTimeout" in state.message


def test_connection_state_bad_host_setting():
    state = oc.connection_state("ftp://nowhere")
    assert not state.reachable and "unsupported scheme" in state.message


@pytest.mark.parametrize("raw, expected", [
    ("FAQ Bot", "faq-bot"), ("my_data-1", "my_data-1"), ("ünïcode!!", "n-code"), ("x:V 2", "x:v-2"),
    ("---", "model"), ("a" * 100, "a" * 80),
])
def test_sanitize_model_name(raw, expected):
    assert sanitize_model_name(raw) == expected


def test_default_model_name():
    assert default_model_name("faq", "20250101-120000-abc123") == "faq-abc123"
    assert default_model_name("My_Set", "plainid1234567") == "my_set-234567"


def test_check_model_name():
    # Ollama's own rules, the name kept as given (Ollama keeps case and compares without it)
    assert check_model_name("Faq-Bot:V1") == "Faq-Bot:V1"
    assert check_model_name(" me/quill:latest ") == "me/quill:latest"
    assert check_model_name("example.com/me/quill:v2") == "example.com/me/quill:v2"
    for bad in ("bad name", "-x", "a:b:c", "a/b/c/d", "x:", ""):
        with pytest.raises(Exception) as err:
            check_model_name(bad)
        assert getattr(err.value, "code", None) == "invalid_model_name"
