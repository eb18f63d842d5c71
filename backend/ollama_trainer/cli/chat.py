"""`ollama-trainer chat --run ID`: talk with a trained model in the terminal and mark its answers;
what is marked goes into the run's feedback dataset (`feedback-<run>`, training/feedback.py),
ready to train on:

    /good            keep the last answer as it is
    /correct TEXT    keep TEXT as the answer instead (the talk goes on from it)
    /another         a second answer to the same turn, then choose the better one (a pair)
    /new             start a new conversation        /quit (or Ctrl-D)  end

The model stays loaded while the chat lasts (the same warm worker as the window's Try it), and
its answers are printed as they are written.
"""

from __future__ import annotations

import argparse
import random
import sys

from ollama_trainer.errors import EXIT_OK, DomainError, NotFound
from ollama_trainer.training.chat_streams import ANOTHER_TEMPERATURE  # a second answer is sampled

HELP = ("Type a message and press Enter. After an answer: /good keeps it, /correct TEXT keeps TEXT instead, "
        "/another asks for a second answer to choose from, /new starts over, /quit ends.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="talk with a trained model and mark its answers (feedback to train on)",
                       description="Chat with a run's trained model; /good, /correct TEXT and /another mark its "
                                   "answers into the run's feedback dataset feedback-<run>.")
    p.add_argument("--run", metavar="ID", required=True, help="the training run whose model to talk with")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--seed", type=int, help="for /another's sampled answers (default: a new one each time)")
    p.set_defaults(handler=cmd_chat)


class Chat:
    """One conversation with a run's model, and the marks made in it."""

    def __init__(self, run: str, ask, *, max_new_tokens: int, seed: int | None = None, out=sys.stdout):
        self.run, self._ask, self.max_new_tokens, self.out = run, ask, max_new_tokens, out
        self._seeds = random.Random(seed)
        self.turns: list[dict] = []
        self.marks = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def message(self, text: str) -> None:
        """Ask `text` after the talk so far; the answer is printed as it is written."""
        shown = ""

        def heard(so_far: str) -> None:
            nonlocal shown
            if so_far.startswith(shown):
                self.out.write(so_far[len(shown):])
                self.out.flush()
                shown = so_far

        self.out.write("model: ")
        answer, cut = self._ask(run=self.run, base=None, prompt=text, history=list(self.turns),
                                max_new_tokens=self.max_new_tokens, on_text=heard)
        self.turns += [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]
        rest = answer[len(shown):] if answer.startswith(shown) else f"\n{answer}"  # a partial that changed
        self.say(f"{rest}{'…' if cut else ''}")

    def command(self, line: str, read_line) -> bool:
        """Do a /command; False when the chat ends."""
        name, _, rest = line.partition(" ")
        if name in ("/quit", "/exit"):
            return False
        if name == "/new":
            self.turns = []
            self.say("(a new conversation)")
        elif name == "/help":
            self.say(HELP)
        elif not self.turns:
            self.say("(nothing to mark yet: ask something first)")
        elif name == "/good":
            if not self.turns[-1]["content"].strip():
                self.say("(an empty answer cannot be kept: /correct it)")
            else:
                self._mark("good", self.turns[-1]["content"])
        elif name == "/correct":
            text = rest.strip() or read_line("your answer: ").strip()
            if text:
                original = self.turns[-1]["content"]
                self._mark("corrected", text, original=original)
                self.turns[-1] = {"role": "assistant", "content": text}
        elif name == "/another":
            self._another(read_line)
        else:
            self.say(f"(unknown command {name}) {HELP}")
        return True

    def _another(self, read_line) -> None:
        first = self.turns[-1]["content"]
        second, cut = self._ask(run=self.run, base=None, prompt=self.turns[-2]["content"], history=self.turns[:-2],
                                max_new_tokens=self.max_new_tokens, temperature=ANOTHER_TEMPERATURE,
                                seed=self._seeds.randrange(2**31))
        self.say(f"1: {first}\n2: {second}{'…' if cut else ''}")
        if second.strip() == first.strip():
            self.say("(the same answer twice: nothing to choose)")
            return
        choice = read_line("which is better, 1 or 2 (Enter: neither)? ").strip()
        if choice not in ("1", "2"):
            return
        chosen, rejected = (first, second) if choice == "1" else (second, first)
        self._mark("pair", chosen, rejected=rejected)
        self.turns[-1] = {"role": "assistant", "content": chosen}

    def _mark(self, kind: str, answer: str, **extra) -> None:
        from ollama_trainer.training import feedback

        entry = feedback.add(self.run, kind, self.turns[:-1], answer, **extra)
        self.marks += 1
        self.say(f"(kept as {kind} in dataset {entry.id})")


def cmd_chat(args: argparse.Namespace) -> int:
    from ollama_trainer.training import feedback, history
    from ollama_trainer.training.inference import InferencePool

    if history.load_job(args.run) is None:
        raise NotFound(f"no training run '{args.run}'", code="unknown_training")
    pool = InferencePool(max_warm=1)
    chat = Chat(args.run, pool.ask, max_new_tokens=args.max_new_tokens, seed=args.seed)

    def read_line(prompt: str) -> str:
        chat.say(prompt)
        line = sys.stdin.readline()
        return line.rstrip("\n")

    chat.say(f"Chatting with run {args.run} (the first answer loads the model). {HELP}")
    try:
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            try:
                if line.startswith("/"):
                    if not chat.command(line, read_line):
                        break
                else:
                    chat.message(line)
            except DomainError as exc:  # a mark that cannot be kept, a model that failed: say it, go on
                chat.say(f"({exc.message})")
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
    if chat.marks:
        chat.say(f"{chat.marks} answer(s) marked: dataset {feedback.dataset_id(args.run)} "
                 f"({feedback.path_for(args.run)}); train the run's model on it with `ollama-trainer train "
                 f"--from-run {args.run}`")
    return EXIT_OK
