"""`rlstudio train` / `rlstudio resume`: config → model → data → rewards → trainer → train.

Rank 0 owns the run directory (run.json, events, metrics, shards); every rank trains.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from rlstudio import FORMAT, __version__
from rlstudio.config import (
    ConfigError,
    DPOAlgorithmConfig,
    Problem,
    RLOOAlgorithmConfig,
    RunConfig,
    check_references,
    parse_config,
)
from rlstudio.control import Control, StopDuringReward
from rlstudio.diskfull import as_disk_full, remove_incomplete_checkpoints
from rlstudio.rewards import RewardAbort, error_triple
from rlstudio.rundir import RunDirError, RunLock, ensure_no_live_trainer
from rlstudio.runfiles import RunWriter, last_checkpoint
from rlstudio.runformat import RunPaths, read_manifest


def offline_environment() -> None:
    """Nothing may download at run time; no experiment trackers."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("WANDB_DISABLED", "true")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def versions() -> dict[str, str]:
    import platform

    import torch
    import transformers
    import trl

    return {"rlstudio": __version__, "trl": trl.__version__, "transformers": transformers.__version__,
            "torch": torch.__version__, "python": platform.python_version(), "format": FORMAT}


def default_run_dir(config: RunConfig) -> Path:
    root = config.resolve(config.runs_root) if config.runs_root else Path(config.base_dir) / ".rlstudio" / "runs"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in config.name)
    return root / f"{stamp}-{safe}"


# ---------------------------------------------------------------------------------------------


