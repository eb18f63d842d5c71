"""Hand trained adapters to Ollama: host resolution and client (client.py), Modelfile
(modelfile.py), the GGUF adapter file (gguf_adapter.py), the export itself (export.py) and a
one-question chat (chat.py). Contract models for the bridge live in models.py."""
