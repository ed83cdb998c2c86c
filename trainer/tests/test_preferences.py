"""Preference data for DPO: every bad row named with its file and line (or row), the provenance header skipped."""

from __future__ import annotations

import json

import pytest

from rlstudio.data import DataError
from rlstudio.preferences import read_rows


def test_missing_and_non_text_fields_are_named_with_file_and_line(tmp_path):
    path = tmp_path / "prefs.jsonl"
    path.write_text("\n".join([
        json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}),
        json.dumps({"prompt": "p", "chosen": "a"}),
        "",
        json.dumps({"prompt": "p", "chosen": 3, "rejected": "b"}),
        "{not json",
        json.dumps(["a", "b"]),
    ]) + "\n")
    with pytest.raises(DataError) as error:
        read_rows(path)
    message = str(error.value)
    assert f"{path}:2: missing `rejected`" in message
    assert f"{path}:4: `chosen` is int, not text" in message
    assert f"{path}:5: not JSON" in message
    assert f"{path}:6: expected a JSON object" in message
    assert f"{path}:1" not in message and "data.path" in message


def test_parquet_rows_are_numbered_and_a_prompt_column_can_be_renamed(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "prefs.parquet"
    pq.write_table(pa.Table.from_pylist([{"question": "q", "chosen": "a", "rejected": "b"},
                                         {"question": "q", "chosen": "a", "rejected": None}]), path)
    with pytest.raises(DataError, match=rf"{path} row 2: `rejected` is NoneType"):
        read_rows(path, prompt_column="question")
    pq.write_table(pa.Table.from_pylist([{"question": "q", "chosen": "a", "rejected": "b"}]), path)
    assert read_rows(path, prompt_column="question") == [{"prompt": "q", "chosen": "a", "rejected": "b"}]


def test_header_line_of_rlstudio_pairs_is_skipped(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"rlstudio_pairs": {"run": "x"}}) + "\n"
                    + json.dumps({"prompt": "p", "chosen": "a", "rejected": "b", "step": 1}) + "\n")
    assert read_rows(path) == [{"prompt": "p", "chosen": "a", "rejected": "b"}]
    path.write_text(json.dumps({"rlstudio_pairs": {"run": "x"}}) + "\n")
    with pytest.raises(DataError, match="no preference rows"):
        read_rows(path)


def test_validate_names_a_missing_preference_column_and_reads_past_the_pairs_header(tmp_path, tiny_model):
    from rlstudio.config import ConfigError, load_config

    header, row = {"rlstudio_pairs": {}}, {"prompt": "p", "chosen": "a"}
    (tmp_path / "p.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(row) + "\n")
    (tmp_path / "d.rlstudio.yaml").write_text(
        f"model: {{name: {tiny_model}}}\ndata: {{path: p.jsonl}}\nalgorithm: {{name: dpo}}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "d.rlstudio.yaml")
    (problem,) = error.value.problems
    assert problem.path == "data.path" and "p.jsonl has no column 'rejected'" in problem.message
