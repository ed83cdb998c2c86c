"""The run format (v1, docs/run-format.md), in one place: every path and file name of a run
directory, the rollout shard's name, columns, Arrow schema and row mapping, and the reader rules.

Writers (runfiles, rollouts, recording, progress, control, train) and readers (worker.samples,
tests, bench, the fixture script) import it; nothing else spells a file name of a run or lists
shard columns. The TypeScript side has its own one module (src/) tested against the same fixtures.

    <run>/run.json                          MANIFEST
    <run>/events.jsonl                      EVENTS
    <run>/metrics.jsonl                     METRICS
    <run>/rollouts/step-00000042.parquet    ROLLOUTS / shard_name(step)
    <run>/rollouts/prompts.jsonl            PROMPT_INDEX
    <run>/checkpoints/checkpoint-<step>/    CHECKPOINTS / checkpoint_name(step), + CHECKPOINT_INFO,
                                            REPLAY_BUFFER (with `algorithm.replay`)
    <run>/control/stop, control/save        CONTROL / STOP_REQUEST, SAVE_REQUEST
    <run>/logs/stdout.log, stderr.log, trainer.log
    <run>/evals/                            EVALS (evaluation results)
    <run>/selection.jsonl                   SELECTION (difficulty-targeted prompt selection)
    <run>/subsets/                          SUBSETS (written by `rlstudio select-subset`)
    <run>/evals/<eval-id>/...               EvalPaths: eval.json, events.jsonl, prompts.jsonl, summary.json,
                                            <checkpoint>.parquet (eval_schema), <checkpoint>.scored-by-<other>.parquet
    <run>/trainer.lock                      LOCK (held by the live trainer, rank 0)
    <run>/.disk-reserve.tmp                 RESERVE (space kept to record a failure on a full disk)
    <run>/onnx/<checkpoint-N|base>[-int8]/  ONNX / onnx_export(name), + EXPORT_MANIFEST (rlstudio.export)

Nothing here imports pyarrow at module level: `rlstudio validate` stays fast.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlstudio import FORMAT

if TYPE_CHECKING:
    import pyarrow as pa

# --- paths -----------------------------------------------------------------------------------

MANIFEST = "run.json"
EVENTS = "events.jsonl"
METRICS = "metrics.jsonl"
ROLLOUTS = "rollouts"
PROMPT_INDEX = "prompts.jsonl"  # inside rollouts/
CHECKPOINTS = "checkpoints"
CHECKPOINT_INFO = "checkpoint.json"  # inside checkpoints/checkpoint-<step>/
CHECKPOINT_COMPLETE = "trainer_state.json"  # a checkpoint is complete when this exists
REPLAY_BUFFER = "replay-buffer.pt"  # inside checkpoints/checkpoint-<step>/: the replay buffer (rlstudio.replay)
CONTROL = "control"
STOP_REQUEST = "stop"
SAVE_REQUEST = "save"
LOGS = "logs"
STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
TRAINER_LOG = "trainer.log"
EVALS = "evals"
ONNX = "onnx"
EXPORT_MANIFEST = "export.json"  # inside onnx/<name>/, written last: a folder without it is a half-written export
LOCK = "trainer.lock"
RESERVE = ".disk-reserve.tmp"  # a temporary by the reader rules (readers skip it)
HEARTBEAT_STALE_S = 15.0  # a run whose last heartbeat is older than this has no live trainer
BEFORE_START = (LOGS, CONTROL)  # what may be in a run directory before its trainer starts (the spawner's)
SELECTION = "selection.jsonl"
SUBSETS = "subsets"
SUBFOLDERS = (ROLLOUTS, CHECKPOINTS, CONTROL, LOGS)  # created with the run


class RunPaths:
    """Every path of one run directory."""

    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)

    @property
    def manifest(self) -> Path:
        return self.dir / MANIFEST

    @property
    def events(self) -> Path:
        return self.dir / EVENTS

    @property
    def metrics(self) -> Path:
        return self.dir / METRICS

    @property
    def rollouts(self) -> Path:
        return self.dir / ROLLOUTS

    @property
    def prompt_index(self) -> Path:
        return self.dir / ROLLOUTS / PROMPT_INDEX

    @property
    def checkpoints(self) -> Path:
        return self.dir / CHECKPOINTS

    @property
    def control(self) -> Path:
        return self.dir / CONTROL

    @property
    def logs(self) -> Path:
        return self.dir / LOGS

    @property
    def trainer_log(self) -> Path:
        return self.dir / LOGS / TRAINER_LOG

    @property
    def stdout_log(self) -> Path:
        return self.dir / LOGS / STDOUT_LOG

    @property
    def stderr_log(self) -> Path:
        return self.dir / LOGS / STDERR_LOG

    @property
    def evals(self) -> Path:
        return self.dir / EVALS

    def onnx_export(self, name: str) -> Path:
        """Where `rlstudio export-onnx` puts an export of `name` (a checkpoint folder's name, or "base")."""
        return self.dir / ONNX / name

    @property
    def lock(self) -> Path:
        return self.dir / LOCK

    @property
    def reserve(self) -> Path:
        return self.dir / RESERVE

    @property
    def selection(self) -> Path:
        return self.dir / SELECTION

    @property
    def subsets(self) -> Path:
        return self.dir / SUBSETS

    def shard(self, step: int) -> Path:
        return self.dir / ROLLOUTS / shard_name(step)

    def checkpoint(self, step: int) -> Path:
        return self.dir / CHECKPOINTS / checkpoint_name(step)

    def relative(self, path: Path) -> str:
        """`path` relative to the run, as events name files (`rollouts/step-00000003.parquet`)."""
        return Path(path).relative_to(self.dir).as_posix()


# --- file names ------------------------------------------------------------------------------

_SHARD = re.compile(r"step-(\d{8,})\.parquet")
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")


def shard_name(step: int) -> str:
    """`step-00000042.parquet` (8 digits or more)."""
    return f"step-{step:08d}.parquet"


def shard_step(name: str) -> int | None:
    """The step of a shard file name, or None if `name` is not one (temporaries never are)."""
    match = _SHARD.fullmatch(name)
    return int(match.group(1)) if match else None


def checkpoint_name(step: int) -> str:
    return f"checkpoint-{step}"


def checkpoint_step(name: str) -> int | None:
    match = _CHECKPOINT.fullmatch(name)
    return int(match.group(1)) if match else None


def shards(rollouts_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of every shard in a rollouts folder, by step; [] when the folder is missing."""
    try:
        entries = list(Path(rollouts_dir).iterdir())
    except FileNotFoundError:
        return []
    found = [(step, path) for path in entries if (step := shard_step(path.name)) is not None]
    return sorted(found)


# --- reader rules ----------------------------------------------------------------------------

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def temp_affixes(name: str) -> tuple[str, str]:
    """(prefix, suffix) of an atomic-write temporary of `name`: `.<name>.<random>.tmp`."""
    return f"{TEMP_PREFIX}{name}.", TEMP_SUFFIX


def is_temporary(name: str) -> bool:
    """Readers never read a file whose name starts with `.` and ends with `.tmp`."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line; a half-written last line is skipped (it will be complete on the
    next read); any other unparsable line is corruption, reported with the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # only the unterminated last line may be half-written
                raise ValueError(f"{path}:{i + 1}: corrupt JSON line") from None
    return out


def read_manifest(run_dir: Path) -> dict[str, Any]:
    return _read_json(RunPaths(run_dir).manifest, "a run directory")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not {what} (no {path.name})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a JSON object, not {type(value).__name__}")
    return value


# --- metrics.jsonl ---------------------------------------------------------------------------

# JSON has no NaN or Infinity: a non-finite value is written as one of these strings, so that null
# keeps its one meaning "no value at this step" (e.g. tokens_per_s on the first line after a resume).
NON_FINITE = ("NaN", "Infinity", "-Infinity")


def metric_value(value: Any) -> float | int | str | None:
    """A metric as metrics.jsonl stores it: a number, a NON_FINITE string, or null (no number)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isfinite(number):
        return number
    return "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"


# --- rollout shards --------------------------------------------------------------------------

# (column, type) in file order; `struct<float64>` has one field per reward entry (config order).
SHARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("step", "int64"),
    ("prompt_index", "int32"),
    ("group_index", "int32"),
    ("prompt", "string"),
    ("completion", "string"),
    ("token_ids", "list<int32>"),
    ("tokens", "list<string>"),
    ("logprobs", "list<float32>"),
    ("entropies", "list<float32>"),
    ("loss_mask", "list<int8>"),
    ("advantage", "float32"),
    ("reward", "float32"),
    ("rewards", "struct<float64>"),
    ("truncated", "bool"),
    ("hint_ids", "list<string>"),
    ("reward_error", "string"),
    ("extras", "string"),
    ("entropy_threshold", "float32"),
    # Per-row summaries, so that a list of rollouts reads only scalars.
    ("completion_tokens", "int32"),
    ("mean_entropy", "float32"),
    ("preview", "string"),
    # The source row of the prompt (the dataset's `rlstudio_index`), for selection and subsets.
    ("dataset_index", "int64"),
    # Rollout replay (`algorithm.replay`): the row was taken from the replay buffer rather than generated
    # this step, and how many steps ago it was generated (0 for fresh rows). Older shards lack them: fresh.
    ("replayed", "bool"),
    ("age", "int32"),
)
# Shard kinds. "rollouts" (GRPO, RLOO): one row per sampled completion. "preference" (the DPO
# family): two rows per pair, chosen (group_index 0) then rejected (1), prompt_index = the pair, and
# these columns added after SHARD_COLUMNS.
ROLLOUTS_KIND = "rollouts"
PREFERENCE_KIND = "preference"
PREFERENCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("role", "string"),  # "chosen" | "rejected"
    ("ref_logprobs", "list<float32>"),  # per token, under the reference model
    ("implicit_rewards", "list<float32>"),  # per token, beta * (logprobs - ref_logprobs)
)
PREFERENCE_ROLES = ("chosen", "rejected")
# `rlstudio pairs` output (docs/run-format.md, "Preference pairs"): the key of its first, provenance line.
PAIRS_HEADER = "rlstudio_pairs"
IMPLICIT_REWARD = "implicit"  # a preference shard's one `rewards` field: beta * sum(logprobs - ref_logprobs)
COLUMNS = tuple(name for name, _ in SHARD_COLUMNS)
# What every v1 shard has; readers tolerate the absence of the others (added later).
REQUIRED_COLUMNS = COLUMNS[: COLUMNS.index("truncated") + 1]
SUMMARY_COLUMNS = ("completion_tokens", "mean_entropy", "preview")
# Footer statistics only for these: min/max of the texts would be most of the footer.
STATISTICS_COLUMNS = ("step", "prompt_index", "group_index", "advantage", "reward", "truncated", "entropy_threshold",
                      "dataset_index", "replayed", "age")
ROW_GROUP_SIZE = 16  # rows per row group of eval files and of rollout shards written before PAGE_ROWS
# Rollout shards: one row group, data pages of PAGE_ROWS rows and a page index (offset index), so
# that a reader fetches one rollout's pages of each column through a footer of a few kB.
PAGE_ROWS = 16
SHARD_ROW_GROUP_ROWS = 1 << 20
PREVIEW_CHARS = 160
METADATA = {"rlstudio.format": FORMAT}


def shard_schema(reward_names: list[str], kind: str = ROLLOUTS_KIND) -> pa.Schema:
    import pyarrow as pa

    scalars = {"int64": pa.int64(), "int32": pa.int32(), "int8": pa.int8(), "float32": pa.float32(),
               "float64": pa.float64(), "string": pa.string(), "bool": pa.bool_()}

    def arrow(kind: str) -> pa.DataType:
        if kind.startswith("list<"):
            return pa.list_(arrow(kind[5:-1]))
        if kind.startswith("struct<"):
            return pa.struct([(name, arrow(kind[7:-1])) for name in reward_names])
        return scalars[kind]

    columns = SHARD_COLUMNS + (PREFERENCE_COLUMNS if kind == PREFERENCE_KIND else ())
    return pa.schema([(name, arrow(type_)) for name, type_ in columns], metadata=METADATA)


def shard_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the shard stores it: optional columns defaulted, `extras` as JSON text, and the
    summary columns computed from the row's own values."""
    out = dict(row)
    out.setdefault("hint_ids", [])
    out.setdefault("reward_error", None)
    extras = out.get("extras") or {}
    out["extras"] = extras if isinstance(extras, str) else json.dumps(extras, default=str)
    out.setdefault("entropy_threshold", None)
    out.setdefault("dataset_index", None)
    out.setdefault("replayed", False)
    out.setdefault("age", 0)
    out.update(row_summary(out))
    return out


def is_replayed(row: dict[str, Any]) -> bool:
    """Whether a shard row was replayed from the buffer (rows of shards without the column are fresh)."""
    return bool(row.get("replayed"))


def row_summary(row: dict[str, Any]) -> dict[str, Any]:
    """completion_tokens (token count), mean_entropy (mean over the completion's tokens; None without
    entropies), preview (the completion's first PREVIEW_CHARS characters)."""
    entropies = row.get("entropies")
    mean = None
    if entropies is not None and len(entropies) > 0:
        mean = math.fsum(float(e) for e in entropies) / len(entropies)
    return {
        "completion_tokens": len(row.get("token_ids") or ()),
        "mean_entropy": mean,
        "preview": (row.get("completion") or "")[:PREVIEW_CHARS],
    }


def shard_table(rows: list[dict[str, Any]], reward_names: list[str], kind: str = ROLLOUTS_KIND) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist([shard_row(row) for row in rows], schema=shard_schema(reward_names, kind))


def shard_bytes(table: pa.Table, statistics: bool | tuple[str, ...] = STATISTICS_COLUMNS) -> bytes:
    """A Parquet file in row groups of ROW_GROUP_SIZE, zstd, footer statistics of `statistics` (True:
    every column): eval files, and rollout shards as written before rollout_shard_bytes."""
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=ROW_GROUP_SIZE,
                   write_statistics=statistics if isinstance(statistics, bool) else list(statistics))
    return buffer.getvalue()


