"""RLOO and the DPO family (sigmoid, robust, ipo) on a tiny local model: recorded values against an
independent float64 computation, TRL's loss against the papers' formulas, resume; config validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import DPO_CONFIG, load

from rlstudio.config import ConfigError, parse_config
from rlstudio.runformat import RunPaths, read_jsonl, read_manifest, read_shard, shards
from rlstudio.train import resume, run

PAIRS = [{"prompt": f"What is {a} + {b}?", "chosen": str(a + b), "rejected": f"{a + b + 1}, I think"}
         for a, b in [(1, 2), (3, 4), (5, 6), (7, 8), (2, 9), (4, 4)]]
VALID = "model: {name: m}\ndata: {path: d.jsonl}\n"


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return {p.path: p.message for p in info.value.problems}


# --- config ----------------------------------------------------------------------------------


def test_default_is_grpo_and_existing_configs_are_unchanged():
    config = parse_config(VALID + "rewards: [{name: a, ref: exact_answer}]\nalgorithm: {loss_type: dr_grpo}\n")
    assert config.algorithm.name == "grpo" and config.algorithm.loss_type == "dr_grpo"
    assert config.to_dict()["algorithm"]["scale_rewards"] == "group"


def test_dpo_fields_in_a_grpo_config_are_named():
    found = _problems(VALID + "rewards: [{name: a, ref: exact_answer}]\n"
                              "algorithm: {label_smoothing: 0.1, normalize_advantages: true, loss_typ: dapo}\n")
    assert found["algorithm.label_smoothing"] == ("`label_smoothing` is a DPO setting (`algorithm.name: dpo`), "
                                                  "not a GRPO one")
    assert "RLOO setting (`algorithm.name: rloo`)" in found["algorithm.normalize_advantages"]
    assert "did you mean `loss_type`" in found["algorithm.loss_typ"]
    found = _problems(VALID + "algorithm: {name: dpo, top_entropy_quantile: 0.2}\n")
    assert "GRPO setting" in found["algorithm.top_entropy_quantile"]


def test_robust_label_smoothing_must_stay_below_one_half():
    found = _problems(VALID + "algorithm: {name: dpo, loss_type: robust, label_smoothing: 0.5}\n")
    message = found["algorithm.label_smoothing"]
    assert "must be in [0, 0.5)" in message and "flipped" in message
    found = _problems(VALID + "algorithm: {name: dpo, label_smoothing: 0.2}\n")
    assert "only the robust loss uses it" in found["algorithm.label_smoothing"]
    assert parse_config(VALID + "algorithm: {name: dpo, loss_type: robust, label_smoothing: 0.49}\n")


def test_rloo_needs_two_completions_and_dpo_no_rewards():
    found = _problems(VALID + "rewards: [{name: a, ref: exact_answer}]\n"
                              "algorithm: {name: rloo, num_generations: 1, per_device_train_batch_size: 1}\n")
    assert "mean reward of the others" in found["algorithm.num_generations"]
    found = _problems(VALID + "rewards: [{name: a, ref: exact_answer}]\nalgorithm: {name: dpo}\n")
    assert "remove `rewards`" in found["rewards"]
    found = _problems(VALID + "algorithm: {name: dpo, extra: {precompute_ref_log_probs: true, beta: 1}}\n")
    assert "recorded per token" in found["algorithm.extra.precompute_ref_log_probs"]
    assert "directly" in found["algorithm.extra.beta"]
    found = _problems(VALID + "algorithm: {name: ppo}\n")
    assert "must be one of grpo, rloo, dpo" in found["algorithm.name"]


# --- helpers ---------------------------------------------------------------------------------


def _logprobs(model_dir: Path, prompt: str, token_ids: list[int]) -> torch.Tensor:
    """Log-probabilities of `token_ids` after `prompt` under the model saved in `model_dir`, in float64."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = _logprobs.models.get(str(model_dir))
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float64).eval()
        _logprobs.models[str(model_dir)] = model
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + token_ids])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1]
    return torch.log_softmax(logits, -1).gather(-1, torch.tensor(token_ids).unsqueeze(-1)).squeeze(-1)


_logprobs.models = {}


def _worst(rows: list[dict], column: str, model_dir: Path) -> float:
    worst = 0.0
    for row in rows:
        expected = _logprobs(model_dir, row["prompt"], row["token_ids"])
        worst = max(worst, (expected - torch.tensor(row[column], dtype=torch.float64)).abs().max().item())
    return worst


