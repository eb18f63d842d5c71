"""The chat formats the app trains in and hands to Ollama, each as a pair that renders the same
prompt: the Jinja template training renders with (Hugging Face's apply_chat_template) and the
Go template Ollama renders with (TEMPLATE in a Modelfile). Tests execute both (Go's
text/template with Ollama's collation) and compare.

- chatml: SmolLM2, Qwen2/Qwen3. SmolLM2's own tokenizer template (with its default system
  prompt) is ChatML and is trained with as it is.
- gemma: Gemma 3. System messages become a user turn, as Ollama's gemma3 template does; the
  Jinja side writes the BOS token that llama.cpp adds by itself.
- llama3: Llama 3.x, without tools.

Which one a base gets: the format its Ollama template is written in (a model from the local
Ollama store), else its own chat template's, else its architecture's default (a base model
without a chat template, like Gemma 3 270M, gets `gemma`). An unknown template is trained with
as it is, and the export then leaves TEMPLATE to Ollama.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatFormat:
    name: str
    go: str  # Ollama's TEMPLATE
    jinja: str | None  # what training renders with; None: the tokenizer's own (it is this format)
    stops: tuple[str, ...]
    default_system: str | None = None  # what the template inserts when a chat has no system message
    bos: str = ""  # text the Jinja side starts with that Ollama's engine adds as a token instead


# Ollama collates every system message into .System and also keeps them in .Messages, so the
# loop skips role "system" (else the system prompt would appear twice). The generation prompt
# ends with a newline, exactly like the tokenizer's add_generation_prompt.
CHATML_GO = (
    "{{- if .System }}<|im_start|>system\n"
    "{{ .System }}<|im_end|>\n"
    "{{ end }}"
    "{{- range .Messages }}{{- if ne .Role \"system\" }}<|im_start|>{{ .Role }}\n"
    "{{ .Content }}<|im_end|>\n"
    "{{ end }}{{- end }}"
    "<|im_start|>assistant\n"
)
CHATML_JINJA = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

GEMMA_GO = (
    "{{- range $i, $_ := .Messages }}\n"
    "{{- $last := eq (len (slice $.Messages $i)) 1 }}\n"
    "{{- if or (eq .Role \"user\") (eq .Role \"system\") }}<start_of_turn>user\n"
    "{{ .Content }}<end_of_turn>\n"
    "{{ if $last }}<start_of_turn>model\n"
    "{{ end }}\n"
    "{{- else if eq .Role \"assistant\" }}<start_of_turn>model\n"
    "{{ .Content }}{{ if not $last }}<end_of_turn>\n"
    "{{ end }}\n"
    "{{- end }}\n"
    "{{- end }}"
)
GEMMA_JINJA = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] in ('user', 'system') %}{{ '<start_of_turn>user\n' + message['content'] + '<end_of_turn>\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ '<start_of_turn>model\n' + message['content'] + '<end_of_turn>\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)

LLAMA3_GO = (
    "{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
    "{{- range .Messages }}{{- if ne .Role \"system\" }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}{{- end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)
LLAMA3_JINJA = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

CHATML = ChatFormat("chatml", CHATML_GO, CHATML_JINJA, ("<|im_end|>", "<|im_start|>"))
SMOLLM2 = ChatFormat("smollm2", CHATML_GO, None, ("<|im_end|>", "<|im_start|>"), SMOLLM2_DEFAULT_SYSTEM)
GEMMA = ChatFormat("gemma", GEMMA_GO, GEMMA_JINJA, ("<end_of_turn>",), bos="<bos>")
LLAMA3 = ChatFormat("llama3", LLAMA3_GO, LLAMA3_JINJA, ("<|eot_id|>", "<|start_header_id|>"), bos="<|begin_of_text|>")
FORMATS = {f.name: f for f in (CHATML, SMOLLM2, GEMMA, LLAMA3)}
ARCHITECTURE_DEFAULTS = {"gemma3": GEMMA, "qwen2": CHATML, "qwen3": CHATML, "llama": CHATML}
END_OF_TURN_TOKENS = ("<|im_end|>", "<end_of_turn>", "<|eot_id|>")
START_OF_TURN_TOKENS = ("<|im_start|>", "<start_of_turn>", "<|start_header_id|>", "<|end_header_id|>")


def from_template(text: str | None) -> ChatFormat | None:
    """The format a chat template (Jinja or Go) is written in; None when unknown."""
    if not text:
        return None
    if "<|im_start|>" in text:
        if SMOLLM2_DEFAULT_SYSTEM in text:
            return SMOLLM2
        return CHATML
    if "<start_of_turn>" in text:
        return GEMMA
    if "<|start_header_id|>" in text:
        return LLAMA3
    return None


def choose(*, ollama_template: str | None, chat_template: str | None, architecture: str | None) -> ChatFormat | None:
    """What a base trains in: its Ollama template's format, its own template's, or its
    architecture's default when it has no template; None: an unknown template, used as it is."""
    known = from_template(ollama_template)
    if known is not None:
        own = from_template(chat_template)
        return own if own is not None and own.go == known.go else known
    if chat_template:
        return from_template(chat_template)
    return ARCHITECTURE_DEFAULTS.get(architecture or "")


def training_jinja(fmt: ChatFormat | None) -> str | None:
    """The Jinja template the worker sets on the tokenizer (None: keep the tokenizer's own,
    which is the format itself, or an unknown one)."""
    return None if fmt is None else fmt.jinja
