"""`rlstudio eval`: sample every checkpoint on the same prompts, score with the run's rewards (or
`eval.rewards`), pass@k.

    rlstudio eval RUN_DIR|CONFIG [--checkpoints base,latest,checkpoint-40] [--prompts N] [--samples n]
                  [--temperature T] [--max-new-tokens L] [--seed S] [--k 1,4,16] [--batch-size B]
                  [--name NAME] [--eval-id ID] [--set KEY=VALUE ...]

`--set` changes the run's config for this eval (e.g. `eval.rewards=[...]`). A DPO run has no reward
functions: its evals score with `eval.rewards` and are refused (exit 2, saying so) without them; their
prompts are the distinct prompts of the preference pairs (rlstudio.evals.prompts).

A detached process like training: eval.json carries status, pid and progress, events.jsonl a
heartbeat; `<eval>/control/stop` or SIGTERM/SIGINT end it as `stopped` between two generate calls;
every file is rewritten atomically, so a killed eval leaves readable files. Rerunning with the same
--eval-id skips the checkpoints already done. Exit codes: 0 completed or stopped, 1 failed, 2 bad input.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
from pathlib import Path
from typing import Any

from rlstudio.config import ConfigError, RunConfig, load_config
from rlstudio.evals import checkpoints as ckpts
from rlstudio.evals.config import EvalConfig
from rlstudio.evals.files import (
    EvalWriter,
    new_eval_id,
    read_prompts,
    summarize,
    write_prompts,
    write_samples,
    write_summary,
)
from rlstudio.evals.passk import default_k, split_k
from rlstudio.runformat import EVALS, EvalPaths, RunPaths, is_eval_id, read_eval_manifest

# eval.json `params` key ← EvalConfig field; these must match when an eval is resumed.
PARAMS = {"samples": "samples", "temperature": "temperature", "maxNewTokens": "max_new_tokens", "seed": "seed",
          "prompts": "prompts"}


NO_REWARDS = ("{target} is a {kind} run: it trains on preference pairs, without reward functions, so nothing "
              "would score the eval's samples. List the reward functions that should in `eval.rewards` (same form "
              "as `rewards`): in the config's `eval:` section, or for this eval with "
              "rlstudio eval {target} --set 'eval.rewards=[{{name: exact, ref: exact_answer}}]'")


class EvalInputError(ValueError):
    """Bad input: the CLI exits 2 with this message."""


@dataclasses.dataclass
class Target:
    config: RunConfig
    run_dir: Path | None  # None when evaluating a bare config (base only)
    evals_root: Path


def load_target(path: str, overrides: list[str] | None = None) -> Target:
    """The run (a run directory: its config from run.json) or a config file, with `--set` overrides."""
    from rlstudio.runformat import read_manifest
    from rlstudio.train import config_from_manifest

    p = Path(path).resolve()
    try:
        if p.is_dir():
            return Target(config_from_manifest(read_manifest(p), overrides, RunPaths(p).manifest), p, p / EVALS)
        return Target(load_config(p, overrides), None, p.parent / ".rlstudio" / EVALS)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        raise EvalInputError(str(exc)) from None


def settings_for(target: Target, overrides: dict[str, Any], previous: dict[str, Any] | None) -> EvalConfig:
    """The run's `eval:` section (or an earlier run of this eval id), then the command-line values."""
    settings = target.config.eval or EvalConfig()
    if previous is not None:
        old = {PARAMS.get(key, key): value for key, value in previous.get("params", {}).items()}
        settings = dataclasses.replace(settings, **{k: old[k] for k in (*PARAMS.values(), "k", "batch_size")
                                                    if old.get(k) is not None})
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = dataclasses.replace(settings, **given)
    problems = settings.problems()
    if problems:
        raise EvalInputError("; ".join(f"eval.{key or '<root>'}: {message}" for key, message in problems))
    if previous is not None:
        for key, field in PARAMS.items():
            if key == "prompts":
                continue  # compared after the prompts are loaded
            if previous["params"].get(key) != getattr(settings, field):
                raise EvalInputError(f"eval {previous['id']} was made with {key}={previous['params'].get(key)}; "
                                     f"rerun with the same value or use another --eval-id")
    return settings


def _previous_eval(eval_dir: Path) -> dict[str, Any] | None:
    """The eval.json of an eval being continued (--eval-id of an existing one), checked for what resuming reads."""
    if not EvalPaths(eval_dir).manifest.exists():
        return None
    previous = read_eval_manifest(eval_dir)
    checkpoints = previous.get("checkpoints")
    if not isinstance(previous.get("params"), dict) or not isinstance(checkpoints, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) and "status" in c for c in checkpoints):
        raise EvalInputError(f"{EvalPaths(eval_dir).manifest}: no `params` object or no `checkpoints` list of "
                             "{name, status}, so this eval cannot be continued; use another --eval-id")
    return previous


