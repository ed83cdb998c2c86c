"""Knowledge-point (KnowRL) hints: the `*.kp.jsonl` file format and exactly reproducible injection.

A KP file has one JSON object per line, one per problem (docs/knowledge-points.md, schemas/kp.schema.json):

    {"problem": "q-17", "points": [{"id": "kp1", "text": "Sum the digits."}], "selected": ["kp1"]}

`problem` matches the dataset row's id column; `points` are the problem's atomic knowledge points
in order; `selected` is the subset used with `mode: selected` (often chosen by the subset search).

Injection (`inject`) is a pure function of (prompt, points, placement, template): the hint block is
`template` with `{hints}` replaced by one line per point, `- <text>`, joined by newlines; it is then
joined to the existing text with one blank line ("\\n\\n"):

    system          the block becomes / is appended to the system message
    before_problem  block + "\\n\\n" + the last user message
    after_problem   the last user message + "\\n\\n" + block

For a plain-string prompt, `system` and `before_problem` both prepend the block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_TEMPLATE = "Hints:\n{hints}"
PLACEMENTS = ("system", "before_problem", "after_problem")
MODES = ("none", "all", "selected")


@dataclass
class HintsConfig:
    file: str = field(metadata={"help": "The knowledge-point file (*.kp.jsonl), relative to the config file."})
    mode: Literal["none", "all", "selected"] = field(
        default="selected", metadata={"help": "Which points to inject: none, all, or each problem's `selected` subset."}
    )
    placement: Literal["system", "before_problem", "after_problem"] = field(
        default="before_problem", metadata={"help": "Where the hint block goes in the prompt."}
    )
    template: str = field(
        default=DEFAULT_TEMPLATE,
        metadata={"help": "The hint block; `{hints}` is replaced by one `- <point>` line per point."},
    )
    id_column: str = field(default="id", metadata={"help": "Dataset column holding the problem id."})

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if "{hints}" not in self.template:
            found.append(("template", "must contain the placeholder {hints}"))
        if not self.file.endswith(".kp.jsonl"):
            found.append(("file", "must be a knowledge-point file named *.kp.jsonl"))
        return found


@dataclass
class KnowledgePoint:
    id: str
    text: str


@dataclass
class ProblemPoints:
    problem: str
    points: list[KnowledgePoint]
    selected: list[str]
    line: int = 0

    def chosen(self, mode: str) -> list[KnowledgePoint]:
        """The points injected for `mode`, in file order."""
        if mode == "none":
            return []
        if mode == "all":
            return list(self.points)
        wanted = set(self.selected)
        return [p for p in self.points if p.id in wanted]


@dataclass
class KpProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.message}"


class KpFileError(ValueError):
    def __init__(self, path: str, problems: list[KpProblem]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p}" for p in problems))


# ---------------------------------------------------------------------------------------------
# The file


def parse_kp(text: str, source: str = "<kp>") -> list[ProblemPoints]:
    """Every problem of a KP file; raise KpFileError listing every problem found, with line numbers."""
    problems: list[KpProblem] = []
    out: list[ProblemPoints] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(KpProblem(number, "", f"not JSON ({exc.msg} at column {exc.colno})"))
            continue
        entry = _entry(obj, number, problems)
        if entry is None:
            continue
        if entry.problem in seen:
            problems.append(KpProblem(number, "problem", f"{entry.problem!r} is already on line {seen[entry.problem]}"))
            continue
        seen[entry.problem] = number
        out.append(entry)
    if problems:
        raise KpFileError(source, problems)
    return out


def _entry(obj: Any, line: int, problems: list[KpProblem]) -> ProblemPoints | None:
    before = len(problems)
    if not isinstance(obj, dict):
        problems.append(KpProblem(line, "", "each line must be a JSON object"))
        return None
    for key in obj:
        if key not in ("problem", "points", "selected"):
            problems.append(KpProblem(line, key, "unknown field (expected problem, points, selected)"))
    problem = obj.get("problem")
    if isinstance(problem, int) and not isinstance(problem, bool):
        problem = str(problem)
    if not isinstance(problem, str) or not problem:
        problems.append(KpProblem(line, "problem", "required: the dataset row id (a non-empty string)"))
    points: list[KnowledgePoint] = []
    raw_points = obj.get("points", [])
    if not isinstance(raw_points, list):
        problems.append(KpProblem(line, "points", "must be a list of {id, text}"))
        raw_points = []
    ids: set[str] = set()
    for i, point in enumerate(raw_points):
        where = f"points[{i}]"
        if not isinstance(point, dict) or set(point) - {"id", "text"}:
            problems.append(KpProblem(line, where, "must be an object with exactly `id` and `text`"))
            continue
        pid, text = point.get("id"), point.get("text")
        if not isinstance(pid, str) or not pid:
            problems.append(KpProblem(line, f"{where}.id", "required: a non-empty string"))
        elif pid in ids:
            problems.append(KpProblem(line, f"{where}.id", f"duplicate id {pid!r}"))
        if not isinstance(text, str) or not text.strip():
            problems.append(KpProblem(line, f"{where}.text", "required: non-empty text"))
        if isinstance(pid, str) and isinstance(text, str):
            ids.add(pid)
            points.append(KnowledgePoint(pid, text))
    selected = obj.get("selected", [])
    if not isinstance(selected, list) or not all(isinstance(s, str) for s in selected):
        problems.append(KpProblem(line, "selected", "must be a list of point ids"))
        selected = []
    for sid in selected:
        if sid not in ids:
            problems.append(KpProblem(line, "selected", f"{sid!r} is not the id of one of this problem's points"))
    if len(problems) > before:
        return None
    return ProblemPoints(problem, points, list(selected), line)


def dump_kp(entries: list[ProblemPoints]) -> str:
    """The file text: one compact line per problem, keys in a fixed order (stable diffs)."""
    lines = []
    for e in entries:
        obj = {"problem": e.problem, "points": [{"id": p.id, "text": p.text} for p in e.points], "selected": e.selected}
        lines.append(json.dumps(obj, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def load_kp(path: str | Path) -> list[ProblemPoints]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KpFileError(str(path), [KpProblem(0, "", f"cannot read: {exc.strerror}")]) from None
    return parse_kp(text, str(path))


# ---------------------------------------------------------------------------------------------
# Injection


def hint_block(points: list[KnowledgePoint], template: str = DEFAULT_TEMPLATE) -> str:
    return template.replace("{hints}", "\n".join(f"- {p.text}" for p in points))


def inject(prompt: str | list[dict[str, Any]], points: list[KnowledgePoint], placement: str,
           template: str = DEFAULT_TEMPLATE) -> str | list[dict[str, Any]]:
    """The prompt with the hint block placed; unchanged when `points` is empty. Never mutates `prompt`."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}; got {placement!r}")
    if not points:
        return prompt
    block = hint_block(points, template)
    if isinstance(prompt, str):
        return f"{prompt}\n\n{block}" if placement == "after_problem" else f"{block}\n\n{prompt}"
    messages = [dict(m) for m in prompt]
    if placement == "system":
        if messages and messages[0].get("role") == "system":
            messages[0]["content"] = f"{messages[0]['content']}\n\n{block}"
        else:
            messages.insert(0, {"role": "system", "content": block})
        return messages
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        raise ValueError("the prompt has no user message to place hints around")
    last = messages[users[-1]]
    content = str(last.get("content", ""))
    last["content"] = f"{block}\n\n{content}" if placement == "before_problem" else f"{content}\n\n{block}"
    return messages


