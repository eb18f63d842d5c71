"""Start the app: the desktop window (default) or browser mode."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import webbrowser

from ollama_trainer import paths, wiring
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.training import device_probe
from ollama_trainer.training.manager import TrainingManager


def setup_logging(*, console: bool = True) -> str | None:
    """Everything to the data folder's logs/app.log; to stderr too for the window and browser
    mode. The command line prints what it has to say itself, so library lines stay in the file.
    Returns why the log file cannot be kept (a read-only or full data folder), or None."""
    log_file = paths.app_log_dir() / "app.log"
    handlers: list[logging.Handler] = []
    problem = None
    try:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    except OSError as exc:
        problem = unwritable_message(exc)
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers or [logging.NullHandler()])
    for noisy in ("httpx", "httpcore"):  # a line per Ollama check: the app says what matters itself
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return problem


def unwritable_message(exc: OSError) -> str:
    """One sentence for a data folder that cannot be written, naming it."""
    import errno

    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EROFS: "it is on a read-only file system"}.get(exc.errno, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename else ""
    return (f"the data folder {paths.data_dir()} cannot be written: {why}{where}; commands that only read "
            "still work. Free some space or make it writable, or set OLLAMA_TRAINER_HOME to another folder")


class _Terminated(KeyboardInterrupt):
    """`kill` (SIGTERM): close as cleanly as Ctrl-C, without asking anything."""


def _raise_terminated(signum, frame) -> None:
    raise _Terminated


KEEP_ANSWER_S = 30


def closing_words(manager, *, ask: bool) -> bool:
    """Browser mode is stopping: say on the terminal what happens to a job of this app, and in
    a terminal offer to keep it running, as the window does. Returns whether it keeps running."""
    statuses = [manager.status(tid) for tid in manager.active_ids(own=True)]
    queued = [s for s in statuses if s.status == "queued"]
    running = [s for s in statuses if s.status != "queued"]
    if queued:
        print(f"{len(queued)} run(s) waiting in line leave it.", flush=True)
    if not running:
        return False
    s = running[0]
    where = f"step {s.step} of {s.total_steps}" if s.total_steps else s.status
    print(f"A training is running: {s.training_id} ({s.profile_id} on {s.dataset_id}, {where}).", flush=True)
    keep = False
    if ask and sys.stdin is not None and sys.stdin.isatty():
        print(f"Keep it running without the app? k = keep it running, s or Enter = stop it "
              f"(stops in {KEEP_ANSWER_S} s): ", end="", flush=True)
        try:
            import select

            ready, _, _ = select.select([sys.stdin], [], [], KEEP_ANSWER_S)
            keep = bool(ready) and sys.stdin.readline().strip().lower().startswith("k")
        except (KeyboardInterrupt, OSError, ValueError):
            keep = False
        print(flush=True)
    if keep:
        print("It keeps running without the app; the next `ollama-trainer --browser` follows it "
              "(`ollama-trainer history` lists it).", flush=True)
    else:
        print(f"Stopping it after its current step; its checkpoint is kept. Continue it from History or "
              f"with: ollama-trainer train --resume {s.training_id}", flush=True)
    return keep


def run_browser(port: int = 0, open_browser: bool = True) -> int:
    from ollama_trainer.bridge.http import BridgeServer

    parts = wiring.build("browser")
    commands = Commands(transport="browser", parts=parts)
    device_probe.start_background_probe()
    server = BridgeServer(commands, port=port)
    signal.signal(signal.SIGTERM, _raise_terminated)  # `kill` closes as cleanly as Ctrl-C, from the first moment
    keep = False
    try:
        print(f"Ollama Trainer is running at {server.url}  (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt as stop:
        print(flush=True)
        keep = closing_words(parts.manager, ask=not isinstance(stop, _Terminated))
    finally:
        server.server_close()
        parts.close(keep_running=keep)
    return 0


def run_desktop(debug: bool = False) -> int:
    from ollama_trainer.bridge.desktop import FilePicker, NoDisplay, check_display, run_window

    try:
        check_display()
    except NoDisplay as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 2
    parts = wiring.build("window")
    picker = FilePicker()
    guard = CloseGuard(parts.manager)
    commands = Commands(transport="desktop", parts=parts, file_picker=picker, on_close=guard.decide)
    device_probe.start_background_probe()
    try:
        run_window(commands, debug=debug, file_picker=picker, close_guard=guard)
    except NoDisplay as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"ollama-trainer: {exc}", file=sys.stderr)
        return 1
    finally:
        parts.close(keep_running=bool(guard.keep_running))
    return 0


class CloseGuard:
    """Closing the window while a job runs asks first, in the page: keep the job running in the
    background, or stop it and keep a checkpoint. The page answers with `close_app`."""

    def __init__(self, manager: TrainingManager):
        self.manager = manager
        self.window = None
        self.keep_running: bool | None = None  # None until the user answered

    def on_closing(self):  # the GUI thread: never wait on the page here
        if self.keep_running is not None or not self.manager.active_ids(own=True):
            return None
        window = self.window
        threading.Thread(target=lambda: window.evaluate_js(
            "window.dispatchEvent(new CustomEvent('ot-close-requested'))"), daemon=True).start()
        return False  # not now: the page asks

    def decide(self, keep_running: bool) -> None:  # a bridge thread
        self.keep_running = keep_running
        if self.window is not None:
            self.window.destroy()