def run_eval(target_path: str, checkpoints: list[str] | None, overrides: dict[str, Any], name: str | None,
             eval_id: str | None, config_overrides: list[str] | None = None) -> int:
    try:
        target = load_target(target_path, config_overrides)
        if eval_id is not None and not is_eval_id(eval_id):
            raise EvalInputError(f"--eval-id {eval_id!r}: use letters, digits, '-', '_' and '.' only")
        eval_dir = target.evals_root / (eval_id or new_eval_id(name or "eval"))
        previous = _previous_eval(eval_dir)
        settings = settings_for(target, overrides, previous)
        if not settings.scoring_rewards(target.config):
            raise EvalInputError(NO_REWARDS.format(target=target_path, kind=target.config.algorithm.name.upper()))
        known = [c["name"] for c in previous["checkpoints"]] if previous else []
        requested = checkpoints or known or [ckpts.BASE, ckpts.LATEST if target.run_dir else ckpts.BASE]
        names = ckpts.resolve(target.run_dir, [*known, *requested])
    except (EvalInputError, ckpts.UnknownCheckpoint, ValueError) as exc:
        print(f"rlstudio eval: {exc}", file=sys.stderr)
        return 2
    return _evaluate(target, settings, eval_dir, names, name or (previous or {}).get("name") or "eval", previous)


