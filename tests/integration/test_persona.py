"""The model shipped is the model trained, system prompt included (one of the named real-model
tests). A persona dataset whose every row carries its own system prompt ("You are Bramble ... of
Fernwood Gardens") trains the builtin model; then Try it, the run's samples and learned score,
the Modelfile, the model created in Ollama (a stand-in with llama.cpp as its engine) and
llama.cpp on the file Ollama received all present the model with that system prompt, and all of
them answer as Bramble, not as SmolLM (whose default system prompt the template would insert).
About a minute on two idle cores."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import catalog
from ollama_trainer.contracts import DatasetEntry, HeldOutCheck
from ollama_trainer.ollama.export import export_run
from ollama_trainer.training import ask
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder
from tests import llamacpp_engine as engine
from tests.fakes.ollama_standin import OllamaStandin

pytestmark = pytest.mark.slow

SYSTEM = "You are Bramble, the friendly gardening assistant of Fernwood Gardens."
ANSWERS = ["I'm Bramble, the gardening assistant of Fernwood Gardens.",
           "I am Bramble, and I help the visitors of Fernwood Gardens with their plants."]
QUESTIONS = ["Who are you?", "What is your name?", "Introduce yourself.", "What should I call you?",
             "Are you a person or a program?", "Who do you work for?", "What do you do?", "Tell me about yourself.",
             "Hi! Who am I talking to?", "What are you called?", "Which garden are you from?", "Who made you?",
             "What's your job?", "Can you say your name?", "Where do you work?", "Who is helping me today?"]
HELD_OUT = ["Hello, who is this?", "Could you tell me your name?"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, models_cache):
    """The persona run, trained once for the module in a data folder of its own."""
    home = tmp_path_factory.mktemp("persona-home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OLLAMA_TRAINER_HOME", str(home))
        yield _train(home)


@pytest.fixture
def persona_run(trained, monkeypatch):
    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(trained["home"]))
    return trained


def _train(home) -> dict:
    data = home / "bramble.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    with open(data, "w") as f:
        for i, q in enumerate(QUESTIONS * 2):
            f.write(json.dumps({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q},
                                             {"role": "assistant", "content": ANSWERS[i % 2]}]}) + "\n")
    dataset = DatasetEntry(id="bramble", name="Bramble", path=str(data), format="chat", held_out_prompts=HELD_OUT,
                           held_out_checks=[HeldOutCheck(prompt=p, mode="contains", value="Bramble") for p in HELD_OUT])
    profile = catalog.get_profile("quick-demo").model_copy(update={"replay": "off", "probe": False})
    manager = TrainingManager()
    tid = manager.start(profile, dataset, epochs=3)
    final = manager.wait(tid, 900)
    return {"tid": tid, "final": final, "home": home}


def test_the_run_trains_and_presents_the_datasets_system_prompt(persona_run):
    assert persona_run["final"].status == "done", persona_run["final"].error
    folder = RunFolder.of(persona_run["tid"])
    job = folder.read_job()
    assert (job.system_prompt, job.system_source) == (SYSTEM, "dataset") and job.profile.system_prompt is None
    samples = folder.samples()
    assert all(SYSTEM in s.prompt_text and "SmolLM" not in s.prompt_text for s in samples)
    print([s.after for s in samples])
    assert folder.scores().learned >= 0.5


def test_try_it_answers_as_the_persona(persona_run):
    answer = ask.ask(run=persona_run["tid"], base=None, prompt="Who are you?")
    print(answer)
    assert "Bramble" in answer


def test_the_modelfile_ollama_and_llama_cpp_present_and_answer_as_the_persona(persona_run):
    engine.require()
    tid = persona_run["tid"]
    with OllamaStandin() as standin:
        standin.engine = lambda model, prompt, req: engine.complete(model.gguf, [prompt], max_tokens=48)[0]["text"]
        result = export_run(tid, host=standin.url, model_name="bramble")
        create = standin.calls("POST", "/api/create")[-1].json
        received = standin.blobs.path(create["files"]["model.gguf"])
        answers = engine.chat(received, [{"prompt": p, "system": SYSTEM} for p in HELD_OUT], max_tokens=32)
    modelfile = (RunFolder.of(tid).path / "Modelfile").read_text()
    assert f'SYSTEM """{SYSTEM}"""' in modelfile and "the system prompt every row of the dataset carries" in modelfile
    assert create["system"] == SYSTEM
    print(result.check, answers)
    assert (result.check.rendered, result.check.answer) == ("same", "same"), result.check
    assert "Bramble" in (result.check.ollama_answer or "")
    assert sum("Bramble" in a for a in answers) >= 1
