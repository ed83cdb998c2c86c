"""LIMR subset selection: the score on hand-computed tables, and a real tiny run's subset."""

from __future__ import annotations

import argparse
import json
import math

import pytest
from conftest import ROWS, VARYING_REWARD, load, write_varying_reward

from rlstudio.limr import RunTrajectories, SelectionRefused, add_arguments, lim_scores, main, select
from rlstudio.runformat import RunPaths
from rlstudio.train import run


def test_lim_score_on_a_hand_computed_table():
    # r̄ = (0.1, 0.3, 0.5); Σ(1 − r̄)² = 0.81 + 0.49 + 0.25 = 1.55
    table = {0: [0.0, 0.5, 1.0], 1: [0.0, 0.0, 0.0], 2: [0.3, 0.4, 0.5]}
    scores = lim_scores(table)
    assert scores[0] == pytest.approx(1 - 0.30 / 1.55)  # 0.01 + 0.04 + 0.25
    assert scores[1] == pytest.approx(1 - 0.35 / 1.55)  # 0.01 + 0.09 + 0.25
    assert scores[2] == pytest.approx(1 - 0.05 / 1.55)  # 0.04 + 0.01 + 0


def test_lim_score_is_the_papers_formula_on_its_raw_rewards():
    """LIMR §2.2.1 on the paper's rewards (1 correct, −0.5 wrong, −1 badly formatted; §2.4), by hand:
    r_avg^k = mean_i r_i^k; s_i = 1 − Σ_k (r_i^k − r_avg^k)² / Σ_k (1 − r_avg^k)². Our trajectories are
    normalised with (r + 1) / 2; the score must not change."""
    raw = {0: [-1.0, 0.25, 1.0], 1: [-1.0, -1.0, -0.5], 2: [-0.5, 0.25, 1.0]}
    # r_avg = (−5/6, −1/6, 1/2); Σ (1 − r_avg)² = 121/36 + 49/36 + 9/36 = 179/36
    expected = {
        0: 1 - (1 / 36 + 25 / 144 + 1 / 4) / (179 / 36),  # (−1/6)², (5/12)², (1/2)²
        1: 1 - (1 / 36 + (5 / 6) ** 2 + 1) / (179 / 36),  # (−1/6)², (−5/6)², (−1)²
        2: 1 - (1 / 9 + 25 / 144 + 1 / 4) / (179 / 36),  # (1/3)², (5/12)², (1/2)²
    }
    normalised = {i: [(r + 1) / 2 for r in t] for i, t in raw.items()}
    scores = lim_scores(normalised)
    for i, value in expected.items():
        assert scores[i] == pytest.approx(value, abs=1e-12)
    assert scores[0] == pytest.approx(651 / 716)  # the one that follows the average most closely


def test_lim_score_with_uneven_trajectories():
    # prompt 1 has a 4th visit: r̄⁴ = 0.6 is its own value; prompt 0 is scored over k = 1..3 only.
    # r̄ = (0.5, 0.5, 0.75, 0.6)
    table = {0: [0.0, 0.5, 1.0], 1: [1.0, 0.5, 0.5, 0.6]}
    scores = lim_scores(table)
    assert scores[0] == pytest.approx(1 - (0.25 + 0 + 0.0625) / (0.25 + 0.25 + 0.0625))
    assert scores[1] == pytest.approx(1 - (0.25 + 0 + 0.0625 + 0) / (0.25 + 0.25 + 0.0625 + 0.16))


def test_undefined_score_when_the_average_is_always_at_the_maximum():
    assert math.isnan(lim_scores({0: [1.0, 1.0, 1.0], 1: [1.0, 1.0, 1.0]})[0])


def _data(trajectories):
    return RunTrajectories(trajectories, {i: list(range(1, len(t) + 1)) for i, t in trajectories.items()},
                           (0.0, 1.0), 4)


