"""KP files (round trip, errors with line numbers) and the exact hint text for each placement."""

import json

import pytest

from rlstudio.hints import (
    HintsConfig,
    KnowledgePoint,
    KpFileError,
    apply_hints,
    dump_kp,
    hint_block,
    inject,
    parse_kp,
)

KP = (
    '{"problem": "q1", "points": [{"id": "a", "text": "Add the units first."}, '
    '{"id": "b", "text": "Carry the 1 — «tens»."}], "selected": ["b"]}\n'
    "\n"
    '{"problem": "q2", "points": [], "selected": []}\n'
)
POINTS = [KnowledgePoint("a", "Add the units first."), KnowledgePoint("b", "Carry the 1.")]
CHAT = [{"role": "system", "content": "Be careful."}, {"role": "user", "content": "What is 17 + 25?"}]


def test_round_trip_is_stable():
    entries = parse_kp(KP)
    assert [(e.problem, e.line, [p.id for p in e.points], e.selected) for e in entries] == [
        ("q1", 1, ["a", "b"], ["b"]),
        ("q2", 3, [], []),
    ]
    text = dump_kp(entries)
    assert parse_kp(text) == [type(e)(e.problem, e.points, e.selected, i + 1) for i, e in enumerate(entries)]
    assert dump_kp(parse_kp(text)) == text
    assert "«tens»" in text  # not escaped


def test_every_error_is_reported_with_its_line():
    bad = "\n".join([
        '{"problem": "q1", "points": [{"id": "a", "text": "x"}]}',
        "{not json",
        '{"problem": "", "points": [{"id": "a", "text": ""}, {"id": "a", "text": "y"}], "selected": ["zz"]}',
        '{"problem": "q1", "points": []}',
        '["a list"]',
        '{"problem": "q3", "points": [{"id": "a", "text": "t", "extra": 1}], "colour": "red"}',
    ])
    with pytest.raises(KpFileError) as caught:
        parse_kp(bad, "hard.kp.jsonl")
    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [
        (2, ""),
        (3, "problem"),
        (3, "points[0].text"),
        (3, "points[1].id"),
        (3, "selected"),
        (4, "problem"),
        (5, ""),
        (6, "colour"),
        (6, "points[0]"),
    ]
    message = str(caught.value)
    assert "hard.kp.jsonl:line 4: problem: 'q1' is already on line 1" in message
    assert "hard.kp.jsonl:line 3: selected: 'zz' is not the id of one of this problem's points" in message


def test_hint_block_default_and_custom_template():
    assert hint_block(POINTS) == "Hints:\n- Add the units first.\n- Carry the 1."
    assert hint_block(POINTS[:1], "Knowledge:\n{hints}\nUse it.") == "Knowledge:\n- Add the units first.\nUse it."


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        ("system", [
            {"role": "system", "content": "Be careful.\n\nHints:\n- Add the units first.\n- Carry the 1."},
            {"role": "user", "content": "What is 17 + 25?"},
        ]),
        ("before_problem", [
            {"role": "system", "content": "Be careful."},
            {"role": "user", "content": "Hints:\n- Add the units first.\n- Carry the 1.\n\nWhat is 17 + 25?"},
        ]),
        ("after_problem", [
            {"role": "system", "content": "Be careful."},
            {"role": "user", "content": "What is 17 + 25?\n\nHints:\n- Add the units first.\n- Carry the 1."},
        ]),
    ],
)
def test_exact_text_for_each_placement(placement, expected):
    original = json.loads(json.dumps(CHAT))
    assert inject(CHAT, POINTS, placement) == expected
    assert original == CHAT  # not mutated


def test_system_placement_without_a_system_message_and_string_prompts():
    assert inject([{"role": "user", "content": "Q"}], POINTS[:1], "system") == [
        {"role": "system", "content": "Hints:\n- Add the units first."},
        {"role": "user", "content": "Q"},
    ]
    assert inject("Q", POINTS[:1], "before_problem") == "Hints:\n- Add the units first.\n\nQ"
    assert inject("Q", POINTS[:1], "system") == "Hints:\n- Add the units first.\n\nQ"
    assert inject("Q", POINTS[:1], "after_problem") == "Q\n\nHints:\n- Add the units first."
    assert inject("Q", [], "after_problem") == "Q"
    with pytest.raises(ValueError, match="placement must be one of"):
        inject("Q", POINTS, "middle")