def _stop_after_first_step_then_resume(config, run_dir: Path) -> None:
    RunPaths(run_dir).control.mkdir(parents=True)
    (RunPaths(run_dir).control / "stop").touch()
    assert run(config, run_dir) == 0
    assert read_manifest(run_dir)["status"] == "stopped"
    assert [s for s, _ in shards(RunPaths(run_dir).rollouts)] == [1]
    assert resume(run_dir) == 0
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "completed" and manifest["resumedFrom"]["step"] == 1


# --- RLOO ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_rloo_records_like_grpo_and_resumes(workspace):
    config = load(workspace, "algorithm={name: rloo, num_generations: 4, per_device_train_batch_size: 8, "
                             "max_completion_length: 8, max_steps: 2, learning_rate: 0.001}",
                  "checkpoints.every_n_steps=1")
    run_dir = workspace / "run"
    _stop_after_first_step_then_resume(config, run_dir)
    manifest = read_manifest(run_dir)
    assert manifest["algorithm"] == "rloo" and manifest["config"]["algorithm"]["name"] == "rloo"
    by_step = {step: read_shard(path) for step, path in shards(RunPaths(run_dir).rollouts)}
    assert sorted(by_step) == [1, 2]
    assert [m["step"] for m in read_jsonl(RunPaths(run_dir).metrics)] == [1, 2]
    for rows in by_step.values():
        assert [(r["prompt_index"], r["group_index"]) for r in rows] == [(p, g) for p in range(2) for g in range(4)]
        for row in rows:
            n = len(row["token_ids"])
            assert len(row["logprobs"]) == len(row["entropies"]) == len(row["loss_mask"]) == n > 0
            assert all(m == 1 for m in row["loss_mask"]) and "role" not in row
        # TRL's leave-one-out advantage (beta = 0, no normalization): reward minus the others' mean.
        for p in range(2):
            group = [r for r in rows if r["prompt_index"] == p]
            for row in group:
                others = [o["reward"] for o in group if o is not row]
                assert row["advantage"] == pytest.approx(row["reward"] - sum(others) / 3, abs=1e-5)
    # Logprobs are the generating policy's: the initial model at step 1, checkpoint-1 at step 2.
    assert _worst(by_step[1], "logprobs", workspace / "model") <= 1e-4
    assert _worst(by_step[2], "logprobs", RunPaths(run_dir).checkpoint(1)) <= 1e-4


# --- DPO -------------------------------------------------------------------------------------


