"""Run-directory writing and tolerant reading."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from rlstudio.rollouts import token_pieces, write_shard
from rlstudio.runfiles import RunWriter
from rlstudio.runformat import read_jsonl, read_manifest, read_shard


def test_manifest_events_metrics(tmp_path):
    writer = RunWriter.create(tmp_path / "run", "n", {"a": 1}, None, {"trl": "1.13.0"}, 5, "m")
    writer.set_status("running")
    writer.metrics(1, {"reward": 0.5, "kl": float("nan"), "x": float("inf"), "y": float("-inf"), "gone": None, "ok": 2})
    writer.set_status("failed", error={"type": "E", "message": "m", "traceback": "tb"})
    writer.close()
    manifest = read_manifest(tmp_path / "run")
    assert manifest["format"] == "rlstudio.run/1" and manifest["id"] == "run" and manifest["status"] == "failed"
    assert manifest["error"]["type"] == "E" and manifest["endedAt"] is not None
    events = read_jsonl(tmp_path / "run" / "events.jsonl")
    assert [e.get("status") for e in events if e["type"] == "status"] == ["starting", "running", "failed"]
    assert events[-1]["type"] == "error"
    (metric,) = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    # Non-finite and missing stay apart (issue 14, item 14): null is only "no value".
    assert metric["values"] == {"reward": 0.5, "kl": "NaN", "x": "Infinity", "y": "-Infinity", "gone": None, "ok": 2}
    assert not list((tmp_path / "run").glob(".*tmp"))  # no temp files left behind


def test_half_written_last_line_is_skipped_but_corruption_is_not(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"t": 1, "type": "a"}\n{"t": 2, "ty')
    assert read_jsonl(path) == [{"t": 1, "type": "a"}]
    path.write_text('{"t": 1, "type": "a"}\n{"t": 2, "ty\n{"t": 3}\n')
    with pytest.raises(ValueError, match="events.jsonl:2"):
        read_jsonl(path)
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_shard_schema_row_groups_and_metadata(tmp_path):
    row = {"step": 7, "prompt_index": 0, "group_index": 1, "prompt": "p", "completion": "ab", "token_ids": [1, 2],
           "tokens": ["a", "b"], "logprobs": [-0.1, -0.2], "entropies": [1.0, 2.0], "loss_mask": [1, 0],
           "advantage": 0.5, "reward": None, "rewards": {"f": None, "g": 1.0}, "truncated": False,
           "extras": {"k": 1}}
    path = write_shard(tmp_path, 7, [row] * 40, ["f", "g"])
    assert path.name == "step-00000007.parquet"
    meta = pq.ParquetFile(path)
    assert meta.metadata.num_row_groups == 1  # pages of 16 rows instead (test_rollout_shards)
    assert meta.schema_arrow.metadata[b"rlstudio.format"] == b"rlstudio.run/1"
    assert str(meta.schema_arrow.field("loss_mask").type) == "list<element: int8>"
    back = read_shard(path)[0]
    assert back["rewards"] == {"f": None, "g": 1.0} and json.loads(back["extras"]) == {"k": 1}
    assert back["hint_ids"] == [] and back["reward_error"] is None and back["entropy_threshold"] is None


def test_token_pieces_concatenate_to_the_text(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    text = "héllo 🙂 <answer>7</answer><|im_end|>"
    ids = tokenizer(text)["input_ids"]
    pieces = token_pieces(tokenizer, ids)
    assert len(pieces) == len(ids)
    assert "".join(pieces) == text
    assert "🙂" in "".join(pieces) and all("\ufffd" not in p for p in pieces)
