"""The `eval:` section of a run config (imported by rlstudio.config; nothing heavy here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rlstudio.config_rewards import RewardConfig, reward_list_problems

# Samples' length when neither eval.max_new_tokens nor algorithm.max_completion_length says (DPO has no sampling).
DEFAULT_MAX_NEW_TOKENS = 256

# Built-in rewards that decide correctness; the first reward entry using one is the default `pass_when`.
CORRECTNESS_REWARDS = ("exact_answer", "reasoning_gym")


@dataclass
class PassWhenConfig:
    reward: str = field(metadata={"help": "Name of the reward entry (rewards[].name) that decides whether a sample "
                                          "solved its prompt."})
    at_least: float = field(default=1.0, metadata={"help": "A sample is correct when that reward is >= this value."})


@dataclass
class EvalReasoningGymConfig:
    seed: int = field(metadata={"help": "Generator seed of the eval problems. reasoning-gym draws problem i from "
                                        "seed + i: with the training task, keep [seed, seed + size) clear of the "
                                        "training range [data.reasoning_gym.seed, + data.reasoning_gym.size)."})
    task: str | None = field(default=None, metadata={"help": "reasoning-gym task (default: the training task)."})
    size: int | None = field(default=None, metadata={"help": "Problems generated (default: eval.prompts)."})


@dataclass
class EvalConfig:
    data: str | None = field(default=None, metadata={
        "help": "Held-out prompts: a .jsonl or .parquet file or a datasets folder, formatted like `data` "
                "(same template, system prompt and chat template)."})
    reasoning_gym: EvalReasoningGymConfig | None = field(default=None, metadata={
        "help": "Eval problems from reasoning-gym with a seed different from training."})
    split: float | None = field(default=None, metadata={
        "help": "Hold this share of the training data out of training and evaluate on it (e.g. 0.1)."})
    prompts: int = field(default=50, metadata={"help": "Evaluate on the first N prompts of the source."})
    samples: int = field(default=16, metadata={"help": "Samples per prompt (n of pass@k), up to 256 or more."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature (top_p 1, no top_k)."})
    max_new_tokens: int | None = field(default=None, metadata={
        "help": "Maximum generated tokens per sample (default: algorithm.max_completion_length; DPO: 256)."})
    seed: int = field(default=0, metadata={"help": "Sampling seed (the same for every checkpoint)."})
    k: list[int] | None = field(default=None, metadata={"help": "k values of pass@k (default 1, 2, 4, ... n)."})
    batch_size: int = field(default=64, metadata={
        "help": "Sequences per generate call (prompts x samples are chunked; bounds memory)."})
    rewards: list[RewardConfig] | None = field(default=None, metadata={
        "help": "Reward functions that score the eval samples instead of the run's `rewards` (same form). A DPO "
                "run trains without reward functions: its evals need these, e.g. [{name: exact, ref: exact_answer}]."})
    pass_when: PassWhenConfig | None = field(default=None, metadata={
        "help": "Which reward decides `solved` (default: the first exact_answer or reasoning_gym reward)."})
    every_n_steps: int | None = field(default=None, metadata={
        "help": "Also evaluate the current policy every N training steps (logs eval/pass@1, eval/pass@k, "
                "eval/mean_reward; keeps the samples as policy-step-<step>); null = never."})

    def problems(self) -> list[tuple[str, str]]:
        found = []
        sources = [name for name in ("data", "reasoning_gym", "split") if getattr(self, name) is not None]
        if len(sources) > 1:
            found.append(("", f"set at most one of `data`, `reasoning_gym`, `split` (got {', '.join(sources)})"))
        if self.split is not None and not 0.0 < self.split < 1.0:
            found.append(("split", "must be in (0, 1), e.g. 0.1"))
        for name in ("prompts", "samples", "batch_size"):
            if getattr(self, name) <= 0:
                found.append((name, "must be a positive integer"))
        if self.max_new_tokens is not None and self.max_new_tokens <= 0:
            found.append(("max_new_tokens", "must be a positive integer or null"))
        if self.temperature <= 0:
            found.append(("temperature", "must be > 0 (sampling; pass@k needs several different samples)"))
        if self.k is not None and (not self.k or any(k <= 0 for k in self.k)):
            found.append(("k", "list positive integers, e.g. [1, 4, 16]"))
        if self.every_n_steps is not None and self.every_n_steps <= 0:
            found.append(("every_n_steps", "must be a positive integer or null"))
        if self.reasoning_gym is not None and self.reasoning_gym.size is not None and self.reasoning_gym.size <= 0:
            found.append(("reasoning_gym.size", "must be a positive integer or null"))
        return found

    def max_new_tokens_in(self, config) -> int:
        """eval.max_new_tokens, else the training samples' limit (DPO samples nothing in training: 256)."""
        return self.max_new_tokens or getattr(config.algorithm, "max_completion_length", None) or DEFAULT_MAX_NEW_TOKENS

    def scoring_rewards(self, config) -> list[RewardConfig]:
        """The reward entries that score eval samples: `eval.rewards` when set, else the run's `rewards`."""
        return self.rewards if self.rewards is not None else config.rewards

    def problems_in(self, config) -> list[tuple[str, str]]:
        """Checks against the rest of the run config (key paths from the root)."""
        found = []
        if self.rewards is not None:
            found.extend(reward_list_problems(self.rewards, "eval.rewards"))
            if not self.rewards:
                found.append(("eval.rewards", "list at least one reward function, or remove `eval.rewards` to "
                                              "score with the run's `rewards`"))
        if self.every_n_steps is not None and not self.scoring_rewards(config):
            found.append(("eval.rewards", "a DPO run has no reward functions to score its periodic evals with: list "
                                          "them here, e.g. [{name: exact, ref: exact_answer}]"))
        names = [r.name for r in self.scoring_rewards(config)]
        if self.pass_when is not None and self.pass_when.reward not in names:
            where = "eval.rewards" if self.rewards else "rewards"
            found.append(("eval.pass_when.reward", f"no reward entry named {self.pass_when.reward!r} "
                                                   f"({where}: {', '.join(names) or 'none'})"))
        rg, train_rg = self.reasoning_gym, config.data.reasoning_gym
        if rg is not None:
            if rg.task is None and train_rg is None:
                found.append(("eval.reasoning_gym.task", "name a reasoning-gym task (training data is not one)"))
            elif train_rg is not None and (rg.task or train_rg.task) == train_rg.task:
                # reasoning-gym draws problem i from Random(seed + i): the two seed ranges must not overlap
                size = rg.size or self.prompts
                if rg.seed < train_rg.seed + train_rg.size and train_rg.seed < rg.seed + size:
                    found.append(("eval.reasoning_gym.seed", (
                        f"reasoning-gym draws problem i from seed + i, so seeds {train_rg.seed}…"
                        f"{train_rg.seed + train_rg.size - 1} give training problems and this eval would repeat "
                        f"some; use a seed >= {train_rg.seed + train_rg.size} (or <= {train_rg.seed - size})")))
        if self.split is not None and config.data.eval_fraction not in (0.0, self.split):
            found.append(("eval.split", f"data.eval_fraction ({config.data.eval_fraction}) already holds rows out; "
                                        "set only one of them"))
        return found
