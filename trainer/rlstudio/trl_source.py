"""What rlstudio knows of TRL's config dataclasses without importing TRL (an import takes seconds):
their field names, read from the installed source."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

# algorithm -> (file in trl, class) of its config dataclass; all derive from _BaseConfig / TrainingArguments.
_CONFIGS = {
    "grpo": ("trainer/grpo_config.py", "GRPOConfig"),
    "rloo": ("trainer/rloo_config.py", "RLOOConfig"),
    "dpo": ("trainer/dpo_config.py", "DPOConfig"),
}
_FIELDS: dict[str, set[str] | None] = {}


def trl_config_field_names(algorithm: str) -> set[str] | None:
    """Field names of TRL's config for `algorithm` (and its bases), read from source without import;
    None when TRL or transformers is not installed."""
    if algorithm not in _FIELDS:
        file, cls = _CONFIGS[algorithm]
        _FIELDS[algorithm] = _fields([("trl", file, cls), ("trl", "trainer/base_config.py", "_BaseConfig"),
                                      ("transformers", "training_args.py", "TrainingArguments")])
    return _FIELDS[algorithm]


def _fields(sources: list[tuple[str, str, str]]) -> set[str] | None:
    names: set[str] = set()
    for package, file, cls in sources:
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
    return names
