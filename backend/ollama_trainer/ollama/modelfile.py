"""The Modelfile written next to every exported model, and the chat format it declares.

`runs/<id>/Modelfile` lets a person rebuild the model by hand on any current Ollama:

    cd <run_dir> && ollama create <name> -f Modelfile

It says `FROM ./model.gguf` (the trained model as one file: the base with the LoRA merged in)
or `FROM ./merged` (a merged safetensors folder, which Ollama converts), never `ADAPTER`:
Ollama 0.34.1 and later refuse to create models with LoRA adapters.

Chat format by base family (a small table): ChatML for SmolLM2 and for any base whose
tokenizer chat template uses `<|im_start|>`. An unknown family gets no TEMPLATE: Ollama then
takes the template it detects from the GGUF's own chat template, and the notes say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ollama_trainer import chat_formats
from ollama_trainer.training.run_folder import MODELFILE

DEFAULT_TEMPERATURE = 0.2

CHATML_TEMPLATE = chat_formats.CHATML_GO
CHATML_STOPS = chat_formats.CHATML.stops
SMOLLM2_DEFAULT_SYSTEM = chat_formats.SMOLLM2_DEFAULT_SYSTEM
ChatFamily = chat_formats.ChatFormat
CHATML, SMOLLM2 = chat_formats.CHATML, chat_formats.SMOLLM2

# (prefix of the Ollama base name, format), for a base known only by its Ollama name.
FAMILIES_BY_OLLAMA_BASE: tuple[tuple[str, ChatFamily], ...] = (
    ("smollm2", SMOLLM2), ("gemma3", chat_formats.GEMMA), ("qwen", CHATML), ("llama3", chat_formats.LLAMA3),
)


def chat_family(ollama_base: str, chat_template: str | None = None) -> ChatFamily | None:
    """The chat format for a base: from the tokenizer's chat template when known (it is what the
    model was trained with), else from the Ollama base name; None when unknown."""
    if chat_template:
        return chat_formats.from_template(chat_template)
    short = ollama_base.rsplit("/", 1)[-1].lower()
    for prefix, family in FAMILIES_BY_OLLAMA_BASE:
        if short.startswith(prefix):
            return family
    return None


@dataclass
class ModelfileSpec:
    source: str  # what FROM names, relative to the run folder: ./model.gguf or ./merged
    template: str | None
    stops: tuple[str, ...]
    temperature: float
    system: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> dict:
        """The `parameters` object of /api/create."""
        params: dict = {"temperature": self.temperature}
        if self.stops:
            params["stop"] = list(self.stops)
        return params


def build_spec(*, source: str, system_prompt: str | None, chat_template: str | None, base_name: str = "",
               chat_format: str | None = None, temperature: float = DEFAULT_TEMPERATURE,
               system_note: str = "") -> ModelfileSpec:
    """`chat_format` is the format the run trained in (job.json); without it, the format of
    `chat_template` (the tokenizer's), else `base_name` as a hint (an Ollama name).
    `system_prompt` is the one the run presents its model with (JobSpec.presented_system) and
    `system_note` says where it comes from."""
    family = chat_formats.FORMATS.get(chat_format or "") or chat_family(base_name, chat_template)
    notes: list[str] = [f"SYSTEM is {system_note}"] if system_note else []
    if family is None:
        notes.append(f"unknown chat format for base '{base_name or 'this model'}': no TEMPLATE written, Ollama "
                     "uses the template it detects in the model file")
        return ModelfileSpec(source, None, (), temperature, system_prompt or None, notes)
    system = system_prompt or family.default_system
    if not system_prompt and family.default_system and not system_note:
        notes.append("no system prompt in the profile: SYSTEM is the tokenizer's default, which the "
                     "model was trained with")
    return ModelfileSpec(source, family.go, family.stops, temperature, system, notes)


def _triple_quoted(text: str) -> str:
    if '"""' in text:
        raise ValueError('a Modelfile text block cannot contain """')
    return f'"""{text}"""'


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(spec: ModelfileSpec, *, training_id: str | None = None) -> str:
    lines = [f"# Modelfile written by Ollama Trainer{f' for run {training_id}' if training_id else ''}.",
             "# Build the model from this folder:  ollama create <name> -f Modelfile",
             "# FROM is the trained model as a whole (the base with the LoRA merged in): current Ollama",
             "# (0.34.1 and later) creates models only from whole model files, never with ADAPTER."]
    lines += [f"# Note: {note}" for note in spec.notes]
    lines.append(f"FROM {spec.source}")
    if spec.template is not None:
        lines.append(f"TEMPLATE {_triple_quoted(spec.template)}")
    for stop in spec.stops:
        lines.append(f"PARAMETER stop {_quoted(stop)}")
    lines.append(f"PARAMETER temperature {spec.temperature:g}")
    if spec.system:
        lines.append(f"SYSTEM {_triple_quoted(spec.system)}")
    return "\n".join(lines) + "\n"


def write(run_dir: Path, spec: ModelfileSpec, *, training_id: str | None = None) -> Path:
    """Write runs/<id>/Modelfile atomically; returns its path."""
    from ollama_trainer import atomic

    return atomic.write_text(Path(run_dir) / MODELFILE, render(spec, training_id=training_id))


def create_command(run_dir: Path, model_name: str) -> str:
    import shlex

    return f"cd {shlex.quote(str(run_dir))} && ollama create {shlex.quote(model_name)} -f Modelfile"
