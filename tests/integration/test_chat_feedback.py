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
    assert f"3 answer(s) marked: dataset feedback-{TID}" in out and f"ollama-trainer train --from-run {TID}" in out

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

    # Train on feedback: the run's own model and settings, its feedback dataset by default
    trained_again = cli(trained, "train", "--from-run", TID, "--epochs", "1")
    assert trained_again.returncode == 0, trained_again.stdout[-2000:] + trained_again.stderr[-2000:]
    said = trained_again.stdout + trained_again.stderr
    assert f"dataset feedback-{TID}, 1 epochs, from the trained model of {TID}" in said, said[-2000:]
    assert "Done:" in said, said[-2000:]  # the pair and the conversations trained


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


def test_train_on_feedback_trains_the_runs_model_further(trained, monkeypatch):
    """Train on feedback: a new run from the run's trained model (not the base) on its feedback
    dataset, linked both ways; marks are listed with where they came from and deleted one by one;
    a run that would train another base or another LoRA shape is refused before it starts."""
    from ollama_trainer.bridge.commands import Commands
    from ollama_trainer.bridge.registry import CommandFailed, dispatch
    from ollama_trainer.training import details, feedback
    from ollama_trainer.training.run_folder import RunFolder
    from tests.waiting import wait_until

    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(trained))
    commands = Commands()
    dispatch(commands, "add_feedback", {"training_id": TID, "kind": "pair", "prompt": "What colour is ink?",
                                        "history": [{"role": "user", "content": "Hi"},
                                                    {"role": "assistant", "content": "Hello."}],
                                        "answer": "Ink is black.", "rejected": "Ink is a liquid used to write."})
    listed = dispatch(commands, "list_feedback", {"training_id": TID})
    last = listed["marks"][-1]
    assert (last["kind"], last["prompt"], last["turns"], last["answer"], last["rejected"]) == (
        "pair", "What colour is ink?", 2, "Ink is black.", "Ink is a liquid used to write.")
    assert listed["dataset_id"] == f"feedback-{TID}" and last["time"]

    started = dispatch(commands, "train_on_feedback", {"training_id": TID})
    new = started["training_id"]
    job = RunFolder.of(new).read_job()
    assert job.from_run == TID and job.start_adapter == str(trained / "runs" / TID / "adapter")
    assert job.dataset.id == f"feedback-{TID}" and job.epochs >= 4  # at least the run's own epochs
    final = commands._manager.wait(new, 300)
    assert final.status == "done", final
    assert final.from_run == TID
    events = [json.loads(x) for x in (trained / "runs" / new / "events.jsonl").read_text().splitlines()]
    assert any(e.get("message") == f"starting from the trained model of run {TID}" for e in events)
    assert wait_until(lambda: new in details.trained_further_by(TID), what="the link back")
    shown = dispatch(commands, "get_training_run", {"training_id": TID})
    assert shown["trained_further_by"][0] == new
    assert dispatch(commands, "get_training_run", {"training_id": new})["request"]["from_run"] == TID

    # Marks go one by one: the file keeps the others, the format follows what is left
    count = len(feedback.read(TID))
    pair_at = [m["index"] for m in listed["marks"] if m["kind"] == "pair"]
    for index in sorted(pair_at, reverse=True):
        dispatch(commands, "delete_feedback", {"training_id": TID, "index": index})
    assert len(feedback.read(TID)) == count - len(pair_at)
    from ollama_trainer import catalog

    assert catalog.get_dataset_entry(f"feedback-{TID}").format == "chat"
    with pytest.raises(CommandFailed) as gone:
        dispatch(commands, "delete_feedback", {"training_id": TID, "index": 999})
    assert gone.value.code == "not_found"

    # Another LoRA shape, and a run that never finished: refused, nothing started
    other = dict(json.loads((trained / "profiles.json").read_text())["profiles"][0], id="wide", lora={
        "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj"]})
    (trained / "profiles.json").write_text(json.dumps({"profiles": [other]}))
    with pytest.raises(CommandFailed) as shape:
        dispatch(commands, "start_training_job", {"profile_id": "wide", "dataset_id": f"feedback-{TID}",
                                                  "from_run": TID})
    assert shape.value.code == "invalid_argument" and "rank 8" in shape.value.message and "rank 4" in shape.value.message
    (trained / "runs" / "20261207-000000-nofin0").mkdir()
    (trained / "runs" / "20261207-000000-nofin0" / "job.json").write_text(
        (trained / "runs" / TID / "job.json").read_text().replace(TID, "20261207-000000-nofin0"))
    with pytest.raises(CommandFailed) as unfinished:
        dispatch(commands, "train_on_feedback", {"training_id": "20261207-000000-nofin0"})
    assert unfinished.value.code in ("unknown_dataset", "invalid_argument")
    commands._manager.close() if hasattr(commands._manager, "close") else None


def test_a_run_started_from_a_trained_model_starts_with_its_weights(trained, tiny_model, models_cache, tmp_path):
    """The worker puts the run's trained LoRA into the fresh one before the first step: at a
    learning rate too small to move anything, the new adapter is the old one (a fresh LoRA's B
    matrices are zeros)."""
    from safetensors.torch import load_file

    old = trained / "runs" / TID / "adapter"
    data = write_chat_dataset(tmp_path / "more.jsonl", rows=[("What colour is ink?", "Ink is black.")] * 3)
    run_dir = write_job(trained / "runs" / "20261207-000000-from01", profile(tiny_model, learning_rate=1e-9), data,
                        models_cache, epochs=1, training_id="20261207-000000-from01", from_run=TID,
                        start_adapter=str(old))
    rc, events, err = run_worker(run_dir, trained)
    assert rc == 0, err[-2000:]
    before, after = load_file(str(old / "adapter_model.safetensors")), load_file(
        str(run_dir / "adapter" / "adapter_model.safetensors"))
    assert before.keys() == after.keys()
    b_keys = [k for k in before if "lora_B" in k]
    assert b_keys and any(float(before[k].abs().max()) > 1e-3 for k in b_keys)  # it had learned something
    assert max(float((before[k] - after[k]).abs().max()) for k in before) < 1e-5
