"""Writes config/datasets/concise_prefs.jsonl, the shipped preference demo: for each question
a concise answer (chosen) and the same answer wrapped in filler (rejected). The facts are the
same in both: what is taught is the style. Held-out pairs (the last 12) use questions and
filler sentences that the training pairs never use.

    .venv/bin/python scripts/make_concise_prefs.py
"""

from __future__ import annotations

import json
import random
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
OPENERS = [
    "Oh, what a wonderful question, I am so glad you asked!",
    "Well, let me think about this for a moment, because it is really quite interesting.",
    "That is a great question, and there is honestly so much to say about it.",
    "Ah, I love questions like this one, they always make me think!",
    "Hmm, okay, so, this is something that a lot of people wonder about, you know.",
    "Great question! Before I answer, let me just say how much I enjoy talking about this.",
    "Sure thing! This is one of my favourite topics, so bear with me.",
    "Right, so, to be perfectly honest with you, this is a fascinating subject.",
]
CLOSERS = [
    "I hope that helps, and please do not hesitate to ask me anything else at all!",
    "Anyway, that is about all I can think of right now, but there is always more to learn.",
    "Isn't that just amazing? I could talk about this kind of thing all day long.",
    "So there you have it, more or less, give or take a few details here and there.",
    "Let me know if you would like me to go on and on about it some more!",
    "Which, when you really stop and think about it, is pretty remarkable, isn't it?",
    "And that, my friend, is the long and short of it, mostly the long.",
    "I really hope this answer was as much fun for you as it was for me!",
]
HELD_OUT = 12  # the last questions: the eval pairs, with filler of their own
HELD_OUT_OPENERS = ["Goodness, where do I even begin with something like this?",
                    "Okay, okay, so, first of all, what a truly lovely thing to ask about."]
HELD_OUT_CLOSERS = ["Honestly, I find all of this endlessly delightful, don't you?",
                    "Well, that was a bit of a ramble, but I hope you enjoyed it as much as I did!"]


def main() -> None:
    rng = random.Random(7)
    rows = []
    for index, (question, answer) in enumerate(QA):
        held = index >= len(QA) - HELD_OUT
        opener = rng.choice(HELD_OUT_OPENERS if held else OPENERS)
        closer = rng.choice(HELD_OUT_CLOSERS if held else CLOSERS)
        rows.append({"prompt": question, "chosen": answer, "rejected": f"{opener} {answer} {closer}"})
    out = Path(__file__).resolve().parents[1] / "config" / "datasets" / "concise_prefs.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{out}: {len(rows)} pairs, the last {HELD_OUT} held out")


if __name__ == "__main__":
    main()
