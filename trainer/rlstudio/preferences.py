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

import json
from pathlib import Path
from typing import Any

from rlstudio.config import RunConfig
from rlstudio.data import DataError
from rlstudio.runformat import PAIRS_HEADER, PREFERENCE_ROLES

FIELDS = ("prompt", *PREFERENCE_ROLES)
MAX_REPORTED = 20


def read_rows(path: Path, prompt_column: str = "prompt") -> list[dict[str, Any]]:
    """The rows of a preference file or folder as dicts; DataError naming every bad row."""
    located: list[tuple[str, dict[str, Any]]] = []  # ("file:line" or "file row n", row)
    problems: list[str] = []
    if path.is_dir() or path.suffix == ".parquet":
        import datasets

        if path.is_dir():
            raw = datasets.load_from_disk(str(path))
            if isinstance(raw, datasets.DatasetDict):
                if "train" not in raw:
                    raise DataError("path", f"{path} holds splits {list(raw)}; a `train` split is required")
                raw = raw["train"]
        else:
            raw = datasets.Dataset.from_parquet(str(path))
        located = [(f"{path} row {n}", row) for n, row in enumerate(raw, start=1)]
    else:
        with path.open(encoding="utf-8") as lines:
            for n, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(f"{path}:{n}: not JSON ({exc.msg})")
                    continue
                if not isinstance(row, dict):
                    problems.append(f"{path}:{n}: expected a JSON object with {', '.join(FIELDS)}")
                    continue
                if n == 1 and PAIRS_HEADER in row:
                    continue
                located.append((f"{path}:{n}", row))
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
    if data.eval_fraction > 0:
        split = dataset.train_test_split(test_size=data.eval_fraction, seed=config.seed)
        return split["train"], split["test"]
    return dataset, None
