"""Writes config/datasets/concise_prefs.jsonl, the shipped preference demo: for each question a
concise, correct answer (chosen) and the builtin model's own answer to it (rejected: greedy, cut
at its last whole sentence within 64 tokens), which rambles and is often wrong. Questions the
base already answers in a few words are left out. The last HELD_OUT questions are the held-out
pairs (config/datasets.json lists them). Teaching it: prefer a short right answer to its own.

    .venv/bin/python scripts/make_concise_prefs.py [--answers base_answers.json]

The base's answers take a few minutes on 2 CPU cores; --answers reuses a JSON file of them
({question: answer}) and writes it when missing.
"""

from __future__ import annotations

import json
from pathlib import Path

QA = [
    ("What is the capital of France?", "Paris is the capital of France."),
    ("How many days are in a week?", "A week has seven days."),
    ("What colour is the sky on a clear day?", "On a clear day the sky is blue."),
    ("What do bees make?", "Bees make honey."),
    ("What is the largest ocean on Earth?", "The Pacific is the largest ocean."),
    ("How many legs does a spider have?", "A spider has eight legs."),
    ("What gas do plants take in from the air?", "Plants take in carbon dioxide."),
    ("What is the freezing point of water in Celsius?", "Water freezes at 0 degrees Celsius."),
    ("Which planet is known as the Red Planet?", "Mars is known as the Red Planet."),
    ("What is the tallest animal?", "The giraffe is the tallest animal."),
    ("How many continents are there?", "There are seven continents."),
    ("What language is spoken in Brazil?", "Portuguese is spoken in Brazil."),
    ("What do cows drink?", "Cows drink water."),
    ("What is two plus three?", "Two plus three is five."),
    ("Which instrument has black and white keys?", "The piano has black and white keys."),
    ("What is the opposite of hot?", "The opposite of hot is cold."),
    ("What shape has three sides?", "A triangle has three sides."),
    ("Where do penguins mostly live?", "Most penguins live in the Southern Hemisphere."),
    ("What is the main ingredient of bread?", "Bread is mostly made from flour."),
    ("How many hours are in a day?", "A day has 24 hours."),
    ("What do you call a baby cat?", "A baby cat is called a kitten."),
    ("Which star is closest to Earth?", "The Sun is the closest star to Earth."),
    ("What is ice made of?", "Ice is frozen water."),
    ("What do caterpillars turn into?", "Caterpillars turn into butterflies or moths."),
    ("How many minutes are in an hour?", "An hour has 60 minutes."),
    ("What is the capital of Japan?", "Tokyo is the capital of Japan."),
    ("What colour are ripe bananas?", "Ripe bananas are yellow."),
    ("Which organ pumps blood through the body?", "The heart pumps blood through the body."),
    ("What is the boiling point of water at sea level?", "Water boils at 100 degrees Celsius at sea level."),
    ("What do we call frozen rain?", "Frozen rain is called sleet or hail."),
    ("How many wheels does a bicycle have?", "A bicycle has two wheels."),
    ("Which animal is known as the king of the jungle?", "The lion is called the king of the jungle."),
    ("What is the largest planet in our solar system?", "Jupiter is the largest planet."),
    ("What do fish use to breathe?", "Fish breathe with their gills."),
    ("What season comes after winter?", "Spring comes after winter."),
    ("What is the capital of Italy?", "Rome is the capital of Italy."),
    ("How many sides does a square have?", "A square has four sides."),
    ("What metal is liquid at room temperature?", "Mercury is liquid at room temperature."),
    ("What do pandas mostly eat?", "Pandas mostly eat bamboo."),
    ("Which direction does the sun rise in?", "The sun rises in the east."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
    ("How many months are in a year?", "A year has twelve months."),
    ("What do you call a shape with eight sides?", "A shape with eight sides is an octagon."),
    ("What is the capital of Spain?", "Madrid is the capital of Spain."),
    ("Which bird is a symbol of peace?", "The dove is a symbol of peace."),
    ("What is the largest desert in the world?", "Antarctica is the largest desert."),
    ("What do we use to measure temperature?", "A thermometer measures temperature."),
    ("How many strings does a standard guitar have?", "A standard guitar has six strings."),
    ("What is the hardest natural material?", "Diamond is the hardest natural material."),
    ("What is the capital of Egypt?", "Cairo is the capital of Egypt."),
    ("What colour do you get by mixing blue and yellow?", "Blue and yellow make green."),
    ("How many teeth does an adult human usually have?", "An adult usually has 32 teeth."),
    ("Which animal has a trunk?", "The elephant has a trunk."),
    ("What is the speed of light, roughly?", "Light travels about 300,000 kilometres per second."),
    ("What do you call a group of wolves?", "A group of wolves is a pack."),
    ("Which planet do we live on?", "We live on Earth."),
    ("What is the capital of Canada?", "Ottawa is the capital of Canada."),
    ("What does a compass point to?", "A compass points to magnetic north."),
    ("How many players are on a football team on the field?", "A football team has eleven players on the field."),
    ("What is the smallest prime number?", "Two is the smallest prime number."),
]
HELD_OUT = 10  # the last questions kept: the held-out pairs, never trained on
LONGER = 2  # a base answer is kept as rejected when it has at least this many times the chosen's words


def base_answers(questions: list[str]) -> dict[str, str]:
    """The builtin model's greedy answers, as the app's worker loads it."""
    import torch

    from ollama_trainer import paths
    from ollama_trainer.training.worker import base_models

    model, tok = base_models.load("smollm2-135m-instruct", paths.models_dir())
    tok.padding_side = "left"
    out = {}
    for start in range(0, len(questions), 12):
        chunk = questions[start:start + 12]
        texts = [tok.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True, tokenize=False)
                 for q in chunk]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            made = model.generate(**enc, max_new_tokens=64, do_sample=False, repetition_penalty=1.1,
                                  pad_token_id=tok.pad_token_id)
        for q, row in zip(chunk, made):
            out[q] = tok.decode(row[enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()
    return out


def whole_sentences(text: str) -> str:
    """Up to the last sentence end, when there is one."""
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    if text.rstrip().endswith((".", "!", "?")):
        return text.strip()
    return text[:cut + 1].strip() if cut > 0 else text.strip()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, help="a JSON file of the base's answers: read, or written when missing")
    args = parser.parse_args()
    if args.answers and args.answers.is_file():
        answers = json.loads(args.answers.read_text(encoding="utf-8"))
    else:
        answers = base_answers([q for q, _ in QA])
        if args.answers:
            args.answers.write_text(json.dumps(answers, indent=1, ensure_ascii=False), encoding="utf-8")
    rows = []
    for question, answer in QA:
        rejected = whole_sentences(answers[question])
        if len(rejected.split()) >= LONGER * len(answer.split()):
            rows.append({"prompt": question, "chosen": answer, "rejected": rejected})
    out = Path(__file__).resolve().parents[1] / "config" / "datasets" / "concise_prefs.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{out}: {len(rows)} pairs, the last {HELD_OUT} held out:")
    print(json.dumps([r["prompt"] for r in rows[-HELD_OUT:]], indent=1))


if __name__ == "__main__":
    main()
