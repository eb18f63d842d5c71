"""The worker process: the only place torch, transformers and peft are imported.

    python -m ollama_trainer.training.worker train --run-dir DIR

Nothing in the app process (bridge, CLI, flows, manager) imports from this package; the app
speaks to it through protocol.py and training/worker_client.py.
"""
