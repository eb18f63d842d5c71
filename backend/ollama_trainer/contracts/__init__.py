"""Pydantic models shared by the bridge, the CLI and the UI, one module per area (TypeScript
types are generated from their JSON schema: `python -m ollama_trainer.schema`). Import them
from here: `from ollama_trainer.contracts import TrainingStatus`."""

from ollama_trainer.contracts.base import *  # noqa: F401,F403
from ollama_trainer.contracts.bases import *  # noqa: F401,F403
from ollama_trainer.contracts.chat import *  # noqa: F401,F403
from ollama_trainer.contracts.datasets import *  # noqa: F401,F403
from ollama_trainer.contracts.documents import *  # noqa: F401,F403
from ollama_trainer.contracts.flows import *  # noqa: F401,F403
from ollama_trainer.contracts.ollama import *  # noqa: F401,F403
from ollama_trainer.contracts.training import *  # noqa: F401,F403
