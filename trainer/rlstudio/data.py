"""Training prompts: a JSONL/Parquet file, a `datasets` folder, or a reasoning-gym task.

The result is a `datasets.Dataset` with a `prompt` column in the form TRL expects (a list of chat
messages when `chat_template` is on, else a string) plus every other column, which TRL passes to
reward functions as keyword arguments, plus `rlstudio_index` (INDEX_COLUMN): the row's position in
the source data before any shuffle or split. The trainer records it per rollout (shard column
`dataset_index`), so that prompt selection and `rlstudio select-subset` can name the source row.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from rlstudio.config import ConfigError, Problem, RunConfig
from rlstudio.jsonl_rows import first_problem

INDEX_COLUMN = "rlstudio_index"


class DataError(ConfigError):
    def __init__(self, field: str, message: str):
        super().__init__("data", [Problem(f"data.{field}", None, None, message)])


def load_raw(config: RunConfig):
    """The source rows as they are in the file (or as reasoning-gym generates them), in source order."""
    import datasets

    data = config.data
    if data.reasoning_gym is not None:
        raw = _reasoning_gym(data.reasoning_gym)
    else:
        path = config.resolve(data.path)
        if path.is_dir() or path.suffix == ".parquet":
            raw = load_table(path)
        else:
            try:
                raw = datasets.Dataset.from_json(str(path))
            except Exception:  # datasets names neither the file nor the line: find them
                problem, _ = first_problem(path)
                if problem is None:
                    raise
                raise DataError("path", problem) from None
    if len(raw) == 0:
        raise DataError("path", "the dataset has no rows")
    if INDEX_COLUMN in raw.column_names:
        raise DataError("path", f"the dataset has a column named {INDEX_COLUMN!r}, which rlstudio reserves; rename it")
    return raw


def load_table(path: Path):
    """A `datasets` folder (its `train` split when it holds several) or a .parquet file, as a Dataset."""
    import datasets

    if not path.is_dir():
        return datasets.Dataset.from_parquet(str(path))
    raw = datasets.load_from_disk(str(path))
    if isinstance(raw, datasets.DatasetDict):
        if "train" not in raw:
            raise DataError("path", f"{path} holds splits {list(raw)}; a `train` split is required")
        raw = raw["train"]
    return raw


def load_dataset(config: RunConfig):
    """(train, eval or None) datasets for the config."""
    data = config.data
    raw = load_raw(config)
    raw = raw.add_column(INDEX_COLUMN, list(range(len(raw))))

    template = data.template
    if template is None and data.reasoning_gym is not None:
        template = "{question}"
    columns = set(raw.column_names)
    if template is not None:
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name.split(".")[0].split("[")[0] not in columns:
                raise DataError("template", f"placeholder {{{name}}} names no column (columns: {sorted(columns)})")
    elif data.prompt_column not in columns:
        raise DataError("prompt_column", f"no column {data.prompt_column!r} (columns: {sorted(columns)})")

    def build(row: dict[str, Any]) -> dict[str, Any]:
        text = template.format(**row) if template is not None else row[data.prompt_column]
        if not data.chat_template:
            return {"prompt": text}
        messages = [{"role": "system", "content": data.system_prompt}] if data.system_prompt else []
        if isinstance(text, list):  # already conversational
            return {"prompt": messages + text}
        return {"prompt": messages + [{"role": "user", "content": str(text)}]}

    drop = ["prompt"] if "prompt" in columns else []
    dataset = raw.map(build, remove_columns=drop)
    if config.hints is not None:
        from rlstudio.hints import hints_for_dataset

        dataset = hints_for_dataset(dataset, config.hints, config.base_dir)  # adds the `hint_ids` column
    if data.shuffle_seed is not None:
        dataset = dataset.shuffle(seed=data.shuffle_seed)
    held_out = data.eval_fraction or (config.eval.split if config.eval is not None else None) or 0.0
    if held_out > 0:  # `eval.split` holds rows out of training like `data.eval_fraction`
        split = dataset.train_test_split(test_size=held_out, seed=config.seed)
        return split["train"], split["test"]
    return dataset, None


def _reasoning_gym(rg) -> Any:
    import datasets
    import reasoning_gym

    try:
        generated = reasoning_gym.create_dataset(rg.task, size=rg.size, seed=rg.seed, **rg.args)
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError("reasoning_gym", f"reasoning-gym could not create {rg.task!r}: {exc}") from None
    rows = [
        {"question": e["question"], "answer": str(e["answer"]), "metadata": json.dumps(e["metadata"], default=str)}
        for e in generated
    ]
    return datasets.Dataset.from_list(rows)
