"""Run configuration: the dataclasses (the one source of truth), and loading them from YAML.

`load_config` / `parse_config` build a RunConfig from YAML, collecting every problem at once, each
with its YAML line and key path; `json_schema` generates the schema the extension uses for editor
diagnostics and completion. The machinery lives one level down:

    config_yaml.py      YAML with positions, `--set` overrides
    config_builder.py   typed construction of dataclasses, Problem, ConfigError
    config_files.py     filesystem checks (files, modules and models the config names)
    config_schema.py    JSON Schema generator
    config_algorithms.py  the `algorithm:` section, one dataclass per TRL trainer (grpo, rloo, dpo)
    trl_source.py       TRL's config field names, read from its source

Nothing here imports torch, transformers or TRL: `rlstudio validate` must stay fast.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from rlstudio.config_algorithms import (
    ALGORITHMS,
    AlgorithmConfig,
    DPOAlgorithmConfig,
    GRPOAlgorithmConfig,
    RLOOAlgorithmConfig,
)
from rlstudio.config_builder import Builder, ConfigError, Problem, check_nested
from rlstudio.config_files import check_references
from rlstudio.config_rewards import RewardConfig, reward_list_problems
from rlstudio.config_schema import schema_for
from rlstudio.config_yaml import apply_override, compose, yaml_problem
from rlstudio.evals.config import EvalConfig
from rlstudio.hints import HintsConfig
from rlstudio.selection import SelectionConfig

__all__ = [
    "ALGORITHMS", "AlgorithmConfig", "CheckpointConfig", "DPOAlgorithmConfig", "GRPOAlgorithmConfig",
    "RLOOAlgorithmConfig", "ConfigError", "DataConfig", "LoraConfig", "ModelConfig", "Problem",
    "ReasoningGymConfig", "RecordingConfig", "RewardConfig", "RunConfig", "check_references", "json_schema",
    "load_config", "parse_config",
]

# ---------------------------------------------------------------------------------------------
# Config dataclasses


@dataclass
class LoraConfig:
    r: int = field(default=8, metadata={"help": "LoRA rank."})
    alpha: int = field(default=16, metadata={"help": "LoRA alpha (scaling = alpha / r)."})
    dropout: float = field(default=0.0, metadata={"help": "LoRA dropout."})
    target_modules: list[str] | str = field(
        default="all-linear",
        metadata={"help": 'Module names to adapt, or "all-linear" for every linear layer but the head.'},
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.r <= 0:
            found.append(("r", "must be a positive integer, e.g. 8"))
        if self.alpha <= 0:
            found.append(("alpha", "must be a positive integer, e.g. 16"))
        if not 0.0 <= self.dropout < 1.0:
            found.append(("dropout", "must be in [0, 1)"))
        return found


@dataclass
class ModelConfig:
    name: str = field(
        metadata={
            "help": "A local model folder (relative to the config file), `embedded:smollm2-135m`, "
            "or a Hugging Face hub id that is already in the local cache (nothing is downloaded)."
        }
    )
    dtype: Literal["float32", "bfloat16", "float16"] = field(
        default="float32", metadata={"help": "Weights dtype for training."}
    )
    lora: LoraConfig | None = field(
        default=None, metadata={"help": "LoRA adapter settings (peft); omit or null for full fine-tuning."}
    )


@dataclass
class ReasoningGymConfig:
    task: str = field(metadata={"help": "reasoning-gym dataset name, e.g. basic_arithmetic or chain_sum."})
    size: int = field(default=200, metadata={"help": "Number of generated problems."})
    seed: int = field(default=0, metadata={"help": "Generator seed."})
    args: dict[str, Any] = field(default_factory=dict, metadata={"help": "Extra task arguments."})

    def problems(self) -> list[tuple[str, str]]:
        return [("size", "must be a positive integer")] if self.size <= 0 else []


@dataclass
class DataConfig:
    path: str | None = field(
        default=None,
        metadata={
            "help": "A .jsonl or .parquet file, or a folder written by datasets' save_to_disk "
            "(relative to the config file)."
        },
    )
    reasoning_gym: ReasoningGymConfig | None = field(
        default=None,
        metadata={"help": "Generate the data with reasoning-gym instead (columns question, answer, metadata)."},
    )
    prompt_column: str = field(
        default="prompt", metadata={"help": "Column holding the prompt (used when no template is set)."}
    )
    template: str | None = field(
        default=None,
        metadata={"help": "Prompt template with {column} placeholders, e.g. 'Solve: {question}'."},
    )
    system_prompt: str | None = field(default=None, metadata={"help": "System message (chat template only)."})
    chat_template: bool = field(
        default=True, metadata={"help": "Wrap the prompt in the tokenizer's chat template."}
    )
    eval_fraction: float = field(
        default=0.0, metadata={"help": "Share of rows held out as the eval split (0 = none)."}
    )
    shuffle_seed: int | None = field(default=None, metadata={"help": "Shuffle rows with this seed before splitting."})
    selection: SelectionConfig = field(
        default_factory=SelectionConfig,
        metadata={"help": "Which prompts each step trains on: uniform or difficulty-targeted "
                  "(docs/data-efficiency.md)."},
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if (self.path is None) == (self.reasoning_gym is None):
            found.append(("", "set exactly one of `path` or `reasoning_gym`"))
        if not 0.0 <= self.eval_fraction < 1.0:
            found.append(("eval_fraction", "must be in [0, 1)"))
        return found


@dataclass
class RecordingConfig:
    enabled: bool = field(default=True, metadata={"help": "Write rollout shards (rollouts/step-*.parquet)."})
    every_n_steps: int = field(default=1, metadata={"help": "Record every N-th step."})
    max_rollouts: int | None = field(
        default=None, metadata={"help": "At most this many rollouts per recorded step (null = all)."}
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.every_n_steps <= 0:
            found.append(("every_n_steps", "must be a positive integer"))
        if self.max_rollouts is not None and self.max_rollouts <= 0:
            found.append(("max_rollouts", "must be a positive integer or null"))
        return found


@dataclass
class CheckpointConfig:
    every_n_steps: int = field(default=50, metadata={"help": "Save a checkpoint every N steps (and at the end)."})
    keep_last: int | None = field(default=2, metadata={"help": "Keep only the last K checkpoints (null = all)."})

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.every_n_steps <= 0:
            found.append(("every_n_steps", "must be a positive integer"))
        if self.keep_last is not None and self.keep_last <= 0:
            found.append(("keep_last", "must be a positive integer or null"))
        return found


@dataclass
class RunConfig:
    """An RL Studio run (`*.rlstudio.yaml`)."""

    model: ModelConfig = field(metadata={"help": "The policy model."})
    data: DataConfig = field(
        metadata={"help": "Training prompts (grpo, rloo), or preference pairs {prompt, chosen, rejected} (dpo)."}
    )
    rewards: list[RewardConfig] = field(
        default_factory=list,
        metadata={"help": "Reward functions, summed with their weights (grpo, rloo; dpo learns from the pairs)."},
    )
    name: str = field(default="run", metadata={"help": "Run name (part of the run folder name)."})
    seed: int = field(default=0, metadata={"help": "Random seed."})
    algorithm: AlgorithmConfig = field(
        default_factory=GRPOAlgorithmConfig,
        metadata={"help": "The algorithm (`name`: grpo, rloo or dpo) and its TRL settings, under TRL's names."},
    )
    recording: RecordingConfig = field(default_factory=RecordingConfig, metadata={"help": "Rollout recording."})
    checkpoints: CheckpointConfig = field(default_factory=CheckpointConfig, metadata={"help": "Checkpointing."})
    hints: HintsConfig | None = field(
        default=None, metadata={"help": "Knowledge-point hints injected into prompts (docs/knowledge-points.md)."}
    )
    runs_root: str | None = field(
        default=None,
        metadata={"help": "Folder for run directories (default `.rlstudio/runs` beside the config file)."},
    )
    eval: EvalConfig | None = field(
        default=None, metadata={"help": "Checkpoint evaluation (`rlstudio eval`): prompts, samples, pass@k."}
    )

    # Not part of the YAML: where the config came from (for relative paths).
    base_dir: str = field(default=".", metadata={"internal": True})
    config_path: str | None = field(default=None, metadata={"internal": True})

    def problems(self) -> list[tuple[str, str]]:
        if isinstance(self.algorithm, DPOAlgorithmConfig):
            return self._preference_problems()
        found = []
        if not self.rewards:
            found.append(("rewards", "list at least one reward function"))
        found.extend(reward_list_problems(self.rewards, "rewards"))
        if self.eval is not None:
            found.extend(self.eval.problems_in(self))
        return found

    def _preference_problems(self) -> list[tuple[str, str]]:
        """DPO trains on pairs: no reward functions, prompts as they are in the file."""
        found = []
        if self.rewards:
            found.append(("rewards", "DPO learns from the preference pairs in `data.path`; remove `rewards` "
                                     "(or set `algorithm.name: grpo` or `rloo`)"))
        if self.data.path is None:
            found.append(("data.path", "DPO needs a preference file or folder with prompt, chosen and rejected"))
        for key in ("reasoning_gym", "template"):
            if getattr(self.data, key) is not None:
                found.append((f"data.{key}", "not used by DPO (it reads prompt, chosen and rejected); remove it"))
        if self.hints is not None:
            found.append(("hints", "hints are injected into sampled prompts (grpo, rloo), not into DPO pairs"))
        if self.eval is not None:
            found.extend(self.eval.problems_in(self))
        return found

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("base_dir")
        out.pop("config_path")
        return out


# ---------------------------------------------------------------------------------------------
# Loading and the schema


def parse_config(text: str, source: str = "<config>", overrides: list[str] | None = None,
                 base_dir: str = ".") -> RunConfig:
    """Build a RunConfig from YAML text; raise ConfigError listing every problem."""
    try:
        data, marks = compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [yaml_problem(exc)]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("", 1, 1, "the config must be a mapping of keys to values")])
    override_problems = []
    for override in overrides or []:
        message = apply_override(data, override)
        if message:
            override_problems.append(Problem("--set", None, None, message))
    builder = Builder(marks)
    builder.problems.extend(override_problems)
    config = builder.dataclass(RunConfig, data, "")
    if config is not None and not builder.problems:
        for sub, message in config.problems():
            builder.problem(sub, message)
        check_nested(builder, config, "")
    if builder.problems or config is None:
        raise ConfigError(source, builder.problems)
    config.base_dir = base_dir
    return config


def load_config(path: str | os.PathLike, overrides: list[str] | None = None, check_files: bool = True) -> RunConfig:
    """Load `*.rlstudio.yaml`; raise ConfigError with every problem (line, column, key path, message)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [Problem("", None, None, f"cannot read config: {exc.strerror}")]) from None
    config = parse_config(text, str(path), overrides, base_dir=str(path.resolve().parent))
    config.config_path = str(path.resolve())
    if check_files:
        _, marks = compose(text)
        builder = Builder(marks)
        for key_path, message in check_references(config):
            builder.problem(key_path, message)
        if builder.problems:
            raise ConfigError(str(path), builder.problems)
    return config


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of `*.rlstudio.yaml`, generated from the dataclasses."""
    schema = schema_for(RunConfig)
    schema.update({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rlstudio.dev/schema/run-config.json",
        "title": "RL Studio run config",
        "description": (RunConfig.__doc__ or "").strip(),
    })
    return schema


