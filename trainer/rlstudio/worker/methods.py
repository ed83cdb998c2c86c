"""The worker's methods. docs/worker-protocol.md describes each one's params and result."""

from __future__ import annotations

import ast
import math
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from rlstudio.worker.executor import Executor, ExecutorCancelled, ExecutorDied, ExecutorTimeout
from rlstudio.worker.protocol import RpcErrorCode
from rlstudio.worker.server import Cancelled, Job, RpcError, Server

PROTOCOL = "rlstudio.worker/1"
DEFAULT_TIMEOUT_S = 30.0


def register(server: Server) -> None:
    executor = Executor()

    @server.method("initialize")
    def initialize(params: dict[str, Any], job: Job) -> dict[str, Any]:
        return {"protocol": PROTOCOL, "pid": os.getpid(), "versions": versions()}

    @server.method("shutdown")
    def shutdown(params: dict[str, Any], job: Job) -> None:
        executor.kill()
        return None

    @server.method("rewards/list")
    def rewards_list(params: dict[str, Any], job: Job) -> dict[str, Any]:
        from rlstudio.worker.reward_calls import builtins

        found = []
        if params.get("file"):
            found = reward_functions_in(Path(params["file"]))
        return {
            "builtins": [{"name": name, "doc": (func.__doc__ or "").strip()} for name, func in builtins().items()],
            "functions": found,
        }

    @server.method("rewards/run")
    def rewards_run(params: dict[str, Any], job: Job) -> dict[str, Any]:
        return run_rewards(params, job, executor)

    @server.method("samples/fromRun")
    def samples_from_run(params: dict[str, Any], job: Job) -> dict[str, Any]:
        from rlstudio.worker import samples

        step = params.get("step")
        try:
            return samples.from_run(str(params["runDir"]), None if step is None else int(step))
        except (samples.SamplesError, KeyError) as exc:
            raise RpcError(RpcErrorCode.INVALID_PARAMS, str(exc)) from None

    @server.method("samples/fromDataset")
    def samples_from_dataset(params: dict[str, Any], job: Job) -> dict[str, Any]:
        from rlstudio.worker import samples

        try:
            return samples.from_dataset(str(params["file"]), int(params.get("limit", 256)),
                                        str(params.get("completionColumn", "completion")))
        except (samples.SamplesError, KeyError) as exc:
            raise RpcError(RpcErrorCode.INVALID_PARAMS, str(exc)) from None

    @server.method("pairs/make")
    def pairs_make(params: dict[str, Any], job: Job) -> dict[str, Any]:
        from rlstudio.pairs import SKIP_REASONS, make_pairs_file

        try:
            result = make_pairs_file(str(params["runDir"]), str(params.get("steps", "all")), params.get("reward"),
                                     str(params["out"]), float(params.get("minMargin", 0.0)))
        except (ValueError, KeyError) as exc:
            raise RpcError(RpcErrorCode.INVALID_PARAMS, str(exc)) from None
        return {"out": str(params["out"]), "steps": result.steps, "kept": len(result.pairs),
                "skipped": {r: result.skipped[r] for r in SKIP_REASONS}, "summary": result.summary()}

    @server.method("hints/subsetSearch")
    def subset_search(params: dict[str, Any], job: Job) -> dict[str, Any]:
        return run_subset_search(params, job)

    @server.method("eval/score")
    def eval_score(params: dict[str, Any], job: Job) -> dict[str, Any]:
        from rlstudio.evals.checkpoints import UnknownCheckpoint
        from rlstudio.evals.score import score_eval

        try:
            return score_eval(Path(params["runDir"]), str(params["evalId"]), str(params["checkpoint"]),
                              str(params["by"]), float(params.get("temperature", 1.0)),
                              int(params.get("batchSize", 8)), should_stop=job.cancelled.is_set)
        except InterruptedError:
            raise Cancelled() from None
        except (KeyError, FileNotFoundError, ValueError, UnknownCheckpoint) as exc:
            raise RpcError(RpcErrorCode.INVALID_PARAMS, str(exc)) from None

    @server.method("worker/debug")
    def debug(params: dict[str, Any], job: Job) -> dict[str, Any]:
        """Test hooks: `{"sleep": s}` waits (cancellable), `{"crash": code}` exits the worker at once."""
        if "crash" in params:
            os._exit(int(params["crash"]))
        remaining = float(params.get("sleep", 0))
        while remaining > 0:
            job.check_cancelled()
            job.cancelled.wait(min(0.05, remaining))
            remaining -= 0.05
        job.check_cancelled()
        return {"pid": os.getpid(), "executorRestarts": executor.restarts}


