"""Fault injection for a real worker process: `python inject.py -m ollama_trainer.training.worker ...`
applies the faults named in OT_FAULTS (comma-separated), then runs the module as usual. The
training manager runs it through a wrapper script given as its `python` (see conftest.py).

    enospc:<file name>:<n>   writes to files of that name fail with ENOSPC after n whole writes;
                             the failing write first puts half its bytes on disk (a torn line)
    enospc_checkpoint:<n>    the n-th checkpoint save fails with ENOSPC part-way through
    oom_after_setup:<mib>    after the recipe's setup, the address space is capped at its current
                             size plus <mib> MiB (RLIMIT_AS) and the batch made as large as the
                             dataset: the first training step runs out of memory
    silent_after_setup       after setup, the trainer sleeps without a word (a hung trainer)
    slow_replay:<s>          every token of the replay answers takes <s> seconds more (a slow
                             machine, or a big base answering the replay questions)
    foreign_lines            before each event, the trainer writes lines an app cannot use (an
                             unknown event, a known one with bad fields, non-JSON, a JSON list,
                             invalid UTF-8) to both its stdout and events.jsonl
"""

from __future__ import annotations

import errno
import os
import runpy
import sys


def _enospc_file(name: str, after: int) -> None:
    real_write = os.write
    count = {"n": 0}

    def write(fd, data):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if os.path.basename(target) != name:
            return real_write(fd, data)
        count["n"] += 1
        if count["n"] <= after:
            return real_write(fd, data)
        if count["n"] == after + 1 and len(data) > 1:
            return real_write(fd, bytes(data)[: len(data) // 2])  # a short write; the next call fails
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    os.write = write


def _enospc_checkpoint(nth: int) -> None:
    from ollama_trainer.training.worker import checkpoint

    real_save = checkpoint.torch.save
    calls = {"n": 0}

    def save(obj, f, *args, **kwargs):
        if str(f).endswith("optimizer.pt"):
            calls["n"] += 1
            if calls["n"] == nth:
                with open(f, "wb") as out:
                    out.write(b"\x80\x02partial")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(f))
        return real_save(obj, f, *args, **kwargs)

    checkpoint.torch.save = save


def _after_setup(action) -> None:
    from ollama_trainer.training.worker import recipe as trainer

    real_setup = trainer.LoRARecipe.setup

    def setup(self):
        real_setup(self)
        action(self)

    trainer.LoRARecipe.setup = setup


def _cap_memory(extra_mib: int):
    def action(recipe) -> None:
        import resource

        with open("/proc/self/statm") as f:
            vm_bytes = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = vm_bytes + extra_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        # Every example in one batch: its logits (tens of MB over the whole vocabulary) cannot
        # come from memory that is already mapped, so the first step surely runs out.
        recipe.profile.batch_size = 1024
    return action


def _go_silent(recipe) -> None:
    import time

    time.sleep(3600)


FOREIGN = [b'{"event":"nope"}', b'{"event":"progress","step":"x"}', b'{"event":"done","steps":[]}',
           b'not json at all', b'[1, 2, 3]', b'\xff\xfe\x00garbage', b'{"event": 7}']


def _foreign_lines() -> None:
    from ollama_trainer.training.worker import event_log

    real_emit = event_log.EventLog.emit

    def emit(self, event):
        for raw in FOREIGN:
            os.write(1, raw + b"\n")
            with open(self.path, "ab") as f:
                f.write(raw + b"\n")
        return real_emit(self, event)

    event_log.EventLog.emit = emit


def _slow_replay(seconds: float) -> None:
    import time

    from ollama_trainer.training.worker import generation
    from ollama_trainer.training.worker import recipe as trainer

    real_call, real_replay = generation._EachStep.__call__, trainer.LoRARecipe._replay
    slow = {"on": False}

    def call(self, input_ids, scores, **kwargs):
        if slow["on"]:
            time.sleep(seconds)
        return real_call(self, input_ids, scores, **kwargs)

    def replay(self, n_dataset):
        slow["on"] = True
        try:
            return real_replay(self, n_dataset)
        finally:
            slow["on"] = False

    generation._EachStep.__call__ = call
    trainer.LoRARecipe._replay = replay


def apply(spec: str) -> None:
    for fault in filter(None, spec.split(",")):
        kind, *args = fault.split(":")
        if kind == "enospc":
            _enospc_file(args[0], int(args[1]))
        elif kind == "enospc_checkpoint":
            _enospc_checkpoint(int(args[0]))
        elif kind == "oom_after_setup":
            _after_setup(_cap_memory(int(args[0])))
        elif kind == "silent_after_setup":
            _after_setup(_go_silent)
        elif kind == "slow_replay":
            _slow_replay(float(args[0]))
        elif kind == "foreign_lines":
            _foreign_lines()
        else:
            raise SystemExit(f"inject.py: unknown fault {fault!r}")


if __name__ == "__main__":
    apply(os.environ.get("OT_FAULTS", ""))
    if len(sys.argv) < 3 or sys.argv[1] != "-m":
        raise SystemExit("usage: inject.py -m MODULE ARGS...")
    module = sys.argv[2]
    sys.argv = [module] + sys.argv[3:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
