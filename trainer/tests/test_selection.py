"""Difficulty-targeted selection: the sampler's preference on synthetic tables, exploration, seeds,
prediction by embedding similarity, config checks, and real tiny runs (resume, two processes)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import VARYING_REWARD, load, train_two_processes, write_varying_reward

from rlstudio.config import ConfigError
from rlstudio.runformat import RunPaths, read_jsonl, read_manifest
from rlstudio.sampler import DifficultySampler
from rlstudio.selection import DifficultyTable, SelectionConfig
from rlstudio.train import resume, run


def _table(n=100, seed=0, **config) -> DifficultyTable:
    table = DifficultyTable(n, SelectionConfig(strategy="difficulty", reference_size=n, **config), seed)
    table.observe(list(range(n)), list(np.linspace(0.0, 1.0, n)))  # prompt i has pass rate i / (n - 1)
    return table


def _counts(table: DifficultyTable, rounds: int, k: int = 10) -> Counter:
    return Counter(i for r in range(rounds) for i in table.choose(r, k).indices)


def test_prompts_near_the_target_are_chosen_more_often():
    counts = _counts(_table(target=0.3, temperature=0.1, exploration=0.2), 300)
    near = np.mean([counts[i] for i in range(100) if abs(i / 99 - 0.3) < 0.05])
    far = np.mean([counts[i] for i in range(100) if abs(i / 99 - 0.3) > 0.5])
    assert near > 4 * far, (near, far)


def test_exploration_prevents_starvation():
    assert len(_counts(_table(temperature=0.02, exploration=0.25), 300)) == 100  # every prompt drawn
    starved = 100 - len(_counts(_table(temperature=0.02, exploration=0.0), 300))
    assert starved > 30  # without exploration the extremes are (practically) never drawn


def test_choices_are_deterministic_by_seed_and_distinct_within_a_round():
    a = [_table(seed=1).choose(r, 10).indices for r in range(20)]
    assert a == [_table(seed=1).choose(r, 10).indices for r in range(20)]
    assert a != [_table(seed=2).choose(r, 10).indices for r in range(20)]
    assert all(len(set(indices)) == 10 for indices in a)


def test_unseen_prompts_are_predicted_from_similar_reference_prompts():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 16)) * 5
    embeddings = np.concatenate([centres[0] + rng.normal(size=(10, 16)), centres[1] + rng.normal(size=(10, 16))])
    table = DifficultyTable(20, SelectionConfig(strategy="difficulty", reference_size=8), 0, embeddings)
    table.observe([0, 1, 2, 3, 10, 11, 12, 13], [0.9, 0.8, 1.0, 0.9, 0.1, 0.0, 0.2, 0.1])
    estimate, basis = table.estimates()
    assert list(basis[[0, 10]]) == ["observed", "observed"] and list(basis[[5, 15]]) == ["predicted", "predicted"]
    assert all(estimate[i] > 0.7 for i in range(4, 10)) and all(estimate[i] < 0.3 for i in range(14, 20))


def test_reference_set_keeps_the_most_recent_observations():
    table = DifficultyTable(10, SelectionConfig(strategy="difficulty", reference_size=3), 0)
    table.observe([1, 2, 3], [0.1, 0.2, 0.3])
    table.observe([1, 4], [0.5, 0.4])
    assert list(table.recent.items()) == [(3, 0.3), (1, 0.5), (4, 0.4)]


def test_sampler_keeps_trls_repeat_layout():
    table = DifficultyTable(6, SelectionConfig(strategy="difficulty"), 0)
    sampler = DifficultySampler(table, batch_size=2, mini_repeat_count=3, repeat_count=2)
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 3 * 2 * 3 * 2
    first = drawn[:12]
    assert first[:6] == first[6:]  # the round, repeated
    a, b = first[0], first[3]
    assert first[:6] == [a, a, a, b, b, b] and a != b


def test_a_generated_round_is_explained_by_its_own_draw():
    """The loader draws a round ahead: a prompt drawn again in the next round keeps the first
    round's reason and estimate when the first round is generated."""
    table = DifficultyTable(3, SelectionConfig(strategy="difficulty", exploration=0.5), 0)
    sampler = DifficultySampler(table, batch_size=2, mini_repeat_count=1, repeat_count=1)
    first, second = list(sampler), list(sampler)  # one round per pass over 3 prompts
    shared = (set(first) & set(second)).pop()  # 2 of 3 prompts each time: at least one in both
    rounds = dict(sampler.pending)
    assert sampler.claim(first) == rounds[0] and sampler.claim(second) == rounds[1]
    assert [r for r, _ in sampler.pending] == [1]
    assert sampler.claim([0, 1, 2]) is None  # never drawn together: not this sampler's choice
    assert shared in rounds[0] and shared in rounds[1]


