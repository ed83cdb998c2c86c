"""One reward function applied to a batch of samples, the way TRL calls it; runs in the executor.

A task is `{name, ref, args, baseDir, samples: [{prompt, completion, columns}]}`; the answer is
`{scores: [number|null], errors: [{indices, error: {type, message, traceback}}], extras, seconds}`.
Errors follow the trainer's rules (rlstudio.rewards.wrap_reward): a raise or a return of the wrong
length fails every index; a NaN or a non-number fails its own index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rlstudio import rewards
from rlstudio.rewards import RewardError, error_triple


def builtins() -> dict[str, Callable[..., list[float]]]:
    """The trainer's built-ins, plus the RLCR calibration reward until the trainer registers it."""
    from rlstudio.rlcr import rlcr_reward

    return {**rewards.BUILTINS, "rlcr": rlcr_reward}


def resolve(ref: str, base_dir: str) -> Callable[..., Any]:
    table = builtins()
    return table[ref] if ref in table else rewards.load_function(ref, base_dir)


def columns_of(samples: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Per-sample `columns` dicts → TRL's keyword arguments (one list per column; None where absent)."""
    names: dict[str, None] = {}
    for sample in samples:
        names.update(dict.fromkeys(sample.get("columns") or {}))
    return {name: [(s.get("columns") or {}).get(name) for s in samples] for name in names}


def call_reward(task: dict[str, Any]) -> dict[str, Any]:
    samples = task["samples"]
    n = len(samples)
    errors: list[RewardError] = []
    extras: dict[str, list[Any]] = {}
    started = time.perf_counter()
    try:
        func = resolve(task["ref"], task.get("baseDir") or ".")
    except Exception as exc:  # an import or syntax error in the user's file
        return {
            "scores": [None] * n,
            "errors": [{"indices": list(range(n)), "error": error_triple(exc)}],
            "extras": {},
            "seconds": time.perf_counter() - started,
        }
    wrapped = rewards.wrap_reward(func, task["name"], task.get("args") or {}, "skip", errors.append)

    def log_extra(column: str, values: list[Any]) -> None:
        extras[column] = list(values)

    def log_metric(name: str, value: float) -> None:
        pass  # a metric means nothing outside training

    scores = wrapped(
        prompts=[s.get("prompt", "") for s in samples],
        completions=[s.get("completion", "") for s in samples],
        completion_ids=None,
        trainer_state=None,
        log_extra=log_extra,
        log_metric=log_metric,
        **columns_of(samples),
    )
    return {
        "scores": scores,
        "errors": [{"indices": e.indices, "error": e.error} for e in errors],
        "extras": extras,
        "seconds": time.perf_counter() - started,
    }
