"""The training worker's in-process parts on the tiny model: which tokens are trained (labels),
how an epoch is cut into batches (length-grouped, or by a token budget), and the loss and LoRA
gradients of the fused training step against HF's. The worker as a subprocess is test_worker.py."""

from __future__ import annotations

from .conftest import ALL_MODULES


def test_lm_head_on_labelled_positions_equals_hf_loss(tiny_model):
    """The trainer's loss (lm_head only where there are labels) equals HF's full-logits loss."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ollama_trainer.training.worker import batching
    from ollama_trainer.training.worker.recipe import loss_sum

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    torch.manual_seed(1)
    with torch.no_grad():  # non-zero LoRA B, so the adapter takes part
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    examples = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, friend."}]},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A much longer question about colours and things?"},
                      {"role": "assistant", "content": "Blue."}, {"role": "user", "content": "And?"}, {"role": "assistant", "content": "Red."}]},
        {"text": "Plain text is trained on every token."},
    ]
    batch = batching.collate([batching.encode(tok, e, 128) for e in examples], tok.pad_token_id)
    assert batch.attention_mask.min() == 0  # padding is present
    model.eval()
    with torch.no_grad():
        ours = loss_sum(model, batch) / batch.n_targets
        theirs = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
    assert abs(ours.item() - theirs.item()) < 1e-4
    assert ours.item() > 1.0  # a real loss, not a degenerate zero


def test_labels_cover_assistant_turns_and_end_token(builtin_model):
    from transformers import AutoTokenizer

    from ollama_trainer.training.worker import batching

    tok = AutoTokenizer.from_pretrained(str(builtin_model))
    e = batching.encode(tok, {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Lumen."},
                                           {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes."}]}, 256)
    trained = tok.decode([t for t, l in zip(e.input_ids, e.labels) if l != -100])
    assert trained == "I am Lumen.<|im_end|>Yes.<|im_end|>"
    cut = batching.encode(tok, {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Lumen."}]}, 20)
    assert len(cut.input_ids) == 20 and len(cut.labels) == 20


def test_epoch_batches_are_length_grouped_and_reproducible():
    from ollama_trainer.training.worker import batching

    lengths = [(i * 37) % 101 + 5 for i in range(230)]
    a = batching.epoch_batches(lengths, 4, seed=7, epoch=0, mega_mult=10)
    assert a == batching.epoch_batches(lengths, 4, seed=7, epoch=0, mega_mult=10)  # a function of (seed, epoch)
    assert a != batching.epoch_batches(lengths, 4, seed=7, epoch=1, mega_mult=10)
    assert a != batching.epoch_batches(lengths, 4, seed=8, epoch=0, mega_mult=10)
    assert sorted(i for b in a for i in b) == list(range(230))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in a)
    assert padded < 1.15 * sum(lengths)  # grouping keeps padding small (random batches: ~1.5x)


def test_fused_training_step_equals_hf_loss_and_gradients(tiny_model):
    """The training path (causal-only attention on right-padded rows, fused LoRA addmm, chunked
    lm_head + cross-entropy with its gradient) gives HF's masked full-logits loss and the same
    LoRA gradients, on a batch with padding, prompt tokens and a plain-text row."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ollama_trainer.training.worker import batching, fused
    from ollama_trainer.training.worker.recipe import loss_sum

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)
    plain = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=list(ALL_MODULES), task_type="CAUSAL_LM"))
    torch.manual_seed(2)
    with torch.no_grad():
        for name, p in plain.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    ours = copy.deepcopy(plain)
    assert fused.fuse_lora(ours) == 2 * len(ALL_MODULES)
    examples = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, friend. " * 6}]},
        {"messages": [{"role": "user", "content": "A longer question about colours?"}, {"role": "assistant", "content": "Blue."},
                      {"role": "user", "content": "And?"}, {"role": "assistant", "content": "Red."}]},
        {"text": "Plain text is trained on every token."},
    ]
    batch = batching.collate([batching.encode(tok, e, 128) for e in examples], tok.pad_token_id)
    assert batch.attention_mask.min() == 0
    ours.train()
    plain.train()
    loss_ours = loss_sum(ours, batch, chunk=7) / batch.n_targets  # several chunks, a ragged last one
    loss_ours.backward()
    loss_hf = plain(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
    loss_hf.backward()
    assert abs(loss_ours.item() - loss_hf.item()) < 1e-4 and loss_hf.item() > 1.0
    grads_hf = {n: p.grad for n, p in plain.named_parameters() if p.requires_grad}
    grads_ours = {n: p.grad for n, p in ours.named_parameters() if p.requires_grad}
    assert grads_ours.keys() == grads_hf.keys() and len(grads_hf) == 4 * len(ALL_MODULES)
    for name, g in grads_hf.items():
        assert g.abs().max() > 0, name
        assert torch.allclose(grads_ours[name], g, rtol=1e-3, atol=1e-5), name
    # under bf16 autocast (CUDA, and CPUs with native bf16) the same path stays close to fp32
    ours.zero_grad()
    loss_bf16 = loss_sum(ours, batch, lambda: torch.autocast("cpu", dtype=torch.bfloat16), chunk=7) / batch.n_targets
    loss_bf16.backward()
    assert loss_bf16.dtype == torch.float32 and abs(loss_bf16.item() - loss_hf.item()) < 0.02 * loss_hf.item()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for n, p in ours.named_parameters() if p.requires_grad)


