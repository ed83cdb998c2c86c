"""Typed construction of config dataclasses from plain YAML values, collecting every problem at once,
each with its key path and YAML position. Generic: it reads the dataclasses' type hints and knows no
particular config."""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal


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


def type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def public_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


TAG = "name"  # a union of dataclasses is told apart by this field, a Literal in each (the first is the default)


def tagged_variants(tp: Any) -> dict[Any, type] | None:
    """{tag value: dataclass} of a union of dataclasses that each have a Literal `name`; None otherwise."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    variants = [a for a in typing.get_args(tp) if a is not type(None)]
    if len(variants) < 2 or not all(dataclasses.is_dataclass(v) for v in variants):
        return None
    tags: dict[Any, type] = {}
    for variant in variants:
        hint = type_hints(variant).get(TAG)
        if typing.get_origin(hint) is not Literal:
            return None
        tags.update(dict.fromkeys(typing.get_args(hint), variant))
    return tags


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


class Builder:
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
        tagged = tagged_variants(tp)
        if tagged is not None and isinstance(raw, dict):
            tag = raw.get(TAG, next(iter(tagged)))
            if tag not in tagged:
                choices = [str(t) for t in tagged]
                self.problem(_join(path, TAG), f"must be one of {', '.join(choices)}; got {tag!r}"
                                               f"{did_you_mean(str(tag), choices)}")
                return None
            return self.dataclass(tagged[tag], raw, path)
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
        hints = type_hints(cls)
        fields = public_fields(cls)
        known = {f.name for f in fields}
        hint = getattr(cls, "unknown_key_hint", None)  # a dataclass may explain keys it does not have
        for key in raw:
            if key not in known:
                explained = hint(key) if hint is not None else None
                self.problem(_join(path, key), explained or f"unknown key `{key}`{did_you_mean(key, known)}")
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


def check_nested(builder: Builder, obj: Any, path: str) -> None:
    """Run `problems()` of every nested dataclass (after the structure itself is valid)."""
    for f in public_fields(type(obj)):
        value = getattr(obj, f.name)
        values = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in values:
            if dataclasses.is_dataclass(item):
                child = _join(path, f.name) + (f"[{i}]" if i is not None else "")
                if hasattr(item, "problems"):
                    for sub, message in item.problems():
                        builder.problem(_join(child, sub), message)
                check_nested(builder, item, child)