def rollout_shard_bytes(table: pa.Table) -> bytes:
    """The Parquet file of a rollout shard: zstd, one row group, data pages of PAGE_ROWS rows, a page
    index, no dictionary encoding, statistics of STATISTICS_COLUMNS only. The footer holds one
    column chunk per column (~5 kB for 1,000 rows, 125 kB in row groups of 16); the page index
    (written just before it) locates each page of 16 rows; dictionaries would be pages that every
    read of a page of the column also fetches (and they made the float columns larger)."""
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=SHARD_ROW_GROUP_ROWS,
                   max_rows_per_page=PAGE_ROWS, write_page_index=True, use_dictionary=False,
                   write_statistics=list(STATISTICS_COLUMNS))
    return buffer.getvalue()


def read_shard(path: Path, columns: list[str] | tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Rows of a shard, with only those of `columns` that it has (None: all)."""
    import pyarrow.parquet as pq

    if columns is not None:
        available = set(pq.read_schema(path).names)
        columns = [c for c in columns if c in available]
    return pq.read_table(path, columns=columns).to_pylist()


# --- rollouts/prompts.jsonl ------------------------------------------------------------------


def prompt_hash(prompt: str) -> str:
    """A prompt's key in prompts.jsonl: the first 16 hex digits of the SHA-256 of its UTF-8 text."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]


def prompt_index_line(step: int, size: int, prompts: list[str]) -> str:
    """The prompts.jsonl line of a shard: its step, its size in bytes and its distinct prompts' keys
    in the order of their first row."""
    keys = dict.fromkeys(prompt_hash(prompt) for prompt in prompts)
    return json.dumps({"step": step, "bytes": size, "prompts": list(keys)}) + "\n"


# --- per-prompt results across a run (prompt selection, `rlstudio select-subset`) ---------------


def group_results(rollouts_dir: Path) -> list[dict[str, Any]]:
    """One record per (step, prompt) group of every shard: `{step, dataset_index, prompt_key, reward,
    rewards}` where `reward` is the mean of the group's non-null `reward` values (None if all are
    null) and `rewards` the list of them. Only `prompt`, `reward`, `dataset_index` and `replayed` are
    read; replayed rows are skipped (their results belong to the step that generated them).

    Every shard is read (each holds different steps), so the prompt index (prompts.jsonl), which
    answers "which steps hold this prompt", saves nothing here. `dataset_index` is None in shards
    written before that column existed.
    """
    out: list[dict[str, Any]] = []
    for step, path in shards(rollouts_dir):
        groups: dict[tuple[Any, str], list[float]] = {}
        for row in read_shard(path, ["prompt", "reward", "dataset_index", "replayed"]):
            if is_replayed(row):
                continue
            values = groups.setdefault((row.get("dataset_index"), prompt_hash(row["prompt"])), [])
            if row["reward"] is not None:
                values.append(float(row["reward"]))
        for (index, key), values in groups.items():
            out.append({"step": step, "dataset_index": index, "prompt_key": key,
                        "reward": sum(values) / len(values) if values else None, "rewards": values})
    return out


# --- evaluations: evals/<eval-id>/ (rlstudio.eval/1) --------------------------------------------

EVAL_FORMAT = "rlstudio.eval/1"
EVAL_SUMMARY_FORMAT = "rlstudio.eval-summary/1"
EVAL_MANIFEST = "eval.json"
EVAL_EVENTS = "events.jsonl"
EVAL_PROMPTS = "prompts.jsonl"
EVAL_SUMMARY = "summary.json"
BASE_CHECKPOINT = "base"  # the run's model without training
POLICY_STEP_PREFIX = "policy-step-"  # the policy during training, evaluated at a step
# Columns of <checkpoint>.parquet: the eval's own, then the shard's (same names and types) that apply.
EVAL_OWN_COLUMNS: tuple[tuple[str, str], ...] = (("prompt_id", "int32"), ("sample_index", "int32"), ("correct", "bool"))
EVAL_SHARED_COLUMNS = ("prompt", "completion", "token_ids", "tokens", "logprobs", "entropies", "reward", "rewards",
                       "truncated", "reward_error", *SUMMARY_COLUMNS)
EVAL_STATISTICS_COLUMNS = ("prompt_id", "sample_index", "reward", "truncated", "correct")
# Columns of <checkpoint>.scored-by-<other>.parquet.
EVAL_SCORE_COLUMNS = ("prompt_id", "sample_index", "token_ids", "logprobs", "entropies")
_EVAL_ID = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*")


class EvalPaths:
    """Every path of one eval directory, `<run>/evals/<eval-id>/`."""

    def __init__(self, eval_dir: str | Path):
        self.dir = Path(eval_dir)

    @property
    def manifest(self) -> Path:
        return self.dir / EVAL_MANIFEST

    @property
    def events(self) -> Path:
        return self.dir / EVAL_EVENTS

    @property
    def prompts(self) -> Path:
        return self.dir / EVAL_PROMPTS

    @property
    def summary(self) -> Path:
        return self.dir / EVAL_SUMMARY

    @property
    def control(self) -> Path:
        return self.dir / CONTROL

    def samples(self, checkpoint: str) -> Path:
        return self.dir / f"{checkpoint}.parquet"

    def scores(self, checkpoint: str, by: str) -> Path:
        return self.dir / f"{checkpoint}.scored-by-{by}.parquet"


def eval_id(name: str, stamp: str) -> str:
    """`<YYYYMMDD-HHMMSS>-<name>`, the name reduced to safe characters."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or "eval"
    return f"{stamp}-{safe}"


def is_eval_id(text: str) -> bool:
    """A folder name an eval may have: letters, digits, `-`, `_`, `.` (not first)."""
    return _EVAL_ID.fullmatch(text) is not None


def read_eval_manifest(eval_dir: Path) -> dict[str, Any]:
    return _read_json(EvalPaths(eval_dir).manifest, "an eval directory")


def policy_step_name(step: int) -> str:
    return f"{POLICY_STEP_PREFIX}{step}"


def eval_schema(reward_names: list[str], metadata: dict[str, str]) -> pa.Schema:
    import pyarrow as pa

    shard = shard_schema(reward_names)
    own = {"int32": pa.int32(), "bool": pa.bool_()}
    fields = [pa.field(name, own[kind]) for name, kind in EVAL_OWN_COLUMNS]
    fields += [shard.field(name) for name in EVAL_SHARED_COLUMNS]
    return pa.schema(fields, metadata={"rlstudio.format": EVAL_FORMAT, **metadata})


def eval_row(row: dict[str, Any]) -> dict[str, Any]:
    """A sample as <checkpoint>.parquet stores it: the shard's per-row summaries added."""
    return {**row, **row_summary(row)}


def eval_scores_schema(metadata: dict[str, str]) -> pa.Schema:
    import pyarrow as pa

    samples = eval_schema([], {})
    return pa.schema([samples.field(name) for name in EVAL_SCORE_COLUMNS],
                     metadata={"rlstudio.format": EVAL_FORMAT, **metadata})
