"""The resumable state of a run, in `<run>/checkpoints/last/`.

    adapter.safetensors   the trainable (LoRA) weights
    best.safetensors      the trainable weights of the best evaluation so far (when eval runs)
    optimizer.pt          AdamW state
    scheduler.pt          LR scheduler state
    rng.pt                torch (CPU and CUDA), Python and NumPy RNG states
    state.json            protocol.CheckpointState: where the run stands, and the best eval so far

It is written into a temp folder next to `last/` and renamed into place, so a kill at any
moment leaves either the old checkpoint or the new one, never half of one.

Imports torch: worker process only.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ollama_trainer.contracts import TrainingProfile
from ollama_trainer.protocol import CheckpointState
from ollama_trainer.training.worker.preparation import ConfigError

LAST = "last"


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        state["numpy"] = np.random.get_state()
    except ImportError:
        pass
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy as np

        np.random.set_state(state["numpy"])


def trainable_state(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().cpu().contiguous() for name, p in model.named_parameters() if p.requires_grad}


def save(folder: Path, model, optimizer, scheduler, state: CheckpointState,
         best: dict[str, torch.Tensor] | None = None) -> Path:
    folder = Path(folder)
    final = folder / LAST
    tmp = folder / f".{LAST}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_file(trainable_state(model), str(tmp / "adapter.safetensors"))
        if best is not None:
            save_file({k: t.detach().cpu().contiguous() for k, t in best.items()}, str(tmp / "best.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        torch.save(_rng_state(), tmp / "rng.pt")
        (tmp / "state.json").write_text(state.model_dump_json(indent=2))
    except BaseException:  # disk full mid-save: the previous checkpoint stays as it was
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = folder / f".{LAST}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def exists(folder: Path) -> bool:
    return (Path(folder) / LAST / "state.json").is_file()


def read_state(folder: Path) -> CheckpointState:
    return CheckpointState.model_validate_json((Path(folder) / LAST / "state.json").read_text())


def read_best(folder: Path) -> dict[str, torch.Tensor] | None:
    """The best evaluation's trainable weights saved with the checkpoint, if any."""
    path = Path(folder) / LAST / "best.safetensors"
    return load_file(str(path)) if path.is_file() else None


def restore(folder: Path, model, optimizer, scheduler) -> CheckpointState:
    """Load weights, optimizer, scheduler and RNG into the objects; return the position."""
    last = Path(folder) / LAST
    weights = load_file(str(last / "adapter.safetensors"))
    params = dict(model.named_parameters())
    missing = [name for name in weights if name not in params]
    if missing:
        raise ValueError(f"checkpoint does not match the model (unknown tensor {missing[0]}); start a new run")
    with torch.no_grad():
        for name, tensor in weights.items():
            params[name].copy_(tensor.to(params[name].device, params[name].dtype))
    optimizer.load_state_dict(torch.load(last / "optimizer.pt", weights_only=False))
    scheduler.load_state_dict(torch.load(last / "scheduler.pt", weights_only=False))
    _set_rng_state(torch.load(last / "rng.pt", weights_only=False))
    return read_state(folder)


def resume(folder: Path, profile: TrainingProfile, epochs: int, model, optimizer, scheduler,
           notice: Callable[[str], None]) -> tuple[CheckpointState, dict[str, torch.Tensor] | None]:
    """A resumed run's checkpoint loaded into its objects (restore): (where the run stands, the
    best evaluation's weights on the model's devices or None). `notice` is told of settings
    that differ from the checkpoint's; ConfigError when there is none or it does not fit."""
    folder = Path(folder)
    if not exists(folder):
        raise ConfigError(f"nothing to resume: no checkpoint in {folder / LAST}; start a new run")
    saved = read_state(folder)
    differs = sorted(k for k, v in profile.model_dump().items() if saved.profile.get(k) != v)
    if differs or saved.epochs != epochs:
        notice("resuming with settings that differ from the checkpoint's: "
               + ", ".join(differs + (["epochs"] if saved.epochs != epochs else [])))
    try:
        state = restore(folder, model, optimizer, scheduler)
    except (ValueError, RuntimeError, KeyError) as exc:
        raise ConfigError(
            f"the checkpoint in {folder / LAST} does not fit this profile "
            f"({str(exc).splitlines()[0]}); resume with the profile it was made with, or start a new run"
        ) from exc
    best = read_best(folder)
    if best is None or state.best_eval_loss is None:
        return state, None
    params = dict(model.named_parameters())
    return state, {n: t.to(params[n].device, params[n].dtype) for n, t in best.items() if n in params}
