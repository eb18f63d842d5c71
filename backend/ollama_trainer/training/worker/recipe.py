"""The LoRA training recipe, torchtune style: setup -> train -> save -> cleanup.

    recipe = LoRARecipe(job, run_dir, log, cancel)
    recipe.setup()      # fail fast: device, base model, LoRA, dataset, optimizer, resume
    outcome = recipe.train()   # "done" or "cancelled"
    recipe.save()       # adapter/, samples.json, scores.json, the model file (only after "done")
    recipe.cleanup()    # frees what setup made, however the run ended

Every attribute is declared in `__init__`; the `_setup_*` helpers return what they make and
`setup` assigns it. All metrics go through `log.emit(event)` (event_log.EventLog, events from
protocol.py); the steps' speed and ETA are step_meter.py's. Deterministic for a seed: the LoRA
init follows torch.manual_seed(seed), the eval split and every epoch's batch order are pure
functions of (seed, epoch), and a checkpoint carries the RNG states, so a resumed run repeats
the losses of an uninterrupted one step for step.

Imports torch, transformers and peft: worker process only.
"""

from __future__ import annotations

import contextlib
import gc
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch

from ollama_trainer.contracts import RunEstimate, RunPrecision
from ollama_trainer import protocol as ev
from ollama_trainer.training import run_folder
from ollama_trainer.evaluation.divergence import DivergenceCheck
from ollama_trainer.evaluation.early_stop import BestTracker
from ollama_trainer.training.worker import (base_answers, base_models, batching, checkpoint, low_precision, planning,
                                            preference, preparation, results, train_data)
from ollama_trainer.training.worker.preparation import ConfigError, Diverged
from ollama_trainer.training.worker.batching import Encoded
from ollama_trainer.training.worker.devices import DeviceError, autocast_dtype, pick_device
from ollama_trainer.training.worker.event_log import EventLog
from ollama_trainer.training.worker.fused import loss_sum
from ollama_trainer.training.worker.optimizer import apply_step, make_optimizer
from ollama_trainer.training.worker.stage_meter import StageMeter
from ollama_trainer.training.worker.step_meter import StepMeter
from ollama_trainer.training.worker.train_data import TrainData

if TYPE_CHECKING:
    from peft import PeftModel
    from transformers import PreTrainedTokenizerBase

LOSS_SYNC_STEPS = 10  # on CUDA, losses are read back (a host sync) every this many steps


class _Pending(NamedTuple):
    """A step whose loss is still on the device (read back with its window's)."""
    epoch: int
    step: int
    lr: float
    loss: torch.Tensor
    tokens: int  # tokens seen after it


