"""Reward functions: built-ins, loading user functions, and the error policy wrapper.

A reward function has TRL's signature: `f(prompts, completions, **columns) -> list[float | None]`
(dataset columns arrive as keyword arguments, plus TRL's `completion_ids`, `trainer_state`,
`log_extra`, `log_metric`). `load_rewards` binds each entry's `args`, names it after the entry
(TRL logs `rewards/<name>/mean`), and wraps it so that a raise or a bad return value becomes a
recorded error handled by the entry's `on_error` policy instead of a crash.

This module imports nothing heavy at import time (`rlstudio validate` uses BUILTINS).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import json
import math
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlstudio.rlcr import rlcr_reward

DEFAULT_ANSWER_PATTERN = r"<answer>(.*?)</answer>"


def _text(completion: Any) -> str:
    """Completion text, for both plain and conversational (list of messages) completions."""
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def extract_answer(text: str, pattern: str = DEFAULT_ANSWER_PATTERN) -> str | None:
    """The last match of `pattern`'s first group (or whole match), stripped; None if absent."""
    matches = list(re.finditer(pattern, text, flags=re.DOTALL))
    if not matches:
        return None
    last = matches[-1]
    return (last.group(1) if last.groups() else last.group(0)).strip()


def _normalize_number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def answers_match(predicted: str, expected: str) -> bool:
    """math-verify equivalence, with a normalized numeric / string comparison first."""
    if predicted.strip() == str(expected).strip():
        return True
    a, b = _normalize_number(predicted), _normalize_number(str(expected))
    if a is not None and b is not None:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    from math_verify import parse, verify

    gold = parse(str(expected))
    return bool(gold) and verify(gold, parse(predicted))


# ---------------------------------------------------------------------------------------------
# Built-ins


def exact_answer(completions, answer=None, pattern: str = DEFAULT_ANSWER_PATTERN, column: str = "answer",
                 **kwargs) -> list[float]:
    """1.0 when the extracted final answer equals the dataset's answer column, else 0.0."""
    expected = answer if column == "answer" else kwargs.get(column)
    if expected is None:
        raise KeyError(f"exact_answer needs a dataset column {column!r} (set args.column)")
    scores = []
    for completion, gold in zip(completions, expected, strict=True):
        predicted = extract_answer(_text(completion), pattern)
        scores.append(1.0 if predicted is not None and answers_match(predicted, str(gold)) else 0.0)
    return scores


def format_reward(completions, pattern: str = r"^\s*<think>.*?</think>\s*<answer>.*?</answer>\s*$",
                  **kwargs) -> list[float]:
    """1.0 when the whole completion matches `pattern` (regex, DOTALL), else 0.0."""
    compiled = re.compile(pattern, flags=re.DOTALL)
    return [1.0 if compiled.search(_text(c)) else 0.0 for c in completions]


def length_penalty(completions, completion_ids=None, max_tokens: int = 256, **kwargs) -> list[float]:
    """-min(1, tokens / max_tokens): longer completions cost more (characters when ids are absent)."""
    if completion_ids is not None:
        lengths = [len(ids) for ids in completion_ids]
    else:
        lengths = [len(_text(c)) for c in completions]
    return [-min(1.0, n / max_tokens) for n in lengths]


def reasoning_gym_reward(completions, metadata=None, answer=None, question=None,
                         pattern: str = DEFAULT_ANSWER_PATTERN, **kwargs) -> list[float]:
    """reasoning-gym's own `score_answer` for the task that generated each row (needs `metadata`)."""
    import reasoning_gym

    if metadata is None or answer is None:
        raise KeyError("the reasoning_gym reward needs the `answer` and `metadata` columns of a reasoning-gym dataset")
    questions = question if question is not None else [""] * len(completions)
    scores = []
    for completion, meta, gold, text in zip(completions, metadata, answer, questions, strict=True):
        meta = json.loads(meta) if isinstance(meta, str) else meta
        entry = {"question": text, "answer": gold, "metadata": meta}
        scorer = reasoning_gym.get_score_answer_fn(meta["source_dataset"])
        predicted = extract_answer(_text(completion), pattern)
        scores.append(float(scorer(predicted, entry)) if predicted is not None else 0.0)
    return scores


BUILTINS: dict[str, Callable[..., list[float]]] = {
    "exact_answer": exact_answer,
    "format": format_reward,
    "length_penalty": length_penalty,
    "reasoning_gym": reasoning_gym_reward,
    "rlcr": rlcr_reward,
}


# ---------------------------------------------------------------------------------------------
# Loading


