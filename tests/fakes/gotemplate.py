"""Ollama's prompt rendering, for tests: the model's TEMPLATE executed by Go's text/template
with the messages collated as Ollama's server does (a Modelfile SYSTEM becomes the first
system message when a chat has none; system messages are joined into .System and stay in
.Messages; consecutive messages of one role are joined).

The small Go program below is built once per source version into .cache/gotemplate/ (Debian's
golang-go, installed by `make test`); a missing Go is a test failure, not a skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GO_RENDER = r"""
package main

import (
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

type Message struct {
	Role    string
	Content string
}

func main() {
	var in struct {
		Template string
		System   string
		Messages []Message
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	msgs := in.Messages
	// server: the Modelfile SYSTEM becomes a first system message when the request has none
	if in.System != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
		msgs = append([]Message{{Role: "system", Content: in.System}}, msgs...)
	}
	// template.collate: system messages are joined into .System and also stay in .Messages
	var system []string
	var collated []*Message
	for i := range msgs {
		m := msgs[i]
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		if len(collated) > 0 && collated[len(collated)-1].Role == m.Role {
			collated[len(collated)-1].Content += "\n\n" + m.Content
		} else {
			collated = append(collated, &m)
		}
	}
	// legacy templates ({{ .Prompt }}): the last user message
	prompt := ""
	if n := len(collated); n > 0 && collated[n-1].Role == "user" {
		prompt = collated[n-1].Content
	}
	t := template.Must(template.New("").Parse(in.Template))
	data := map[string]any{"System": strings.Join(system, "\n\n"), "Messages": collated, "Prompt": prompt, "Response": ""}
	if err := t.Execute(os.Stdout, data); err != nil {
		panic(err)
	}
}
"""



_lock = threading.Lock()


def binary() -> Path:
    """The built renderer (building it the first time, about 10 s)."""
    digest = hashlib.sha256(GO_RENDER.encode()).hexdigest()[:12]
    folder = REPO / ".cache" / "gotemplate"
    target = folder / f"render-{digest}"
    with _lock:
        if target.is_file():
            return target
        go = shutil.which("go")
        if go is None:
            pytest.fail("Go is not installed: `make test` installs Debian's golang-go, which the tests use to "
                        "execute Ollama templates as Ollama does")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.go").write_text(GO_RENDER)
        env = {**os.environ, "GOCACHE": str(folder / "cache"), "GOPATH": str(folder / "gopath"), "GO111MODULE": "off"}
        tmp = folder / f".render-{os.getpid()}"
        subprocess.run([go, "build", "-o", str(tmp), str(folder / "main.go")], check=True, env=env, cwd=folder,
                       timeout=300)
        os.replace(tmp, target)
        return target


def render(template: str, system: str | None, messages: list[dict]) -> str:
    """The prompt Ollama builds for `messages` with this TEMPLATE and SYSTEM."""
    payload = {"Template": template, "System": system or "",
               "Messages": [{"Role": m["role"], "Content": m["content"]} for m in messages]}
    out = subprocess.run([str(binary())], input=json.dumps(payload), capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise ValueError(f"template error: {out.stderr.strip()[-300:]}")
    return out.stdout
