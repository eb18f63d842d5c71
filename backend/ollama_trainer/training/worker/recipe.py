"""The LoRA training recipe, torchtune style: setup -> train -> save.

    recipe = LoRARecipe(job, run_dir, log, cancel)
    recipe.setup()      # fail fast: device, base model, LoRA, dataset, optimizer, resume
    outcome = recipe.train()   # "done" or "cancelled"
    recipe.save()       # adapter/, samples.json (only after "done")

All metrics go through `log.emit(event)` (event_log.EventLog, events from protocol.py). Deterministic for a seed: the LoRA
init follows torch.manual_seed(seed), the eval split and every epoch's batch order are pure
functions of (seed, epoch), and a checkpoint carries the RNG states, so a resumed run repeats
the losses of an uninterrupted one step for step.

Imports torch, transformers and peft: worker process only.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import threading
import time
from pathlib import Path

import torch

from ollama_trainer.contracts import RunPrecision
from ollama_trainer import protocol as ev
from ollama_trainer import estimate
from ollama_trainer.training import run_folder
from ollama_trainer.evaluation.divergence import DivergenceCheck
from ollama_trainer.evaluation.early_stop import BestTracker
from ollama_trainer.training.worker import (base_answers, base_models, batching, checkpoint, low_precision, preparation,
                                            token_rows)
from ollama_trainer.training.worker.preparation import ConfigError, Diverged
from ollama_trainer.training.worker.batching import Batch
from ollama_trainer.training.worker.devices import DeviceError, autocast_dtype, pick_device
from ollama_trainer.training.worker.event_log import EventLog
from ollama_trainer.training.worker.fused import loss_sum
from ollama_trainer.training.worker import results
from ollama_trainer.training.worker.probe import PROBE_TOKENS
from ollama_trainer.training.worker.stage_meter import StageMeter

LOSS_SYNC_STEPS = 10  # on CUDA, losses are read back (a host sync) every this many steps


# ----------------------------------------------------------------------------- recipe

def _lr_lambda(warmup: int, total: int):
    """Linear warmup to the peak over `warmup` steps, then cosine to zero. Called with the
    number of steps already taken; returns the factor for the next step (1-based s = i + 1)."""

    def factor(i: int) -> float:
        s = i + 1
        if s <= warmup:
            return s / warmup
        progress = (s - warmup - 1) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


class LoRARecipe:
    def __init__(self, job: ev.JobSpec, run_dir: Path, log: EventLog, cancel: threading.Event,
                 cancel_reason=lambda: "user"):
        self.run_dir = Path(run_dir)
        self.log = log
        self.cancel = cancel
        self.cancel_reason = cancel_reason  # "user", or "app_stopped" when the app went away
        self.stopped: ev.Cancelled | None = None  # how train() stopped early (the caller emits it)
        self.job = job
        self.profile = job.profile
        self.epochs = job.epochs
        self.dataset_spec = job.dataset
        self.models_dir = Path(job.models_dir)
        self.resume = job.resume
        self.checkpoint_dir = self.run_dir / Path(run_folder.CHECKPOINT).parent
        self.adapter_dir = self.run_dir / run_folder.ADAPTER
        self.final_loss: float | None = None
        self.eval_loss: float | None = None

    # -- setup ---------------------------------------------------------------------------

    def setup(self) -> None:
        p = self.profile
        try:
            self.device = pick_device(p.device)
        except DeviceError as exc:
            raise ConfigError(str(exc)) from exc
        amp = autocast_dtype(self.device, p.precision)
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=amp)) if amp else contextlib.nullcontext
        examples = preparation.load_examples(self.dataset_spec)  # before the model: a bad file fails in a second

        t0 = time.monotonic()
        self.available_gb = low_precision.available_gb(self.device)
        weights = self.weights_used = self._weights()  # bf16, or nf4 on a GPU when bf16 would not fit (QLoRA)
        stored = low_precision.storage_dtype(self.device)
        model, self.tokenizer = base_models.load(p.base_model, self.models_dir, base=self.job.base, dtype=stored,
                                                 nf4_device=self.device if weights == "nf4" else None)
        if weights == "nf4":
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
        self.token_rows = self._turn_tokens(model, examples)
        self.model = preparation.attach_lora(model, self.profile, self.token_rows)
        if weights != "nf4":
            self.model = self.model.to(self.device)
        self.precision = RunPrecision(weights="nf4" if weights == "nf4" else str(stored).removeprefix("torch."),
                                      compute="bfloat16" if amp else "float32")
        trainable = sum(x.numel() for x in self.model.parameters() if x.requires_grad)
        total = self.total_params = sum(x.numel() for x in self.model.parameters())
        self.log.emit(ev.ModelLoaded(
            base_model=p.base_model,
            device=self.device.type,
            dtype=self.precision.compute,
            weights_dtype=self.precision.weights,
            trainable_params=trainable,
            total_params=total,
            load_s=round(time.monotonic() - t0, 3),
        ))
        self.dataset_answers = [m["content"] for ex in examples for m in ex.get("messages") or []
                                if m.get("role") == "assistant"]
        self._setup_data(examples, self._replay(len(examples)))
        self._setup_optimizer()
        self.tracker = BestTracker(p.early_stopping_patience)
        self.divergence = DivergenceCheck(int(getattr(self.model.config, "vocab_size", 0) or len(self.tokenizer)))
        self.best_state: dict | None = None
        self.stopped_early = False
        self.start_epoch, self.start_batch, self.step, self.tokens_seen = 0, 0, 0, 0
        self.train_seconds, self.trained_tokens = 0.0, 0  # this session's, for the measured speed
        if self.resume:
            self._restore()
        self.estimate = self._estimate()
        if not self.estimate.fits:  # refused before the first step, saying what would make it fit
            raise ConfigError(self.estimate.why)
        if self.estimate.gradient_checkpointing:
            self._checkpointing()
            self.precision = self.precision.model_copy(update={"gradient_checkpointing": True})
            self.log.emit(ev.Notice(message=self.estimate.why or "gradient checkpointing is on (the profile asks)"))
        self.log.emit(ev.DatasetLoaded(
            train_examples=len(self.train_set), eval_examples=len(self.eval_set), train_tokens=sum(self.lengths),
            replay_examples=self.replay_count, estimate=self.estimate,
        ))

    def _shape(self) -> estimate.Shape:
        return estimate.shape_of(self.job.base) if self.job.base and self.job.base.parameters else \
            estimate.Shape(estimate.DEFAULT_PARAMETERS)

    def _weights(self) -> str:
        """bf16, or nf4 where the profile asks or (auto) bf16 would not fit on this GPU; decided
        before the model loads, with the longest possible batch."""
        p = self.profile
        if self.device.type != "cuda":
            return "bf16"
        plan = estimate.memory_plan(self._shape(), p.batch_size * p.max_seq_len, available_gb=self.available_gb,
                                    device="cuda", checkpointing="auto", weights=p.weights,
                                    nf4_possible=low_precision.nf4_available())
        return plan.weights

    def _checkpointing(self) -> None:
        """Recompute each decoder layer's activations in the backward pass (non-reentrant: the
        frozen inputs need no grad)."""
        base = self.model.get_base_model()
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        base.config.use_cache = False

    def _turn_tokens(self, model, examples: list[dict]) -> list[int]:
        """The turn tokens' embedding rows to train, when the base does not know its chat format."""
        first = next((ex for ex in examples if "messages" in ex), None)
        if first is None:
            return []
        try:
            encoded = batching.encode(self.tokenizer, first, self.profile.max_seq_len, self.profile.system_prompt)
        except batching.TemplateError:
            return []  # _setup_data says what is wrong with the template
        rows = preparation.untrained_turn_tokens(model, self.tokenizer, encoded)
        if rows:
            names = ", ".join(self.tokenizer.convert_ids_to_tokens(rows))
            self.log.emit(ev.Notice(message=f"the base model does not know its chat format's turn tokens ({names}): "
                                            "their embeddings are trained too, so the model learns to end its answers"))
        return rows

    def _estimate(self):
        """The run's estimate, by the preview's formula from the same figures (run_preview.py):
        the base's size, every token it trains on (replay included), the answers it generates."""
        job = self.job
        p = self.profile
        left = max(0, sum(self.lengths) * self.epochs - self.tokens_seen)
        probe_cached = base_answers.cached(job, [x.prompt for x in job.probe], system=p.system_prompt,
                                           max_new_tokens=PROBE_TOKENS)
        generate = estimate.generate_calls(probe=len(job.probe) if p.probe else 0, probe_cached=probe_cached,
                                           replay=self.replay_count, replay_cached=self.replay_was_cached)
        base = job.base
        if base is None or not base.parameters:
            config = self.model.config
            trainable = sum(x.numel() for x in self.model.parameters() if x.requires_grad)
            base = ev.BaseModelFile(kind="hub", parameters=self.total_params - trainable,
                                    hidden=getattr(config, "hidden_size", None),
                                    layers=getattr(config, "num_hidden_layers", None),
                                    vocab=getattr(config, "vocab_size", None))
        longest = max((len(e.input_ids) for e in self.train_set), default=0)
        batch_tokens = p.batch_tokens or p.batch_size * min(p.max_seq_len, longest or p.max_seq_len)
        shape = estimate.shape_of(base)
        plan = estimate.memory_plan(shape, batch_tokens, available_gb=self.available_gb, device=self.device.type,
                                    checkpointing=p.gradient_checkpointing,
                                    weights="nf4" if getattr(self, "weights_used", "bf16") == "nf4" else "bf16")
        return estimate.for_run(shape, left, device=self.device.type, generate=generate, speeds=job.speeds,
                                batch_tokens=batch_tokens, plan=plan)

    def _replay(self, n_dataset: int) -> list[dict]:
        """The base model's own answers to general prompts, to mix in (base_answers.py)."""
        count = base_answers.replay_count(self.job, n_dataset)
        self.replay_was_cached = count <= 0 or base_answers.cached(
            self.job, self.job.replay_prompts[:count], system=self.profile.system_prompt,
            max_new_tokens=base_answers.REPLAY_TOKENS)
        if count <= 0:
            return []
        meter = StageMeter(self.log, "replay", "the base model answers general questions (replay)", count)
        self.model.eval()
        made = base_answers.replay_examples(self.model, self.tokenizer, self.job, n_dataset, meter=meter)
        self.model.train()
        return made

    def _encode_all(self, examples: list[dict]) -> tuple[list, list, int]:
        p = self.profile
        encoded, kept = [], []
        dropped = 0
        for ex in examples:
            try:
                e = batching.encode(self.tokenizer, ex, p.max_seq_len, p.system_prompt)
            except batching.TemplateError as exc:
                raise ConfigError(f"base model '{p.base_model}': {exc}") from exc
            if e.trained_tokens == 0:
                dropped += 1  # nothing left to learn after truncation
                continue
            encoded.append(e)
            kept.append(ex)
        return encoded, kept, dropped

    def _setup_data(self, examples: list[dict], replay: list[dict]) -> None:
        p = self.profile
        encoded, kept, dropped = self._encode_all(examples)
        if not encoded:
            raise ConfigError(
                f"no example has assistant tokens within max_seq_len={p.max_seq_len}; raise max_seq_len in the profile"
            )
        if dropped:
            self.log.emit(ev.Notice(message=f"{dropped} example(s) skipped: no assistant tokens within max_seq_len={p.max_seq_len}"))
        train_idx, eval_idx = batching.split_eval(len(encoded), p.eval_fraction, p.seed)
        replayed, _, _ = self._encode_all(replay)
        self.replay_count = len(replayed)
        self.train_set = [encoded[i] for i in train_idx] + replayed  # replay trains, never evaluates
        self.eval_set = [encoded[i] for i in eval_idx]
        self.eval_examples = [kept[i] for i in eval_idx]
        self.train_examples = [kept[i] for i in train_idx]
        self.lengths = [len(e.input_ids) for e in self.train_set]
        # batches per epoch vary with a token budget: count each epoch's (a pure function of it)
        self.total_steps = sum(math.ceil(len(self._batches(e)) / p.gradient_accumulation) for e in range(self.epochs))

    def _setup_optimizer(self) -> None:
        params = [x for x in self.model.parameters() if x.requires_grad]
        # fused AdamW on CUDA (one kernel for all LoRA tensors); on a CPU the step is ~0.2% of the time
        self.optimizer = torch.optim.AdamW(
            params, lr=self.profile.learning_rate, weight_decay=0.0, fused=self.device.type == "cuda" or None
        )
        warmup = math.ceil(self.profile.warmup_ratio * self.total_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _lr_lambda(warmup, self.total_steps))

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
        if not checkpoint.exists(self.checkpoint_dir):
            raise ConfigError(f"nothing to resume: no checkpoint in {self.checkpoint_dir / checkpoint.LAST}; start a new run")
        saved = checkpoint.read_state(self.checkpoint_dir)
        differs = sorted(k for k, v in self.profile.model_dump().items() if saved.profile.get(k) != v)
        if differs or saved.epochs != self.epochs:
            self.log.emit(ev.Notice(
                message="resuming with settings that differ from the checkpoint's: "
                + ", ".join(differs + (["epochs"] if saved.epochs != self.epochs else [])),
            ))
        try:
            state = checkpoint.restore(self.checkpoint_dir, self.model, self.optimizer, self.scheduler)
        except (ValueError, RuntimeError, KeyError) as exc:
            raise ConfigError(
                f"the checkpoint in {self.checkpoint_dir / checkpoint.LAST} does not fit this profile "
                f"({str(exc).splitlines()[0]}); resume with the profile it was made with, or start a new run"
            ) from exc
        self.step, self.start_epoch, self.start_batch = state.step, state.epoch, state.batch_index
        self.final_loss, self.eval_loss = state.last_loss, state.last_eval_loss
        self.tokens_seen = state.tokens_seen
        # the best evaluation so far, and its adapter, go on from where they were
        self.tracker.best_loss, self.tracker.best_step = state.best_eval_loss, state.best_step
        self.tracker.since_best = state.evals_since_best
        best = checkpoint.read_best(self.checkpoint_dir)
        if best is not None and state.best_eval_loss is not None:
            params = dict(self.model.named_parameters())
            self.best_state = {n: t.to(params[n].device, params[n].dtype) for n, t in best.items() if n in params}
        if self.start_batch >= len(self._batches(self.start_epoch)):
            self.start_epoch, self.start_batch = self.start_epoch + 1, 0

    # -- train ---------------------------------------------------------------------------

    def _batches(self, epoch: int) -> list[list[int]]:
        p = self.profile
        return batching.epoch_batches(self.lengths, p.batch_size, p.seed, epoch, max_tokens=p.batch_tokens)

    def _collate(self, items) -> Batch:
        return batching.collate(items, self.tokenizer.pad_token_id).to(self.device)

    def evaluate(self) -> float | None:
        if not self.eval_set:
            return None
        self.model.eval()
        total, count = torch.zeros((), device=self.device), 0
        with torch.no_grad():
            bs = self.profile.batch_size
            order = sorted(range(len(self.eval_set)), key=lambda i: len(self.eval_set[i].input_ids))
            for j in range(0, len(order), bs):
                batch = self._collate([self.eval_set[i] for i in order[j : j + bs]])
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
        step_times: list[float] = []
        pending: list[tuple] = []  # (epoch, step, lr, loss tensor, tokens so far) not yet read back
        window = {"t0": time.monotonic(), "tokens": 0}

        def flush() -> None:
            """Read the pending losses back (one host sync) and emit their progress events. On a
            CPU this runs every step; on CUDA every LOSS_SYNC_STEPS, and each event's tokens_per_s
            is then the window's non-padding tokens / the window's wall time."""
            if not pending:
                return
            elapsed = time.monotonic() - window["t0"]
            self.train_seconds += elapsed
            self.trained_tokens += window["tokens"]
            values = torch.stack([x[3] for x in pending]).tolist()
            tps = round(window["tokens"] / max(elapsed, 1e-9), 1)
            for (epoch, step, lr, _, seen), value in zip(pending, values):
                step_times.append(elapsed / len(pending))
                self.final_loss = value
                self.log.emit(ev.Progress(
                    epoch=epoch + 1, total_epochs=self.epochs, step=step, total_steps=self.total_steps,
                    loss=round(value, 6) if math.isfinite(value) else None, lr=lr, tokens_per_s=tps, tokens=seen,
                    eta_s=round(sum(step_times) / len(step_times) * (self.total_steps - step), 1),
                ))
                reason = self.divergence.check(step, value)
                if reason:  # ends the run as an error; the last epoch's checkpoint is left as it was
                    raise Diverged(reason)
            pending.clear()
            window.update(t0=time.monotonic(), tokens=0)

        sync_every = LOSS_SYNC_STEPS if self.device.type == "cuda" else 1
        params = self.optimizer.param_groups[0]["params"]
        for epoch in range(self.start_epoch, self.epochs):
            batches = self._batches(epoch)
            b = self.start_batch if epoch == self.start_epoch else 0
            window.update(t0=time.monotonic(), tokens=0)
            while b < len(batches):
                group = [[self.train_set[i] for i in idx] for idx in batches[b : b + accum]]
                cpu_batches = [batching.collate(items, self.tokenizer.pad_token_id) for items in group]
                n_targets = sum(x.n_targets for x in cpu_batches)
                window["tokens"] += sum(x.n_tokens for x in cpu_batches)
                self.tokens_seen += sum(x.n_tokens for x in cpu_batches)
                lr = self.optimizer.param_groups[0]["lr"]
                step_loss = torch.zeros((), device=self.device)
                for cb in cpu_batches:
                    batch = cb.to(self.device)
                    loss = loss_sum(self.model, batch, self.autocast) / n_targets
                    loss.backward()
                    step_loss += loss.detach()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                b += len(group)
                self.step += 1
                pending.append((epoch, self.step, lr, step_loss, self.tokens_seen))
                last, stop = b >= len(batches), self.cancel.is_set()
                if len(pending) >= sync_every or last or stop:
                    flush()
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
                self.stopped = ev.Cancelled(step=self.step, checkpoint=str(path), reason=self.cancel_reason())
                return "cancelled"
        return "done"

    def _evaluate_now(self, epoch: int) -> bool:
        """Eval loss now; keep the adapter when it is the best so far. True: stop early."""
        if not self.eval_set:
            return False
        self.eval_loss = self.evaluate()
        best, stop = self.tracker.update(self.step, self.eval_loss)
        if best:
            self.best_state = {n: x.detach().clone() for n, x in self.model.named_parameters() if x.requires_grad}
        self.log.emit(ev.Eval(epoch=epoch + 1, step=self.step, eval_loss=round(self.eval_loss, 6), best=best))
        return stop

    def _checkpoint(self, epoch: int, batch_index: int):
        path = checkpoint.save(self.checkpoint_dir, self.model, self.optimizer, self.scheduler,
                               self._state(epoch, batch_index), best=self.best_state)
        self.log.emit(ev.Checkpoint(epoch=epoch + 1 if batch_index else epoch, step=self.step, path=str(path)))
        return path

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

    def _cancelled(self, epoch: int, batch_index: int) -> str:
        path = checkpoint.save(self.checkpoint_dir, self.model, self.optimizer, self.scheduler,
                               self._state(epoch, batch_index), best=self.best_state)
        self.log.emit(ev.Checkpoint(epoch=epoch + 1, step=self.step, path=str(path)))
        self.stopped = ev.Cancelled(step=self.step, checkpoint=str(path), reason=self.cancel_reason())
        return "cancelled"

    # -- save ----------------------------------------------------------------------------

    def save(self) -> None:
        """The result: the best evaluation's adapter (or the last), then results.py writes the
        samples, the scores and the model file."""
        self.best_step = self.keep_best()
        self._save_adapter()
        results.write_all(self)

    def _save_adapter(self) -> None:
        tmp = self.run_dir / f".adapter.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save_pretrained(tmp, safe_serialization=True)
        token_rows.save(self.model, tmp)
        cfg_path = tmp / "adapter_config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["lora_alpha"] = int(self.profile.lora.alpha)  # Ollama parses it as an integer
        cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True))
        if self.adapter_dir.exists():
            shutil.rmtree(self.adapter_dir)
        os.replace(tmp, self.adapter_dir)
