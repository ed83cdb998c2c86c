"""The `eval:` config section and the eval prompt sources (file, reasoning-gym, split, training data)."""

from __future__ import annotations

import json

import pytest
from conftest import load

from rlstudio.config import ConfigError


def problems(workspace, *overrides: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(workspace, *overrides)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def test_eval_section_problems(workspace):
    assert load(workspace, "eval={samples: 256, k: [1, 256]}").eval.samples == 256
    found = problems(workspace, "eval={data: x.jsonl, split: 0.1, samples: 0, temperature: 0}")
    assert any("set at most one of `data`, `reasoning_gym`, `split`" in p for p in found)
    assert "eval.samples: must be a positive integer" in found
    assert any(p.startswith("eval.temperature: must be > 0") for p in found)
    found = problems(workspace, "eval={pass_when: {reward: nope}}")
    assert found == ["eval.pass_when.reward: no reward entry named 'nope' (rewards: exact, length)"]
    # reasoning-gym draws problem i from seed + i: seed 4 would repeat training problems 1…9 of seed 3
    found = problems(workspace, "data={reasoning_gym: {task: chain_sum, seed: 3, size: 10}}",
                     "rewards=[{name: rg, ref: reasoning_gym}]", "eval={reasoning_gym: {seed: 4, size: 5}}")
    assert found == ["eval.reasoning_gym.seed: reasoning-gym draws problem i from seed + i, so seeds 3…12 give "
                     "training problems and this eval would repeat some; use a seed >= 13 (or <= -2)"]
    assert load(workspace, "data={reasoning_gym: {task: chain_sum, seed: 3, size: 10}}",
                "rewards=[{name: rg, ref: reasoning_gym}]", "eval={reasoning_gym: {seed: 13, size: 5}}")
    found = problems(workspace, "data.eval_fraction=0.2", "eval={split: 0.1}")
    assert found[0].startswith("eval.split: data.eval_fraction (0.2) already holds rows out")


def test_prompt_sources(workspace):
    from transformers import AutoTokenizer

    from rlstudio.data import load_dataset
    from rlstudio.evals.config import EvalConfig, EvalReasoningGymConfig
    from rlstudio.evals.prompts import load_eval_prompts

    tokenizer = AutoTokenizer.from_pretrained(workspace / "model")
    (workspace / "held.jsonl").write_text(json.dumps({"question": "What is 9 + 9?", "answer": "18"}) + "\n")
    config = load(workspace)
    held = load_eval_prompts(config, EvalConfig(data="held.jsonl"), tokenizer, 10)
    assert held.source["kind"] == "file" and held.answer(0) == "18" and len(held.rows) == 1
    assert held.texts[0] == "<|im_start|>user\nWhat is 9 + 9?<|im_end|>\n<|im_start|>assistant\n"
    assert tokenizer.decode(held.token_ids[0]) == held.texts[0]

    config = load(workspace, "eval={split: 0.5}")
    train, _ = load_dataset(config)  # the split is held out of training too
    split = load_eval_prompts(config, config.eval, tokenizer, 10)
    assert split.source == {"kind": "split", "fraction": 0.5,
                            "detail": "50% of the training data, held out from training (seed 0)"}
    assert len(train) == 2 and len(split.rows) == 2
    assert not {r["question"] for r in split.rows} & set(train["question"])

    config = load(workspace, "data={reasoning_gym: {task: chain_sum, size: 10, seed: 1}}",
                  "rewards=[{name: rg, ref: reasoning_gym}]")
    rg = load_eval_prompts(config, EvalConfig(reasoning_gym=EvalReasoningGymConfig(seed=11)), tokenizer, 4)
    assert rg.source["kind"] == "reasoning_gym" and rg.source["seed"] == 11 and len(rg.rows) == 4
    train, _ = load_dataset(config)
    assert not {r["question"] for r in rg.rows} & set(train["question"])

    default = load_eval_prompts(load(workspace), EvalConfig(), tokenizer, 3)
    assert default.source["kind"] == "train" and [r["question"] for r in default.rows] == [
        "What is 1 + 2?", "What is 2 + 2?", "What is 3 + 4?"]
