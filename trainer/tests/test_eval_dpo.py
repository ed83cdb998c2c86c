"""`rlstudio eval` on a real tiny DPO run: refused with what to configure when nothing scores the samples,
scored with `eval.rewards` otherwise, on the distinct prompts of the preference pairs."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest
from conftest import DPO_CONFIG, load, make_workspace

from rlstudio.cli import main as cli
from rlstudio.config import ConfigError
from rlstudio.evals.prompts import load_eval_prompts
from rlstudio.evals.runner import run_eval
from rlstudio.runformat import read_eval_manifest
from rlstudio.train import run

pytestmark = pytest.mark.slow

# Two pairs share each of the first two prompts: the eval samples each distinct prompt once.
PAIRS = [{"prompt": f"What is {a} + {b}?", "chosen": str(a + b), "rejected": f"{a + b + 1}, I think"}
         for a, b in [(1, 2), (1, 2), (3, 4), (3, 4), (5, 6), (7, 8)]]
# `chosen_is_the_sum` checks that each sample's `chosen` column belongs to its own prompt;
# `short` scores the completion itself.
EVAL_REWARDS = '''
import re

def chosen_is_the_sum(prompts, completions, chosen, **kwargs):
    out = []
    for prompt, answer in zip(prompts, chosen):
        text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
        a, b = map(int, re.findall(r"\\d+", text)[:2])
        out.append(1.0 if answer == str(a + b) else 0.0)
    return out

def short(completions, **kwargs):
    return [1.0 if len(str(c)) < 1000 else 0.0 for c in completions]
'''
REWARDS_SET = ("eval.rewards=[{name: aligned, ref: 'eval_rewards.py:chosen_is_the_sum'}, "
               "{name: short, ref: 'eval_rewards.py:short'}]")


def _dpo_workspace(root, tiny_model):
    ws = make_workspace(root, tiny_model)
    (ws / "prefs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in PAIRS))
    (ws / "t.rlstudio.yaml").write_text(DPO_CONFIG)
    (ws / "eval_rewards.py").write_text(EVAL_REWARDS)
    return ws


@pytest.fixture(scope="module")
def dpo_run(tmp_path_factory, tiny_model):
    ws = _dpo_workspace(tmp_path_factory.mktemp("dpo"), tiny_model)
    assert run(load(ws), ws / "run") == 0
    return ws / "run"


def test_eval_of_a_dpo_run_without_rewards_says_what_to_configure(dpo_run, capsys):
    """Was an IndexError traceback from deep in the judge (a DPO run has no `rewards`)."""
    assert run_eval(str(dpo_run), ["base", "latest"], {"prompts": 2, "samples": 2}, None, "no-rewards") == 2
    message = capsys.readouterr().err
    assert "is a DPO run" in message and "without reward functions" in message
    assert "--set 'eval.rewards=[{name: exact, ref: exact_answer}]'" in message
    assert not (dpo_run / "evals" / "no-rewards").exists()  # refused before writing anything


def test_eval_of_a_dpo_run_scores_with_eval_rewards(dpo_run):
    code = cli(["eval", str(dpo_run), "--prompts", "10", "--samples", "2", "--max-new-tokens", "4",
                "--eval-id", "scored", "--set", REWARDS_SET])
    assert code == 0
    eval_dir = dpo_run / "evals" / "scored"
    manifest = read_eval_manifest(eval_dir)
    assert manifest["status"] == "completed" and manifest["rewardNames"] == ["aligned", "short"]
    assert manifest["passWhen"] == {"reward": "aligned", "atLeast": 1.0, "chosenBy": "default"}
    assert manifest["promptSource"]["kind"] == "train" and "preference pairs" in manifest["promptSource"]["detail"]
    assert manifest["params"]["prompts"] == 4 and manifest["params"]["maxNewTokens"] == 4
    prompts = [json.loads(line)["prompt"] for line in (eval_dir / "prompts.jsonl").read_text().splitlines()]
    assert [re.search(r"What is \d+ \+ \d+\?", p).group(0) for p in prompts] == [
        "What is 1 + 2?", "What is 3 + 4?", "What is 5 + 6?", "What is 7 + 8?"]
    for checkpoint in ("base", "checkpoint-2"):
        table = pq.read_table(eval_dir / f"{checkpoint}.parquet").to_pylist()
        assert len(table) == 8 and all(row["reward_error"] is None for row in table)
        assert {row["rewards"]["aligned"] for row in table} == {1.0}  # each prompt got its own pair's `chosen`
        summary = json.loads((eval_dir / "summary.json").read_text())["checkpoints"][checkpoint]
        assert summary["meanReward"]["aligned"] == 1.0 and summary["passAtK"]["1"] == 1.0


def test_dpo_eval_split_holds_pairs_out_of_training_and_evaluates_them(tmp_path, tiny_model):
    from transformers import AutoTokenizer

    ws = _dpo_workspace(tmp_path, tiny_model)
    config = load(ws, "eval={split: 0.5}", REWARDS_SET)
    from rlstudio.preferences import load_preferences

    train, held_out = load_preferences(config)
    assert len(train) == 3 and len(held_out) == 3  # eval.split holds pairs out as data.eval_fraction does
    prompts = load_eval_prompts(config, config.eval, AutoTokenizer.from_pretrained(ws / "model"), 50)
    assert prompts.source["kind"] == "split" and "held out from training" in prompts.source["detail"]
    held = {r["prompt"][-1]["content"] for r in held_out}
    assert {row["prompt"][-1]["content"] for row in prompts.rows} == held and len(prompts.rows) == len(held)


def test_eval_rewards_are_validated_like_rewards(tmp_path, tiny_model):
    ws = _dpo_workspace(tmp_path, tiny_model)
    with pytest.raises(ConfigError) as info:  # load_config runs check_references (validate does too)
        load(ws, "eval.rewards=[{name: a, ref: 'missing.py:f'}, {name: b, ref: 'eval_rewards.py:nope'}]")
    found = {p.path: p.message for p in info.value.problems}
    assert found["eval.rewards[0].ref"].startswith("reward file not found:")
    assert "defines no top-level function `nope`" in found["eval.rewards[1].ref"]
    with pytest.raises(ConfigError) as info:
        load(ws, "eval={rewards: [], pass_when: {reward: x}}")
    messages = {p.path: p.message for p in info.value.problems}
    assert "list at least one reward function" in messages["eval.rewards"]
    assert "no reward entry named 'x'" in messages["eval.pass_when.reward"]
    with pytest.raises(ConfigError, match="eval.rewards: a DPO run has no reward functions to score its periodic"):
        load(ws, "eval={every_n_steps: 1}")


def test_periodic_eval_of_a_dpo_run_with_eval_rewards(tmp_path, tiny_model):
    from rlstudio.runformat import RunPaths, read_jsonl

    ws = _dpo_workspace(tmp_path, tiny_model)
    rewards = REWARDS_SET.split("=", 1)[1]
    config = load(ws, f"eval={{every_n_steps: 1, prompts: 2, samples: 2, max_new_tokens: 4, rewards: {rewards}}}")
    assert run(config, ws / "run") == 0
    metrics = {m["step"]: m["values"] for m in read_jsonl(RunPaths(ws / "run").metrics)}
    assert [metrics[step]["eval/mean_reward"] for step in (1, 2)] == [2.0, 2.0]  # aligned 1 + short 1 (weights 1)
    (eval_dir,) = (ws / "run" / "evals").iterdir()
    assert sorted(p.name for p in eval_dir.glob("policy-step-*.parquet")) == ["policy-step-1.parquet",
                                                                              "policy-step-2.parquet"]
