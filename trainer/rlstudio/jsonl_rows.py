"""Reading a user's JSONL file of rows (a training dataset, preference pairs, Reward Lab samples) so that
every problem names the file, the line and the JSON error.

`rows(path)` yields each non-blank line as a `Line`: its number and either the object on it or the
problem (`not JSON (Expecting value at column 42)`, `expected a JSON object, not list`); each caller
says the problem in its own words around the file and the line (data.py, preferences.py, config_files.py,
worker/samples.py). A file that cannot be read as text raises JsonlFileError naming it.

Run files (events.jsonl, metrics.jsonl, ...) are read by runformat.read_jsonl instead, which skips a
torn last line rather than reporting it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlstudio.runformat import PAIRS_HEADER


class JsonlFileError(ValueError):
    """The file cannot be read as UTF-8 text; the message names it and why."""


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, counting blank lines
    row: dict[str, Any] | None  # the object on the line; None when `problem` says why not
    problem: str | None = None


def rows(path: Path, header: str | None = None, expected: str = "a JSON object") -> Iterator[Line]:
    """The non-blank lines of `path`; a first line that is an object with the key `header` (a provenance
    header, e.g. runformat.PAIRS_HEADER) is skipped. `expected` words what a line must be."""
    try:
        with open(path, encoding="utf-8") as f:
            for number, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text.rstrip("\r\n"))  # so that an error at the end has its column
                except json.JSONDecodeError as exc:
                    yield Line(number, None, f"not JSON ({exc.msg} at column {exc.colno})")
                    continue
                if not isinstance(value, dict):
                    yield Line(number, None, f"expected {expected}, not {type(value).__name__}")
                elif not (number == 1 and header is not None and header in value):
                    yield Line(number, value)
    except UnicodeDecodeError as exc:
        raise JsonlFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise JsonlFileError(f"{path}: cannot read ({exc.strerror})") from None


def first_problem(path: Path) -> tuple[str | None, set[str] | None]:
    """(the first problem of a dataset file, as `<file> line <n>: <problem>`, or None; the columns of
    its first row). A `rlstudio pairs` header line is not a row."""
    columns = None
    try:
        for line in rows(path, header=PAIRS_HEADER):
            if line.problem is not None:
                return f"{path} line {line.number}: {line.problem}", None
            if columns is None:
                columns = set(line.row)
    except JsonlFileError as exc:
        return str(exc), None
    return None, columns
