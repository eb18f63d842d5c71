"""The training worker process: the only place torch is imported.

    python -m ollama_trainer.training.worker train --run-dir DIR
    python -m ollama_trainer.training.worker ask --base-model M [--adapter DIR] --models-dir D --prompt P
    python -m ollama_trainer.training.worker serve --base-model M --models-dir D [--adapter DIR]
    python -m ollama_trainer.training.worker merge --run-dir DIR
    python -m ollama_trainer.training.worker probe

`train` reads DIR/job.json, runs the LoRA recipe and writes JSON-line events to stdout and
DIR/events.jsonl (started, model_loaded, dataset, progress, eval, checkpoint, samples, done |
cancelled | error; `warning` lines may appear too). Exit codes: 0 done, 3 cancelled, 1 error.
SIGTERM or SIGINT asks for a graceful stop: the current optimizer step finishes, a checkpoint
is saved at that exact position, `cancelled` is emitted and the process exits with 3.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

from ollama_trainer import protocol as ev
from ollama_trainer.training import run_folder


_cancel = threading.Event()
_reason = {"why": "user"}
_run_dir: dict[str, Path] = {}


def _on_signal(signum, frame) -> None:
    _cancel.set()


def _on_app_gone(signum, frame) -> None:
    """The app that started the run is gone (PR_SET_PDEATHSIG): stop with a checkpoint, unless
    the user chose to let the run go on without it."""
    from ollama_trainer.training.run_folder import RunFolder

    folder = _run_dir.get("path")
    if folder is not None and RunFolder(folder).kept_running():
        return
    _reason["why"] = "app_stopped"
    _cancel.set()


def _traceback_tail(exc: BaseException, lines: int = 12) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


_DISK_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                errno.EROFS: "the data folder is read-only"}


def _resource_message(exc: BaseException) -> str | None:
    """Words for the failures a person fixes outside the app: memory and disk."""
    text = str(exc)
    # oneDNN (the CPU's bf16 kernels) says "could not create a primitive" when it cannot
    # allocate its workspace.
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or (
            isinstance(exc, RuntimeError) and any(
                words in text for words in ("out of memory", "can't allocate memory", "could not create a primitive"))):
        detail = f" ({type(exc).__name__}: {text[:200]})" if text else ""
        return ("the trainer ran out of memory" + detail +
                "; lower batch_size or max_seq_len in the profile, or close other programs, then resume")
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        where = f" while writing {exc.filename}" if exc.filename else ""
        return (f"{_DISK_ERRNOS[exc.errno]}{where} ({exc.strerror}); free some space, then resume from "
                "the last checkpoint")
    return None


def train(run_dir: Path) -> int:
    from ollama_trainer.training.worker.event_log import EventLog

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _run_dir["path"] = run_dir
    log = EventLog(run_dir / run_folder.EVENTS)
    start = time.monotonic()
    try:
        job = ev.JobSpec.read(run_dir / run_folder.JOB)
        log.emit(ev.Started(training_id=job.training_id, pid=os.getpid()))
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()
        reason = "; ".join(reason[:3]) if reason else type(exc).__name__
        log.emit(ev.Started(training_id=None, pid=os.getpid()))
        log.emit(ev.Error(message=f"cannot read {run_dir / 'job.json'}: {reason}"))
        return ev.EXIT_ERROR

    known_errors: tuple[type[Exception], ...] = ()
    recipe = None
    try:
        from ollama_trainer.training.worker.base_models import BaseModelError
        from ollama_trainer.training.worker.preparation import ConfigError, Diverged
        from ollama_trainer.training.worker.recipe import LoRARecipe

        known_errors = (ConfigError, BaseModelError, Diverged)

        recipe = LoRARecipe(job, run_dir, log, _cancel, lambda: _reason["why"])
        recipe.setup()
        outcome = recipe.train()
        if outcome == "cancelled":
            final = recipe.stopped or ev.Cancelled(reason=_reason["why"])
            final.recorded = _record(run_dir, job, final, start, estimate=recipe.estimate,
                                     precision=recipe.precision)
            log.emit(final)  # after the summary: whoever sees the final event finds it recorded
            return ev.EXIT_INTERRUPTED if final.reason == "app_stopped" else ev.EXIT_CANCELLED
        recipe.save()
        final = ev.Done(final_loss=recipe.final_loss, eval_loss=recipe.eval_loss,
                        adapter_dir=str(recipe.adapter_dir), duration_s=round(time.monotonic() - start, 3),
                        steps=recipe.step, best_step=recipe.best_step, stopped_early=recipe.stopped_early,
                        peak_memory_gb=_peak_memory_gb(), tokens_per_s=recipe.meter.tokens_per_s)
        final.recorded = _record(run_dir, job, final, start, adapter_dir=str(recipe.adapter_dir),
                                 estimate=recipe.estimate, precision=recipe.precision)
        log.emit(final)
        return ev.EXIT_DONE
    except Exception as exc:  # noqa: BLE001 - every failure becomes one error event
        known = isinstance(exc, known_errors)
        message = str(exc) if known else (_resource_message(exc) or f"{type(exc).__name__}: {exc}")
        final = ev.Error(message=message, traceback_tail="" if known else _traceback_tail(exc))
        final.recorded = _record(run_dir, job, final, start, estimate=recipe.estimate if recipe else None,
                                 precision=recipe.precision if recipe else None)
        log.emit(final)
        return ev.EXIT_ERROR
    finally:
        log.close()
        if recipe is not None:  # the one cleanup path: done, cancelled or error
            recipe.cleanup()


def _peak_memory_gb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2)  # KiB on Linux


def _record(run_dir: Path, job, final, start: float, adapter_dir: str | None = None, estimate=None,
            precision=None) -> bool:
    """Write the run's summary (the worker saw how it ended). A failure (a full disk) is
    left to the app, which writes it from the final event (`recorded` false)."""
    from ollama_trainer.training import outcome
    from ollama_trainer.training.run_folder import RunFolder

    folder = RunFolder(run_dir, job.training_id)
    try:
        status = outcome.status_of(folder, job)
        outcome.end(status, *outcome.clean_end(final))
        summary = outcome.summary_of(job, status, duration_s=round(time.monotonic() - start, 2),
                                     adapter_dir=adapter_dir)
        scores = folder.scores()
        summary = summary.model_copy(update={
            "learned": scores.learned if scores else None, "kept": scores.kept if scores else None,
            "best_step": getattr(final, "best_step", None), "stopped_early": getattr(final, "stopped_early", False),
            "peak_memory_gb": getattr(final, "peak_memory_gb", None), "estimate": estimate, "precision": precision,
            "tokens_per_s": getattr(final, "tokens_per_s", None),
            "eval_loss": getattr(final, "eval_loss", None) or summary.eval_loss})
        folder.write_summary(summary, log_path=Path(job.history_log) if job.history_log else None)
        return True
    except OSError as exc:
        print(f"the run's summary was not written: {exc}", file=sys.stderr, flush=True)
        return False


def ask(args) -> int:
    try:
        import torch
        from ollama_trainer.training.worker import base_models
        from ollama_trainer.training.worker.generation import answer

        model, tokenizer = base_models.load_for_answers(args.base_model, Path(args.models_dir), args.adapter)
        with torch.no_grad():
            text = answer(model, tokenizer, args.prompt, system=args.system, max_new_tokens=args.max_new_tokens)
    except Exception as exc:  # noqa: BLE001
        return _reply(ev.AskReply(error=str(exc)))
    return _reply(ev.AskReply(answer=text))



def merge(run_dir: Path) -> int:
    """Write the trained model file of an earlier run (runs from before it was written at the end)."""
    from ollama_trainer.training.worker import model_file

    try:
        job = ev.JobSpec.read(Path(run_dir) / run_folder.JOB)
        written = model_file.write(job, Path(run_dir))
    except Exception as exc:  # noqa: BLE001 - one reply line either way
        return _reply(ev.MergeReply(error=_resource_message(exc) or str(exc)))
    if written is None:
        return _reply(ev.MergeReply(
            error="this run's base model gives nothing to merge into on this machine (a Hugging Face id that is "
                  "not in the local cache, or a run from before the base was recorded)"))
    return _reply(ev.MergeReply(path=str(written.path), bytes=written.bytes, seconds=written.seconds))


def probe() -> int:
    import torch
    from ollama_trainer.training.worker.devices import device_name, pick_device

    device = pick_device("auto")
    memory = (round(torch.cuda.get_device_properties(device).total_memory / 1024**3, 1)
              if device.type == "cuda" else None)
    from ollama_trainer.training.worker.low_precision import nf4_available

    return _reply(ev.ProbeReply(device=device.type, device_name=device_name(device), torch=torch.__version__,
                                memory_gb=memory, nf4=device.type == "cuda" and nf4_available()))


def _reply(reply: ev.Reply) -> int:
    """Print a one-shot call's one reply line (what is not known left out); the exit code says
    whether it is an error."""
    print(reply.model_dump_json(exclude_none=True), flush=True)
    return ev.EXIT_ERROR if reply.error else ev.EXIT_DONE


def _model_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The model that answers: a base, its folder of models, a run's adapter, a system prompt."""
    p.add_argument("--base-model", required=True)
    p.add_argument("--adapter")
    p.add_argument("--models-dir", required=True)
    p.add_argument("--system")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ollama_trainer.training.worker")
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="run the job in RUN_DIR/job.json")
    t.add_argument("--run-dir", required=True)
    a = _model_arguments(sub.add_parser("ask", help="one greedy answer from a base model (and adapter)"))
    a.add_argument("--prompt", required=True)
    a.add_argument("--max-new-tokens", type=int, default=64)
    w = sub.add_parser("preview", help="count what a job would train on (JobSpec JSON in FILE)")
    w.add_argument("--job", required=True)
    _model_arguments(sub.add_parser("serve", help="keep a model loaded and answer JSON-line questions on stdin"))
    m = sub.add_parser("merge", help="write the trained model file of the run in RUN_DIR")
    m.add_argument("--run-dir", required=True)
    sub.add_parser("probe", help="print the device training would use")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes, not ours

    if args.cmd == "train":
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGUSR1, _on_app_gone)
    if args.cmd in ("train", "ask", "serve"):  # imports torch (after the signal handlers: a stop is heard)
        from ollama_trainer.training.worker.devices import use_cpu_threads

        use_cpu_threads()
    if args.cmd == "train":
        return train(Path(args.run_dir))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if args.cmd == "ask":
        return ask(args)
    if args.cmd == "merge":
        return merge(Path(args.run_dir))
    if args.cmd == "preview":
        from ollama_trainer.training.worker.preview import main as preview

        return preview(args.job)
    if args.cmd == "serve":
        from ollama_trainer.training.worker.serve import serve

        return serve(args)
    return probe()


if __name__ == "__main__":
    sys.exit(main())
