"""pytest fixtures around the Ollama stand-in. Import them into a test module or conftest:

    from tests.fakes.fixtures import ollama_standin  # noqa: F401
"""

from __future__ import annotations

import pytest

from tests.fakes.ollama_standin import OllamaStandin


@pytest.fixture
def ollama_standin():
    with OllamaStandin() as standin:
        yield standin