def test_token_budget_batches_fit_the_budget_and_cover_every_example():
    from ollama_trainer.training.worker import batching

    lengths = [(i * 53) % 480 + 20 for i in range(300)]
    a = batching.epoch_batches(lengths, 4, seed=3, epoch=0, max_tokens=2048)
    assert a == batching.epoch_batches(lengths, 4, seed=3, epoch=0, max_tokens=2048)
    assert sorted(i for b in a for i in b) == list(range(300))
    assert all(len(b) * max(lengths[i] for i in b) <= 2048 for b in a)
    sizes = {len(b) for b in a}
    assert max(sizes) >= 8 and min(sizes) <= 4  # short examples go many to a batch, long ones few
    assert batching.epoch_batches([5000, 10, 10], 4, seed=1, epoch=0, max_tokens=100) != []  # an over-budget example: a batch of its own
    assert sorted(map(len, batching.epoch_batches([5000, 10, 10], 4, seed=1, epoch=0, max_tokens=100))) == [1, 2]


def test_trained_token_rows_in_the_fused_loss_equal_a_head_with_those_rows_replaced():
    """token_rows.py's rows reach the loss without a copy of the head: the fused cross-entropy
    with rows gives the loss and the gradients (for h and for the rows) of the plain computation
    on a head whose rows were replaced."""
    import torch

    from ollama_trainer.training.worker.fused import _HeadCrossEntropy

    torch.manual_seed(0)
    vocab, hidden, n = 300, 16, 50
    weight = torch.randn(vocab, hidden)
    index = torch.tensor([3, 7, 250])
    rows = torch.randn(3, hidden, requires_grad=True)
    h = torch.randn(n, hidden, requires_grad=True)
    targets = torch.randint(0, vocab, (n,))
    targets[:5] = 7  # some targets are the trained tokens
    fused = _HeadCrossEntropy.apply(h, weight, targets, 16, index, rows)
    fused.backward()
    grad_h, grad_rows = h.grad.clone(), rows.grad.clone()

    h.grad, rows.grad = None, None
    replaced = weight.index_copy(0, index, rows)
    plain = torch.nn.functional.cross_entropy(h @ replaced.T, targets, reduction="sum")
    plain.backward()
    assert torch.allclose(fused, plain, rtol=1e-5)
    assert torch.allclose(grad_h, h.grad, rtol=1e-4, atol=1e-5)
    assert torch.allclose(grad_rows, rows.grad, rtol=1e-4, atol=1e-5)


def test_gradient_checkpointing_gives_the_same_loss_and_gradients(tiny_model):
    """Checkpointing recomputes activations in the backward pass: same numbers, less memory."""
    import torch

    from ollama_trainer.contracts import TrainingProfile
    from ollama_trainer.training.worker import base_models, batching, preparation
    from ollama_trainer.training.worker.fused import loss_sum
    from tests.integration.conftest import profile

    results = []
    for on in (False, True):
        model, tok = base_models.load(str(tiny_model), tiny_model.parent, dtype=torch.bfloat16)
        m = preparation.attach_lora(model, TrainingProfile.model_validate(profile(tiny_model)))
        if on:
            m.get_base_model().gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        m.train()
        ex = {"messages": [{"role": "user", "content": "What colour is the sky?"},
                           {"role": "assistant", "content": "The sky is blue."}]}
        batch = batching.collate([batching.encode(tok, ex, 64)] * 2, tok.pad_token_id)
        loss = loss_sum(m, batch) / batch.n_targets
        loss.backward()
        grads = {n: p.grad.clone() for n, p in m.named_parameters() if p.requires_grad}
        results.append((float(loss), grads))
    (plain, g1), (ckpt, g2) = results
    assert abs(plain - ckpt) < 1e-5
    assert all(torch.allclose(g1[n], g2[n], rtol=1e-4, atol=1e-6) for n in g1)


def test_a_small_set_holds_out_at_least_three_examples():
    """One held-out answer says little of what a run learned: from 10 examples, 3 are held out
    (more when the fraction asks for more), always the same ones for a seed, never all."""
    from ollama_trainer.training.worker import batching

    for n, fraction, held in ((4, 0.1, 0), (5, 0.1, 1), (9, 0.1, 1), (10, 0.1, 3), (13, 0.1, 3), (30, 0.1, 3),
                              (40, 0.1, 4), (12, 0.5, 6), (12, 0.0, 0)):
        train, evaluated = batching.split_eval(n, fraction, seed=42)
        assert len(evaluated) == held, (n, fraction)
        assert sorted(train + evaluated) == list(range(n))
        assert batching.split_eval(n, fraction, seed=42) == (train, evaluated)
