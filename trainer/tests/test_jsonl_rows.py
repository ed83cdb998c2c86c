"""The one reader of users' JSONL rows (rlstudio.jsonl_rows) and what its callers say with it."""

from __future__ import annotations

import json

import pytest

from rlstudio import jsonl_rows
from rlstudio.data import DataError
from rlstudio.preferences import read_rows
from rlstudio.runformat import PAIRS_HEADER
from rlstudio.worker.samples import SamplesError, from_dataset


def test_lines_name_number_and_problem(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({PAIRS_HEADER: {"run": "r"}}) + '\n{"a": 1}\n\n{"a": \n[1, 2]\n{"a": 3}\n')
    lines = list(jsonl_rows.rows(path, header=PAIRS_HEADER))
    assert [(line.number, line.row, line.problem) for line in lines] == [
        (2, {"a": 1}, None),
        (4, None, "not JSON (Expecting value at column 7)"),
        (5, None, "expected a JSON object, not list"),
        (6, {"a": 3}, None),
    ]
    assert list(jsonl_rows.rows(path))[0].row == {PAIRS_HEADER: {"run": "r"}}  # a header only when asked
    assert jsonl_rows.first_problem(path) == (f"{path} line 4: not JSON (Expecting value at column 7)", None)


def test_first_problem_columns_and_unreadable_files(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"q": 1, "a": 2}\n{"q": 3}\n')
    assert jsonl_rows.first_problem(good) == (None, {"q", "a"})
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"q": "caf\xe9"}\n')
    assert jsonl_rows.first_problem(latin)[0] == f"{latin}: not UTF-8 text (invalid continuation byte at byte 10)"
    missing = tmp_path / "none.jsonl"
    assert jsonl_rows.first_problem(missing)[0] == f"{missing}: cannot read (No such file or directory)"


def test_a_preference_file_that_is_not_utf8_names_the_file(tmp_path):
    """Was a bare UnicodeDecodeError from deep in the reader, naming neither the file nor the field."""
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b'{"prompt": "p", "chosen": "caf\xe9", "rejected": "r"}\n')
    with pytest.raises(DataError, match=rf"{path}: not UTF-8 text"):
        read_rows(path)


def test_samples_reader_keeps_its_words(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"prompt": "p", "completion": "c"}\n"text"\n')
    with pytest.raises(SamplesError, match=r"s.jsonl:2: expected a JSON object, not str"):
        from_dataset(path)
    assert len(from_dataset(path, limit=1)["samples"]) == 1  # stops reading at the limit
