"""The reward entries of a run config (`rewards:`, and `eval.rewards:` that score eval samples instead),
in a module of their own so that the `eval:` section (rlstudio.evals.config) can use them without
importing rlstudio.config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class RewardConfig:
    name: str = field(metadata={"help": "Name of this reward (metric `rewards/<name>/mean`, column `rewards.<name>`)."})
    ref: str | None = field(
        default=None,
        metadata={
            "help": "A built-in (exact_answer, format, length_penalty, reasoning_gym), "
            "`path/to/file.py:function` relative to the config file, or `package.module:function`. "
            "Set either `ref` or `onnx`."
        },
    )
    onnx: str | None = field(
        default=None,
        metadata={
            "help": "Instead of `ref`: a reward model exported by `rlstudio export-onnx` (a sequence-classification "
            "export folder, relative to the config file), scored with onnxruntime on prompt + completion."
        },
    )
    weight: float = field(default=1.0, metadata={"help": "Weight in the total reward."})
    args: dict[str, Any] = field(default_factory=dict, metadata={"help": "Keyword arguments bound to the function."})
    on_error: Literal["skip", "zero", "abort"] = field(
        default="skip",
        metadata={
            "help": "When the function raises or returns bad values: skip (reward null for the affected "
            "rows, ignored by TRL), zero (reward 0.0) or abort (the run fails)."
        },
    )
    timeout_s: float = field(
        default=120.0,
        metadata={
            "help": "Seconds one call (one batch) may take in training; a call that runs longer is interrupted "
            "and handled by `on_error` like an exception."
        },
    )

    def problems(self) -> list[tuple[str, str]]:
        return [("timeout_s", "must be > 0, e.g. 120")] if self.timeout_s <= 0 else []


def reward_list_problems(rewards: list[RewardConfig], key: str) -> list[tuple[str, str]]:
    """Duplicate names and entries with neither or both of `ref` and `onnx`, at key paths under `key`."""
    found = []
    names = [r.name for r in rewards]
    for i, name in enumerate(names):
        if names.index(name) != i:
            found.append((f"{key}[{i}].name", f"duplicate reward name {name!r}"))
    for i, reward in enumerate(rewards):
        if (reward.ref is None) == (reward.onnx is None):
            found.append((f"{key}[{i}]", "set either `ref` (a reward function) or `onnx` (an exported reward "
                                         "model folder), not both or neither"))
    return found
