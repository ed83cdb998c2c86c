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
        assert train[0]["prompt"] == "Say hi" and train.column_names == ["prompt", "answer"]


def test_template_naming_a_missing_column(workspace):
    with pytest.raises(ConfigError, match=r"data.template: placeholder \{qestion\} names no column"):
        load_dataset(load(workspace, "data.template='{qestion}'"))


def test_unwritable_run_dir_fails_cleanly(workspace, capsys):
    from rlstudio.train import run

    assert run(load(workspace), workspace / "data.jsonl" / "run") == 1
    assert "cannot write the run directory" in capsys.readouterr().err
