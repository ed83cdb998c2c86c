"""The `algorithm:` section: one dataclass per TRL trainer, chosen by `name` (grpo, the default; rloo; dpo).

Fields keep the names of TRL's config dataclasses (GRPOConfig, RLOOConfig, DPOConfig); those marked
`"trl": True` in their metadata are passed to it as they are (`trl_arguments`), and `extra` passes
any other field of it (names checked against TRL's source). A key that belongs to another
algorithm is named as such ("`label_smoothing` is a DPO setting").
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from rlstudio.config_builder import did_you_mean
from rlstudio.trl_source import trl_config_field_names

# TRL config fields that rlstudio sets itself (and where the user controls them instead).
MANAGED_TRL_FIELDS = {
    "output_dir": "--run-dir / runs_root",
    "seed": "`seed`",
    "save_steps": "`checkpoints.every_n_steps`",
    "save_total_limit": "`checkpoints.keep_last`",
    "report_to": "the run directory (metrics.jsonl)",
    "logging_dir": "the run directory",
}
# DPOConfig fields the recording cannot follow (it reads each pair's reference forward, token by token).
_UNRECORDABLE_DPO_FIELDS = {
    "precompute_ref_log_probs": "the reference log-probabilities are recorded per token at each step",
    "use_liger_kernel": "the fused loss never materializes the logits the recording reads",
    "ld_alpha": "the recorded loss mask has no per-token weights",
    "loss_type": "set `algorithm.loss_type` (sigmoid, robust or ipo)",
}


# TRL GRPOConfig fields whose per-row tensors the replay buffer does not carry.
_REPLAY_UNSUPPORTED_EXTRA = {
    "use_vllm": "vLLM's sampling log-probabilities and importance-sampling ratios are not kept in the buffer",
    "use_liger_kernel": "the fused loss reads the batch differently; replay is tested with TRL's own loss only",
}


def _trl(help: str, default: Any) -> Any:
    """A field passed to TRL's config under its own name."""
    return field(default=default, metadata={"help": help, "trl": True})


@dataclass
class _TrainerFields:
    """Optimizer and logging settings every TRL trainer shares."""

    algorithm: ClassVar[str] = ""
    label: ClassVar[str] = ""

    learning_rate: float = _trl("Peak learning rate.", 1e-5)
    lr_scheduler_type: str = _trl("transformers scheduler name.", "constant")
    warmup_steps: int = _trl("Linear warm-up steps.", 0)
    max_steps: int = _trl("Optimizer steps to train.", 100)
    per_device_train_batch_size: int = _trl("Completions per device per micro-batch (multiple of num_generations).", 8)
    gradient_accumulation_steps: int = _trl("Micro-batches per optimizer step.", 1)
    max_grad_norm: float = _trl("Gradient clipping.", 1.0)
    logging_steps: int = _trl("Write metrics every N steps.", 1)
    extra: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "Any other field of TRL's config for this algorithm, passed through (names checked "
                          "against TRL)."},
    )

    def trl_arguments(self) -> dict[str, Any]:
        """The TRL config arguments this section sets: every field marked `"trl"`, then `extra`."""
        own = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.metadata.get("trl")}
        return {**own, **self.extra}

    @classmethod
    def unknown_key_hint(cls, key: str) -> str | None:
        """For the config builder: a key of another algorithm's section, or one of TRL's for `extra`."""
        for other in ALGORITHMS:
            if other is not cls and key in {f.name for f in dataclasses.fields(other)}:
                return (f"`{key}` is a {other.label} setting (`algorithm.name: {other.algorithm}`), "
                        f"not a {cls.label} one")
        if key in (trl_config_field_names(cls.algorithm) or ()):
            return f"`{key}` is a TRL {cls.label} setting without its own key here: put it under `algorithm.extra`"
        return None

    def _positive(self) -> tuple[str, ...]:
        return ("max_steps", "per_device_train_batch_size", "gradient_accumulation_steps", "logging_steps")

    def problems(self) -> list[tuple[str, str]]:
        found = [(name, "must be a positive integer") for name in self._positive() if getattr(self, name) <= 0]
        if self.learning_rate < 0:
            found.append(("learning_rate", "must be >= 0"))
        own = {f.name for f in dataclasses.fields(self)}
        trl_fields = trl_config_field_names(self.algorithm)
        for key in self.extra:
            if key in own:
                found.append((f"extra.{key}", f"set `algorithm.{key}` directly instead of through `extra`"))
            elif key in MANAGED_TRL_FIELDS:
                found.append((f"extra.{key}", f"`{key}` is managed by rlstudio; use {MANAGED_TRL_FIELDS[key]}"))
            elif trl_fields is not None and key not in trl_fields:
                found.append((f"extra.{key}", f"not a TRL {self.label}Config field{did_you_mean(key, trl_fields)}"))
        return found


