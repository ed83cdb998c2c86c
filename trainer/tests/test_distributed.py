"""`accelerate launch` with 2 CPU processes (gloo): rank 0 writes, shards hold every rank's completions."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from conftest import train_two_processes

from rlstudio.runformat import read_jsonl, read_manifest

pytestmark = pytest.mark.slow


def test_two_cpu_processes(workspace):
    run_dir = workspace / "run"
    result = train_two_processes(
        workspace, run_dir, "algorithm.per_device_train_batch_size=4", "algorithm.max_steps=2",
        "algorithm.top_entropy_quantile=0.5",
        "rewards=[{name: flaky, ref: 'rewards.py:nan_at_one'}, {name: length, ref: 'rewards.py:length_score'}]")
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_manifest(run_dir)["status"] == "completed"
    events = read_jsonl(run_dir / "events.jsonl")
    assert [e["step"] for e in events if e["type"] == "rollouts"] == [1, 2]  # written once, by rank 0
    assert [e["status"] for e in events if e["type"] == "status"] == ["starting", "running", "completed"]
    # each rank's row 1 fails: global rows 1 and 5, reported once each per step
    assert sorted(i for e in events if e["type"] == "reward_error" and e["step"] == 1 for i in e["indices"]) == [1, 5]
    rows = pq.read_table(run_dir / "rollouts" / "step-00000001.parquet").to_pylist()
    assert [(r["prompt_index"], r["group_index"]) for r in rows] == [(p, g) for p in range(2) for g in range(4)]
    assert {r["prompt"] for r in rows[:4]} != {r["prompt"] for r in rows[4:]}  # two prompts, one per rank
    assert [r["reward_error"] is not None for r in rows] == [False, True, False, False] * 2
    mask = [m for r in rows for m in r["loss_mask"]]
    assert 0.3 <= sum(mask) / len(mask) <= 0.7  # the forking mask's quantile is global across ranks
