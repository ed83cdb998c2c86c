"""The run format module: shard names, the reader rules and the per-row summary columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from rlstudio import runformat
from rlstudio.rollouts import write_shard
from rlstudio.runfiles import atomic_write_bytes


def test_shard_names_build_and_parse():
    assert runformat.shard_name(42) == "step-00000042.parquet"
    assert runformat.shard_name(123_456_789) == "step-123456789.parquet"
    for step in (1, 42, 99_999_999, 123_456_789):
        assert runformat.shard_step(runformat.shard_name(step)) == step
    for name in ("step-42.parquet", ".step-00000042.parquet.abc.tmp", "step-00000042.parquet.tmp", "prompts.jsonl"):
        assert runformat.shard_step(name) is None
    assert runformat.checkpoint_step(runformat.checkpoint_name(7)) == 7
    assert runformat.checkpoint_step("checkpoint-7-old") is None


def test_shards_skips_temporaries_and_other_files(tmp_path):
    assert runformat.shards(tmp_path / "missing") == []
    for name in ("step-00000003.parquet", "step-00000001.parquet", ".step-00000002.parquet.x1.tmp", "prompts.jsonl"):
        (tmp_path / name).write_bytes(b"")
    assert [step for step, _ in runformat.shards(tmp_path)] == [1, 3]
    assert runformat.is_temporary(".step-00000002.parquet.x1.tmp") and not runformat.is_temporary("step-1.tmp")


def test_atomic_writes_leave_no_temporary_a_reader_would_take(tmp_path):
    atomic_write_bytes(tmp_path / "run.json", b"{}")
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
    prefix, suffix = runformat.temp_affixes("run.json")
    assert runformat.is_temporary(f"{prefix}abc{suffix}")


def test_run_paths_name_every_file_of_a_run(tmp_path):
    paths = runformat.RunPaths(tmp_path)
    assert paths.relative(paths.shard(3)) == "rollouts/step-00000003.parquet"
    assert paths.relative(paths.checkpoint(3)) == "checkpoints/checkpoint-3"
    assert paths.relative(paths.prompt_index) == "rollouts/prompts.jsonl"
    files = (paths.manifest, paths.events, paths.metrics, paths.trainer_log, paths.evals)
    expected = ["run.json", "events.jsonl", "metrics.jsonl", "logs/trainer.log", "evals"]
    assert [paths.relative(p) for p in files] == expected


def row(completion: str, token_ids: list[int], entropies: list[float] | None) -> dict:
    n = len(token_ids)
    return {"step": 1, "prompt_index": 0, "group_index": 0, "prompt": "p", "completion": completion,
            "token_ids": token_ids, "tokens": ["x"] * n, "logprobs": [-0.5] * n, "entropies": entropies,
            "loss_mask": [1] * n, "advantage": 0.0, "reward": 1.0, "rewards": {"f": 1.0}, "truncated": False}


def test_summary_columns_are_scalars_computed_from_the_row(tmp_path):
    long = "é" * 100 + "😀" * 100  # 200 characters, 600 bytes
    path = write_shard(tmp_path, 1, [row(long, [5, 6, 7], [0.5, 1.0, 3.0]), row("", [], [])], ["f"])
    schema = pq.read_schema(path)
    assert [str(schema.field(c).type) for c in runformat.SUMMARY_COLUMNS] == ["int32", "float", "string"]
    first, empty = pq.read_table(path, columns=list(runformat.SUMMARY_COLUMNS)).to_pylist()
    assert first["completion_tokens"] == 3
    assert abs(first["mean_entropy"] - 1.5) < 1e-6
    assert first["preview"] == long[:160] and len(first["preview"]) == 160
    assert empty == {"completion_tokens": 0, "mean_entropy": None, "preview": ""}
    assert runformat.row_summary(row("ab", [1, 2], None))["mean_entropy"] is None  # entropies not recorded


def test_readers_take_shards_without_the_optional_columns(tmp_path):
    """A shard written before the summary columns (and hint_ids, reward_error, …) existed."""
    old = pa.Table.from_pylist([row("ab", [1, 2], [1.0, 2.0])]).select(list(runformat.REQUIRED_COLUMNS))
    path = tmp_path / runformat.shard_name(1)
    pq.write_table(old, path)
    (back,) = runformat.read_shard(path, ["prompt", "completion_tokens", "hint_ids"])
    assert back == {"prompt": "p"}
