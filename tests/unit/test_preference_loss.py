"""The DPO and ORPO losses equal TRL's on fixed numbers. TRL is not a dependency: its formulas
are restated here from its source, independently of the worker's code:

- trl/trainer/dpo_trainer.py, DPOTrainer.dpo_loss, loss_type="sigmoid", label_smoothing=0:
    logits = (pi_chosen - pi_rejected) - (ref_chosen - ref_rejected)
    losses = -logsigmoid(beta * logits)
    chosen_rewards = beta * (pi_chosen - ref_chosen); rejected_rewards = beta * (pi_rejected - ref_rejected)
  (sequence log-probs summed over the answer's tokens)
- trl/trainer/orpo_trainer.py, ORPOTrainer.odds_ratio_loss:
    log_odds = (c - r) - (log1p(-exp(c)) - log1p(-exp(r)));  losses = beta * logsigmoid(log_odds)
    and the step's loss is policy_nll_loss - losses.mean(); rewards beta * c, beta * r
  (c, r: mean token log-probs of the answers)
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from ollama_trainer.training.worker import preference  # noqa: E402


def logsigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


PI_C, PI_R = [-12.5, -30.0, -8.25], [-14.0, -22.0, -9.0]
REF_C, REF_R = [-13.0, -28.5, -8.0], [-13.5, -23.0, -9.5]


def test_dpo_loss_and_rewards_equal_trls():
    beta = 0.1
    losses, chosen, rejected = preference.dpo_losses(torch.tensor(PI_C), torch.tensor(PI_R), torch.tensor(REF_C),
                                                     torch.tensor(REF_R), beta)
    for k in range(3):
        logits = (PI_C[k] - PI_R[k]) - (REF_C[k] - REF_R[k])
        assert losses[k].item() == pytest.approx(-logsigmoid(beta * logits), rel=1e-6)
        assert chosen[k].item() == pytest.approx(beta * (PI_C[k] - REF_C[k]), rel=1e-6)
        assert rejected[k].item() == pytest.approx(beta * (PI_R[k] - REF_R[k]), rel=1e-6)


def test_dpo_loss_is_ln2_where_the_policy_is_the_reference():
    same = torch.tensor([-5.0, -7.0])
    losses, chosen, rejected = preference.dpo_losses(same, same - 1, same, same - 1, 0.5)
    assert losses.tolist() == pytest.approx([math.log(2)] * 2)
    assert chosen.tolist() == [0.0, 0.0] and rejected.tolist() == [0.0, 0.0]


def test_orpo_loss_and_rewards_equal_trls():
    beta = 0.25
    mean_c, mean_r = [-0.4, -1.3, -0.05], [-0.9, -0.7, -2.0]
    losses, chosen, rejected = preference.orpo_losses(torch.tensor(mean_c), torch.tensor(mean_r), beta)
    for k in range(3):
        c, r = mean_c[k], mean_r[k]
        log_odds = (c - r) - (math.log1p(-math.exp(c)) - math.log1p(-math.exp(r)))
        # TRL's `losses` is beta * logsigmoid(log_odds), subtracted from the NLL: ours is its negative
        assert losses[k].item() == pytest.approx(-beta * logsigmoid(log_odds), rel=1e-5)
        assert chosen[k].item() == pytest.approx(beta * c, rel=1e-6)
        assert rejected[k].item() == pytest.approx(beta * r, rel=1e-6)


def test_gradients_push_chosen_up_and_rejected_down():
    pi_c, pi_r = torch.tensor([-10.0], requires_grad=True), torch.tensor([-10.0], requires_grad=True)
    losses, _, _ = preference.dpo_losses(pi_c, pi_r, torch.tensor([-10.0]), torch.tensor([-10.0]), 0.1)
    losses.sum().backward()
    assert pi_c.grad.item() < 0 < pi_r.grad.item()  # gradient descent raises chosen, lowers rejected
