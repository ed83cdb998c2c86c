"""`rlstudio demo`: the shipped config, the summary it prints, and one real step end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlstudio.config import load_config
from rlstudio.demo import CONFIG, main, read_rewards, summary

REPO = Path(__file__).resolve().parents[2]


def test_examples_copy_is_the_shipped_config():
    assert (REPO / "examples" / "demo.rlstudio.yaml").read_text() == CONFIG.read_text()


def test_shipped_config_is_valid_and_uses_the_embedded_model():
    config = load_config(CONFIG)
    assert config.model.name == "embedded:smollm2-135m"
    assert config.model.lora is not None
    assert config.data.reasoning_gym.task == "chain_sum"
    assert config.algorithm.max_steps >= 20  # first 10 and last 10 steps do not overlap


def test_read_rewards_tolerates_a_half_written_line_and_nulls(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    lines = [{"step": 1, "t": 0, "values": {"reward": 0.25}}, {"step": 2, "t": 0, "values": {"reward": None}},
             {"step": 3, "t": 0, "values": {"loss": 1.0}}, {"step": 4, "t": 0, "values": {"reward": 0.75}}]
    metrics.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"step": 5, "values": {"rew')
    assert read_rewards(metrics) == [(1, 0.25), (4, 0.75)]
    assert read_rewards(tmp_path / "missing.jsonl") == []


def test_summary_compares_the_first_and_last_ten_steps():
    rewards = [(step, 0.1 if step <= 10 else 0.5) for step in range(1, 41)]
    text = summary(rewards, 7.25)
    assert "mean reward, steps 1-10: 0.100" in text
    assert "mean reward, steps 31-40: 0.500" in text
    assert "change: +0.400 in 40 steps, 7.2 min" in text
    assert "overlap" not in text
    assert "overlap" in summary(rewards[:12], 1.0)
    assert "no reward was logged" in summary([], 0.1)


def test_bad_steps_argument_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--steps", "0"])
    assert exit_info.value.code == 2
    assert "must be a positive integer" in capsys.readouterr().err


@pytest.mark.slow
def test_one_step_demo_writes_a_run_and_prints_the_rewards(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["--steps", "1", "--seed", "3", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "completed"
    assert manifest["model"] == "embedded:smollm2-135m" and manifest["config"]["seed"] == 3
    (step, reward), = read_rewards(run_dir / "metrics.jsonl")
    assert step == 1 and 0.0 <= reward <= 1.5
    assert f"mean reward, steps 1-1: {reward:.3f}" in out
    assert f"run directory: {run_dir.resolve()}" in out
    assert list((run_dir / "rollouts").glob("step-00000001.parquet"))
