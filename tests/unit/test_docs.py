"""The README stays true: its help blocks match the parser, its images and links exist, and it
has the sections a new user looks for."""

from __future__ import annotations

import re

from ollama_trainer.cli import help as cli_help
from ollama_trainer.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_help_blocks_match_the_parser():
    texts = cli_help.help_texts()
    assert cli_help.documented(README) == set(texts), "run: python -m ollama_trainer.cli.help --write"
    assert cli_help.render(README, texts) == README, "run: python -m ollama_trainer.cli.help --write"


def test_every_subcommand_has_an_example_or_help():
    for name in cli_help.help_texts():
        assert f"<!-- help: {name} -->" in README


def test_sections():
    for heading in ("Set up and run", "Training Panel", "Flows", "Using your model in Ollama", "Your own data",
                    "Command line", "Limits", "Development"):
        assert re.search(rf"^## {re.escape(heading)}$", README, re.M), heading


def test_local_links_and_images_exist():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (REPO_ROOT / target).exists(), target


def test_the_two_commands():
    assert "make run" in README and "make test" in README
