"""A data folder on a read-only file system: commands that only read still work, one that writes
ends with one sentence naming the folder and what to do, never a traceback. The folder is made
read-only by a bind mount in a private mount namespace (`unshare`), so nothing else sees it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.integration.conftest import REPO


def _in_readonly(home, *args: str) -> subprocess.CompletedProcess:
    script = (f'mount --bind "{home}" "{home}" && mount -o remount,bind,ro "{home}" && '
              f'exec "{sys.executable}" -m ollama_trainer "$@"')
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env={"OLLAMA_TRAINER_HOME": str(home), "PATH": "/usr/bin:/bin",
                                                     "PYTHONPATH": str(REPO / "backend")})


@pytest.fixture
def readonly_home(data_home):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("this machine cannot make a private mount namespace (unshare -rm)")
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": []}))
    return data_home


def test_reading_commands_work_and_a_writing_one_says_which_folder(readonly_home, tmp_path):
    for args in (["history"], ["profiles"], ["datasets"], ["history", "--json"]):
        done = _in_readonly(readonly_home, *args)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, done.stderr
    data = tmp_path / "d.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n')
    added = _in_readonly(readonly_home, "train", "--profile", "quick-demo", "--dataset", str(data))
    assert added.returncode == 1 and "Traceback" not in added.stderr, added.stderr[-2000:]
    assert f"the data folder {readonly_home} cannot be written" in added.stderr
    assert "read-only" in added.stderr