def _dpo_run(workspace: Path, *overrides: str) -> Path:
    (workspace / "prefs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in PAIRS))
    (workspace / "t.rlstudio.yaml").write_text(DPO_CONFIG)
    run_dir = workspace / "run"
    _stop_after_first_step_then_resume(load(workspace, *overrides), run_dir)
    return run_dir


def _pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    chosen = [r for r in rows if r["role"] == "chosen"]
    rejected = [r for r in rows if r["role"] == "rejected"]
    assert [r["prompt_index"] for r in chosen] == [r["prompt_index"] for r in rejected]
    assert all(r["group_index"] == 0 for r in chosen) and all(r["group_index"] == 1 for r in rejected)
    return list(zip(chosen, rejected))


def _check_dpo_run(workspace: Path, run_dir: Path, loss) -> None:
    """Recorded values vs an independent computation; TRL's logged loss vs `loss(delta)` per pair."""
    manifest = read_manifest(run_dir)
    assert manifest["algorithm"] == "dpo"
    beta = manifest["config"]["algorithm"]["beta"]
    metrics = {m["step"]: m["values"] for m in read_jsonl(RunPaths(run_dir).metrics)}
    assert sorted(metrics) == [1, 2]
    by_step = {step: read_shard(path) for step, path in shards(RunPaths(run_dir).rollouts)}
    assert sorted(by_step) == [1, 2]
    reference = workspace / "model"  # the initial policy, at every step
    for step, rows in by_step.items():
        pairs = _pairs(rows)
        assert len(pairs) == 2 and rows[0]["rewards"].keys() == {"implicit"}
        for row in rows:
            n = len(row["token_ids"])
            assert len(row["logprobs"]) == len(row["ref_logprobs"]) == len(row["implicit_rewards"]) == n > 0
            assert "".join(row["tokens"]) == row["completion"] and row["completion"].endswith("<|im_end|>\n")
            assert row["prompt"].startswith("<|im_start|>user\nWhat is") and row["advantage"] is None
            # implicit reward = beta × (log π − log π_ref), exactly, in the recorded float32
            logprobs = np.asarray(row["logprobs"], dtype=np.float32)
            ref_logprobs = np.asarray(row["ref_logprobs"], dtype=np.float32)
            assert np.array_equal(np.asarray(row["implicit_rewards"], dtype=np.float32),
                                  np.float32(beta) * (logprobs - ref_logprobs))
            assert row["reward"] == pytest.approx(beta * (float(logprobs.astype(np.float64).sum())
                                                          - float(ref_logprobs.astype(np.float64).sum())), abs=1e-6)
        assert _worst(rows, "ref_logprobs", reference) <= 1e-4
        policy = reference if step == 1 else RunPaths(run_dir).checkpoint(step - 1)  # weights before the update
        assert _worst(rows, "logprobs", policy) <= 1e-4
        # TRL's metrics agree with the recorded pairs.
        values = metrics[step]
        chosen = [c["reward"] for c, _ in pairs]
        rejected = [r["reward"] for _, r in pairs]
        assert values["rewards/chosen"] == pytest.approx(sum(chosen) / 2, abs=1e-5)
        assert values["rewards/margins"] == pytest.approx((sum(chosen) - sum(rejected)) / 2, abs=1e-5)
        assert values["logps/chosen"] == pytest.approx(sum(sum(c["logprobs"]) for c, _ in pairs) / 2, abs=1e-4)
        expected = [loss(c, r, beta) for c, r in pairs]
        assert values["loss"] == pytest.approx(sum(expected) / len(expected), abs=1e-5)
    assert by_step[2][0]["logprobs"] != by_step[2][0]["ref_logprobs"]  # the policy moved after step 1


def _delta(chosen: dict, rejected: dict) -> float:
    """(log π − log π_ref)(chosen) − (log π − log π_ref)(rejected), summed over tokens, from the shard."""
    return (sum(chosen["logprobs"]) - sum(chosen["ref_logprobs"])) - (sum(rejected["logprobs"])
                                                                      - sum(rejected["ref_logprobs"]))


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


@pytest.mark.slow
def test_dpo_sigmoid(workspace):
    run_dir = _dpo_run(workspace)
    _check_dpo_run(workspace, run_dir, lambda c, r, beta: -_log_sigmoid(beta * _delta(c, r)))


@pytest.mark.slow
def test_robust_dpo_loss_is_the_rdpo_formula(workspace):
    """rDPO (Chowdhury et al. 2024, eq. 8): ((1−ε)·ℓ(βΔ) − ε·ℓ(−βΔ)) / (1−2ε), ℓ(x) = −log σ(x)."""
    eps = 0.2
    run_dir = _dpo_run(workspace, "algorithm.loss_type=robust", f"algorithm.label_smoothing={eps}")

    def rdpo(c, r, beta):
        z = beta * _delta(c, r)
        return ((1 - eps) * -_log_sigmoid(z) - eps * -_log_sigmoid(-z)) / (1 - 2 * eps)

    _check_dpo_run(workspace, run_dir, rdpo)
    # A hand-computed pair: Δ = 2, β = 0.1, ε = 0.2 → z = 0.2.
    z = 0.2
    by_hand = (0.8 * math.log(1 + math.exp(-z)) - 0.2 * math.log(1 + math.exp(z))) / 0.6
    assert by_hand == pytest.approx(0.531472, abs=1e-6)
    assert rdpo({"logprobs": [-1.0], "ref_logprobs": [-3.0]}, {"logprobs": [-2.0], "ref_logprobs": [-2.0]},
                0.1) == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.slow
def test_ipo(workspace):
    """IPO (Azar et al. 2023, eq. 17) on the per-token-averaged log-ratios, as TRL computes it."""
    run_dir = _dpo_run(workspace, "algorithm.loss_type=ipo", "algorithm.beta=0.5")

    def ipo(c, r, beta):
        avg = lambda row: (sum(row["logprobs"]) - sum(row["ref_logprobs"])) / len(row["logprobs"])  # noqa: E731
        return (avg(c) - avg(r) - 1 / (2 * beta)) ** 2

    _check_dpo_run(workspace, run_dir, ipo)


@pytest.mark.slow
def test_dpo_with_lora_reference_is_the_model_without_adapters(workspace):
    run_dir = _dpo_run(workspace, "model.lora={r: 4, alpha: 8}", "algorithm.learning_rate=0.01")
    rows = read_shard(RunPaths(run_dir).shard(2))
    assert _worst(rows, "ref_logprobs", workspace / "model") <= 1e-4
    assert rows[0]["logprobs"] != rows[0]["ref_logprobs"]
