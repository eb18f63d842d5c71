"""Teaching by talking, in the terminal: `chat --run ID` talks with a run's trained model (the
tiny one, through the warm worker, the talk so far sent with each turn), and /good, /correct and
/another (choose 1 or 2) keep answers in the run's feedback dataset `feedback-<run>`, which is
then a valid preference dataset (conversations and a pair), shown with where each came from,
and trains."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.conftest import PYTHON, REPO, profile, run_worker, worker_env, write_chat_dataset, write_job

TID = "20261207-000000-chat01"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_model, models_cache):
    root = tmp_path_factory.mktemp("chat")
    home = root / "home"
    data = write_chat_dataset(root / "colours.jsonl")
    run_dir = write_job(home / "runs" / TID, profile(tiny_model), data, models_cache, epochs=4, training_id=TID)
    rc, _, err = run_worker(run_dir, home)
    assert rc == 0, err[-2000:]
    (home / "profiles.json").write_text(json.dumps({"profiles": [profile(tiny_model, id="tiny", default_epochs=1,
                                                                         replay="off", probe=False)]}))
    return home


def cli(home, *args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "ollama_trainer", *args], input=stdin, capture_output=True, text=True,
                          env=worker_env(home), cwd=REPO, timeout=600)


def test_chat_marks_answers_into_the_runs_feedback_dataset(trained):
    talk = "\n".join([
        "/good",  # nothing to mark yet
        "What colour is the sky?", "/good",
        "And grass?", "/correct Grass is green.",
        "What colour is snow?", "/another", "2",
        "/quit", "never read",
    ]) + "\n"
    done = cli(trained, "chat", "--run", TID, "--max-new-tokens", "12", "--seed", "7", stdin=talk)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "(nothing to mark yet: ask something first)" in out
    assert out.count("model: ") == 3
    assert "(kept as good in dataset feedback-" in out and "(kept as corrected in dataset" in out
    assert "(kept as pair in dataset" in out and "1: " in out and "2: " in out
    assert f"3 answer(s) marked: dataset feedback-{TID}" in out

    lines = [json.loads(x) for x in (trained / "datasets" / f"feedback-{TID}.jsonl").read_text().splitlines()]
    assert [x["feedback"]["kind"] for x in lines] == ["good", "corrected", "pair"]
    assert all(x["feedback"]["run"] == TID and x["feedback"]["time"].endswith("+00:00") for x in lines)
    good, corrected, pair = lines
    assert [m["role"] for m in good["messages"]] == ["user", "assistant"]
    # the talk so far goes with each turn: the correction answers the second question after the first
    assert [m["content"] for m in corrected["messages"][:-1]] == [
        "What colour is the sky?", good["messages"][1]["content"], "And grass?"]
    assert corrected["messages"][-1]["content"] == "Grass is green." and corrected["feedback"]["original"]
    assert pair["prompt"][-1] == {"role": "user", "content": "What colour is snow?"}
    assert pair["prompt"][-2] == {"role": "assistant", "content": "Grass is green."}  # the talk went on from it
    assert pair["chosen"] != pair["rejected"]

    listed = cli(trained, "datasets")
    assert f"feedback-{TID}" in listed.stdout and "[preference, 3 examples" in listed.stdout, listed.stdout
    checked = cli(trained, "dataset", "check", f"feedback-{TID}")
    assert checked.returncode == 0 and "valid: 3 examples, format preference" in checked.stdout, checked.stdout
    shown = cli(trained, "dataset", "show", f"feedback-{TID}")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert f"[corrected, {corrected['feedback']['time']}, run {TID}]" in shown.stdout
    assert f"(the model had said: {corrected['feedback']['original']})" in shown.stdout
    assert f"chosen: {pair['chosen']}" in shown.stdout and "answer: Grass is green." in shown.stdout

    trained_again = cli(trained, "train", "--profile", "tiny", "--dataset", f"feedback-{TID}")
    assert trained_again.returncode == 0, trained_again.stdout[-2000:] + trained_again.stderr[-2000:]
    said = trained_again.stdout + trained_again.stderr
    assert "dataset feedback-" in said and "Done:" in said, said[-2000:]  # the pair and the conversations trained


def test_chat_refuses_an_unknown_run(trained):
    done = cli(trained, "chat", "--run", "20261207-000000-nope00", stdin="hi\n")
    assert done.returncode != 0 and "no training run '20261207-000000-nope00'" in done.stderr


def test_try_it_keeps_an_answer_through_the_bridge(trained, monkeypatch):
    """The window's Try it marks (add_feedback): the same dataset, one more answer each time; a bad
    mark (an unknown run) is refused and keeps nothing."""
    from ollama_trainer import catalog
    from ollama_trainer.bridge.commands import Commands
    from ollama_trainer.bridge.registry import CommandFailed, dispatch

    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(trained))
    before = len((trained / "datasets" / f"feedback-{TID}.jsonl").read_text().splitlines())
    commands = Commands()
    saved = dispatch(commands, "add_feedback", {"training_id": TID, "kind": "corrected", "prompt": "Who are you?",
                                                "answer": "I am Lumen.", "original": "I am blue."})
    assert saved == {"dataset_id": f"feedback-{TID}", "marks": before + 1}
    last = json.loads((trained / "datasets" / f"feedback-{TID}.jsonl").read_text().splitlines()[-1])
    assert last["messages"] == [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Lumen."}]
    assert last["feedback"]["original"] == "I am blue."
    assert catalog.get_dataset_entry(f"feedback-{TID}").format == "preference"  # it held a pair already
    with pytest.raises(CommandFailed) as refused:
        dispatch(commands, "add_feedback", {"training_id": "20261207-000000-nope00", "kind": "good", "prompt": "Hi",
                                            "answer": "Hello."})
    assert (refused.value.status, refused.value.code) == (404, "unknown_training")
    assert len((trained / "datasets" / f"feedback-{TID}.jsonl").read_text().splitlines()) == before + 1
