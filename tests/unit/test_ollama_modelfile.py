"""The Modelfile and the chat format declared to Ollama."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ollama_trainer.bases.chat_template import read_chat_template
from ollama_trainer.ollama import modelfile as mf

# SmolLM2-135M-Instruct's tokenizer chat template (what training renders with).
SMOLLM2_JINJA = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def test_family_table():
    assert mf.chat_family("smollm2:135m") is mf.SMOLLM2
    assert mf.chat_family("registry.ollama.ai/library/smollm2:360m").name == "smollm2"
    assert mf.chat_family("llama3.2:1b").name == "llama3"  # a known family by its Ollama name
    assert mf.chat_family("mistral:7b") is None
    qwen_like = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    fam = mf.chat_family("anything:1b", qwen_like)
    assert (fam.name, fam.stops, fam.default_system) == ("chatml", ("<|im_end|>", "<|im_start|>"), None)
    assert mf.chat_family("smollm2:135m", SMOLLM2_JINJA).default_system == mf.SMOLLM2_DEFAULT_SYSTEM
    assert mf.chat_family("smollm2:135m", "[INST] {{ m }} [/INST]") is None  # the tokenizer wins


def test_render_smollm2():
    spec = mf.build_spec(source="./model.gguf", base_name="smollm2:135m", system_prompt="Be brief.",
                         chat_template=None)
    text = mf.render(spec, training_id="t1")
    assert "\nFROM ./model.gguf\n" in text
    assert "ADAPTER" not in text.replace("never with ADAPTER", "")
    assert f'TEMPLATE """{mf.CHATML_TEMPLATE}"""' in text
    assert 'PARAMETER stop "<|im_end|>"\nPARAMETER stop "<|im_start|>"\n' in text
    assert "PARAMETER temperature 0.2\n" in text
    assert text.endswith('SYSTEM """Be brief."""\n')
    assert spec.parameters == {"temperature": 0.2, "stop": ["<|im_end|>", "<|im_start|>"]}


def test_an_unknown_family_omits_the_template():
    spec = mf.build_spec(source="./merged", base_name="mistral:7b", system_prompt=None, chat_template=None)
    text = mf.render(spec)
    assert "\nFROM ./merged\n" in text
    assert "\nTEMPLATE " not in text and "PARAMETER stop" not in text and "SYSTEM" not in text
    assert "# Note: unknown chat format for base 'mistral:7b'" in text
    assert spec.parameters == {"temperature": 0.2}


def test_default_system_when_the_profile_has_none():
    spec = mf.build_spec(source="./model.gguf", base_name="smollm2:135m", system_prompt=None, chat_template=None)
    assert spec.system == mf.SMOLLM2_DEFAULT_SYSTEM


def test_text_blocks_cannot_hold_triple_quotes(tmp_path):
    spec = mf.build_spec(source="./model.gguf", base_name="smollm2:135m", system_prompt='say """hi"""',
                         chat_template=None)
    with pytest.raises(ValueError):
        mf.write(tmp_path, spec)
    assert not (tmp_path / "Modelfile").exists()


def test_create_command_quotes_paths():
    assert mf.create_command(Path("/data/runs/a b"), "faq-1") == "cd '/data/runs/a b' && ollama create faq-1 -f Modelfile"


def test_read_chat_template(tmp_path):
    assert read_chat_template(tmp_path) is None
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": "<|im_start|>x"}))
    assert read_chat_template(tmp_path) == "<|im_start|>x"
    (tmp_path / "chat_template.jinja").write_text("J")
    assert read_chat_template(tmp_path) == "J"


# -- the Go template, executed by Go's text/template as Ollama does ----------------------------
@pytest.fixture(scope="module")
def go_render():
    from tests.fakes import gotemplate

    return gotemplate.render


CONVERSATIONS = [
    [{"role": "user", "content": "Who are you?"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "2+2?"}],
    [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hi"}],
]


@pytest.mark.parametrize("profile_system", [None, "Be brief."])
@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_ollama_renders_what_training_rendered(go_render, profile_system, messages):
    """Ollama's prompt for a chat equals the tokenizer's render of the same chat as training saw
    it (the profile's system prompt added when the chat has none; else the tokenizer default)."""
    import jinja2

    spec = mf.build_spec(source="./model.gguf", base_name="smollm2:135m", system_prompt=profile_system,
                         chat_template=SMOLLM2_JINJA)
    ollama_prompt = go_render(spec.template, spec.system, messages)
    trained = list(messages)
    if profile_system and trained[0]["role"] != "system":
        trained = [{"role": "system", "content": profile_system}, *trained]
    expected = jinja2.Template(SMOLLM2_JINJA).render(messages=trained, add_generation_prompt=True)
    assert ollama_prompt == expected
    assert ollama_prompt.count("<|im_start|>system") == 1


def test_the_template_in_the_brief_would_repeat_the_system_prompt(go_render):
    naive = ("{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{- range .Messages }}"
             "<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n")
    assert go_render(naive, "Be brief.", CONVERSATIONS[0]).count("<|im_start|>system") == 2


# -- every chat format: Ollama's Go template renders what training's Jinja template renders -----
FORMAT_CONVERSATIONS = [
    [{"role": "user", "content": "Who are you?"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "2+2?"}],
]


@pytest.mark.parametrize("name", ["chatml", "gemma", "llama3"])
@pytest.mark.parametrize("system", [None, "Be brief."])
@pytest.mark.parametrize("messages", FORMAT_CONVERSATIONS)
def test_each_format_renders_the_same_in_ollama_and_in_training(go_render, name, system, messages):
    import jinja2

    from ollama_trainer import chat_formats

    fmt = chat_formats.FORMATS[name]
    trained = ([{"role": "system", "content": system}] if system else []) + messages
    jinja = jinja2.Template(fmt.jinja).render(messages=trained, add_generation_prompt=True, bos_token=fmt.bos)
    ollama = go_render(fmt.go, system, messages)
    assert jinja == fmt.bos + ollama  # the engine adds the BOS token that the Jinja side writes as text


def test_formats_are_found_from_templates_and_architectures():
    from ollama_trainer import chat_formats as cf

    assert cf.choose(ollama_template=cf.GEMMA_GO, chat_template=None, architecture="gemma3") is cf.GEMMA
    assert cf.choose(ollama_template=None, chat_template=None, architecture="gemma3") is cf.GEMMA  # no template
    assert cf.choose(ollama_template=None, chat_template=SMOLLM2_JINJA, architecture="llama") is cf.SMOLLM2
    assert cf.choose(ollama_template=cf.CHATML_GO, chat_template=SMOLLM2_JINJA, architecture="llama") is cf.SMOLLM2
    assert cf.choose(ollama_template=None, chat_template="[INST] {{ x }}", architecture="llama") is None
    assert cf.training_jinja(cf.SMOLLM2) is None and cf.training_jinja(cf.GEMMA) == cf.GEMMA_JINJA