# What one buffered completion costs in memory, per token (rlstudio.replay stores CPU tensors): prompt and
# completion ids (int64), their masks (bool), the behaviour policy's log-probabilities (float32) and, when
# beta > 0, the reference's (float32). TRL 1.13 does not bound prompt length, so prompts are assumed to
# be at most REPLAY_PROMPT_TOKENS long in the estimate.
REPLAY_BYTES_PER_TOKEN = 8 + 1 + 4
REPLAY_REF_BYTES_PER_TOKEN = 4
REPLAY_PROMPT_TOKENS = 512
REPLAY_MEMORY_SHARE = 0.5  # the buffer may take at most this share of the memory available at launch


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else free physical pages; None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


@dataclass
class ReplayConfig:
    """Rollout replay (docs/data-efficiency.md): recent groups reused with their recorded old log-probs."""

    buffer_size: int = field(
        default=64,
        metadata={"help": "Groups (one prompt's num_generations completions each) kept in the FIFO buffer; the "
                          "oldest leave first."},
    )
    fraction: float = field(
        default=0.5,
        metadata={"help": "Share of each generation batch's groups taken from the buffer instead of generated, in "
                          "[0, 1): round(fraction × groups), at most groups − 1 and at most what the buffer holds."},
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if not 0.0 <= self.fraction < 1.0:
            found.append(("fraction", f"must be in [0, 1), got {self.fraction}: at 1 no group would be generated, "
                                      "nothing new would enter the buffer and training would loop over old "
                                      "rollouts; remove `replay` to turn it off"))
        if self.buffer_size < 1:
            found.append(("buffer_size", f"must be a positive number of groups, got {self.buffer_size}"))
        return found

    def memory_problem(self, num_generations: int, max_completion_length: int, beta: float,
                       available: int | None) -> str | None:
        """Why a full buffer would not fit in memory (None if it would, or if the memory is unknown)."""
        if available is None or self.buffer_size < 1:
            return None
        rows = self.buffer_size * num_generations
        tokens = REPLAY_PROMPT_TOKENS + max_completion_length
        per_token = REPLAY_BYTES_PER_TOKEN + (REPLAY_REF_BYTES_PER_TOKEN if beta > 0 else 0)
        needed = rows * tokens * per_token
        allowed = int(available * REPLAY_MEMORY_SHARE)
        if needed <= allowed:
            return None
        fits = max(allowed // (num_generations * tokens * per_token), 0)
        return (f"a full buffer would need about {needed / 2**30:.1f} GiB ({self.buffer_size} groups × "
                f"{num_generations} completions × {tokens} tokens ({REPLAY_PROMPT_TOKENS} prompt + "
                f"{max_completion_length} completion) × {per_token} bytes), more than "
                f"{int(REPLAY_MEMORY_SHARE * 100)}% of the {available / 2**30:.1f} GiB of memory available now; "
                f"use a buffer_size of at most {fits}")


@dataclass
class _OnlineFields(_TrainerFields):
    """Sampling and clipping settings of the online trainers (GRPO, RLOO)."""

    num_generations: int = _trl("Completions per prompt (group size).", 4)
    beta: float = _trl("KL coefficient (0 = no reference model).", 0.0)
    epsilon: float = _trl("Lower clipping epsilon.", 0.2)
    epsilon_high: float | None = _trl("Upper clipping epsilon (clip-higher, DAPO); null = epsilon.", None)
    max_completion_length: int = _trl("Maximum generated tokens per completion.", 64)
    temperature: float = _trl("Sampling temperature.", 1.0)
    top_p: float = _trl("Nucleus sampling.", 1.0)
    num_iterations: int = _trl("Optimization passes per generation batch (mu).", 1)
    replay: ReplayConfig | None = field(
        default=None,
        metadata={"help": "Rollout replay: fill part of each batch with recent groups from a FIFO buffer, their "
                          "importance ratio taken against their recorded old log-probabilities (null = off; "
                          "docs/data-efficiency.md)."},
    )

    def _positive(self) -> tuple[str, ...]:
        return (*super()._positive(), "num_generations", "max_completion_length", "num_iterations")

    def _replay_problems(self) -> list[tuple[str, str]]:
        found = []
        memory = self.replay.memory_problem(self.num_generations, self.max_completion_length, self.beta,
                                            available_memory_bytes())
        if memory is not None:
            found.append(("replay.buffer_size", memory))
        for key, why in _REPLAY_UNSUPPORTED_EXTRA.items():
            if self.extra.get(key):
                found.append((f"extra.{key}", f"not supported with `replay`: {why}"))
        return found

    def problems(self) -> list[tuple[str, str]]:
        found = super().problems()
        if 0 < self.num_generations < 2:
            found.append(("num_generations", self._group_message))
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if self.num_generations > 0 and batch % self.num_generations:
            found.append(("per_device_train_batch_size",
                          f"per_device_train_batch_size × gradient_accumulation_steps ({batch}) must be a multiple "
                          f"of num_generations ({self.num_generations})"))
        if self.temperature <= 0:
            found.append(("temperature", "must be > 0"))
        if self.beta < 0:
            found.append(("beta", "must be >= 0"))
        if self.replay is not None:
            found.extend(self._replay_problems())
        return found

    _group_message: ClassVar[str] = ""


@dataclass
class GRPOAlgorithmConfig(_OnlineFields):
    """GRPO (TRL GRPOTrainer / GRPOConfig)."""

    algorithm: ClassVar[str] = "grpo"
    label: ClassVar[str] = "GRPO"
    _group_message: ClassVar[str] = "GRPO needs at least 2 completions per prompt"

    name: Literal["grpo"] = field(default="grpo", metadata={"help": "Algorithm: grpo (default), rloo or dpo."})
    loss_type: Literal["grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"] = _trl(
        "How token losses are aggregated (TRL GRPOConfig.loss_type): dapo = over the active tokens of the "
        "accumulated batch (no length bias; default); grpo = per sequence, then averaged (length-biased); "
        "dr_grpo = by a constant (max_completion_length), Dr. GRPO; bnpo = over the active tokens of the local "
        "batch; cispo = clipped importance weights times logprobs (MiniMax-M1); sapo = a soft gate instead of "
        "hard clipping; luspo = sequence-level, scaled by length (GSPO-style; needs importance_sampling_level: "
        "sequence in extra); vespo = a smooth sequence-level weighting.",
        "dapo",
    )
    scale_rewards: Literal["group", "batch", "none"] = _trl(
        "Divide advantages by the reward std of the group (default), of the whole batch (PPO Lite), or not at "
        "all (none: Dr. GRPO, no question-difficulty bias).",
        "group",
    )
    top_entropy_quantile: float = _trl(
        "Train only on the top-q highest-entropy tokens (forking tokens); 1.0 = all tokens.", 1.0
    )

    def problems(self) -> list[tuple[str, str]]:
        found = super().problems()
        if not 0.0 < self.top_entropy_quantile <= 1.0:
            found.append(("top_entropy_quantile", "must be in (0, 1]"))
        return found


@dataclass
class RLOOAlgorithmConfig(_OnlineFields):
    """RLOO (TRL RLOOTrainer / RLOOConfig): REINFORCE with a leave-one-out baseline."""

    algorithm: ClassVar[str] = "rloo"
    label: ClassVar[str] = "RLOO"
    _group_message: ClassVar[str] = (
        "RLOO needs at least 2 completions per prompt: each one's baseline is the mean reward of the others"
    )

    name: Literal["rloo"] = field(default="rloo", metadata={"help": "Algorithm: grpo (default), rloo or dpo."})
    beta: float = _trl("KL coefficient, applied as a penalty in the reward (0 = no reference model).", 0.0)
    normalize_advantages: bool = _trl("Normalize the advantages over the generation batch (mean 0, std 1).", False)


@dataclass
class DPOAlgorithmConfig(_TrainerFields):
    """The DPO family (TRL DPOTrainer / DPOConfig), offline on preference pairs {prompt, chosen, rejected}."""

    algorithm: ClassVar[str] = "dpo"
    label: ClassVar[str] = "DPO"

    name: Literal["dpo"] = field(default="dpo", metadata={"help": "Algorithm: grpo (default), rloo or dpo."})
    loss_type: Literal["sigmoid", "robust", "ipo"] = _trl(
        "sigmoid = DPO; robust = rDPO, unbiased under label noise at the rate `label_smoothing`; ipo = IPO, a "
        "squared loss on the per-token-averaged log-ratio margin (beta is its regularization tau).",
        "sigmoid",
    )
    beta: float = _trl("Strength of the pull towards the reference model (the initial policy; LoRA: adapters "
                       "off). Implicit reward = beta × (log π − log π_ref).", 0.1)
    label_smoothing: float = _trl("robust: the assumed share of pairs whose labels are flipped, in [0, 0.5).", 0.0)
    max_length: int | None = _trl("Truncate prompt + answer to this many tokens (null = no limit).", 1024)
    learning_rate: float = _trl("Peak learning rate.", 1e-6)
    per_device_train_batch_size: int = _trl("Preference pairs per device per micro-batch.", 8)

    @classmethod
    def unknown_key_hint(cls, key: str) -> str | None:
        if key == "replay":
            return ("rollout replay reuses sampled completions (`algorithm.name: grpo` or `rloo`); DPO samples none, "
                    "it trains on the fixed preference pairs: remove `replay`")
        return super().unknown_key_hint(key)

    def problems(self) -> list[tuple[str, str]]:
        found = super().problems()
        if self.beta <= 0:
            found.append(("beta", "must be > 0"))
        if not 0.0 <= self.label_smoothing < 0.5:
            found.append(("label_smoothing", "must be in [0, 0.5): it is the share of flipped labels, and at 0.5 "
                                             "the labels carry no preference (rDPO divides by 1 − 2 × it)"))
        elif self.label_smoothing > 0 and self.loss_type != "robust":
            found.append(("label_smoothing", f"only the robust loss uses it; set `loss_type: robust` or remove it "
                                             f"(loss_type is {self.loss_type})"))
        if self.max_length is not None and self.max_length <= 0:
            found.append(("max_length", "must be a positive integer or null"))
        for key in self.extra:
            if key in _UNRECORDABLE_DPO_FIELDS:
                found.append((f"extra.{key}", f"not supported: {_UNRECORDABLE_DPO_FIELDS[key]}"))
        return found


ALGORITHMS = (GRPOAlgorithmConfig, RLOOAlgorithmConfig, DPOAlgorithmConfig)  # the first is the default
AlgorithmConfig = GRPOAlgorithmConfig | RLOOAlgorithmConfig | DPOAlgorithmConfig
