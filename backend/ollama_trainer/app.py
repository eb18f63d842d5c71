"""Start the app: the desktop window (default) or browser mode."""

from __future__ import annotations

import logging
import sys
import webbrowser

from ollama_trainer import device_probe, paths
from ollama_trainer.bridge.commands import Commands


def setup_logging() -> None:
    log_file = paths.app_log_dir() / "app.log"
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.FileHandler(log_file, encoding="utf-8"), logging.StreamHandler(sys.stderr)],
    )


def run_browser(port: int = 0, open_browser: bool = True) -> int:
    from ollama_trainer.bridge.http import BridgeServer

    commands = Commands(transport="browser")
    device_probe.start_background_probe()
    server = BridgeServer(commands, port=port)
    print(f"Ollama Trainer is running at {server.url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def run_desktop(debug: bool = False) -> int:
    from ollama_trainer.bridge.desktop import NoDisplay, run_window

    commands = Commands(transport="desktop")
    device_probe.start_background_probe()
    try:
        run_window(commands, debug=debug)
    except NoDisplay as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 1
    return 0