def apply_hints(rows: list[dict[str, Any]], entries: list[ProblemPoints], config: HintsConfig) -> list[dict[str, Any]]:
    """Rows (each with `prompt` and the id column) with hints injected and a `hint_ids` list added.
    Rows whose problem has no KP entry get no hints and an empty `hint_ids`."""
    by_problem = {e.problem: e for e in entries}
    out = []
    for row in rows:
        entry = by_problem.get(str(row.get(config.id_column)))
        points = entry.chosen(config.mode) if entry else []
        out.append({**row, "prompt": inject(row["prompt"], points, config.placement, config.template),
                    "hint_ids": [p.id for p in points]})
    return out


def hints_for_dataset(dataset, config: HintsConfig, base_dir: str | Path = "."):
    """A `datasets.Dataset` with hints injected into `prompt` and a `hint_ids` column (for the trainer)."""
    path = Path(config.file)
    entries = load_kp(path if path.is_absolute() else Path(base_dir) / path)
    if config.id_column not in dataset.column_names:
        raise KpFileError(config.file, [KpProblem(0, "id_column",
                                                  f"the dataset has no column {config.id_column!r} to match problems")])
    by_problem = {e.problem: e for e in entries}

    def add(row: dict[str, Any]) -> dict[str, Any]:
        entry = by_problem.get(str(row[config.id_column]))
        points = entry.chosen(config.mode) if entry else []
        return {"prompt": inject(row["prompt"], points, config.placement, config.template),
                "hint_ids": [p.id for p in points]}

    return dataset.map(add)