class LoRARecipe:
    def __init__(self, job: ev.JobSpec, run_dir: Path, log: EventLog, cancel: threading.Event,
                 cancel_reason: Callable[[], str] = lambda: "user"):
        # what the run is given
        self.job = job
        self.profile = job.profile
        self.epochs = job.epochs
        self.run_dir = Path(run_dir)
        self.checkpoint_dir = self.run_dir / Path(run_folder.CHECKPOINT).parent
        self.adapter_dir = self.run_dir / run_folder.ADAPTER
        self.log = log
        self.cancel = cancel
        self.cancel_reason = cancel_reason  # "user", or "app_stopped" when the app went away
        # what setup makes (None until then; cleanup lets go of the large ones)
        self.device: torch.device | None = None
        self.autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
        self.model: PeftModel | None = None
        self.tokenizer: PreTrainedTokenizerBase | None = None
        self.precision: RunPrecision | None = None
        self.data: TrainData | None = None
        self.objective: preference.Objective | None = None  # a run with preference pairs (DPO, ORPO)
        self.pref_figures: preference.EvalFigures | None = None  # its last evaluation
        self.total_steps = 0
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.divergence: DivergenceCheck | None = None
        self.estimate: RunEstimate | None = None
        # where training stands: what a checkpoint keeps
        self.start_epoch = 0
        self.start_batch = 0
        self.step = 0
        self.tokens_seen = 0
        self.final_loss: float | None = None
        self.eval_loss: float | None = None
        self.tracker = BestTracker(job.profile.early_stopping_patience)
        self.best_state: dict[str, torch.Tensor] | None = None  # the best evaluation's trainable weights
        # this session's speed, and how the run ended
        self.meter = StepMeter()
        self.stopped: ev.Cancelled | None = None  # how train() stopped early (the caller emits it)
        self.stopped_early = False  # by the early-stopping patience
        self.best_step: int | None = None  # the step whose adapter save() kept

    # -- setup ---------------------------------------------------------------------------

    def setup(self) -> None:
        p = self.profile
        self.device = self._setup_device()
        amp = autocast_dtype(self.device, p.precision)
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=amp)) if amp else contextlib.nullcontext
        examples = preparation.load_examples(self.job.dataset)  # before the model: a bad file fails in a second
        available_gb = low_precision.available_gb(self.device)
        self.model, self.tokenizer, self.precision = self._setup_model(examples, available_gb, amp is not None)
        replay_cached = base_answers.replay_cached(self.job, len(examples))  # asked before replay fills the cache
        self.data = train_data.build(self.tokenizer, p, examples, self._replay(len(examples)), self._notice,
                                     self.job.dataset.held_out_prompts)
        self.objective = preference.objective_for(self.data, p, self.model, self.tokenizer.pad_token_id, self.device,
                                                  self.autocast, self.log, reference_trained=bool(self.job.start_adapter))
        # batches per epoch vary with a token budget: count each epoch's (a pure function of it)
        self.total_steps = sum(math.ceil(len(self._batches(e)) / p.gradient_accumulation) for e in range(self.epochs))
        self.optimizer, self.scheduler = make_optimizer(self.model, p, self.total_steps, self.device)
        self.divergence = DivergenceCheck(int(getattr(self.model.config, "vocab_size", 0) or len(self.tokenizer)))
        if self.job.resume:
            self._restore()
        self.estimate = planning.run_estimate(
            self.job, self.model, self.data, epochs=self.epochs, tokens_seen=self.tokens_seen,
            device_type=self.device.type, available_gb=available_gb, nf4=self.precision.weights == "nf4",
            replay_cached=replay_cached)
        if not self.estimate.fits:  # refused before the first step, saying what would make it fit
            raise ConfigError(self.estimate.why)
        if self.estimate.gradient_checkpointing:
            preparation.gradient_checkpointing(self.model)
            self.precision = self.precision.model_copy(update={"gradient_checkpointing": True})
            self.log.emit(ev.Notice(message=self.estimate.why or "gradient checkpointing is on (the profile asks)"))
        self.log.emit(ev.DatasetLoaded(
            train_examples=len(self.data.train_set), eval_examples=len(self.data.eval_set),
            train_tokens=sum(self.data.lengths), replay_examples=self.data.replay_count, estimate=self.estimate,
        ))

    def _setup_device(self) -> torch.device:
        try:
            return pick_device(self.profile.device)
        except DeviceError as exc:  # said as a configuration error
            raise ConfigError(str(exc)) from exc

    def _setup_model(self, examples: list[dict], available_gb: float | None,
                     autocast: bool) -> tuple[PeftModel, PreTrainedTokenizerBase, RunPrecision]:
        """The base with its LoRA on the device, its tokenizer, and the precision they train in."""
        p = self.profile
        t0 = time.monotonic()
        weights = planning.weights(self.job, self.device.type, available_gb)  # nf4 on a GPU where bf16 won't fit
        stored = low_precision.storage_dtype(self.device)
        model, tokenizer = base_models.load(p.base_model, Path(self.job.models_dir), base=self.job.base, dtype=stored,
                                            nf4_device=self.device if weights == "nf4" else None)
        if weights == "nf4":
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
        rows = preparation.turn_tokens(model, tokenizer, examples, p, self._notice)  # a base new to its chat format
        model = preparation.attach_lora(model, p, rows)
        if self.job.start_adapter:  # train a finished run's model further
            preparation.start_from(model, self.job.start_adapter)
            self._notice(f"starting from the trained model of run {self.job.from_run}")
        if weights != "nf4":
            model = model.to(self.device)
        precision = RunPrecision(weights="nf4" if weights == "nf4" else str(stored).removeprefix("torch."),
                                 compute="bfloat16" if autocast else "float32")
        self.log.emit(ev.ModelLoaded(
            base_model=p.base_model,
            device=self.device.type,
            dtype=precision.compute,
            weights_dtype=precision.weights,
            trainable_params=sum(x.numel() for x in model.parameters() if x.requires_grad),
            total_params=sum(x.numel() for x in model.parameters()),
            load_s=round(time.monotonic() - t0, 3),
            cpu_threads=torch.get_num_threads(),
        ))
        return model, tokenizer, precision

    def _replay(self, n_dataset: int) -> list[dict]:
        """The base model's own answers to general prompts, to mix in (base_answers.py)."""
        count = base_answers.replay_count(self.job, n_dataset)
        if count <= 0:
            return []
        meter = StageMeter(self.log, "replay", "the base model answers general questions (replay)", count)
        self.model.eval()
        made = base_answers.replay_examples(self.model, self.tokenizer, self.job, n_dataset, meter=meter)
        self.model.train()
        return made

    def _notice(self, message: str) -> None:
        self.log.emit(ev.Notice(message=message))

    def _state(self, epoch: int, batch_index: int) -> ev.CheckpointState:
        return ev.CheckpointState(
            epoch=epoch,
            batch_index=batch_index,
            step=self.step,
            total_steps=self.total_steps,
            epochs=self.epochs,
            seed=self.profile.seed,
            last_loss=self.final_loss,
            last_eval_loss=self.eval_loss,
            profile=self.profile.model_dump(),
            tokens_seen=self.tokens_seen,
            best_eval_loss=self.tracker.best_loss,
            best_step=self.tracker.best_step,
            evals_since_best=self.tracker.since_best,
        )

    def _restore(self) -> None:
        """Where training stands, from the checkpoint (the inverse of `_state`); its weights,
        optimizer, scheduler and RNG go into what setup made."""
        state, self.best_state = checkpoint.resume(self.checkpoint_dir, self.profile, self.epochs, self.model,
                                                   self.optimizer, self.scheduler, self._notice)
        self.step, self.start_epoch, self.start_batch = state.step, state.epoch, state.batch_index
        self.final_loss, self.eval_loss = state.last_loss, state.last_eval_loss
        self.tokens_seen = state.tokens_seen
        # the best evaluation so far, and its adapter, go on from where they were
        self.tracker.best_loss, self.tracker.best_step = state.best_eval_loss, state.best_step
        self.tracker.since_best = state.evals_since_best
        if self.start_batch >= len(self._batches(self.start_epoch)):
            self.start_epoch, self.start_batch = self.start_epoch + 1, 0

    # -- train ---------------------------------------------------------------------------

    @property
    def lengths(self) -> list[int]:
        """The training examples' token counts (bench/train_throughput.py reads them)."""
        return self.data.lengths

    def _batches(self, epoch: int) -> list[list[int]]:
        p = self.profile
        return batching.epoch_batches(self.data.lengths, p.batch_size, p.seed, epoch, max_tokens=p.batch_tokens)

    def evaluate(self) -> float | None:
        eval_set = self.data.eval_set
        if not eval_set:
            return None
        if self.objective is not None:
            self.pref_figures = self.objective.evaluate(eval_set, self.profile.batch_size)
            return self.pref_figures.loss
        self.model.eval()
        total, count = torch.zeros((), device=self.device), 0
        with torch.no_grad():
            bs = self.profile.batch_size
            order = sorted(range(len(eval_set)), key=lambda i: len(eval_set[i].input_ids))
            for j in range(0, len(order), bs):
                items = [eval_set[i] for i in order[j : j + bs]]
                batch = batching.collate(items, self.tokenizer.pad_token_id).to(self.device)
                total += loss_sum(self.model, batch, self.autocast)
                count += batch.n_targets
        self.model.train()
        return float(total) / max(1, count)

    def train(self) -> str:
        """Run the remaining epochs. Returns "done" or "cancelled" (after a checkpoint)."""
        p = self.profile
        accum = p.gradient_accumulation
        self.model.train()
        if self.cancel.is_set():  # stopped while loading: nothing is in progress, stop now
            return self._cancelled(self.start_epoch, self.start_batch)
        pending: list[_Pending] = []
        sync_every = LOSS_SYNC_STEPS if self.device.type == "cuda" else 1
        for epoch in range(self.start_epoch, self.epochs):
            batches = self._batches(epoch)
            b = self.start_batch if epoch == self.start_epoch else 0
            self.meter.start_window()
            while b < len(batches):
                group = [[self.data.train_set[i] for i in idx] for idx in batches[b : b + accum]]
                lr = self.optimizer.param_groups[0]["lr"]
                loss, tokens = self._step(group)
                self.meter.add(tokens)
                self.tokens_seen += tokens
                b += len(group)
                self.step += 1
                pending.append(_Pending(epoch, self.step, lr, loss, self.tokens_seen))
                last, stop = b >= len(batches), self.cancel.is_set()
                if len(pending) >= sync_every or last or stop:
                    self._report(pending)
                if last:
                    break  # epoch end: eval + checkpoint below
                if stop:
                    return self._cancelled(epoch, b)
                if p.eval_steps and self.step % p.eval_steps == 0 and self._evaluate_now(epoch):
                    self.stopped_early = True
                    self._checkpoint(epoch, b)
                    return "done"
            early = self._evaluate_now(epoch)
            path = self._checkpoint(epoch + 1, 0)
            self.start_batch = 0
            if early and epoch + 1 < self.epochs:
                self.stopped_early = True
                return "done"
            if self.cancel.is_set() and epoch + 1 < self.epochs:
                return self._stopped(path)
        return "done"

    def _step(self, group: list[list[Encoded]]) -> tuple[torch.Tensor, int]:
        """One optimizer step over `group`'s batches (gradient accumulation): its loss, left on
        the device, and the non-padding tokens it trained."""
        if self.objective is not None:
            step_loss = self.objective.step(group)
            apply_step(self.optimizer, self.scheduler)
            return step_loss, sum(len(x.input_ids) for items in group for x in items)
        cpu_batches = [batching.collate(items, self.tokenizer.pad_token_id) for items in group]
        n_targets = sum(x.n_targets for x in cpu_batches)
        step_loss = torch.zeros((), device=self.device)
        for cb in cpu_batches:
            batch = cb.to(self.device)
            loss = loss_sum(self.model, batch, self.autocast) / n_targets
            loss.backward()
            step_loss += loss.detach()
        apply_step(self.optimizer, self.scheduler)
        return step_loss, sum(x.n_tokens for x in cpu_batches)

    def _report(self, pending: list[_Pending]) -> None:
        """Read the pending losses back (one host sync) and emit their progress events. On a
        CPU this runs every step; on CUDA every LOSS_SYNC_STEPS, and each event's tokens_per_s
        is then the window's non-padding tokens / the window's wall time."""
        tps = self.meter.end_window(len(pending))
        values = torch.stack([x.loss for x in pending]).tolist()
        for x, value in zip(pending, values):
            self.final_loss = value
            self.log.emit(ev.Progress(
                epoch=x.epoch + 1, total_epochs=self.epochs, step=x.step, total_steps=self.total_steps,
                loss=round(value, 6) if math.isfinite(value) else None, lr=x.lr, tokens_per_s=tps, tokens=x.tokens,
                eta_s=self.meter.eta_s(x.step, self.total_steps),
            ))
            reason = self.divergence.check(x.step, value)
            if reason:  # ends the run as an error; the last epoch's checkpoint is left as it was
                raise Diverged(reason)
        pending.clear()
        self.meter.start_window()

    def _evaluate_now(self, epoch: int) -> bool:
        """Eval loss now; keep the adapter when it is the best so far. True: stop early."""
        if not self.data.eval_set:
            return False
        self.eval_loss = self.evaluate()
        best, stop = self.tracker.update(self.step, self.eval_loss)
        if best:
            self.best_state = {n: x.detach().clone() for n, x in self.model.named_parameters() if x.requires_grad}
        pref = self.pref_figures or preference.EvalFigures(self.eval_loss)
        self.log.emit(ev.Eval(epoch=epoch + 1, step=self.step, eval_loss=round(self.eval_loss, 6), best=best,
                              reward_margin=pref.reward_margin, pref_accuracy=pref.accuracy))
        return stop

    def _checkpoint(self, epoch: int, batch_index: int, *, said_epoch: int | None = None) -> Path:
        """Save where training stands; its event names the epoch under way, or the one just
        finished at an epoch's end (`said_epoch`: as given)."""
        path = checkpoint.save(self.checkpoint_dir, self.model, self.optimizer, self.scheduler,
                               self._state(epoch, batch_index), best=self.best_state)
        if said_epoch is None:
            said_epoch = epoch + 1 if batch_index else epoch
        self.log.emit(ev.Checkpoint(epoch=said_epoch, step=self.step, path=str(path)))
        return path

    def _cancelled(self, epoch: int, batch_index: int) -> str:
        return self._stopped(self._checkpoint(epoch, batch_index, said_epoch=epoch + 1))

    def _stopped(self, path: Path) -> str:
        self.stopped = ev.Cancelled(step=self.step, checkpoint=str(path), reason=self.cancel_reason())
        return "cancelled"

    def keep_best(self) -> int | None:
        """Put the best evaluation's adapter back when training ended worse; its step."""
        if self.best_state is None or self.tracker.best_loss is None:
            return None
        if self.eval_loss is not None and self.eval_loss > self.tracker.best_loss:
            with torch.no_grad():
                for name, value in self.model.named_parameters():
                    if name in self.best_state:
                        value.copy_(self.best_state[name])
            self.eval_loss = self.tracker.best_loss
        return self.tracker.best_step

    # -- save, cleanup ---------------------------------------------------------------------

    def save(self) -> None:
        """The result: the best evaluation's adapter (or the last), then the samples, the
        scores and the model file (results.py)."""
        self.best_step = self.keep_best()
        results.save_adapter(self.model, self.run_dir, self.profile.lora.alpha)
        results.write_all(self.model, self.tokenizer, self.job, self.data,
                          run_dir=self.run_dir, log=self.log, cancel=self.cancel)

    def cleanup(self) -> None:
        """Let go of what setup made (the model, the optimizer's state, the best adapter's copy,
        the data) and the GPU memory it held, however the run ended; what it reported stays.
        Safe to call twice, or after a setup that failed part-way."""
        self.model = self.tokenizer = self.data = None
        self.optimizer = self.scheduler = self.best_state = None
        gc.collect()
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.empty_cache()