def _evaluate(target: Target, settings: EvalConfig, eval_dir: Path, names: list[str], name: str,
              previous: dict[str, Any] | None) -> int:
    from rlstudio.control import Control
    from rlstudio.evals.judge import Judge, resolve_pass_when
    from rlstudio.evals.prompts import load_eval_prompts
    from rlstudio.rewards import error_triple
    from rlstudio.train import offline_environment, versions

    offline_environment()
    config = target.config
    n = settings.samples
    k, too_large = split_k(settings.k or default_k(n), n)
    k = k or default_k(n)  # none of the requested k can be computed: the defaults
    pass_when, pass_warning = resolve_pass_when(config, settings)
    max_new_tokens = settings.max_new_tokens_in(config)
    settings = dataclasses.replace(settings, max_new_tokens=max_new_tokens)
    notes = [pass_when.describe()]
    if too_large:
        notes.append(f"pass@k: k = {', '.join(map(str, too_large))} need(s) more than n = {n} samples; "
                     f"computing k = {', '.join(map(str, k))}")
    if pass_warning:
        notes.append(pass_warning)
    for note in notes:
        print(f"rlstudio eval: {note}", file=sys.stderr)

    try:  # bad prompt sources and reward references are input errors (exit 2), found before any write
        from rlstudio.data import DataError
        from rlstudio.model import load_model

        _, tokenizer, _ = load_model(config)
        prompts = load_eval_prompts(config, settings, tokenizer, settings.prompts)
        judge = Judge(config, pass_when, settings)
    except (ConfigError, DataError, FileNotFoundError, ImportError) as exc:
        print(f"rlstudio eval: {exc}", file=sys.stderr)
        return 2
    prompt_lines = [{"prompt_id": i, "prompt": text, "answer": prompts.answer(i), "token_ids": ids}
                    for i, (text, ids) in enumerate(zip(prompts.texts, prompts.token_ids, strict=True))]
    if previous is not None and previous["params"].get("prompts") != len(prompts.rows):
        print(f"rlstudio eval: eval {previous['id']} was made with prompts={previous['params'].get('prompts')}; "
              "rerun with the same value or use another --eval-id", file=sys.stderr)
        return 2
    if previous is not None and [p["prompt"] for p in read_prompts(eval_dir)] != prompts.texts:
        print(f"rlstudio eval: the prompts of eval {previous['id']} changed since it started "
              "(data or config edited); use another --eval-id", file=sys.stderr)
        return 2

    params = {"samples": n, "temperature": settings.temperature, "maxNewTokens": max_new_tokens,
              "seed": settings.seed, "prompts": len(prompts.rows), "k": k, "batchSize": settings.batch_size}
    total = n * len(prompts.rows)
    done = {c["name"] for c in (previous or {}).get("checkpoints", [])
            if c["status"] == "done" and EvalPaths(eval_dir).samples(c["name"]).exists()}
    entries = [{"name": c, "status": "done" if c in done else "pending", "samplesDone": total if c in done else 0,
                "samplesTotal": total, "error": None} for c in names]
    fields = {"params": params, "promptSource": prompts.source, "passWhen": pass_when.to_json(),
              "rewardNames": judge.names, "checkpoints": entries,
              "versions": {key: v for key, v in versions().items() if key != "format"}}
    eval_dir.mkdir(parents=True, exist_ok=True)
    if previous is None:
        write_prompts(eval_dir, prompt_lines)
        writer = EvalWriter.create(eval_dir, eval_dir.name, name, **fields)
    else:
        writer = EvalWriter(eval_dir, previous)
        writer.write_manifest(status="running", endedAt=None, error=None, pid=os.getpid(), **fields)
        writer.event("status", status="running")
    for note in notes:
        writer.event("warning", message=note)
    print(f"rlstudio eval: eval directory {eval_dir}", file=sys.stderr)

    control = Control(eval_dir, writer)
    control.install()
    current = None
    try:
        for checkpoint in names:
            if checkpoint in done:
                print(f"rlstudio eval: {checkpoint}: already evaluated, skipped", file=sys.stderr)
                continue
            current = checkpoint
            stopped = not _evaluate_checkpoint(target, settings, eval_dir, checkpoint, prompts, judge, writer, control)
            if stopped:
                writer.checkpoint(checkpoint, status="pending", samplesDone=0)
                writer.set_status("stopped")
                return 0
            done.add(checkpoint)
            finished = [c for c in names if c in done]
            write_summary(eval_dir, summarize(eval_dir, finished, k, judge.names))
            writer.event("checkpoint", checkpoint=checkpoint, path=EvalPaths(eval_dir).samples(checkpoint).name)
            current = None
        writer.set_status("completed")
        _print_table(eval_dir, names, k)
        return 0
    except BaseException as exc:  # every failure ends as a failed eval with the triple
        error = error_triple(exc)
        print(f"rlstudio eval: failed: {error['type']}: {error['message']}", file=sys.stderr)
        try:
            if current is not None:
                writer.checkpoint(current, status="failed", error=f"{error['type']}: {error['message']}")
            writer.set_status("failed", error=error)
        except OSError as write_error:
            print(f"rlstudio eval: could not record the failure: {write_error}", file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        control.close()
        writer.close()


def _evaluate_checkpoint(target: Target, settings: EvalConfig, eval_dir: Path, checkpoint: str, prompts, judge,
                         writer: EvalWriter, control) -> bool:
    """Generate, score and write one checkpoint's samples; False when a stop request came first."""
    from rlstudio.evals.generate import generate_samples

    print(f"rlstudio eval: {checkpoint}: loading", file=sys.stderr)
    writer.checkpoint(checkpoint, status="running", samplesDone=0)
    model, tokenizer = ckpts.load(target.config, target.run_dir, checkpoint)

    def progress(count: int) -> None:
        control.step = count
        writer.checkpoint(checkpoint, throttle_s=1.0, samplesDone=count)

    rows = generate_samples(model, tokenizer, prompts.token_ids, settings.samples, settings.temperature,
                            settings.max_new_tokens, settings.batch_size, settings.seed, on_progress=progress,
                            should_stop=lambda: control.poll_files()[0])
    del model
    gc.collect()
    if rows is None:
        return False
    out = write_checkpoint_samples(eval_dir, checkpoint, rows, prompts, judge, tokenizer, settings)
    writer.checkpoint(checkpoint, status="done", samplesDone=len(out))
    return True


def write_checkpoint_samples(eval_dir: Path, checkpoint: str, rows: list[dict[str, Any]], prompts, judge, tokenizer,
                             settings: EvalConfig) -> list[dict[str, Any]]:
    """Score generated rows (prompt-major, `settings.samples` per prompt) and write `<checkpoint>.parquet`."""
    from rlstudio.rollouts import token_pieces

    out = []
    for pid in range(len(prompts.rows)):
        group = rows[pid * settings.samples:(pid + 1) * settings.samples]
        texts = tokenizer.batch_decode([r["token_ids"] for r in group], skip_special_tokens=True)
        verdicts = judge.score(prompts.rows[pid], texts, [r["token_ids"] for r in group])
        for row, verdict in zip(group, verdicts, strict=True):
            tokens = token_pieces(tokenizer, row["token_ids"])
            out.append({**row, **verdict, "prompt": prompts.texts[pid], "completion": "".join(tokens),
                        "tokens": tokens})
    metadata = {"rlstudio.checkpoint": checkpoint, "rlstudio.temperature": str(settings.temperature)}
    write_samples(eval_dir, checkpoint, out, judge.names, metadata)
    return out


def _print_table(eval_dir: Path, names: list[str], k: list[int]) -> None:
    import json

    summary = json.loads(EvalPaths(eval_dir).summary.read_text())
    header = f"{'checkpoint':<24}" + "".join(f"{'pass@' + str(x):>10}" for x in k) + f"{'errors':>8}"
    print(header)
    for name in names:
        entry = summary["checkpoints"][name]
        cells = "".join(f"{entry['passAtK'].get(str(x), float('nan')):>10.3f}" for x in k)
        print(f"{name:<24}{cells}{entry['rewardErrors']:>8}")
