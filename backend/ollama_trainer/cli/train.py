"""`ollama-trainer train`: the same manager and worker as the window, with a progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ollama_trainer import catalog
from ollama_trainer.cli.common import BASE_HELP, resolve_dataset
from ollama_trainer.contracts import MAX_EPOCHS
from ollama_trainer.training import history
from ollama_trainer.training.run_folder import EVENTS, RunFolder

from ollama_trainer.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, DomainError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune a model headless, with a progress bar",
                       description="Fine-tune a model on a dataset with a training profile, or continue an "
                                   "earlier run from its checkpoint (--resume ID: its own profile, dataset and "
                                   "epochs unless you give others). One job runs at a time on this machine; "
                                   "--wait queues this one behind a running job.")
    p.add_argument("--profile", help="training profile id (see `ollama-trainer profiles`); required unless --resume")
    p.add_argument("--dataset", help="dataset id (see `ollama-trainer datasets`) or a .jsonl path; required unless "
                                     "--resume")
    p.add_argument("--epochs", type=int, help=f"1..{MAX_EPOCHS}; default: the profile's default_epochs (with "
                                              "--resume: the run's)")
    p.add_argument("--base", metavar="SOURCE", help=BASE_HELP)
    p.add_argument("--resume", metavar="ID", help="continue run ID from its last checkpoint")
    p.add_argument("--from-run", metavar="ID", help="train the finished run ID's model further (Train on feedback): "
                                                    "its own settings unless --profile, its feedback dataset "
                                                    "feedback-ID unless --dataset, and the epochs that set needs")
    p.add_argument("--wait", action="store_true", help="when another job is training, wait in line instead of "
                                                       "stopping with job_running")
    p.add_argument("--json", action="store_true", help="print the trainer's events as JSON lines")
    p.add_argument("--export", action="store_true", help="register the trained model with Ollama afterwards")
    p.add_argument("--model", metavar="NAME", help="with --export: the Ollama model name")
    p.add_argument("--quantize", choices=["f16", "q8_0", "q4_K_M"],
                   help="with --export: the model file's type, quantized here (default: q4_K_M from 1 B parameters, "
                        "f16 below)")
    p.set_defaults(handler=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from ollama_trainer import wiring

    manager = wiring.training_manager("cli")
    if args.resume and not (args.profile or args.dataset):
        training_id = manager.resume(args.resume, epochs=args.epochs, queue=args.wait)
    elif args.from_run and not args.profile:
        from ollama_trainer.training import feedback, further

        dataset = resolve_dataset(args.dataset or feedback.dataset_id(args.from_run))
        training_id = further.train(manager, args.from_run, dataset, epochs=args.epochs, queue=args.wait)
    else:
        if not (args.profile and args.dataset):
            raise DomainError("train needs --profile and --dataset (or --resume ID to continue a run)",
                              code="invalid_argument")
        profile = catalog.get_profile(args.profile)
        dataset = resolve_dataset(args.dataset)
        epochs = args.epochs
        if args.resume and epochs is None:  # continue to the epochs the run was started with
            earlier = RunFolder.of(args.resume).read_job()
            epochs = earlier.epochs if earlier else None
        training_id = manager.start(profile, dataset, epochs=epochs, resume_from=args.resume, queue=args.wait,
                                    base=args.base, from_run=args.from_run)
    job = manager.status(training_id)
    if not args.json:
        resumed = (f", continuing {job.resumed_from}" if job.resumed_from else
                   f", from the trained model of {job.from_run}" if job.from_run else "")
        print(f"Training {training_id}: profile {job.profile_id}, dataset {job.dataset_id}, {job.total_epochs} "
              f"epochs{resumed}", file=sys.stderr)
        if job.status == "queued":
            print(f"Waiting: {job.message}", file=sys.stderr)
    try:
        follow = _follow_json if args.json else _follow_bar
        follow(manager, training_id)
    except KeyboardInterrupt:
        print("\nCancelling: saving a checkpoint...", file=sys.stderr)
        manager.cancel(training_id)
        manager.wait(training_id)
    status = manager.wait(training_id)
    if not args.json:
        for line in run_warnings(training_id):
            print(f"Warning: {line}", file=sys.stderr)
    if status.status == "done":
        summary = history.load_summary(training_id)
        if not args.json:
            for line in result_lines(training_id, status, summary):
                print(line, file=sys.stderr)
        if args.export:
            from ollama_trainer.cli.export import cmd_export

            export_args = argparse.Namespace(run=training_id, model=args.model, host=None, json=args.json,
                                             quantize=args.quantize, accept_different=False)
            return cmd_export(export_args)
        return EXIT_OK
    hint = f" Resume with: ollama-trainer train --resume {training_id}" if status.can_resume else ""
    if status.status == "cancelled":
        print(f"Cancelled: {status.message}.{hint}", file=sys.stderr)
        return EXIT_CANCELLED
    print(f"ollama-trainer: training failed: {status.error}.{hint}", file=sys.stderr)
    return EXIT_FAILED


def run_warnings(training_id: str) -> list[str]:
    """Every warning the run gave (the worker's `warning` events), in order, once each."""
    seen = []
    for event in RunFolder.of(training_id).events():
        if event.event == "warning" and event.message and event.message not in seen:
            seen.append(event.message)
    return seen


def result_lines(training_id: str, status, summary) -> list[str]:
    """What a finished run came to, in the words the Result card uses."""
    folder = RunFolder.of(training_id)
    kept_step = f" (the adapter kept, from step {summary.best_step})" if summary and summary.best_step else ""
    figures = [f"eval loss {status.eval_loss:.4f}{kept_step}"] if status.eval_loss is not None else []
    if status.loss is not None:
        figures.append(f"last training loss {status.loss:.4f}")
    lines = [f"Done: {', '.join(figures) or 'trained'}. Adapter: {summary.adapter_dir if summary else '?'}"]
    scores = folder.scores()
    scored = [r for r in scores.learned_rows if r.learned is not None] if scores is not None else []
    if scored:
        passed = sum(r.learned is True for r in scored)
        lines.append(f"Learned: {passed}/{len(scored)} held-out prompts answered as the dataset expects")
        if passed == 0:
            lines.append("The model learned none of them: train more epochs, raise the learning rate, or check "
                         "that the held-out prompts ask what the dataset teaches")
    if scores is not None and scores.pairs and scores.pairs_after is not None:
        lines.append(f"Preferred: the trained model prefers the chosen answer on {round(scores.pairs_after * 100)} % "
                     f"of {scores.pairs} held-out pairs (the base: {round((scores.pairs_before or 0) * 100)} %)")
    if scores is not None and scores.kept is not None:
        lines.append(f"Kept: {round(scores.kept * 100)} % of the {scores.kept_of or 'general'} questions the base "
                     "answered right")
    return lines


def _follow_json(manager, training_id: str) -> None:
    events = RunFolder.of(training_id).file(EVENTS)
    offset = 0
    while True:
        finished = manager.finished(training_id)
        if events.exists():
            with open(events, "rb") as f:
                f.seek(offset)
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break
                    offset += len(raw)
                    sys.stdout.write(raw.decode("utf-8", "replace"))
            sys.stdout.flush()
        if finished:
            return
        time.sleep(0.2)


def _follow_bar(manager, training_id: str) -> None:
    from tqdm import tqdm

    bar = tqdm(total=0, unit="step", dynamic_ncols=True, file=sys.stderr, mininterval=0.5)
    shown = None
    try:
        while True:
            running = not manager.finished(training_id)
            s = manager.status(training_id)
            view = (s.status, s.epoch, s.step, s.total_steps, s.loss, s.message, s.stage, s.stage_done)
            if view != shown:
                shown = view
                if s.stage and s.stage_total:  # replay, samples, probe, model file: their own count
                    if bar.total != s.stage_total:
                        bar.reset(total=s.stage_total)
                    bar.set_description(s.stage.replace("_", " "), refresh=False)
                    bar.set_postfix_str(s.message, refresh=False)
                    bar.update((s.stage_done or 0) - bar.n)
                else:
                    if s.total_steps and bar.total != s.total_steps:
                        bar.reset(total=s.total_steps)
                    bar.set_description(f"{s.status} epoch {s.epoch}/{s.total_epochs}", refresh=False)
                    bar.set_postfix_str(f"loss {s.loss:.4f}" if s.loss is not None else s.message, refresh=False)
                    bar.update(s.step - bar.n)
            if not running:
                return
            time.sleep(0.3)
    finally:
        bar.close()