def load_function(ref: str, base_dir: str | Path = ".") -> Callable:
    """A built-in name, `path/to/file.py:function` (relative to base_dir) or `package.module:function`."""
    if ref in BUILTINS:
        return BUILTINS[ref]
    target, _, name = ref.rpartition(":")
    if target.endswith(".py"):
        path = Path(target).expanduser()
        path = path if path.is_absolute() else Path(base_dir) / path
        module_name = f"rlstudio_user_rewards.{path.stem}_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load reward file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        sys.path.insert(0, str(path.parent))  # sibling imports in the user's reward file
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
    else:
        module = importlib.import_module(target)
    try:
        func = getattr(module, name)
    except AttributeError:
        raise ImportError(f"{target} has no attribute {name!r}") from None
    if not callable(func):
        raise TypeError(f"{ref} is not callable")
    return func


def error_triple(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


@dataclass
class RewardError:
    """One failure of one reward function on some rows of one batch (local row indices)."""

    function: str
    indices: list[int]
    error: dict[str, str]


class RewardAbort(RuntimeError):
    """A reward function with on_error=abort failed; the run stops as failed."""

    def __init__(self, message: str, failure: RewardError):
        super().__init__(message)
        self.failure = failure


class BadRewardValue(ValueError):
    pass


class RewardTimeout(Exception):
    """A reward function ran past its `timeout_s` and was interrupted (raised inside it)."""


DeadlineGuard = Callable[[str, float], contextlib.AbstractContextManager]


def wrap_reward(func: Callable, name: str, args: dict[str, Any], on_error: str,
                sink: Callable[[RewardError], None], timeout_s: float | None = None,
                guard: DeadlineGuard | None = None) -> Callable[..., list[float | None]]:
    """Bind args, check the return value, and apply the on_error policy; errors go to `sink`.

    With `guard` and `timeout_s`, each call runs inside `guard(name, timeout_s)`, which raises
    RewardTimeout in the function when it runs too long (then handled like any other error).
    """
    bound = functools.partial(func, **args) if args else func

    def reward(prompts, completions, **kwargs):
        n = len(completions)
        try:
            with guard(name, timeout_s) if guard is not None and timeout_s else contextlib.nullcontext():
                values = bound(prompts=prompts, completions=completions, **kwargs)
            values, bad = _check_values(name, values, n)
        except Exception as exc:  # the user's code: any failure is reported, never crashes silently
            failure = RewardError(name, list(range(n)), error_triple(exc))
            sink(failure)
            if on_error == "abort":
                raise RewardAbort(f"reward function {name!r} failed: {type(exc).__name__}: {exc}", failure) from exc
            return [0.0 if on_error == "zero" else None] * n
        for index, message in bad:
            exc = BadRewardValue(message)
            failure = RewardError(name, [index], {"type": "BadRewardValue", "message": message, "traceback": ""})
            sink(failure)
            if on_error == "abort":
                raise RewardAbort(message, failure) from exc
            values[index] = 0.0 if on_error == "zero" else None
        return values

    reward.__name__ = name
    reward.__qualname__ = name
    return reward


def _check_values(name: str, values: Any, n: int) -> tuple[list[float | None], list[tuple[int, str]]]:
    """Validate a reward function's return: (values, [(index, problem)]); raise if unusable as a whole."""
    if values is None:
        raise BadRewardValue(f"reward function {name!r} returned None instead of a list of {n} numbers")
    try:
        values = list(values)
    except TypeError:
        raise BadRewardValue(f"reward function {name!r} returned {type(values).__name__}, expected a list") from None
    if len(values) != n:
        raise BadRewardValue(f"reward function {name!r} returned {len(values)} values for {n} completions")
    out: list[float | None] = []
    bad = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            bad.append((i, f"reward function {name!r} returned non-numeric {value!r:.60} at index {i}"))
            out.append(None)
            continue
        if isinstance(value, bool) or not math.isfinite(number):
            bad.append((i, f"reward function {name!r} returned {value!r} at index {i} (need a finite number)"))
            out.append(None)
            continue
        out.append(number)
    return out, bad


def entry_function(entry, config) -> Callable:
    """The callable of one `rewards:` entry: its `ref` function, or an exported ONNX reward model (`onnx`)."""
    if entry.onnx is not None:
        from rlstudio.export.onnx_reward import OnnxReward

        return OnnxReward(config.resolve(entry.onnx))
    return load_function(entry.ref, config.base_dir)


def load_rewards(config, sink: Callable[[RewardError], None],
                 guard: DeadlineGuard | None = None) -> tuple[list[Callable], list[float]]:
    """(wrapped functions, weights) for config.rewards; `guard` enforces each entry's timeout_s."""
    funcs, weights = [], []
    for entry in config.rewards:
        func = entry_function(entry, config)
        funcs.append(wrap_reward(func, entry.name, entry.args, entry.on_error, sink, entry.timeout_s, guard))
        weights.append(entry.weight)
    return funcs, weights
