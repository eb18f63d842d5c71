"""The one estimate of a run (preview and run record the same), fitted to runs measured at four
sizes (bench/model_sizes.py), and the memory plan: the cheapest way a run fits, or why not."""

from __future__ import annotations

from ollama_trainer import estimate

BUILTIN = estimate.Shape(134_515_008, 576, 30, 49152)
LLAMA_1B = estimate.Shape(1_235_814_400, 2048, 16, 128256)
LLAMA_8B = estimate.Shape(8_030_000_000, 4096, 32, 128256)
MEASURED = {  # bench/model_sizes.py on 2 CPU cores: (peak GB, trained tokens/s), batch of 4 x about 90 tokens
    "builtin": (BUILTIN, 1.12, 349.6), "llama1b": (LLAMA_1B, 4.00, 109.9),
    "gemma3": (estimate.Shape(268_098_176, 640, 18, 262144), 1.82, 186.0),
    "qwen0.5b": (estimate.Shape(494_032_768, 896, 24, 151936), 2.18, 208.6),
}


def test_the_formula_is_within_a_quarter_of_what_was_measured():
    for name, (shape, peak, speed) in MEASURED.items():
        assert abs(estimate.memory_gb(shape, 360) - peak) / peak < 0.25, name
        assert abs(estimate.tokens_per_s(shape) - speed) / speed < 0.25, name


def test_a_run_that_fits_keeps_everything_and_a_tight_one_turns_on_checkpointing():
    roomy = estimate.memory_plan(LLAMA_1B, 1024, available_gb=20.0)
    assert (roomy.checkpointing, roomy.weights, roomy.fits, roomy.why) == (False, "bf16", True, "")
    full = estimate.memory_gb(LLAMA_1B, 8192)
    tight = estimate.memory_plan(LLAMA_1B, 8192, available_gb=full * 0.8)
    assert tight.checkpointing and tight.fits and "gradient checkpointing" in tight.why
    assert tight.memory_gb < full


def test_a_run_that_cannot_fit_is_refused_naming_what_would_make_it_fit():
    cpu = estimate.memory_plan(LLAMA_8B, 2048, available_gb=8.0)
    assert not cpu.fits
    assert "lower max_seq_len or batch_size" in cpu.why and "4-bit weights" in cpu.why and "smaller base" in cpu.why
    gpu = estimate.memory_plan(LLAMA_8B, 2048, available_gb=16.0, device="cuda", nf4_possible=True)
    assert gpu.fits and gpu.weights == "nf4" and "4-bit weights (NF4)" in gpu.why
    off = estimate.memory_plan(LLAMA_8B, 2048, available_gb=8.0, checkpointing="off")
    assert "turn on gradient checkpointing" in off.why


def test_the_estimate_counts_the_answers_and_the_choice_of_checkpointing():
    plain = estimate.for_run(BUILTIN, 10_000, generate=0)
    with_answers = estimate.for_run(BUILTIN, 10_000, generate=estimate.generate_calls(probe=20, replay=40,
                                                                                      replay_cached=False))
    assert with_answers.duration_s > plain.duration_s
    plan = estimate.memory_plan(BUILTIN, 512, available_gb=None, checkpointing="on")
    slower = estimate.for_run(BUILTIN, 10_000, plan=plan)
    assert slower.gradient_checkpointing and slower.duration_s > plain.duration_s
    assert estimate.generate_calls(probe=20, probe_cached=True, replay=40, replay_cached=True) == 3


def test_a_small_set_is_told_the_epochs_it_needs():
    """Optimizer steps x learning rate reaching what the demos learn with: the Quick demo's
    0.0005 and batch 4 need 10 epochs for 13 examples (4 steps an epoch), 7 for 24 without replay
    (its identity run mixes 40 replay answers in: 16 steps an epoch, 3 epochs: its default)."""
    from ollama_trainer import catalog
    from ollama_trainer.training.run_preview import MOST_EPOCHS, epochs_needed

    demo = catalog.get_profile("quick-demo")
    assert (demo.learning_rate, demo.batch_size, demo.gradient_accumulation) == (0.0005, 4, 1)
    assert epochs_needed(13, demo) == 10
    assert epochs_needed(24, demo) == 7  # 6 steps an epoch: 0.003 x 7 >= 0.02
    assert epochs_needed(24 + 40, demo) == 3
    assert demo.default_epochs >= epochs_needed(24 + 40, demo)
    assert epochs_needed(13, demo.model_copy(update={"learning_rate": 0.02})) == 1
    assert epochs_needed(1, demo.model_copy(update={"learning_rate": 1e-7})) == MOST_EPOCHS
