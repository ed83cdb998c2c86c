"""Preference data for the DPO family: rows `{prompt, chosen, rejected}`.

From a .jsonl file (one object per line; a first line `{"rlstudio_pairs": {...}}` is the
provenance header `rlstudio pairs` writes, and is skipped), a .parquet file or a `datasets`
folder. Every row is checked before training: a missing or non-text `prompt`/`chosen`/`rejected`
is reported with the file and line (JSONL) or row number (Parquet, folder), all at once.

With `data.chat_template` the prompt becomes a user message (after `data.system_prompt`) and each
answer an assistant message, so TRL applies the tokenizer's chat template; without it the texts
are used as they are (pairs made from recorded rollouts already hold the templated prompt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlstudio import jsonl_rows
from rlstudio.config import RunConfig
from rlstudio.data import DataError, load_table
from rlstudio.runformat import PAIRS_HEADER, PREFERENCE_ROLES

FIELDS = ("prompt", *PREFERENCE_ROLES)
MAX_REPORTED = 20


def read_rows(path: Path, prompt_column: str = "prompt") -> list[dict[str, Any]]:
    """The rows of a preference file or folder as dicts; DataError naming every bad row."""
    located: list[tuple[str, dict[str, Any]]] = []  # ("file:line" or "file row n", row)
    problems: list[str] = []
    if path.is_dir() or path.suffix == ".parquet":
        located = [(f"{path} row {n}", row) for n, row in enumerate(load_table(path), start=1)]
    else:
        try:
            for line in jsonl_rows.rows(path, header=PAIRS_HEADER, expected=f"a JSON object with {', '.join(FIELDS)}"):
                if line.problem is not None:
                    problems.append(f"{path}:{line.number}: {line.problem}")
                else:
                    located.append((f"{path}:{line.number}", line.row))
        except jsonl_rows.JsonlFileError as exc:
            raise DataError("path", str(exc)) from None
    rows = []
    for where, row in located:
        wanted = {"prompt": prompt_column, "chosen": "chosen", "rejected": "rejected"}
        missing = [column for column in wanted.values() if not isinstance(row.get(column), str)]
        if missing:
            problems.append(f"{where}: {_missing(row, missing)}")
            continue
        rows.append({name: row[column] for name, column in wanted.items()})
    if problems:
        shown = problems[:MAX_REPORTED]
        more = f"\n  … and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise DataError("path", "preference rows need text fields prompt, chosen and rejected:\n  "
                        + "\n  ".join(shown) + more)
    if not rows:
        raise DataError("path", f"{path}: no preference rows")
    return rows


def _missing(row: dict[str, Any], columns: list[str]) -> str:
    absent = [c for c in columns if c not in row]
    wrong = [c for c in columns if c in row]
    parts = []
    if absent:
        parts.append("missing " + ", ".join(f"`{c}`" for c in absent))
    if wrong:
        parts.append(", ".join(f"`{c}` is {type(row[c]).__name__}, not text" for c in wrong))
    return "; ".join(parts)


def load_preferences(config: RunConfig):
    """(train, eval or None) datasets in TRL's preference format."""
    import datasets

    data = config.data
    rows = read_rows(config.resolve(data.path), data.prompt_column)
    if data.chat_template:
        system = [{"role": "system", "content": data.system_prompt}] if data.system_prompt else []
        rows = [{"prompt": system + [{"role": "user", "content": r["prompt"]}],
                 "chosen": [{"role": "assistant", "content": r["chosen"]}],
                 "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in rows]
    dataset = datasets.Dataset.from_list(rows)
    if data.shuffle_seed is not None:
        dataset = dataset.shuffle(seed=data.shuffle_seed)
    held_out = data.eval_fraction or (config.eval.split if config.eval is not None else None) or 0.0
    if held_out > 0:  # `eval.split` holds pairs out of training like `data.eval_fraction` (as rlstudio.data does)
        split = dataset.train_test_split(test_size=held_out, seed=config.seed)
        return split["train"], split["test"]
    return dataset, None
