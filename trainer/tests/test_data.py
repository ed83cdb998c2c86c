"""Data sources (JSONL, Parquet, a datasets folder), prompt templates and their errors."""

from __future__ import annotations

import pytest
from conftest import load

from rlstudio.config import ConfigError
from rlstudio.data import load_dataset


def test_jsonl_with_template_and_system_prompt(workspace):
    train, evaluation = load_dataset(load(workspace, "data.system_prompt=Be brief."))
    assert evaluation is None and len(train) == 4
    assert train[0]["prompt"] == [{"role": "system", "content": "Be brief."},
                                  {"role": "user", "content": "What is 1 + 2?"}]
    assert train[0]["answer"] == "3"  # other columns reach the reward functions


def test_parquet_and_datasets_folder_and_plain_prompts(workspace):
    import datasets

    source = datasets.Dataset.from_list([{"prompt": "Say hi", "answer": "hi"}] * 3)
    source.to_parquet(str(workspace / "d.parquet"))
    source.save_to_disk(str(workspace / "saved"))
    for path in ("d.parquet", "saved"):
        train, _ = load_dataset(load(workspace, f"data={{path: {path}, chat_template: false}}"))
        assert train[0]["prompt"] == "Say hi" and train.column_names == ["prompt", "answer", "rlstudio_index"]


def test_every_row_names_its_source_row_after_shuffle_and_split(workspace):
    from conftest import ROWS

    train, evaluation = load_dataset(load(workspace, "data.shuffle_seed=3", "data.eval_fraction=0.5"))
    for row in [*train, *evaluation]:
        assert ROWS[row["rlstudio_index"]]["question"] == row["prompt"][-1]["content"]
    assert sorted(r["rlstudio_index"] for r in [*train, *evaluation]) == [0, 1, 2, 3]


def test_a_source_column_named_like_the_index_is_refused(workspace):
    (workspace / "data.jsonl").write_text('{"question": "q", "rlstudio_index": 5}\n')
    with pytest.raises(ConfigError, match="data.path: the dataset has a column named 'rlstudio_index'"):
        load_dataset(load(workspace))


def test_template_naming_a_missing_column(workspace):
    with pytest.raises(ConfigError, match=r"data.template: placeholder \{qestion\} names no column"):
        load_dataset(load(workspace, "data.template='{qestion}'"))


def test_unwritable_run_dir_fails_cleanly(workspace, capsys):
    from rlstudio.train import run

    assert run(load(workspace), workspace / "data.jsonl" / "run") == 1
    assert "cannot write the run directory" in capsys.readouterr().err
