"""Start the app: the desktop window (default) or browser mode."""

from __future__ import annotations

import logging
import signal
import sys
import webbrowser

from ollama_trainer import device_probe, paths, wiring
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.flows.runner import FlowRunner
from ollama_trainer.training.manager import TrainingManager


def setup_logging(*, console: bool = True) -> None:
    """Everything to the data folder's logs/app.log; to stderr too for the window and browser
    mode. The command line prints what it has to say itself, so library lines stay in the file."""
    log_file = paths.app_log_dir() / "app.log"
    handlers: list[logging.Handler] = [logging.FileHandler(log_file, encoding="utf-8")]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _shutdown(manager: TrainingManager, flows: FlowRunner) -> None:
    """The app is closing: running flows end `cancelled`, a running job stops after its
    current step and saves a checkpoint (instead of being left `interrupted`)."""
    flows.shutdown()
    manager.shutdown()


def run_browser(port: int = 0, open_browser: bool = True) -> int:
    from ollama_trainer.bridge.http import BridgeServer

    manager = wiring.training_manager("browser")
    flows = FlowRunner(manager)
    commands = Commands(transport="browser", manager=manager, flows=flows)
    device_probe.start_background_probe()
    server = BridgeServer(commands, port=port)
    print(f"Ollama Trainer is running at {server.url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` closes as cleanly as Ctrl-C
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        _shutdown(manager, flows)
    return 0


def run_desktop(debug: bool = False) -> int:
    from ollama_trainer.bridge.desktop import FilePicker, NoDisplay, check_display, run_window

    try:
        check_display()
    except NoDisplay as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 2
    manager = wiring.training_manager("window")
    flows = FlowRunner(manager)
    picker = FilePicker()
    commands = Commands(transport="desktop", manager=manager, flows=flows, file_picker=picker)
    device_probe.start_background_probe()
    try:
        run_window(commands, debug=debug, file_picker=picker)
    except NoDisplay as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 1
    finally:
        _shutdown(manager, flows)
    return 0