def versions() -> dict[str, str | None]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    from rlstudio import __version__

    return {
        "rlstudio": __version__,
        "python": platform.python_version(),
        "trl": version("trl"),
        "transformers": version("transformers"),
        "torch": version("torch"),
    }


# --- rewards/list -----------------------------------------------------------------------------


def reward_functions_in(path: Path) -> list[dict[str, Any]]:
    """Top-level functions with a parameter named `completions` (TRL's reward signature)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        raise RpcError(RpcErrorCode.INVALID_PARAMS, f"{path}: {exc}") from None
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            if "completions" in names:
                found.append({"name": node.name, "line": node.lineno, "ref": f"{path}:{node.name}"})
    return found


# --- rewards/run ------------------------------------------------------------------------------


def run_rewards(params: dict[str, Any], job: Job, executor: Executor) -> dict[str, Any]:
    functions = params.get("functions")
    samples = params.get("samples")
    if not isinstance(functions, list) or not functions or not isinstance(samples, list):
        message = "rewards/run needs `functions` (a non-empty list) and `samples` (a list)"
        raise RpcError(RpcErrorCode.INVALID_PARAMS, message)
    timeout_s = float(params.get("timeoutS") or DEFAULT_TIMEOUT_S)
    base_dir = str(params.get("baseDir") or ".")
    n = len(samples)
    results = []
    for done, spec in enumerate(functions):
        job.check_cancelled()
        name = str(spec.get("name") or spec.get("ref"))
        job.progress(f"running {name} on {n} samples", done, len(functions))
        task = {"name": name, "ref": str(spec["ref"]), "args": spec.get("args") or {}, "baseDir": base_dir,
                "samples": samples}
        try:
            outcome = executor.call(task, timeout_s, job.cancelled.is_set)
        except ExecutorCancelled:
            raise Cancelled() from None
        except ExecutorTimeout:
            message = (f"reward function {name!r} did not return within {timeout_s:g} s; "
                       "it was killed and the reward process restarted")
            outcome = _failed_everywhere(n, "Timeout", message)
        except ExecutorDied as exc:
            outcome = _failed_everywhere(n, "ProcessDied", f"reward function {name!r} crashed: {exc}")
        results.append({"name": name, "ref": task["ref"], "weight": float(spec.get("weight", 1.0)), **outcome})
    job.progress("done", len(functions), len(functions))
    return {"functions": results, "total": weighted_total(results, n)}


def _failed_everywhere(n: int, kind: str, message: str) -> dict[str, Any]:
    error = {"type": kind, "message": message, "traceback": ""}
    errors = [{"indices": list(range(n)), "error": error}]
    return {"scores": [None] * n, "errors": errors, "extras": {}, "seconds": None}


def run_subset_search(params: dict[str, Any], job: Job) -> dict[str, Any]:
    from rlstudio.hints import KpFileError
    from rlstudio.subset_search import SamplingConfig, SearchCancelled, run_search

    try:
        sampling = SamplingConfig(
            samples=int(params.get("samples", 8)),
            max_new_tokens=int(params.get("maxNewTokens", 64)),
            temperature=float(params.get("temperature", 1.0)),
            seed=int(params.get("seed", 0)),
            placement=str(params.get("placement", "before_problem")),
            template=str(params.get("template", "Hints:\n{hints}")),
            system_prompt=params.get("systemPrompt"),
        )
        kp_file, data_file, model = str(params["kpFile"]), str(params["dataFile"]), str(params["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RpcError(RpcErrorCode.INVALID_PARAMS, f"hints/subsetSearch: bad params ({exc})") from None

    def check_cancelled() -> None:
        if job.cancelled.is_set():
            raise SearchCancelled()

    try:
        return run_search(kp_file, data_file, model, sampling, float(params.get("tolerance", 0.0)),
                          params.get("problems"), str(params.get("idColumn", "id")),
                          str(params.get("promptColumn", "prompt")), str(params.get("answerColumn", "answer")),
                          bool(params.get("apply", False)), job.progress, check_cancelled)
    except SearchCancelled:
        raise Cancelled() from None
    except (KpFileError, ValueError, OSError) as exc:
        raise RpcError(RpcErrorCode.INVALID_PARAMS, str(exc)) from None


def weighted_total(results: list[dict[str, Any]], n: int) -> list[float | None]:
    """Σ weight × score per sample, skipping nulls as TRL's nansum does; null when every score is null."""
    totals: list[float | None] = []
    for i in range(n):
        parts = [r["weight"] * r["scores"][i] for r in results if r["scores"][i] is not None]
        total = math.fsum(parts) if parts else None
        totals.append(total)
    return totals


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `python -m rlstudio.worker`")
