"""RLCR calibration reward against hand-computed values: c − (q − c)², penalty when q is unusable."""

import pytest

from rlstudio.rlcr import parse_confidence, rlcr_reward


def completion(answer: str, confidence: str | None) -> str:
    tail = "" if confidence is None else f"<confidence>{confidence}</confidence>"
    return f"<think>…</think><answer>{answer}</answer>{tail}"


@pytest.mark.parametrize(
    ("answer", "confidence", "expected"),
    [
        ("4", "1.0", 1.0),  # correct, certain: 1 − 0² = 1
        ("4", "0.8", 0.96),  # correct: 1 − (0.8 − 1)² = 1 − 0.04
        ("4", "0.5", 0.75),  # correct: 1 − 0.25
        ("4", "0", 0.0),  # correct but q = 0: 1 − 1 = 0
        ("5", "0", 0.0),  # wrong, knows it: 0 − 0² = 0
        ("5", "0.3", -0.09),  # wrong: 0 − 0.09
        ("5", "1", -1.0),  # wrong and certain: 0 − 1
        ("4", "80%", 0.96),  # percent form
        ("4", ".8", 0.96),
        ("4.0", "0.9", 0.99),  # numeric equivalence of the answer: 1 − 0.01
    ],
)
def test_hand_computed_rewards(answer, confidence, expected):
    (score,) = rlcr_reward([completion(answer, confidence)], answer=["4"])
    assert score == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("confidence", [None, "high", "1.5", "-0.2", "120%", ""])
def test_unparsable_confidence_gets_the_penalty(confidence):
    right, wrong = rlcr_reward([completion("4", confidence), completion("5", confidence)], answer=["4", "4"])
    assert (right, wrong) == (0.0, -1.0)  # c − 1.0 (the default penalty)
    right, wrong = rlcr_reward([completion("4", confidence), completion("5", confidence)], answer=["4", "4"],
                               unparsable_penalty=0.25)
    assert (right, wrong) == (0.75, -0.25)


def test_missing_answer_counts_as_wrong():
    (score,) = rlcr_reward(["I think it is 4. <confidence>0.6</confidence>"], answer=["4"])
    assert score == pytest.approx(-0.36)


def test_the_last_confidence_tag_counts():
    assert parse_confidence("<confidence>0.1</confidence> no, <confidence>0.7</confidence>") == 0.7


def test_needs_an_answer_column():
    with pytest.raises(KeyError, match="rlcr needs a dataset column 'answer'"):
        rlcr_reward([completion("4", "1")])
    assert rlcr_reward([completion("4", "1")], gold=["4"], column="gold") == [1.0]


def test_runs_as_a_builtin_in_the_worker():
    from rlstudio.worker.reward_calls import call_reward

    task = {"name": "calibration", "ref": "rlcr", "args": {"unparsable_penalty": 0.5}, "samples": [
        {"prompt": "2+2", "completion": completion("4", "0.8"), "columns": {"answer": "4"}},
        {"prompt": "2+2", "completion": completion("4", None), "columns": {"answer": "4"}},
    ]}
    result = call_reward(task)
    assert result["scores"] == pytest.approx([0.96, 0.5])
    assert result["errors"] == []
