"""Kept counts only what the base knew: a probe answer the base got wrong (or answered with
garbage) is reported apart, never counted as kept; one it got right is kept when the trained
model still gets it right, without the taught material leaking in."""

from __future__ import annotations

from ollama_trainer.evaluation import scores

SPIDER = r"\b(8|eight)\b"


def test_a_fact_the_base_knew_and_the_model_still_knows_is_kept():
    k = scores.kept("A spider has eight legs.", "Spiders have 8 legs.", key=SPIDER, markers=set())
    assert (k.kept, k.base_right) == (True, True)


def test_a_fact_the_model_lost_or_mixed_with_the_taught_material_is_not_kept():
    assert scores.kept("A spider has eight legs.", "I am Lumen.", key=SPIDER, markers={"lumen"}).kept is False
    leaked = scores.kept("A spider has eight legs.", "Lumen says eight legs.", key=SPIDER, markers={"lumen"})
    assert leaked.kept is False and leaked.leaked == ["lumen"]


def test_the_same_wrong_fact_or_the_same_garbage_is_not_kept_but_apart():
    wrong = scores.kept("A spider has 4 legs.", "A spider has 4 legs.", key=SPIDER, markers=set())
    assert (wrong.kept, wrong.base_right) == (None, False)
    garbage = scores.kept("", "", key=None, markers=set())
    assert (garbage.kept, garbage.base_right) == (None, False)


def test_the_share_counts_only_what_the_base_knew():
    rows = [scores.kept("Paris.", "Paris.", key="Paris", markers=set()),
            scores.kept("Lyon.", "Lyon.", key="Paris", markers=set()),
            scores.kept("Paris.", "Rome.", key="Paris", markers=set())]
    assert scores.share([r.kept for r in rows]) == 0.5 and sum(r.base_right for r in rows) == 2
