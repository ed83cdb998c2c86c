"""Difficulty-targeted online prompt selection (config `data.selection`, docs/data-efficiency.md).

A prompt's adaptive difficulty is its expected normalised reward (pass rate, in [0, 1]) under the
current policy. Each generation round the sampler prefers prompts whose estimate is near
`target`, and fills a share `exploration` of the round uniformly at random so no prompt starves.

Estimates (DifficultyTable):
- the reference set is the `reference_size` prompts rolled out most recently: their estimate is
  their observed group mean (the rollouts of each round are the reference rollouts of the next;
  no extra generation is spent);
- every other prompt is predicted from the reference set by attention over prompt embeddings:
  softmax over reference prompts of cos(e_i, e_j) / ATTENTION_TEMPERATURE, weighting their
  observed values. Embeddings are the policy's last hidden states, mean-pooled over the prompt
  tokens, computed once before training (rank 0, broadcast) and centred (mean-pooled hidden states
  of a language model are nearly parallel; centring makes their cosines informative).

Capture points (SelectionMixin, mixed into the GRPO trainer class by `with_selection`):
- `_get_train_sampler`: returns DifficultySampler instead of TRL's RepeatSampler (same layout:
  each prompt repeated num_generations times, each round repeated num_iterations ×
  steps_per_generation times), after computing the embeddings.
- `_generate_and_score_completions`: after TRL has scored the round, the rows' `rlstudio_index`
  (gathered from every process) and the total rewards TRL gathered (`_calculate_rewards`, kept by
  RecordingGRPOTrainer as `_last_rewards`) update the table; rank 0 appends a line to
  `selection.jsonl` (which prompts, their estimate at selection time, why chosen, observed reward).

Processes: every rank iterates its own sampler; decisions are a pure function of the seed, the
round number and the table, which every rank updates with the same gathered values, so they agree
without a collective inside the data loader. Each generation checks this (an index generated on
another rank that this rank's sampler did not choose fails the run with the reason).

Resume: the table is rebuilt from `selection.jsonl` (lines up to the checkpoint's step).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ATTENTION_TEMPERATURE = 0.1


@dataclass
class SelectionConfig:
    strategy: Literal["uniform", "difficulty"] = field(
        default="uniform",
        metadata={"help": "uniform: TRL's shuffled order. difficulty: prefer prompts whose expected normalised "
                  "reward under the current policy is near `target` (docs/data-efficiency.md)."},
    )
    target: float = field(
        default=0.5, metadata={"help": "Preferred expected normalised reward (pass rate), strictly between 0 and 1."}
    )
    reference_size: int = field(
        default=16,
        metadata={"help": "The most recently rolled-out prompts whose observed reward is their estimate; every "
                  "other prompt is predicted from them by embedding similarity."},
    )
    temperature: float = field(
        default=0.1,
        metadata={"help": "Sampling weight exp(-|estimate - target| / temperature): smaller is greedier."},
    )
    exploration: float = field(
        default=0.25, metadata={"help": "Share of each round's prompts drawn uniformly at random, in [0, 1)."}
    )
    reward_range: list[float] | None = field(
        default=None,
        metadata={"help": "[min, max] of the total reward, mapped to [0, 1]; default assumes every reward "
                  "function gives values in [0, 1]: [sum of negative weights, sum of positive weights]."},
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if not 0.0 < self.target < 1.0:
            found.append(("target", f"must be strictly between 0 and 1 (a normalised reward), got {self.target}; "
                          "at 0 or 1 every group would have zero reward variance and teach nothing"))
        if self.reference_size <= 0:
            found.append(("reference_size", "must be a positive integer"))
        if self.temperature <= 0:
            found.append(("temperature", "must be > 0"))
        if not 0.0 <= self.exploration < 1.0:
            found.append(("exploration", "must be in [0, 1) (1 would be uniform: use strategy: uniform)"))
        if self.reward_range is not None and (len(self.reward_range) != 2
                                              or not self.reward_range[0] < self.reward_range[1]):
            found.append(("reward_range", "must be [min, max] with min < max"))
        return found


def default_reward_range(weights: list[float]) -> tuple[float, float]:
    return sum(min(w, 0.0) for w in weights), sum(max(w, 0.0) for w in weights)


# ---------------------------------------------------------------------------------------------
# The table and the choice (numpy only; unit-tested on synthetic tables)


@dataclass
class Choice:
    indices: list[int]
    estimates: list[float | None]
    basis: list[str]  # "observed" | "predicted" | "none"
    reason: list[str]  # "target" | "explore"


class DifficultyTable:
    def __init__(self, size: int, config: SelectionConfig, seed: int, embeddings=None):
        import numpy as np

        self.size = size
        self.config = config
        self.seed = seed
        self.recent: OrderedDict[int, float] = OrderedDict()  # reference set: index -> observed, newest last
        self.embeddings = None
        if embeddings is not None:
            e = np.asarray(embeddings, dtype=np.float64)
            e = e - e.mean(axis=0, keepdims=True)
            self.embeddings = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)

    def observe(self, indices: list[int], values: list[float]) -> None:
        for index, value in zip(indices, values):
            if value is None or not math.isfinite(value):
                continue
            self.recent.pop(index, None)
            self.recent[index] = float(value)
        while len(self.recent) > self.config.reference_size:
            self.recent.popitem(last=False)

    def estimates(self):
        """(estimate per prompt, NaN when unknown; basis per prompt)."""
        import numpy as np

        estimate = np.full(self.size, np.nan)
        basis = np.full(self.size, "none", dtype=object)
        if not self.recent:
            return estimate, basis
        ref = np.fromiter(self.recent.keys(), dtype=np.int64)
        observed = np.fromiter(self.recent.values(), dtype=np.float64)
        if self.embeddings is not None:
            logits = self.embeddings @ self.embeddings[ref].T / ATTENTION_TEMPERATURE  # (N, R)
            logits -= logits.max(axis=1, keepdims=True)
            weights = np.exp(logits)
            estimate = (weights @ observed) / weights.sum(axis=1)
        else:
            estimate[:] = observed.mean()
        basis[:] = "predicted"
        estimate[ref] = observed
        basis[ref] = "observed"
        return estimate, basis

    def choose(self, round_number: int, k: int) -> Choice:
        """k distinct prompts: Gumbel-top-k on log-weights -|d - target| / temperature (sampling without
        replacement in proportion to the weights), then `exploration` of them uniformly at random."""
        import numpy as np

        if k > self.size:
            raise ValueError(f"a round needs {k} distinct prompts but the data has {self.size} rows")
        rng = np.random.default_rng([self.seed, round_number])
        estimate, basis = self.estimates()
        n_explore = int(math.floor(self.config.exploration * k + 0.5))
        logits = np.where(np.isnan(estimate), 0.0, -np.abs(estimate - self.config.target) / self.config.temperature)
        if np.isnan(estimate).all():
            logits[:] = 0.0  # nothing known yet: uniform
        keys = logits + rng.gumbel(size=self.size)
        order = np.argsort(-keys, kind="stable")
        targeted = [int(i) for i in order[: k - n_explore]]
        rest = np.setdiff1d(np.arange(self.size), np.asarray(targeted, dtype=np.int64))
        explored = [int(i) for i in rng.choice(rest, size=n_explore, replace=False)] if n_explore else []
        indices = targeted + explored
        return Choice(
            indices=indices,
            estimates=[None if math.isnan(estimate[i]) else float(estimate[i]) for i in indices],
            basis=[str(basis[i]) for i in indices],
            reason=["target"] * len(targeted) + ["explore"] * len(explored),
        )


def replay_log(path: Path, table: DifficultyTable, up_to_step: int) -> int:
    """Rebuild the reference set from selection.jsonl lines of steps <= up_to_step; return lines used."""
    from rlstudio.runformat import read_jsonl

    used = 0
    for line in read_jsonl(path):
        if line.get("step", 0) > up_to_step:
            continue
        prompts = line.get("prompts", [])
        table.observe([p["dataset_index"] for p in prompts], [p.get("observed") for p in prompts])
        used += 1
    return used
