"""Run inside a virtual screen by test_desktop_smoke: open the real window, wait for the UI,
call a command through js_api from the page, take a screenshot, close. Prints one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.desktop import run_window

out_dir = Path(sys.argv[1])
train = "--train" in sys.argv
report: dict = {}


# test_desktop_smoke runs this file as a program (`python tests/desktop/window_probe.py`), so
# the repository root is not on sys.path and tests/waiting.py cannot be imported: wait_for is
# its small local counterpart. It returns the last value at the timeout instead of raising,
# because the report carries what was seen and the test asserts on it. The timeouts stay
# inside the 300 s that test_desktop_smoke gives the whole probe.
UI_WAIT_S = 60.0
TRAINING_WAIT_S = 180.0


def wait_for(read, *, timeout: float = UI_WAIT_S, interval: float = 0.25):
    """Call `read` until it returns something truthy; that value, or the last one at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def poll(window, expression: str, timeout: float = UI_WAIT_S):
    return wait_for(lambda: window.evaluate_js(expression), timeout=timeout)


def painted(window):
    """Until the page has drawn a frame after its last change (two animation frames on)."""
    window.run_js("window.__painted = false;"
                  " requestAnimationFrame(() => requestAnimationFrame(() => { window.__painted = true; }));")
    return poll(window, "window.__painted")


def drive(window) -> None:
    try:
        report["title"] = window.title
        report["heading"] = poll(window, "document.querySelector('h1') && document.querySelector('h1').textContent")
        report["profiles_shown"] = poll(
            window, "document.body.innerText.includes('Quick demo (CPU)') ? 'yes' : ''")
        window.run_js(
            "window.__probe = null; window.pywebview.api.list_training_profiles({})"
            ".then(r => { window.__probe = JSON.stringify(r); })"
            ".catch(e => { window.__probe = JSON.stringify({error: String(e)}); });")
        report["js_api"] = json.loads(poll(window, "window.__probe") or "null")
        if train:
            click = ("(() => { const r = [...document.querySelectorAll('input[type=radio]')]"
                     ".find(e => e.labels && [...e.labels].some(l => l.textContent.includes(%s)));"
                     " if (!r) return ''; r.click(); return 'ok'; })()")
            report["picked"] = [poll(window, click % json.dumps("Tiny test model")),
                                poll(window, click % json.dumps("Colours"))]
            report["start"] = poll(window, "(() => { const b = [...document.querySelectorAll('button')]"
                                           ".find(e => e.textContent.trim() === 'Start Training');"
                                           " if (!b || b.disabled) return ''; b.click(); return 'clicked'; })()")
            states = []

            def ended() -> bool:  # every state the status pill shows, until a final one
                state = window.evaluate_js(
                    "(() => { const p = document.querySelector('[role=status][data-state]');"
                    " return p ? p.dataset.state : ''; })()")
                if state and (not states or states[-1] != state):
                    states.append(state)
                return state in ("done", "error", "cancelled")

            wait_for(ended, timeout=TRAINING_WAIT_S, interval=0.2)
            report["states"] = states
        painted(window)  # the screenshot shows the page as it is now
        shot = out_dir / ("desktop-window-trained.png" if train else "desktop-window.png")
        subprocess.run(["import", "-window", "root", str(shot)], check=True, timeout=30)
        report["screenshot"] = str(shot)
    except Exception as exc:  # reported to the test, which fails with it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        window.destroy()


run_window(Commands(transport="desktop"), on_shown=drive)
print(json.dumps(report))
