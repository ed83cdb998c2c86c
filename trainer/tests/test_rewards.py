"""Built-in rewards, loading, and the on_error policies of the reward wrapper."""

from __future__ import annotations

import json

import pytest

from rlstudio.rewards import (
    BUILTINS,
    RewardAbort,
    exact_answer,
    format_reward,
    length_penalty,
    load_function,
    reasoning_gym_reward,
    wrap_reward,
)


def test_exact_answer_extracts_the_last_tagged_answer():
    completions = ["<answer>4</answer>", "so <answer>3</answer> no <answer>4.0</answer>", "4",
                   "<answer> 1,000 </answer>"]
    assert exact_answer(completions, answer=["4", "4", "4", "1000"]) == [1.0, 1.0, 0.0, 1.0]
    assert exact_answer(["<answer>1/2</answer>"], answer=["0.5"]) == [1.0]  # math-verify
    assert exact_answer(["[[7]]"], answer=["7"], pattern=r"\[\[(.*?)\]\]") == [1.0]


def test_format_and_length_penalty():
    assert format_reward(["<think>a</think><answer>1</answer>", "<answer>1</answer>"]) == [1.0, 0.0]
    assert length_penalty(["x"] * 2, completion_ids=[[1] * 64, [1] * 512], max_tokens=256) == [-0.25, -1.0]


def test_reasoning_gym_score_answer():
    import reasoning_gym

    entry = reasoning_gym.create_dataset("chain_sum", size=1, seed=3)[0]
    meta = json.dumps(entry["metadata"])
    good = f"<answer>{entry['answer']}</answer>"
    scores = reasoning_gym_reward([good, "<answer>nonsense</answer>", "no tag"], metadata=[meta] * 3,
                                  answer=[entry["answer"]] * 3, question=[entry["question"]] * 3)
    assert scores[0] == 1.0 and scores[1] < 1.0 and scores[2] == 0.0


def test_load_from_file_and_module(tmp_path):
    (tmp_path / "r.py").write_text("def f(completions, **kw):\n    return [1.0] * len(completions)\n")
    assert load_function("r.py:f", tmp_path)(completions=["a"]) == [1.0]
    assert load_function("rlstudio.rewards:format_reward") is BUILTINS["format"]
    with pytest.raises(ImportError, match="no attribute 'g'"):
        load_function("r.py:g", tmp_path)


def _wrapped(func, on_error, args=None):
    errors = []
    return wrap_reward(func, "mine", args or {}, on_error, errors.append), errors


def test_wrapper_binds_args_and_names_the_function():
    reward, _ = _wrapped(lambda completions, scale, **kw: [scale] * len(completions), "skip", {"scale": 2.0})
    assert reward.__name__ == "mine"
    assert reward(prompts=["p", "p"], completions=["a", "b"]) == [2.0, 2.0]


@pytest.mark.parametrize("on_error, expected", [("skip", [None, None]), ("zero", [0.0, 0.0])])
def test_raising_function_is_caught_per_batch(on_error, expected):
    def boom(completions, **kw):
        raise ValueError("bad input")

    reward, errors = _wrapped(boom, on_error)
    assert reward(prompts=["p", "p"], completions=["a", "b"]) == expected
    (error,) = errors
    assert error.function == "mine" and error.indices == [0, 1]
    assert error.error["type"] == "ValueError" and error.error["message"] == "bad input"
    assert "in boom" in error.error["traceback"]


def test_abort_policy_raises():
    reward, errors = _wrapped(lambda completions, **kw: 1 / 0, "abort")
    with pytest.raises(RewardAbort, match="ZeroDivisionError"):
        reward(prompts=["p"], completions=["a"])
    assert errors[0].error["type"] == "ZeroDivisionError"


def test_bad_values_name_the_function_and_index():
    reward, errors = _wrapped(lambda completions, **kw: [1.0, float("inf"), "x", None], "skip")
    assert reward(prompts=["p"] * 4, completions=["a"] * 4) == [1.0, None, None, None]
    assert [e.indices for e in errors] == [[1], [2]]
    assert "'mine' returned inf at index 1" in errors[0].error["message"]
    assert "non-numeric 'x' at index 2" in errors[1].error["message"]


def test_wrong_length_is_an_error_for_the_whole_batch():
    reward, errors = _wrapped(lambda completions, **kw: [1.0], "zero")
    assert reward(prompts=["p"] * 3, completions=["a"] * 3) == [0.0, 0.0, 0.0]
    assert "returned 1 values for 3 completions" in errors[0].error["message"]
