"""Talking with a run's model: Try it's questions, the Chat page's streamed answers, and the
answers a person marks to teach from (the run's feedback dataset, training/feedback.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import MAX_EPOCHS, Id, Request, Strict


class AskRequest(Request):
    training_id: Id
    prompt: str = Field(min_length=1, max_length=4000)
    with_adapter: bool = Field(True, description="False: the base model the run was trained on")


class ChatTurn(Request):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class ChatSendRequest(Request):
    """One turn of the Chat page: the talk so far and the new question, to a run's trained
    model (or the base it was trained on) or to a profile's base model."""

    training_id: Id | None = Field(None, description="The run whose model answers")
    profile_id: Id | None = Field(None, description="Without a run: this profile's base model answers")
    history: list[ChatTurn] = Field(default_factory=list, max_length=200, description="The talk before `prompt`")
    prompt: str = Field(min_length=1, max_length=4000)
    with_adapter: bool = Field(True, description="False: the base model the run was trained on")
    another: bool = Field(False, description="A sampled answer (Another answer) instead of the greedy one")
    seed: int | None = Field(None, description="For `another`: the sampling seed (default: the clock)")


class ChatStreamRequest(Request):
    stream_id: Id


class ChatStream(Strict):
    """An answer being written: the text so far; `done` once it is whole (or failed)."""

    stream_id: str
    text: str = ""
    done: bool = False
    cut: bool = Field(False, description="The answer stopped at its length limit, before the model ended it")
    error: str | None = None
    seconds: float | None = None


class FeedbackRequest(Request):
    """An answer of a run's trained model marked in Try it or the Chat: kept as it is (good), as
    the person wrote it instead (corrected), or chosen over another answer to the same turn
    (pair), into the run's feedback dataset."""

    training_id: Id
    kind: Literal["good", "corrected", "pair"]
    history: list[ChatTurn] = Field(default_factory=list, max_length=200, description="The talk before `prompt`")
    prompt: str = Field(min_length=1, max_length=4000)
    answer: str = Field(min_length=1, max_length=8000, description="The answer to keep (for a pair: the chosen)")
    original: str | None = Field(None, max_length=8000, description="For a correction: the model's own answer")
    rejected: str | None = Field(None, max_length=8000, description="For a pair: the answer not chosen")


class FeedbackSaved(Strict):
    dataset_id: str = Field(description="The run's feedback dataset, feedback-<run>")
    marks: int = Field(description="How many answers it holds now")


class FeedbackMark(Strict):
    """One line of a feedback dataset, as the Chat page lists it."""

    index: int = Field(description="Its line among the marks (0 = the first), for deleting it")
    kind: Literal["good", "corrected", "pair"]
    time: str = ""
    prompt: str = Field(description="The question it answers (the last user turn)")
    turns: int = Field(1, description="User turns in its conversation, the question included")
    answer: str = Field(description="The answer kept: as it was, the person's own, or the chosen")
    original: str | None = Field(None, description="A correction: what the model had said")
    rejected: str | None = Field(None, description="A pair: the answer not chosen")


class FeedbackList(Strict):
    dataset_id: str
    path: str = Field(description="The JSONL file, editable like any dataset")
    marks: list[FeedbackMark] = Field(default_factory=list)


class FeedbackDeleteRequest(Request):
    training_id: Id
    index: int = Field(ge=0)


class TrainOnFeedbackRequest(Request):
    training_id: Id = Field(description="The run whose trained model learns its feedback")
    epochs: int | None = Field(None, ge=1, le=MAX_EPOCHS,
                               description="Default: what a set this size needs at the run's learning rate")
    queue: bool = Field(False, description="Wait in line when another job runs (else job_running)")
