"""The desktop window: pywebview with the Qt backend, loading the built UI, with the commands
exposed as js_api. Each js_api method answers an envelope, `{ok: true, result}` or
`{ok: false, error: {code, message}}`, so the UI sees the same errors as over HTTP."""

from __future__ import annotations

import os
import sys
from typing import Callable

from ollama_trainer import paths
from ollama_trainer.bridge.registry import CommandFailed, dispatch, specs

TITLE = "Ollama Trainer"
MIN_SIZE = (1024, 700)
SIZE = (1280, 820)


class NoDisplay(RuntimeError):
    pass


def envelope(commands: object, name: str, args) -> dict:
    try:
        return {"ok": True, "result": dispatch(commands, name, args)}
    except CommandFailed as failed:
        return {"ok": False, "error": failed.body()}


def make_js_api(commands: object) -> object:
    """An object whose public methods are exactly the commands (pywebview exposes every public
    method and walks public attributes, so the Commands instance stays private)."""

    def bind(name: str) -> Callable:
        def call(self, args=None):
            return envelope(self._commands, name, args)

        call.__name__ = name
        return call

    methods = {name: bind(name) for name in specs(type(commands))}
    methods["__init__"] = lambda self, c: setattr(self, "_commands", c)
    return type("JsApi", (), methods)(commands)


class FilePicker:
    """The window's native open dialog: a dataset file (`pick_dataset_file`), or a base model's
    GGUF file or safetensors folder (`pick_base_model`). Bound to the window once it exists;
    called from a bridge thread, as pywebview allows."""

    FILE_TYPES = {"dataset": ("JSON lines (*.jsonl)", "All files (*.*)"),
                  "gguf": ("GGUF model files (*.gguf)", "All files (*.*)")}

    def __init__(self):
        self.window = None

    def __call__(self, kind: str = "dataset") -> str | None:
        if self.window is None:
            return None
        import webview

        if kind == "folder":
            chosen = self.window.create_file_dialog(webview.FileDialog.FOLDER)
        else:
            chosen = self.window.create_file_dialog(
                webview.FileDialog.OPEN, allow_multiple=False, file_types=self.FILE_TYPES[kind])
        return str(chosen[0]) if chosen else None


def check_display() -> None:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoDisplay(
            "no display found (DISPLAY is not set). Run `ollama-trainer --browser` to use the app "
            "in a web browser, or start the window under a virtual screen: "
            "`xvfb-run -a ollama-trainer`."
        )


def run_window(commands: object, *, on_shown: Callable | None = None, debug: bool = False,
               file_picker: FilePicker | None = None, close_guard=None) -> None:
    """Open the window and block until it closes. `on_shown(window)` runs in a thread once the
    page has loaded (tests use it to drive the window)."""
    check_display()
    index = paths.web_dir() / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"the UI is not built ({index} is missing): run `make build`")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"]:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] += " --no-sandbox"
    try:
        import webview
    except ImportError as exc:
        raise RuntimeError(
            f"the desktop extra is not installed ({exc}); run `make run` or use `ollama-trainer --browser`"
        ) from None

    window = webview.create_window(
        TITLE, url=str(index), js_api=make_js_api(commands),
        width=SIZE[0], height=SIZE[1], min_size=MIN_SIZE,
    )

    if file_picker is not None:
        file_picker.window = window
    if close_guard is not None:
        close_guard.window = window
        window.events.closing += close_guard.on_closing

    def shown(win):
        if on_shown is not None:
            win.events.loaded.wait(60)
            on_shown(win)

    webview.start(shown, window, gui="qt", http_server=True, debug=debug, private_mode=False,
                  storage_path=str(paths.sub("webview")))