@pytest.mark.parametrize("setting, message", [
    ("data.selection.target=0", "data.selection.target: must be strictly between 0 and 1"),
    ("data.selection.target=1.0", "data.selection.target: must be strictly between 0 and 1"),
    ("data.selection.exploration=1", "data.selection.exploration: must be in"),
    ("data.selection.temperature=0", "data.selection.temperature: must be > 0"),
    ("data.selection.reward_range=[1, 0]", "data.selection.reward_range: must be"),
])
def test_bad_settings_are_refused_with_the_reason(workspace, setting, message):
    with pytest.raises(ConfigError, match=message):
        load(workspace, "data.selection.strategy=difficulty", setting)


SELECT = ["data.selection.strategy=difficulty", "data.selection.reference_size=2",
          "data.selection.exploration=0.5", VARYING_REWARD]


def _check_log_matches_shards(run_dir: Path, steps: list[int]) -> list[dict]:
    lines = read_jsonl(RunPaths(run_dir).selection)
    assert [line["step"] for line in lines] == steps
    for line in lines:  # 2 prompts a round, exploration 0.5: one drawn for the target, one to explore
        assert sorted(p["reason"] for p in line["prompts"]) == ["explore", "target"]
        rows = pq.read_table(RunPaths(run_dir).shard(line["step"])).to_pylist()
        in_shard = list(dict.fromkeys(r["dataset_index"] for r in rows))
        assert [p["dataset_index"] for p in line["prompts"]] == in_shard
        for p in line["prompts"]:
            rewards = [min(1.0, max(0.0, r["reward"])) for r in rows if r["dataset_index"] == p["dataset_index"]]
            assert p["observed"] == pytest.approx(sum(rewards) / len(rewards), abs=1e-6)  # reward range [0, 1]
    return lines


@pytest.mark.slow
def test_real_run_with_selection_stopped_and_resumed(workspace):
    write_varying_reward(workspace)
    run_dir = workspace / "run"
    (run_dir / "control").mkdir(parents=True)
    (run_dir / "control" / "stop").touch()
    assert run(load(workspace, *SELECT, "algorithm.max_steps=4"), run_dir) == 0
    assert read_manifest(run_dir)["status"] == "stopped"
    first = _check_log_matches_shards(run_dir, [1])
    assert all(p["basis"] == "none" for p in first[0]["prompts"])  # nothing known before the first round

    assert resume(run_dir) == 0
    lines = _check_log_matches_shards(run_dir, [1, 2, 3, 4])
    assert lines[0] == first[0]
    # Step 2's round was drawn before any result of this process: its estimates come from the table
    # rebuilt from selection.jsonl (an uninterrupted run draws it before step 1 is scored: basis none).
    assert all(p["basis"] in ("observed", "predicted") for p in lines[1]["prompts"])
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    assert all("selection/observed_mean" in m["values"] for m in metrics)
    assert any(m["values"].get("selection/estimate_p50") is not None for m in metrics)


@pytest.mark.slow
def test_two_cpu_processes_choose_the_same_prompts(workspace):
    write_varying_reward(workspace)
    run_dir = workspace / "run"
    result = train_two_processes(workspace, run_dir, "algorithm.per_device_train_batch_size=4",
                                 "algorithm.max_steps=4", *SELECT)
    assert result.returncode == 0, result.stderr[-3000:]
    # Each rank generates its own prompt of the round; the run fails if a rank's sampler did not
    # choose the prompt another rank generated. Every step: two distinct prompts, one per rank.
    lines = _check_log_matches_shards(run_dir, [1, 2, 3, 4])
    assert all(len({p["dataset_index"] for p in line["prompts"]}) == 2 for line in lines)
