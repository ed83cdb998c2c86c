"""JSON Schema (draft 2020-12) generated from config dataclasses: types, help texts as descriptions,
defaults and required keys."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

from rlstudio.config_builder import TAG, public_fields, tagged_variants, type_hints


def schema_for(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = type_hints(tp)
        props, required = {}, []
        for f in public_fields(tp):
            prop = schema_for(hints[f.name])
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
    tagged = tagged_variants(tp)
    if tagged is not None:  # one branch per variant; all but the default one need their `name`
        branches = []
        for i, variant in enumerate(dict.fromkeys(tagged.values())):
            branch = schema_for(variant)
            if i > 0:
                branch["required"] = [TAG, *branch.get("required", [])]
            branches.append(branch)
        return {"anyOf": branches}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_for(a) for a in typing.get_args(tp)]}
    if origin is Literal:
        return {"enum": list(typing.get_args(tp))}
    if origin is list:
        return {"type": "array", "items": schema_for(typing.get_args(tp)[0])}
    if origin is dict:
        return {"type": "object"}
    if tp is type(None):
        return {"type": "null"}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}.get(tp, {})