@pytest.mark.parametrize(("mode", "ids"), [("none", []), ("all", ["a", "b"]), ("selected", ["b"])])
def test_modes_choose_points_and_record_hint_ids(mode, ids):
    rows = [{"id": "q1", "prompt": [{"role": "user", "content": "17 + 25?"}]}, {"id": "q9", "prompt": "x"}]
    config = HintsConfig(file="h.kp.jsonl", mode=mode, placement="after_problem")
    out = apply_hints(rows, parse_kp(KP), config)
    assert out[0]["hint_ids"] == ids
    assert out[1] == {"id": "q9", "prompt": "x", "hint_ids": []}
    if ids:
        assert out[0]["prompt"][0]["content"].endswith("Carry the 1 — «tens».")


def test_hints_config_checks():
    assert HintsConfig(file="a.kp.jsonl").problems() == []
    assert [f for f, _ in HintsConfig(file="a.jsonl", template="no placeholder").problems()] == ["template", "file"]


def test_hints_for_a_datasets_dataset(tmp_path):
    import datasets

    from rlstudio.hints import hints_for_dataset

    (tmp_path / "h.kp.jsonl").write_text(KP)
    rows = [{"id": "q1", "prompt": [{"role": "user", "content": "17 + 25?"}]},
            {"id": "q2", "prompt": [{"role": "user", "content": "2 + 2?"}]}]
    dataset = hints_for_dataset(datasets.Dataset.from_list(rows), HintsConfig(file="h.kp.jsonl", mode="all"), tmp_path)
    assert dataset["hint_ids"] == [["a", "b"], []]
    assert dataset[0]["prompt"][0]["content"] == "Hints:\n- Add the units first.\n- Carry the 1 — «tens».\n\n17 + 25?"
    with pytest.raises(KpFileError, match="no column 'qid'"):
        hints_for_dataset(datasets.Dataset.from_list(rows), HintsConfig(file="h.kp.jsonl", id_column="qid"), tmp_path)


@pytest.mark.slow
def test_training_injects_hints_and_records_hint_ids(tmp_path, tiny_model):
    import shutil

    import pyarrow.parquet as pq

    from rlstudio.config import load_config
    from rlstudio.train import run

    shutil.copytree(tiny_model, tmp_path / "model")
    (tmp_path / "data.jsonl").write_text('{"id": "p1", "question": "What is 1 + 2?", "answer": "3"}\n'
                                         '{"id": "p2", "question": "What is 2 + 2?", "answer": "4"}\n')
    (tmp_path / "hard.kp.jsonl").write_text(KP.replace('"q1"', '"p1"'))
    (tmp_path / "h.rlstudio.yaml").write_text(
        "model: {name: ./model}\ndata: {path: data.jsonl, template: '{question}'}\n"
        "hints: {file: hard.kp.jsonl, mode: selected, placement: after_problem}\n"
        "rewards: [{name: calib, ref: rlcr}]\n"
        "algorithm: {num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 8, max_steps: 1}\n")
    run_dir = tmp_path / "run"
    run(load_config(tmp_path / "h.rlstudio.yaml"), run_dir)
    rows = pq.read_table(next(run_dir.glob("rollouts/*.parquet"))).to_pylist()
    for row in rows:
        if "1 + 2" in row["prompt"]:
            assert row["hint_ids"] == ["b"]
            assert "What is 1 + 2?\n\nHints:\n- Carry the 1 — «tens».<|im_end|>" in row["prompt"]
        else:
            assert row["hint_ids"] == []
            assert "Hints:" not in row["prompt"]
    assert {"1 + 2" in r["prompt"] for r in rows} == {True, False}