def test_select_size_threshold_and_baseline_give_reasons():
    data = _data({0: [0.0, 0.5, 1.0], 1: [0.0, 0.0, 0.0], 2: [0.3, 0.4, 0.5], 3: [1.0, 1.0, 1.0], 4: [0.5, 0.5]})
    best = select(data, "limr", size=2)
    scores = best.scores
    assert best.selected == sorted(sorted(scores, key=lambda i: -scores[i])[:2])
    assert best.excluded[4] == "2 recorded visit(s), fewer than 3"
    by_threshold = select(data, "limr", threshold=0.8)
    assert by_threshold.selected == sorted(i for i, s in scores.items() if s > 0.8)
    assert all("<= threshold 0.8" in by_threshold.excluded[i] for i in scores if scores[i] <= 0.8)
    # the paper keeps s_i > θ (§2.2.2): a score equal to the threshold is out
    at = select(data, "limr", threshold=scores[2])
    assert 2 not in at.selected and at.excluded[2] == f"score {scores[2]:.3f} <= threshold {scores[2]}"
    baseline = select(data, "drop-solved-unsolved")
    assert baseline.selected == [0, 2]
    assert baseline.excluded[1].startswith("never solved") and baseline.excluded[3].startswith("always solved")


def test_fewer_than_three_visits_is_refused():
    with pytest.raises(SelectionRefused, match="no prompt has 3 or more recorded visits .*most any prompt has is 2"):
        select(_data({0: [0.0, 1.0], 1: [0.5, 0.5]}), "limr", size=1)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.slow
def test_subset_of_a_real_tiny_run(workspace, capsys):
    # 4 prompts, 2 per step: every prompt is visited once per 2 steps; 6 steps = 3 visits each.
    run_dir = workspace / "run"
    write_varying_reward(workspace)
    assert run(load(workspace, "algorithm.max_steps=6", "checkpoints.every_n_steps=6", VARYING_REWARD), run_dir) == 0

    assert main(_args(str(run_dir), "--method", "limr", "--size", "2")) == 0
    out = RunPaths(run_dir).subsets / "limr-size2.jsonl"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    provenance = json.loads(out.with_suffix(".provenance.json").read_text())
    chosen = [r["dataset_index"] for r in provenance["rows"]]
    assert rows == [ROWS[i] for i in chosen]  # the source rows, as they are in data.jsonl
    assert provenance["method"] == "limr" and provenance["run"]["id"] == "run"
    assert all(len(r["steps"]) == 3 and len(r["rewards"]) == 3 for r in provenance["rows"])
    # the recorded scores are the LIM scores of the recorded trajectories
    import pyarrow.parquet as pq

    low, high = provenance["parameters"]["rewardRange"]
    trajectories: dict[int, list[float]] = {}
    for step in range(1, 7):
        table = pq.read_table(RunPaths(run_dir).shard(step)).to_pylist()
        for index in sorted({r["dataset_index"] for r in table}):
            rewards = [r["reward"] for r in table if r["dataset_index"] == index]
            trajectories.setdefault(index, []).append((sum(rewards) / len(rewards) - low) / (high - low))
    assert sorted(trajectories) == [0, 1, 2, 3]
    expected = lim_scores(trajectories)
    assert chosen == sorted(sorted(expected, key=lambda i: -expected[i])[:2])
    for r in provenance["rows"]:
        assert r["score"] == pytest.approx(expected[r["dataset_index"]], abs=1e-6)
    report = capsys.readouterr().out
    assert "selected: 2" in report and "score below the 2 best" in report
    assert out.with_suffix(".report.txt").read_text().strip() == report.strip()

    assert main(_args(str(run_dir), "--method", "drop-solved-unsolved", "--out", str(workspace / "b.jsonl"))) == 0
    assert (workspace / "b.provenance.json").exists()


@pytest.mark.slow
def test_a_run_with_two_visits_per_prompt_writes_nothing(workspace, capsys):
    run_dir = workspace / "run"
    write_varying_reward(workspace)
    assert run(load(workspace, "algorithm.max_steps=4", "checkpoints.every_n_steps=4", VARYING_REWARD), run_dir) == 0
    assert main(_args(str(run_dir), "--method", "limr", "--threshold", "0.6")) == 2
    assert "the most any prompt has is 2" in capsys.readouterr().err
    assert main(_args(str(run_dir), "--method", "limr", "--threshold", "0.6", "--json")) == 2
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] is False and "the most any prompt has is 2" in answer["message"]
    assert not RunPaths(run_dir).subsets.exists()
