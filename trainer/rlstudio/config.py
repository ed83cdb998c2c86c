"""Run configuration: dataclasses, YAML loading with line numbers, validation, JSON Schema.

The dataclasses below are the one source of truth: `load_config` builds them from YAML (collecting
every problem at once, each with its YAML line and key path), and `json_schema` generates the
schema the extension uses for editor diagnostics and completion.

Nothing here imports torch, transformers or TRL: `rlstudio validate` must stay fast.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import importlib.util
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from rlstudio.hints import HintsConfig
from rlstudio.selection import SelectionConfig

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
class RewardConfig:
    name: str = field(metadata={"help": "Name of this reward (metric `rewards/<name>/mean`, column `rewards.<name>`)."})
    ref: str = field(
        metadata={
            "help": "A built-in (exact_answer, format, length_penalty, reasoning_gym), "
            "`path/to/file.py:function` relative to the config file, or `package.module:function`."
        }
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


@dataclass
class AlgorithmConfig:
    name: Literal["grpo"] = field(default="grpo", metadata={"help": "RL algorithm (TRL trainer)."})
    loss_type: Literal["grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"] = field(
        default="dapo", metadata={"help": "TRL GRPOConfig.loss_type."}
    )
    num_generations: int = field(default=4, metadata={"help": "Completions per prompt (GRPO group size)."})
    beta: float = field(default=0.0, metadata={"help": "KL coefficient (0 = no reference model)."})
    epsilon: float = field(default=0.2, metadata={"help": "Lower clipping epsilon."})
    epsilon_high: float | None = field(default=None, metadata={"help": "Upper clipping epsilon (DAPO clip-higher)."})
    top_entropy_quantile: float = field(
        default=1.0,
        metadata={"help": "Train only on the top-q highest-entropy tokens (forking tokens); 1.0 = all tokens."},
    )
    max_completion_length: int = field(default=64, metadata={"help": "Maximum generated tokens per completion."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling."})
    learning_rate: float = field(default=1e-5, metadata={"help": "Peak learning rate."})
    lr_scheduler_type: str = field(default="constant", metadata={"help": "transformers scheduler name."})
    warmup_steps: int = field(default=0, metadata={"help": "Linear warm-up steps."})
    max_steps: int = field(default=100, metadata={"help": "Optimizer steps to train."})
    per_device_train_batch_size: int = field(
        default=8, metadata={"help": "Completions per device per micro-batch (multiple of num_generations)."}
    )
    gradient_accumulation_steps: int = field(default=1, metadata={"help": "Micro-batches per optimizer step."})
    num_iterations: int = field(default=1, metadata={"help": "Optimization passes per generation batch (mu)."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping."})
    logging_steps: int = field(default=1, metadata={"help": "Write metrics every N steps."})
    extra: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "Any other TRL GRPOConfig field, passed through (names checked against TRL)."},
    )

    def problems(self) -> list[tuple[str, str]]:
        found = []
        for name in ("num_generations", "max_completion_length", "max_steps", "per_device_train_batch_size",
                     "gradient_accumulation_steps", "num_iterations", "logging_steps"):
            if getattr(self, name) <= 0:
                found.append((name, "must be a positive integer"))
        if self.num_generations < 2:
            found.append(("num_generations", "GRPO needs at least 2 completions per prompt"))
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if self.num_generations > 0 and batch % self.num_generations:
            found.append(
                (
                    "per_device_train_batch_size",
                    f"per_device_train_batch_size × gradient_accumulation_steps ({batch}) must be a multiple "
                    f"of num_generations ({self.num_generations})",
                )
            )
        if not 0.0 < self.top_entropy_quantile <= 1.0:
            found.append(("top_entropy_quantile", "must be in (0, 1]"))
        if self.temperature <= 0:
            found.append(("temperature", "must be > 0"))
        if self.beta < 0:
            found.append(("beta", "must be >= 0"))
        if self.learning_rate < 0:
            found.append(("learning_rate", "must be >= 0"))
        own = {f.name for f in dataclasses.fields(self)}
        trl_fields = grpo_config_field_names()
        for key in self.extra:
            if key in own:
                found.append((f"extra.{key}", f"set `algorithm.{key}` directly instead of through `extra`"))
            elif key in _MANAGED_GRPO_FIELDS:
                found.append((f"extra.{key}", f"`{key}` is managed by rlstudio; use {_MANAGED_GRPO_FIELDS[key]}"))
            elif trl_fields is not None and key not in trl_fields:
                found.append((f"extra.{key}", f"not a TRL GRPOConfig field{did_you_mean(key, trl_fields)}"))
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
    data: DataConfig = field(metadata={"help": "Training prompts."})
    rewards: list[RewardConfig] = field(metadata={"help": "Reward functions, summed with their weights."})
    name: str = field(default="run", metadata={"help": "Run name (part of the run folder name)."})
    seed: int = field(default=0, metadata={"help": "Random seed."})
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig, metadata={"help": "GRPO settings."})
    recording: RecordingConfig = field(default_factory=RecordingConfig, metadata={"help": "Rollout recording."})
    checkpoints: CheckpointConfig = field(default_factory=CheckpointConfig, metadata={"help": "Checkpointing."})
    hints: HintsConfig | None = field(
        default=None, metadata={"help": "Knowledge-point hints injected into prompts (docs/knowledge-points.md)."}
    )
    runs_root: str | None = field(
        default=None,
        metadata={"help": "Folder for run directories (default `.rlstudio/runs` beside the config file)."},
    )

    # Not part of the YAML: where the config came from (for relative paths).
    base_dir: str = field(default=".", metadata={"internal": True})
    config_path: str | None = field(default=None, metadata={"internal": True})

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if not self.rewards:
            found.append(("rewards", "list at least one reward function"))
        names = [r.name for r in self.rewards]
        for i, name in enumerate(names):
            if names.index(name) != i:
                found.append((f"rewards[{i}].name", f"duplicate reward name {name!r}"))
        if self.data.reasoning_gym is None:
            for i, reward in enumerate(self.rewards):
                if reward.ref == "reasoning_gym":
                    found.append((f"rewards[{i}].ref", "the reasoning_gym reward needs `data.reasoning_gym`"))
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


# GRPOConfig fields that rlstudio sets itself (and where the user controls them instead).
_MANAGED_GRPO_FIELDS = {
    "output_dir": "--run-dir / runs_root",
    "seed": "`seed`",
    "save_steps": "`checkpoints.every_n_steps`",
    "save_total_limit": "`checkpoints.keep_last`",
    "report_to": "the run directory (metrics.jsonl)",
    "logging_dir": "the run directory",
}


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass
class Problem:
    path: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return f"{where}{self.path or '<root>'}: {self.message}"


class ConfigError(Exception):
    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {source}:{p}" if p.line is not None else f"  {source}: {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in {source}:\n{lines}")


def did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's floats: `1e-6` is a number (YAML 1.1 reads it as a string),
    as the editor's YAML 1.2 parser and the JSON Schema see it."""


_Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _compose(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Parse YAML into plain Python values plus a map from key path to (line, column), 1-based."""
    marks: dict[str, tuple[int, int]] = {}
    root = yaml.compose(text, Loader=_Loader)
    constructor = _Loader("")

    def build(node: yaml.Node, path: str) -> Any:
        marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key_node, value_node in node.value:
                key = str(constructor.construct_object(key_node, deep=True))
                child = f"{path}.{key}" if path else key
                out[key] = build(value_node, child)
                marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    if root is None:
        return {}, marks
    return build(root, ""), marks


def _apply_override(data: dict, override: str) -> str | None:
    """Apply `a.b.c=value` (value parsed as YAML); return an error message or None."""
    key, sep, raw = override.partition("=")
    if not sep or not key:
        return f"--set {override!r}: expected key=value, e.g. algorithm.beta=0.04"
    try:
        value = yaml.load(raw, Loader=_Loader) if raw else ""
    except yaml.YAMLError as exc:
        return f"--set {override!r}: value is not valid YAML ({exc})"
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    return None


# ---------------------------------------------------------------------------------------------
# Dataclass construction (every problem at once)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _public_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    if tp is type(None):
        return "null"
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false"}.get(tp, str(tp))


class _Builder:
    def __init__(self, marks: dict[str, tuple[int, int]]):
        self.marks = marks
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        probe = path
        while probe and probe not in self.marks:
            probe = probe[: max(probe.rfind("."), probe.rfind("["), 0)]
        line, column = self.marks.get(probe, (None, None))
        self.problems.append(Problem(path, line, column, message))

    def value(self, tp: Any, raw: Any, path: str) -> Any:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            if raw is None and type(None) in args:
                return None
            for arg in args:
                if arg is not type(None) and self._matches(arg, raw):
                    return self.value(arg, raw, path)
            self.problem(path, f"expected {_type_name(tp)}, got {_describe(raw)}")
            return None
        if origin is Literal:
            choices = typing.get_args(tp)
            if raw not in choices:
                hint = did_you_mean(str(raw), [str(c) for c in choices])
                self.problem(path, f"must be one of {', '.join(map(str, choices))}; got {raw!r}{hint}")
            return raw
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, raw, path)
        if origin is list:
            if not isinstance(raw, list):
                self.problem(path, f"expected a list, got {_describe(raw)}")
                return []
            (item,) = typing.get_args(tp)
            return [self.value(item, x, f"{path}[{i}]") for i, x in enumerate(raw)]
        if origin is dict:
            if not isinstance(raw, dict):
                self.problem(path, f"expected a mapping, got {_describe(raw)}")
                return {}
            return dict(raw)
        if tp is Any:
            return raw
        if not self._matches(tp, raw):
            self.problem(path, f"expected {_type_name(tp)}, got {_describe(raw)}")
            return raw
        if tp is float:
            if not math.isfinite(float(raw)):
                self.problem(path, "must be a finite number")
            return float(raw)
        return raw

    @staticmethod
    def _matches(tp: Any, raw: Any) -> bool:
        origin = typing.get_origin(tp)
        if origin is Literal:
            return raw in typing.get_args(tp)
        if origin is list:
            return isinstance(raw, list)
        if origin is dict or dataclasses.is_dataclass(tp):
            return isinstance(raw, dict)
        if tp is bool:
            return isinstance(raw, bool)
        if tp is int:
            return isinstance(raw, int) and not isinstance(raw, bool)
        if tp is float:
            return isinstance(raw, (int, float)) and not isinstance(raw, bool)
        if tp is str:
            return isinstance(raw, str)
        return tp is Any

    def dataclass(self, cls: type, raw: Any, path: str) -> Any:
        if not isinstance(raw, dict):
            self.problem(path, f"expected a mapping, got {_describe(raw)}")
            raw = {}
        hints = _hints(cls)
        fields = _public_fields(cls)
        known = {f.name for f in fields}
        for key in raw:
            if key not in known:
                self.problem(_join(path, key), f"unknown key `{key}`{did_you_mean(key, known)}")
        kwargs = {}
        missing = False
        for f in fields:
            child = _join(path, f.name)
            if f.name in raw:
                kwargs[f.name] = self.value(hints[f.name], raw[f.name], child)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.problem(child, f"missing required key `{f.name}` ({f.metadata.get('help', '')})")
                missing = True
        if missing:
            return None
        try:
            obj = cls(**kwargs)
        except (TypeError, ValueError) as exc:  # a wrong-typed value already reported above
            self.problem(path, str(exc))
            return None
        return obj


def _join(path: str, key: str) -> str:
    if not key:
        return path
    if key.startswith("["):
        return f"{path}{key}"
    return f"{path}.{key}" if path else key


def _describe(raw: Any) -> str:
    if raw is None:
        return "null"
    return f"{type(raw).__name__} {raw!r}"[:80]


def _check_nested(builder: _Builder, obj: Any, path: str) -> None:
    """Run `problems()` of every nested dataclass (after the structure itself is valid)."""
    for f in _public_fields(type(obj)):
        value = getattr(obj, f.name)
        values = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in values:
            if dataclasses.is_dataclass(item):
                child = _join(path, f.name) + (f"[{i}]" if i is not None else "")
                if hasattr(item, "problems"):
                    for sub, message in item.problems():
                        builder.problem(_join(child, sub), message)
                _check_nested(builder, item, child)


# ---------------------------------------------------------------------------------------------
# Public API


def parse_config(text: str, source: str = "<config>", overrides: list[str] | None = None,
                 base_dir: str = ".") -> RunConfig:
    """Build a RunConfig from YAML text; raise ConfigError listing every problem."""
    try:
        data, marks = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(source, [Problem("", line, column, f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("", 1, 1, "the config must be a mapping of keys to values")])
    override_problems = []
    for override in overrides or []:
        message = _apply_override(data, override)
        if message:
            override_problems.append(Problem("--set", None, None, message))
    builder = _Builder(marks)
    builder.problems.extend(override_problems)
    config = builder.dataclass(RunConfig, data, "")
    if config is not None and not builder.problems:
        for sub, message in config.problems():
            builder.problem(sub, message)
        _check_nested(builder, config, "")
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
        _, marks = _compose(text)
        builder = _Builder(marks)
        for key_path, message in check_references(config):
            builder.problem(key_path, message)
        if builder.problems:
            raise ConfigError(str(path), builder.problems)
    return config


def check_references(config: RunConfig) -> list[tuple[str, str]]:
    """Files, modules and models the config names must exist (checked without loading them)."""
    from rlstudio.rewards import BUILTINS  # light: no torch

    found = []
    name = config.model.name
    if name.startswith("embedded:"):
        from rlstudio.embedded import EmbeddedModelError, gguf_path  # light: no torch

        try:
            gguf_path(name)
        except EmbeddedModelError as exc:
            found.append(("model.name", str(exc)))
    elif _looks_like_path(name) or config.resolve(name).exists():
        folder = config.resolve(name)
        if not folder.is_dir():
            found.append(("model.name", f"model folder not found: {folder}"))
        elif not (folder / "config.json").exists():
            found.append(("model.name", f"{folder} has no config.json (not a saved transformers model)"))
    elif not _in_hf_cache(name):
        found.append(
            ("model.name", f"{name!r} is neither a local folder nor a model in the local Hugging Face cache "
             "(nothing is downloaded; save the model to a folder or use embedded:smollm2-135m)")
        )
    if config.data.path is not None:
        data_path = config.resolve(config.data.path)
        if not data_path.exists():
            found.append(("data.path", f"dataset not found: {data_path}"))
        elif data_path.is_file() and data_path.suffix not in (".jsonl", ".parquet", ".json"):
            found.append(("data.path", f"unsupported dataset file {data_path.name}: use .jsonl, .parquet or a "
                                       "datasets folder"))
    if config.data.reasoning_gym is not None and importlib.util.find_spec("reasoning_gym") is None:
        found.append(("data.reasoning_gym", "the reasoning-gym package is not installed"))
    for i, reward in enumerate(config.rewards):
        if reward.ref in BUILTINS:
            continue
        target, sep, func = reward.ref.rpartition(":")
        if not sep or not target or not func:
            found.append((f"rewards[{i}].ref", f"{reward.ref!r} is not a built-in "
                          f"({', '.join(BUILTINS)}){did_you_mean(reward.ref, BUILTINS)} nor `file.py:function`"))
        elif target.endswith(".py"):
            file = config.resolve(target)
            if not file.is_file():
                found.append((f"rewards[{i}].ref", f"reward file not found: {file}"))
            elif not _defines(file, func):
                found.append((f"rewards[{i}].ref", f"{file} defines no top-level function `{func}`"))
        elif importlib.util.find_spec(target.split(".")[0]) is None:
            found.append((f"rewards[{i}].ref", f"module {target!r} not found"))
    return found


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").split("/", 1)[-1] or name.count("/") > 1


def _in_hf_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an invalid repo id is simply not cached
        return False


def _defines(file: Path, func: str) -> bool:
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return True  # import will report the real error with its line
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return func in names


_GRPO_FIELDS: set[str] | None = None


def grpo_config_field_names() -> set[str] | None:
    """Field names of TRL's GRPOConfig (and its TrainingArguments base), read from source without import."""
    global _GRPO_FIELDS
    if _GRPO_FIELDS is None:
        names: set[str] = set()
        for package, file, cls in (("trl", "trainer/grpo_config.py", "GRPOConfig"),
                                   ("trl", "trainer/base_config.py", "_BaseConfig"),
                                   ("transformers", "training_args.py", "TrainingArguments")):
            spec = importlib.util.find_spec(package)  # top-level lookup: imports nothing
            if spec is None or spec.origin is None:
                return None
            source = Path(spec.origin).parent / file
            if not source.exists():
                return None
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name == cls:
                    names.update(
                        item.target.id for item in node.body
                        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                    )
        _GRPO_FIELDS = names
    return _GRPO_FIELDS


# ---------------------------------------------------------------------------------------------
# JSON Schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of `*.rlstudio.yaml`, generated from the dataclasses."""
    schema = _schema_for(RunConfig)
    schema.update({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rlstudio.dev/schema/run-config.json",
        "title": "RL Studio run config",
        "description": (RunConfig.__doc__ or "").strip(),
    })
    return schema


def _schema_for(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        props, required = {}, []
        for f in _public_fields(tp):
            prop = _schema_for(hints[f.name])
            if "help" in f.metadata:
                prop["description"] = f.metadata["help"]
            if f.default is not dataclasses.MISSING:
                prop["default"] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
                prop["default"] = dataclasses.asdict(default) if dataclasses.is_dataclass(default) else default
            else:
                required.append(f.name)
            props[f.name] = prop
        out = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        return out
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema_for(a) for a in typing.get_args(tp)]}
    if origin is Literal:
        return {"enum": list(typing.get_args(tp))}
    if origin is list:
        return {"type": "array", "items": _schema_for(typing.get_args(tp)[0])}
    if origin is dict:
        return {"type": "object"}
    if tp is type(None):
        return {"type": "null"}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}.get(tp, {})
