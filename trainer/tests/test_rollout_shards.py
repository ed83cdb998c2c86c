"""What write_shard leaves for readers besides the rows: footer statistics and rollouts/prompts.jsonl."""

from __future__ import annotations

import hashlib
import json
import multiprocessing

import pyarrow.parquet as pq

from rlstudio.rollouts import write_shard
from rlstudio.runformat import PROMPT_INDEX, read_jsonl

PROMPTS = ["<|user|>What is 1 + 2?<|assistant|>", "<|user|>Combien font 2 + 2 ? é\u0301 😀<|assistant|>", ""]


def rows(step: int, prompts: list[str], group: int = 3) -> list[dict]:
    return [{"step": step, "prompt_index": p, "group_index": g, "prompt": prompt, "completion": "ab",
             "token_ids": [1, 2], "tokens": ["a", "b"], "logprobs": [-0.1, -0.2], "entropies": [1.0, 2.0],
             "loss_mask": [1, 0], "advantage": 0.5, "reward": 1.0, "rewards": {"f": 1.0}, "truncated": False,
             "hint_ids": ["kp1"], "reward_error": None, "extras": {}, "entropy_threshold": 0.7}
            for p, prompt in enumerate(prompts) for g in range(group)]


def sha256_prefix(text: str) -> str:
    """The hash as docs/run-format.md states it, computed here independently of the writer."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def test_one_row_group_paged_with_a_page_index_and_statistics_only_for_the_scalar_columns(tmp_path):
    path = write_shard(tmp_path, 3, rows(3, PROMPTS * 12), ["f"])  # 108 rows: 7 pages of 16
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups == 1
    group = metadata.row_group(0)
    chunks = [group.column(c) for c in range(group.num_columns)]
    # Every column chunk locates its pages (the reader fetches one rollout's pages by it), and none
    # has a dictionary page (which every read of a page would fetch too).
    assert all(chunk.has_offset_index for chunk in chunks)
    assert not any(chunk.has_dictionary_page for chunk in chunks)
    scalar = {"step", "prompt_index", "group_index", "advantage", "reward", "truncated", "entropy_threshold",
              "dataset_index", "replayed", "age"}
    assert {chunk.path_in_schema for chunk in chunks if chunk.is_stats_set} == scalar
    first = group.column(1).statistics  # prompt_index
    assert (first.min, first.max) == (0, 35)
    # One column chunk per column: a footer of a few kB, whatever the row count.
    assert metadata.serialized_size < 8_000


def test_the_layout_of_shards_written_before_pages_on_request(tmp_path):
    # What benchmarks and tests of runs recorded before pages write: row groups of 16, no page index.
    path = write_shard(tmp_path, 3, rows(3, PROMPTS * 4), ["f"], layout="groups")  # 36 rows
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups == 3
    assert not metadata.row_group(0).column(0).has_offset_index
    (tmp_path / "paged").mkdir()
    paged = write_shard(tmp_path / "paged", 3, rows(3, PROMPTS * 4), ["f"])
    assert pq.read_table(path).to_pylist() == pq.read_table(paged).to_pylist()


def test_the_footer_does_not_grow_with_the_rows(tmp_path):
    small = write_shard(tmp_path, 1, rows(1, PROMPTS), ["f"])
    large = write_shard(tmp_path, 2, rows(2, PROMPTS * 100, group=4), ["f"])  # 1,200 rows
    sizes = [pq.ParquetFile(p).metadata.serialized_size for p in (small, large)]
    assert sizes[1] - sizes[0] < 400  # only the offsets, sizes and statistics take more bytes


def test_each_shard_appends_its_distinct_prompts_to_prompts_jsonl(tmp_path):
    step_3 = write_shard(tmp_path, 3, rows(3, [PROMPTS[1], PROMPTS[0], PROMPTS[1], PROMPTS[2]]), ["f"])
    step_4 = write_shard(tmp_path, 4, rows(4, [PROMPTS[0]], group=40), ["f"])
    lines = (tmp_path / PROMPT_INDEX).read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 3
    first, second = (json.loads(line) for line in lines[:2])
    # The distinct prompts of the shard, in the order of their first row.
    assert first == {"step": 3, "bytes": step_3.stat().st_size,
                     "prompts": [sha256_prefix(PROMPTS[1]), sha256_prefix(PROMPTS[0]), sha256_prefix("")]}
    assert first["prompts"][2] == "e3b0c44298fc1c14"  # SHA-256 of no bytes
    assert {r["prompt"] for r in pq.read_table(step_3, columns=["prompt"]).to_pylist()} == {
        PROMPTS[0], PROMPTS[1], PROMPTS[2]}
    assert second == {"step": 4, "bytes": step_4.stat().st_size, "prompts": [sha256_prefix(PROMPTS[0])]}


def test_a_redone_step_appends_a_line_after_a_half_written_one(tmp_path):
    write_shard(tmp_path, 1, rows(1, PROMPTS[:1]), ["f"])
    with open(tmp_path / PROMPT_INDEX, "a", encoding="utf-8") as f:
        f.write('{"step": 2, "bytes": 9')  # killed mid-line
    path = write_shard(tmp_path, 1, rows(1, PROMPTS[1:]), ["f"])  # resumed: step 1 redone
    lines = (tmp_path / PROMPT_INDEX).read_text(encoding="utf-8").split("\n")
    assert lines[1:] == ['{"step": 2, "bytes": 9', lines[2], ""]  # the torn line stays alone on its line
    assert json.loads(lines[2]) == {"step": 1, "bytes": path.stat().st_size,
                                    "prompts": [sha256_prefix(p) for p in PROMPTS[1:]]}


def _write(args: tuple) -> None:
    folder, step = args
    write_shard(folder, step, rows(step, [f"prompt {step} {i} " * 40 for i in range(120)], group=1), ["f"])


def test_lines_of_concurrent_writers_do_not_interleave(tmp_path):
    # ~60 kB lines: larger than a buffered file writes at once.
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_write, [(tmp_path, step) for step in range(1, 9)])
    lines = read_jsonl(tmp_path / PROMPT_INDEX)
    assert sorted(line["step"] for line in lines) == list(range(1, 9))
    for line in lines:
        assert line["prompts"] == [sha256_prefix(f"prompt {line['step']} {i} " * 40) for i in range(120)]
