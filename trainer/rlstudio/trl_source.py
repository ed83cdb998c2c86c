"""What rlstudio knows of TRL's GRPOConfig without importing TRL (an import takes seconds): its field
names, read from the installed source."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

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
