"""RunCallback: the trainer's link to the run directory and the terminal.

At each step end: write the rollout shard and reward-error events (one per function per step, also
logged to trainer.log and the terminal), act on stop/save requests
(agreed across processes), update the progress bar. At each log: a metrics.jsonl line with TRL's
metric names plus rlstudio/step_time_s, rlstudio/step_cpu_s and rlstudio/tokens_per_s. At each save: checkpoint.json
and a checkpoint event.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import TrainerCallback

from rlstudio import runformat
from rlstudio.control import Control
from rlstudio.runfiles import RunWriter, atomic_write_bytes, finite_or_none, umask_modes

logger = logging.getLogger("rlstudio")


def reward_error_summary(errors: list[dict], step: int) -> list[dict]:
    """One reward_error event per function per step: every failed row's index, their count, and the
    first error (a function that fails on every row, or NaN on many, is one line, not one per row)."""
    by_function: dict[str, dict] = {}
    for error in errors:
        event = by_function.setdefault(error["function"], {"step": step, "function": error["function"],
                                                            "indices": set(), "error": error["error"]})
        event["indices"].update(error["indices"])
    for event in by_function.values():
        event["indices"] = sorted(event["indices"])
        event["count"] = len(event["indices"])
    return list(by_function.values())


class RunCallback(TrainerCallback):
    def __init__(self, trainer, writer: RunWriter | None, control: Control, run_dir: Path):
        self.trainer = trainer
        self.writer = writer
        self.control = control
        self.run_dir = run_dir
        self.paths = runformat.RunPaths(run_dir)
        self.bar = None
        self._last_step_end = time.perf_counter()
        self._last_step_cpu = time.process_time()
        self._step_times: list[float] = []
        self._step_cpu: list[float] = []
        self._last_tokens: float | None = None
        self._last_values: dict = {}

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_step_end = time.perf_counter()
        self._last_step_cpu = time.process_time()
        self.control.step = state.global_step
        if self.writer is not None:
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="rlstudio", unit="step",
                            file=sys.stderr, dynamic_ncols=True)

    def on_step_end(self, args, state, control, **kwargs):
        now, cpu = time.perf_counter(), time.process_time()
        self._step_times.append(now - self._last_step_end)
        self._step_cpu.append(cpu - self._last_step_cpu)
        self._last_step_end, self._last_step_cpu = now, cpu
        step = state.global_step
        self.control.step = step

        errors = self.trainer.flush_step(step, self._on_shard_written)
        if self.writer is not None:
            for event in reward_error_summary(errors, step):
                self.writer.event("reward_error", **event)
                message = (f"step {step}: reward function {event['function']!r} failed on {event['count']} "
                           f"row(s) {event['indices'][:8]}{'…' if event['count'] > 8 else ''}: "
                           f"{event['error']['type']}: {event['error']['message']}")
                logger.warning(message)
                (self.bar.write if self.bar is not None else print)(f"rlstudio: {message}", file=sys.stderr)

        stop, save = self._requests()
        if save:
            control.should_save = True
            self.control.save_requested = False
        if stop:
            control.should_training_stop = True
            control.should_save = True
            if self.writer is not None and self.writer.manifest.get("status") != "stopping":
                self.writer.set_status("stopping")
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
        return control

    def _on_shard_written(self, step: int, shard: Path, rows: int) -> None:
        self.writer.event("rollouts", step=step, path=self.paths.relative(shard), rows=rows)

    def _requests(self) -> tuple[bool, bool]:
        """Stop/save requests of any process (files are read by rank 0 only)."""
        if self.writer is not None:
            self.control.poll_files()
        flags = [self.control.stop_requested, self.control.save_requested]
        accelerator = self.trainer.accelerator
        if accelerator.num_processes > 1:
            local = torch.tensor([float(f) for f in flags], device=accelerator.device)
            flags = accelerator.gather(local).view(-1, 2).max(dim=0).values.bool().tolist()
            self.control.stop_requested = flags[0]
        return flags[0], flags[1]

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.writer is None or not logs:
            return
        if "train_runtime" in logs:  # the end-of-training summary, not a logging step
            self.writer.write_manifest(summary={k: finite_or_none(v) for k, v in logs.items()})
            return
        values = dict(logs)
        step_time = sum(self._step_times) / len(self._step_times) if self._step_times else None
        values["rlstudio/step_time_s"] = step_time
        values["rlstudio/step_cpu_s"] = sum(self._step_cpu) / len(self._step_cpu) if self._step_cpu else None
        tokens = logs.get("num_tokens")
        if tokens is not None and self._last_tokens is not None and self._step_times:
            values["rlstudio/tokens_per_s"] = (tokens - self._last_tokens) / max(sum(self._step_times), 1e-9)
        else:
            values["rlstudio/tokens_per_s"] = None
        if tokens is not None:
            self._last_tokens = tokens
        self._step_times.clear()
        self._step_cpu.clear()
        self.writer.metrics(state.global_step, values)
        self._last_values = {k: finite_or_none(v) for k, v in values.items()}
        if self.bar is not None:
            shown = {k: self._last_values.get(k) for k in ("reward", "entropy")}
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in shown.items() if v is not None}, refresh=True)

    def on_save(self, args, state, control, **kwargs):
        if self.writer is None:
            return
        folder = Path(args.output_dir) / runformat.checkpoint_name(state.global_step)
        info = {"step": state.global_step, "t": time.time(), "metrics": self._last_values}
        atomic_write_bytes(folder / runformat.CHECKPOINT_INFO, json.dumps(info, indent=2).encode("utf-8"))
        umask_modes(folder)  # transformers writes model.safetensors through a private temp file
        self.writer.event("checkpoint", step=state.global_step, path=self.paths.relative(folder))

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