def run(config: RunConfig, run_dir: str | os.PathLike, resume: bool = False) -> int:
    """Train; return the process exit code (0 completed or stopped, 1 failed, 130 interrupted)."""
    offline_environment()
    from accelerate import PartialState

    run_dir = Path(run_dir).resolve()
    # Several CPU processes (gloo) need cpu=True at the first PartialState; the launcher says so through
    # ACCELERATE_USE_CPU (e.g. `ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 ...`).
    use_cpu = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    is_main = PartialState(cpu=use_cpu).is_main_process
    writer = None
    log_handler = None
    lock = None
    if is_main:
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            lock = RunLock.acquire(run_dir)
            if resume:  # the config (with resume's --set overrides) and this process replace the old ones
                writer = RunWriter.reopen(run_dir)
                writer.write_manifest(status="starting", endedAt=None, error=None, pid=os.getpid(),
                                      host=socket.gethostname(), config=config.to_dict(),
                                      maxSteps=config.algorithm.max_steps)
                writer.event("status", status="starting")
            else:
                writer = RunWriter.create(run_dir, config.name, config.to_dict(), config.config_path, versions(),
                                          config.algorithm.max_steps, config.model.name, config.algorithm.name)
        except RunDirError as exc:
            print(f"rlstudio: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"rlstudio: cannot write the run directory {run_dir}: {exc}", file=sys.stderr)
            if lock is not None:
                lock.release()
            return 1
        log_handler = _log_to_file(RunPaths(run_dir).trainer_log)
        print(f"rlstudio: run directory {run_dir}", file=sys.stderr)

    control = Control(run_dir, writer)
    control.install()
    try:
        trainer, checkpoint = _build(config, run_dir, writer, control, resume)
        if writer is not None:
            writer.set_status("running")
        try:
            trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        finally:
            trainer.finish_recording()
        if writer is not None:
            writer.set_status("stopped" if control.stop_requested else "completed")
        return 0
    except StopDuringReward as exc:  # the step in progress is abandoned; checkpoints so far stay
        control.poll_files()
        print(f"rlstudio: {exc}; stopped without finishing the step", file=sys.stderr)
        if writer is not None:
            writer.event("warning", message=f"{exc}; the step in progress was abandoned")
            writer.set_status("stopped")
        return 0
    except KeyboardInterrupt:
        if writer is not None:
            writer.set_status("stopped", error={"type": "KeyboardInterrupt", "message": "interrupted (second Ctrl-C)",
                                                "traceback": ""})
        return 130
    except BaseException as exc:  # every failure ends as a failed run with the triple
        full = as_disk_full(exc, run_dir)
        error = error_triple(full or exc)
        if full is not None:
            error["traceback"] = error_triple(exc)["traceback"]
        if writer is not None:  # run.json first: on a full disk, after freeing what can be freed
            try:
                remove_incomplete_checkpoints(run_dir)
                if full is not None:
                    writer.release_reserve()
                if isinstance(exc, RewardAbort):
                    failure = exc.failure
                    writer.event("reward_error", step=control.step + 1, function=failure.function,
                                 indices=failure.indices, error=failure.error)
                writer.set_status("failed", error=error)
            except OSError as write_error:
                _say(f"rlstudio: could not record the failure in run.json: {write_error}")
        logging.getLogger("rlstudio").error("run failed: %s", error["traceback"])
        _say(f"rlstudio: run failed: {error['type']}: {error['message']}")
        return 1
    finally:
        control.close()
        if writer is not None:
            writer.close()
        if log_handler is not None:
            for name in ("rlstudio", "transformers", "trl"):
                logging.getLogger(name).removeHandler(log_handler)
            try:
                log_handler.close()
            except OSError:  # a full disk: already reported
                pass
        if lock is not None:
            lock.release()


def resume(run_dir: str | os.PathLike, overrides: list[str] | None = None) -> int:
    """Continue a run from its last checkpoint, same config, appending to the same directory.

    Refused (RunDirError / FileNotFoundError / ConfigError, run.json untouched) while the run's trainer
    lives, when there is no checkpoint to resume from, or when a file the config names is gone.
    """
    run_dir = Path(run_dir).resolve()
    manifest = read_manifest(run_dir)
    ensure_no_live_trainer(run_dir)
    if last_checkpoint(run_dir) is None:
        error, status = manifest.get("error"), manifest.get("status")
        was = (f"; it {status}" if isinstance(status, str) else "") + (
            f" with {error.get('type')}: {error.get('message')}" if isinstance(error, dict) else "")
        raise FileNotFoundError(f"{RunPaths(run_dir).checkpoints}: no checkpoint to resume from{was} "
                                "(run.json is left as it was); start a new run with `rlstudio train`")
    config = config_from_manifest(manifest, overrides, RunPaths(run_dir).manifest)
    missing = check_references(config)  # e.g. a reward file moved since: refused before run.json is touched
    if missing:
        raise ConfigError(f"{RunPaths(run_dir).manifest} config", [Problem(key, None, None, message)
                                                                   for key, message in missing])
    return run(config, run_dir, resume=True)


def config_from_manifest(manifest: dict[str, Any], overrides: list[str] | None = None,
                         source: str | os.PathLike = "run.json") -> RunConfig:
    """The run's config from its run.json (`source` names the file in errors)."""
    import yaml

    if not isinstance(manifest.get("config"), dict):
        raise ValueError(f"{source}: no `config` object (the run's settings), so the run cannot be rebuilt from it")
    config_path = manifest.get("configPath") if isinstance(manifest.get("configPath"), str) else None
    base_dir = str(Path(config_path).parent) if config_path else "."
    config = parse_config(yaml.safe_dump(manifest["config"]), "run.json config", overrides, base_dir=base_dir)
    config.config_path = config_path
    return config


# ---------------------------------------------------------------------------------------------


def _build(config: RunConfig, run_dir: Path, writer: RunWriter | None, control: Control, resume: bool):
    from rlstudio.model import load_model

    checkpoint = None
    step = None
    if resume:
        found = last_checkpoint(run_dir)
        if found is None:
            raise FileNotFoundError(f"{RunPaths(run_dir).checkpoints}: no checkpoint to resume from")
        step, checkpoint = found
        if writer is not None:
            writer.truncate_after(step)
            rel = RunPaths(run_dir).relative(checkpoint)
            writer.write_manifest(resumedFrom={"step": step, "checkpoint": rel})
            writer.event("resume", step=step, checkpoint=rel)

    model, tokenizer, peft_config = load_model(config)
    rollouts_dir = RunPaths(run_dir).rollouts if writer is not None else None
    if isinstance(config.algorithm, DPOAlgorithmConfig):
        trainer = _preference_trainer(config, run_dir, model, tokenizer, peft_config, rollouts_dir)
    else:
        trainer = _online_trainer(config, run_dir, model, tokenizer, peft_config, rollouts_dir, control, step)
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from rlstudio.progress import RunCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if config.eval is not None and config.eval.every_n_steps:  # before RunCallback: it adds eval/* to the logs
        from rlstudio.evals.periodic import EvalCallback

        trainer.add_callback(EvalCallback(trainer, config, run_dir, is_main=writer is not None))
    trainer.add_callback(RunCallback(trainer, writer, control, run_dir))
    return trainer, checkpoint


def _online_trainer(config: RunConfig, run_dir: Path, model, tokenizer, peft_config, rollouts_dir: Path | None,
                    control: Control, resumed_step: int | None):
    """GRPO or RLOO: prompts, reward functions, sampling; recorded by rlstudio.recording."""
    from rlstudio.data import load_dataset
    from rlstudio.recording import RecordingGRPOTrainer, RecordingRLOOTrainer
    from rlstudio.rewards import load_rewards

    train_dataset, eval_dataset = load_dataset(config)
    reward_errors: list = []
    reward_funcs, weights = load_rewards(config, reward_errors.append, guard=control.reward_deadline)
    trainer_class = RecordingRLOOTrainer if isinstance(config.algorithm, RLOOAlgorithmConfig) else RecordingGRPOTrainer
    selection = config.data.selection.strategy != "uniform"
    if selection:
        from rlstudio.sampler import with_selection

        trainer_class = with_selection(trainer_class)
    replay = getattr(config.algorithm, "replay", None)  # GRPO and RLOO (config_algorithms); DPO has none
    if replay is not None:
        from rlstudio.replay import with_replay

        trainer_class = with_replay(trainer_class)
    trainer = trainer_class(
        model=model,
        reward_funcs=reward_funcs,
        args=trl_args(config, run_dir, reward_weights=weights, log_completions=False),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        recording=config.recording,
        reward_errors=reward_errors,
        rollouts_dir=rollouts_dir,
    )
    if selection:
        trainer.setup_selection(config.data.selection, RunPaths(run_dir).selection, resumed_step)
    if replay is not None:  # a resumed run restores the buffer saved with its checkpoint
        trainer.setup_replay(replay, RunPaths(run_dir).checkpoint(resumed_step) if resumed_step is not None else None)
    return trainer


def _preference_trainer(config: RunConfig, run_dir: Path, model, tokenizer, peft_config, rollouts_dir: Path | None):
    """The DPO family: preference pairs; the reference is the initial policy (LoRA: the model with its
    adapters off, which TRL does itself; full fine-tuning: a frozen copy taken now)."""
    import copy

    from rlstudio.dpo_recording import RecordingDPOTrainer
    from rlstudio.preferences import load_preferences

    train_dataset, eval_dataset = load_preferences(config)
    return RecordingDPOTrainer(
        model=model,
        ref_model=None if peft_config is not None else copy.deepcopy(model).eval(),
        args=trl_args(config, run_dir),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        recording=config.recording,
        rollouts_dir=rollouts_dir,
    )


def trl_args(config: RunConfig, run_dir: Path, **algorithm_managed: Any):
    """TRL's config for the algorithm (GRPOConfig, RLOOConfig or DPOConfig): the algorithm section's TRL
    fields and `extra` (`trl_arguments`), plus the fields rlstudio manages (config_algorithms.MANAGED_TRL_FIELDS
    says where the user sets the main ones) and `algorithm_managed` (e.g. GRPO's reward_weights)."""
    from trl import DPOConfig, GRPOConfig, RLOOConfig

    config_class = {"grpo": GRPOConfig, "rloo": RLOOConfig, "dpo": DPOConfig}[config.algorithm.name]
    managed: dict[str, Any] = {
        "output_dir": str(RunPaths(run_dir).checkpoints),
        "seed": config.seed,
        "save_strategy": "steps",
        "save_steps": config.checkpoints.every_n_steps,
        "save_total_limit": config.checkpoints.keep_last,
        "report_to": [],
        "disable_tqdm": True,
        "bf16": config.model.dtype == "bfloat16",
        "fp16": config.model.dtype == "float16",
        "gradient_checkpointing": False,
        "dataloader_pin_memory": False,
        "ddp_find_unused_parameters": False,
        **algorithm_managed,
    }
    return config_class(**{**managed, **config.algorithm.trl_arguments()})


class _RunLogHandler(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """A record that cannot be written (a full disk) is dropped, without logging's error dump on
        stderr: the failure itself is reported in run.json and on stderr."""


def _say(message: str) -> None:
    """A line on stderr, which may be a file on the very disk that is full."""
    try:
        print(message, file=sys.stderr, flush=True)
    except OSError:
        pass


def _log_to_file(path: Path) -> logging.Handler:
    handler = _RunLogHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("rlstudio", "transformers", "trl"):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("rlstudio").setLevel(logging.INFO)
    return handler

