"""YAML with positions: config text → plain values plus a map from key path to (line, column), and
`--set key=value` overrides. Knows nothing of the config's dataclasses."""

from __future__ import annotations

import re
from typing import Any

import yaml

from rlstudio.config_builder import Problem


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's floats: `1e-6` is a number (YAML 1.1 reads it as a string),
    as the editor's YAML 1.2 parser and the JSON Schema see it."""


Loader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def compose(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Parse YAML into plain Python values plus a map from key path to (line, column), 1-based."""
    marks: dict[str, tuple[int, int]] = {}
    root = yaml.compose(text, Loader=Loader)
    constructor = Loader("")

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


def yaml_problem(exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Problem at its real position, without PyYAML's `in "<unicode string>"`.

    When an opening construct is left unclosed (a quote, a bracket) PyYAML gives up at the end of the
    file; then the construct's start (`context_mark`) is where the user must look. Otherwise the
    problem's own position is, and the construct it was in is named in the message.
    """
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Problem("", None, None, f"invalid YAML: {exc}")
    context, problem = exc.context_mark, exc.problem_mark
    at_end = problem is not None and problem.buffer is not None and problem.index >= len(problem.buffer.rstrip("\0"))
    message = exc.problem or "syntax error"
    if context is not None and (problem is None or at_end):
        mark = context
        message = f"{exc.context} that starts here: {message}"
    else:
        mark = problem
        if context is not None:
            message += f" ({exc.context} that starts at line {context.line + 1}, column {context.column + 1})"
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem("", line, column, f"invalid YAML: {message}")


def apply_override(data: dict, override: str) -> str | None:
    """Apply `a.b.c=value` (value parsed as YAML); return an error message or None."""
    key, sep, raw = override.partition("=")
    if not sep or not key:
        return f"--set {override!r}: expected key=value, e.g. algorithm.beta=0.04"
    try:
        value = yaml.load(raw, Loader=Loader) if raw else ""
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
