"""The long reliability soak: the load tests of tests/reliability/test_load.py at full length
(50 clients polling for a minute while a run trains; 100 start/cancel rounds), then the
figures they measured. Run: .venv/bin/python bench/soak.py [--seconds 60] [--rounds 100]"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the 50 clients poll")
    parser.add_argument("--rounds", type=int, default=100, help="start/cancel rounds")
    args = parser.parse_args()
    report = Path(tempfile.mkdtemp(prefix="ot-soak-")) / "report.jsonl"
    env = {**os.environ, "OT_SOAK_SECONDS": str(args.seconds), "OT_SOAK_ROUNDS": str(args.rounds),
           "OT_SOAK_REPORT": str(report)}
    env.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/reliability/test_load.py"], cwd=REPO, env=env)
    print()
    for line in report.read_text().splitlines() if report.exists() else []:
        figures = json.loads(line)
        name = figures.pop("test")
        print(f"{name:13s} " + "  ".join(f"{k}={v}" for k, v in figures.items()))
    print("soak:", "passed" if code == 0 else f"FAILED (pytest exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
