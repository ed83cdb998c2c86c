"""Scoring eval samples with every reward function of the run, and deciding which are correct.

The rewards are eval.rewards when set, else the run's (a DPO run has only eval.rewards). They are
called as TRL calls them (`_calculate_rewards`): prompts, completions (assistant
messages for chat prompts, text decoded without special tokens otherwise), completion_ids and the
dataset columns as lists, plus trainer_state=None and no-op log_extra / log_metric. One call per
prompt (its n samples), so a failure touches that prompt's samples only. Whatever a function's
`on_error` says for training, in an eval a failure is recorded: the value is null, `reward_error`
holds the message and the sample is not correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rlstudio.config import RunConfig
from rlstudio.evals.config import CORRECTNESS_REWARDS, EvalConfig
from rlstudio.rewards import RewardError, entry_function, wrap_reward


@dataclass
class PassWhen:
    reward: str
    at_least: float
    chosen_by: str  # "config" | "default"

    def describe(self) -> str:
        how = "eval.pass_when" if self.chosen_by == "config" else "default: the first correctness reward"
        return f"solved = rewards.{self.reward} >= {self.at_least:g} ({how})"

    def to_json(self) -> dict[str, Any]:
        return {"reward": self.reward, "atLeast": self.at_least, "chosenBy": self.chosen_by}


def resolve_pass_when(config: RunConfig, settings: EvalConfig) -> tuple[PassWhen, str | None]:
    """(rule, warning or None). Default: the first reward (of eval.rewards when set, else of the run) whose ref
    is exact_answer or reasoning_gym. The caller has made sure there is a reward."""
    if settings.pass_when is not None:
        return PassWhen(settings.pass_when.reward, settings.pass_when.at_least, "config"), None
    rewards = settings.scoring_rewards(config)
    for entry in rewards:
        if entry.ref in CORRECTNESS_REWARDS:
            return PassWhen(entry.name, 1.0, "default"), None
    first = rewards[0].name
    where = "eval.rewards" if settings.rewards else "the run"
    warning = (f"no correctness reward ({', '.join(CORRECTNESS_REWARDS)}) in {where}: solved = rewards.{first} >= 1 "
               "(set eval.pass_when to choose)")
    return PassWhen(first, 1.0, "default"), warning


def _no_op(*args, **kwargs) -> None:
    return None


class Judge:
    def __init__(self, config: RunConfig, pass_when: PassWhen, settings: EvalConfig | None = None):
        """Scores with `settings.scoring_rewards(config)`: eval.rewards when set, else the run's rewards."""
        rewards = (settings or EvalConfig()).scoring_rewards(config)
        self.pass_when = pass_when
        self.names = [entry.name for entry in rewards]
        self.weights = [entry.weight for entry in rewards]
        self._errors: list[RewardError] = []
        self.funcs = [wrap_reward(entry_function(entry, config), entry.name, entry.args, "skip",
                                  self._errors.append) for entry in rewards]

    def score(self, row: dict[str, Any], texts: list[str], completion_ids: list[list[int]]) -> list[dict[str, Any]]:
        """Per sample of one prompt: rewards {name: value|None}, reward, reward_error, correct."""
        n = len(texts)
        prompt = row["prompt"]
        completions = [[{"role": "assistant", "content": t}] for t in texts] if isinstance(prompt, list) else texts
        columns = {key: [value] * n for key, value in row.items() if key not in ("prompt", "completion",
                                                                                "completion_ids")}
        values: dict[str, list[float | None]] = {}
        errors: list[list[str]] = [[] for _ in range(n)]
        for name, func in zip(self.names, self.funcs, strict=True):
            self._errors.clear()
            values[name] = func(prompts=[prompt] * n, completions=completions, completion_ids=completion_ids,
                                trainer_state=None, log_extra=_no_op, log_metric=_no_op, **columns)
            for failure in self._errors:
                for i in failure.indices:
                    errors[i].append(f"{failure.function}: {failure.error['type']}: {failure.error['message']}")
        out = []
        for i in range(n):
            rewards = {name: values[name][i] for name in self.names}
            scored = [(v, w) for v, w in zip(rewards.values(), self.weights, strict=True)
                      if v is not None and not math.isnan(v)]
            decisive = rewards[self.pass_when.reward]
            error = "\n".join(errors[i]) or None
            out.append({
                "rewards": rewards,
                "reward": sum(v * w for v, w in scored) if scored else None,
                "reward_error": error,
                "correct": error is None and decisive is not None and decisive >= self.pass_when.at_least,
            })
        return out
