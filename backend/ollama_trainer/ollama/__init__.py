"""Talking to an Ollama server: where it is and the client (client.py), the export of a trained
run (export.py: the model file it sends, model_source.py; blobs, blobs.py; the Modelfile,
modelfile.py; the check after it, export_check.py), the export after a run when the profile asks
(auto_export.py) and a one-question chat (chat.py). Reading the local model store from disk is
bases/' job."""
