"""The worker's CPU threads: one CPU left to the rest of the machine (bench/cpu_threads.py has
the figures: a thread sharing its core with a busy process slows every step)."""

import pytest

from ollama_trainer.training.worker.devices import cpu_threads


@pytest.mark.parametrize("cpus, default, expected", [
    (2, 2, 1),    # the 2-core machine: 1 thread, the other core for the window and the app
    (1, 1, 1),    # never fewer than one
    (4, 4, 3),
    (16, 8, 8),   # 8 cores with SMT: torch's own 8, the siblings are left already
])
def test_all_cpus_but_one_within_torchs_default(cpus, default, expected):
    assert cpu_threads(cpus, default, env={}) == expected


def test_omp_num_threads_decides_when_set():
    assert cpu_threads(2, 2, env={"OMP_NUM_THREADS": "2"}) == 2
    assert cpu_threads(8, 8, env={"OMP_NUM_THREADS": " 0 "}) == 7  # not a usable count: ignored
