"""`rlstudio pairs`: preference pairs from recorded samples (rules on shards from the real writer, then a real run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load

from rlstudio.cli import main as cli
from rlstudio.pairs import make_pairs, parse_steps
from rlstudio.preferences import read_rows
from rlstudio.rollouts import write_shard
from rlstudio.runfiles import RunWriter
from rlstudio.runformat import RunPaths, read_shard


def _row(prompt_index: int, group_index: int, completion: str, score: float | None, other: float | None = 0.0):
    return {"step": 1, "prompt_index": prompt_index, "group_index": group_index, "prompt": f"prompt {prompt_index}",
            "completion": completion, "token_ids": [1], "tokens": [completion], "logprobs": [-1.0],
            "entropies": [1.0], "loss_mask": [1], "advantage": 0.0,
            "reward": None if score is None else score + (other or 0.0),
            "rewards": {"exact": score, "other": other}, "truncated": False}


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    run_dir = tmp_path / "run"
    RunWriter.create(run_dir, "synthetic", {}, None, {}, 2, "m").close()
    rows = [
        # 0: kept; two samples share the best score: the first (group_index 1) is chosen
        _row(0, 0, "a", 0.0), _row(0, 1, "b", 1.0), _row(0, 2, "c", 1.0), _row(0, 3, "d", 0.5),
        _row(1, 0, "a", 1.0), _row(1, 1, "b", 1.0),  # 1: no variance (best and worst tie)
        _row(2, 0, "a", None), _row(2, 1, "b", 1.0),  # 2: one scored sample
        _row(3, 0, "same", 0.0), _row(3, 1, "same", 1.0),  # 3: identical texts
        _row(4, 0, "a", 0.0), _row(4, 1, "b", 0.1),  # 4: kept unless --min-margin > 0.1
    ]
    write_shard(RunPaths(run_dir).rollouts, 1, rows, ["exact", "other"])
    write_shard(RunPaths(run_dir).rollouts, 3, [_row(0, 0, "x", 0.0), _row(0, 1, "y", 2.0)], ["exact", "other"])
    return run_dir


def test_rules_best_vs_worst_skipping_ties_no_variance_and_unscored(synthetic_run):
    result = make_pairs(synthetic_run, [1], reward="exact")
    assert [(p["prompt_index"], p["chosen"], p["rejected"]) for p in result.pairs] == [(0, "b", "a"), (4, "b", "a")]
    assert result.pairs[0]["chosen_group_index"] == 1 and result.pairs[0]["chosen_reward"] == 1.0
    assert dict(result.skipped) == {"no_variance": 1, "unscored": 1, "same_text": 1}
    strict = make_pairs(synthetic_run, [1], reward="exact", min_margin=0.5)
    assert [p["prompt_index"] for p in strict.pairs] == [0] and strict.skipped["small_margin"] == 1


def test_total_reward_by_default_and_unknown_reward_named(synthetic_run):
    assert len(make_pairs(synthetic_run, [1]).pairs) == 2
    with pytest.raises(ValueError, match=r"no reward named 'exactt'.*recorded rewards: exact, other"):
        make_pairs(synthetic_run, [1], reward="exactt")


def test_steps_spec():
    assert parse_steps("all", [1, 3, 5]) == [1, 3, 5]
    assert parse_steps("last", [1, 3, 5]) == [5]
    assert parse_steps("1-3,5,9", [1, 3, 5]) == [1, 3, 5]
    with pytest.raises(ValueError, match="not a step"):
        parse_steps("1-x", [1])


def test_cli_writes_provenance_header_and_summary(synthetic_run, tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    assert cli(["pairs", str(synthetic_run), "--steps", "1-3", "--reward", "exact", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 pairs kept from 2 step(s)" in printed and "1 no_variance, 1 same_text" in printed
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    header = lines[0]["rlstudio_pairs"]
    assert header["steps"] == [1, 3] and header["reward"] == "exact" and header["kept"] == 3
    assert header["skipped"] == {"unscored": 1, "no_variance": 1, "same_text": 1, "small_margin": 0}
    assert header["run"] == str(synthetic_run.resolve()) and "best-scored" in header["rule"]
    assert [(p["step"], p["chosen"]) for p in lines[1:]] == [(1, "b"), (1, "b"), (3, "y")]
    # The DPO reader skips the header and reads the pairs.
    assert [r["chosen"] for r in read_rows(out)] == ["b", "b", "y"]
    assert cli(["pairs", str(synthetic_run), "--steps", "7", "--out", str(out)]) == 2
    assert "no recorded step matches '7' (recorded: 1,3)" in capsys.readouterr().err


@pytest.mark.slow
def test_pairs_from_a_real_grpo_run(workspace, tmp_path):
    from rlstudio.train import run

    (workspace / "chars.py").write_text(
        "def chars(completions, **kwargs):\n"
        "    return [float(len(c[-1]['content'] if isinstance(c, list) else c)) for c in completions]\n")
    config = load(workspace, "algorithm.max_steps=2",
                  "rewards=[{name: exact, ref: exact_answer}, {name: chars, ref: 'chars.py:chars'}]")
    assert run(config, workspace / "run") == 0
    out = tmp_path / "pairs.jsonl"
    assert cli(["pairs", str(workspace / "run"), "--reward", "chars", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    header, pairs = lines[0]["rlstudio_pairs"], lines[1:]
    assert header["steps"] == [1, 2] and header["algorithm"] == "grpo"
    assert header["kept"] == len(pairs) and header["kept"] + sum(header["skipped"].values()) == 4  # 2 prompts × 2 steps
    assert pairs, "random completions of different lengths give pairs"
    for pair in pairs:
        rows = read_shard(RunPaths(workspace / "run").shard(pair["step"]))
        group = {r["group_index"]: r for r in rows if r["prompt_index"] == pair["prompt_index"]}
        scores = [r["rewards"]["chars"] for r in group.values()]
        assert group[pair["chosen_group_index"]]["completion"] == pair["chosen"]
        assert group[pair["rejected_group_index"]]["completion"] == pair["rejected"]
        assert pair["chosen_reward"] == max(scores) > pair["rejected_reward"] == min(scores)
        assert pair["prompt"] == group[0]["prompt"]

    # The loop closes: DPO trains on the pairs (prompts already templated) and records them.
    (workspace / "dpo.rlstudio.yaml").write_text(
        "name: d\nmodel: {name: ./model}\n"
        f"data: {{path: {out}, chat_template: false}}\n"
        "algorithm: {name: dpo, max_steps: 1, per_device_train_batch_size: 1, learning_rate: 0.001}\n")
    from rlstudio.config import load_config

    assert run(load_config(workspace / "dpo.rlstudio.yaml"), workspace / "dpo-run") == 0
    rows = read_shard(RunPaths(workspace / "dpo-run").shard(1))
    assert [r["role"] for r in rows] == ["chosen", "rejected"]
    first = next(p for p in pairs if p["prompt"] == rows[0]["prompt"])  # the prompt tokens round-trip
    eos = "<|im_end|>"  # TRL appends it to answers that lack it (samples cut at max_completion_length)
    assert rows[0]["completion"] in (first["chosen"], first["chosen"] + eos)
    assert rows[1]["completion"] in (first["rejected"], first["rejected"] + eos)


def test_the_dpo_example_config_is_valid():
    from rlstudio.config import load_config

    config = load_config(Path(__file__).parents[2] / "examples" / "dpo.rlstudio.yaml", check_files=False)
    assert config.algorithm.name == "dpo" and config.model.lora is not None and config.data.chat_template is False
    assert config.data.path == "demo-pairs.jsonl" and not config.rewards


def test_worker_method_pairs_make(synthetic_run, tmp_path):
    from rlstudio.worker.client import WorkerProcess

    worker = WorkerProcess()
    try:
        out = tmp_path / "w.jsonl"
        reply = worker.request("pairs/make", {"runDir": str(synthetic_run), "out": str(out), "steps": "1",
                                              "reward": "exact"})["result"]
        assert reply["kept"] == 2 and reply["steps"] == [1] and reply["skipped"]["no_variance"] == 1
        assert len(out.read_text().splitlines()) == 3
        error = worker.request("pairs/make", {"runDir": str(tmp_path), "out": str(out)})["error"]
        assert "not a run directory" in error["message"]
    finally:
        worker.close()
