"""`rlstudio score`: per-token log-probs and entropies of one checkpoint's eval samples under another.

Teacher forcing with the layout of TRL's loss pass: prompts left-padded, completions right-padded,
one forward per batch; log_softmax(logits / T) in float32 over the full vocabulary, the
log-probability of each recorded token and the entropy at its position. Prompt tokens are the ones
generation used (prompts.jsonl `token_ids`). Scoring a checkpoint's own samples at the sampling
temperature reproduces the log-probs recorded at generation time (tested to 1e-4 at T = 1).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from rlstudio.evals.files import read_prompts, write_scores
from rlstudio.runformat import EVALS, EvalPaths, read_eval_manifest


@torch.no_grad()
def teacher_forced(model, pad_id: int, prompts: list[list[int]], completions: list[list[int]], temperature: float,
                   batch_size: int, should_stop: Callable[[], bool] | None = None) -> list[dict[str, list[float]]]:
    """Per completion: `logprobs` and `entropies` (float lists, one per completion token)."""
    device = next(model.parameters()).device
    out: list[dict[str, list[float]]] = []
    for start in range(0, len(prompts), batch_size):
        if should_stop is not None and should_stop():
            raise InterruptedError("scoring cancelled")
        batch_p, batch_c = prompts[start:start + batch_size], completions[start:start + batch_size]
        p_len, c_len = max(len(p) for p in batch_p), max(max(len(c) for c in batch_c), 1)
        ids = [[pad_id] * (p_len - len(p)) + p + c + [pad_id] * (c_len - len(c)) for p, c in zip(batch_p, batch_c)]
        mask = [[0] * (p_len - len(p)) + [1] * (len(p) + len(c)) + [0] * (c_len - len(c))
                for p, c in zip(batch_p, batch_c)]
        ids_t, mask_t = torch.tensor(ids, device=device), torch.tensor(mask, device=device)
        logits = model(input_ids=ids_t, attention_mask=mask_t).logits[:, p_len - 1:-1]  # (B, C, V)
        logp = torch.log_softmax(logits.float() / temperature, dim=-1)
        entropies = -(logp.exp() * logp).nansum(-1)
        chosen = logp.gather(-1, ids_t[:, p_len:].unsqueeze(-1)).squeeze(-1)
        chosen, entropies = chosen.cpu(), entropies.cpu()
        for b, c in enumerate(batch_c):
            out.append({"logprobs": chosen[b, :len(c)].tolist(), "entropies": entropies[b, :len(c)].tolist()})
    return out


def score_eval(run_dir: Path, eval_id: str, checkpoint: str, by: str, temperature: float = 1.0,
               batch_size: int = 8, should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Write `<checkpoint>.scored-by-<by>.parquet`; return {path, rows}. Raises ValueError on bad input."""
    import pyarrow.parquet as pq

    from rlstudio.evals import checkpoints as ckpts
    from rlstudio.runformat import read_manifest
    from rlstudio.train import config_from_manifest, offline_environment

    offline_environment()
    run_dir = Path(run_dir).resolve()
    eval_dir = run_dir / EVALS / eval_id
    manifest = read_eval_manifest(eval_dir)
    done = [c["name"] for c in manifest["checkpoints"] if c["status"] == "done"]
    if checkpoint not in done:
        raise ValueError(f"eval {eval_id} has no finished samples of {checkpoint!r} (finished: {', '.join(done)})")
    (by,) = ckpts.resolve(run_dir, [by])
    config = config_from_manifest(read_manifest(run_dir))
    prompt_ids = {line["prompt_id"]: line["token_ids"] for line in read_prompts(eval_dir)}
    table = pq.read_table(EvalPaths(eval_dir).samples(checkpoint), columns=["prompt_id", "sample_index", "token_ids"])
    rows = table.to_pylist()
    model, tokenizer = ckpts.load(config, run_dir, by)
    scores = teacher_forced(model, tokenizer.pad_token_id, [prompt_ids[r["prompt_id"]] for r in rows],
                            [r["token_ids"] for r in rows], temperature, batch_size, should_stop)
    out = [{**row, **score} for row, score in zip(rows, scores, strict=True)]
    metadata = {"rlstudio.checkpoint": checkpoint, "rlstudio.scoredBy": by, "rlstudio.temperature": str(temperature)}
    path = write_scores(eval_dir, checkpoint, by, out, metadata)
    return {"path": str(path), "rows": len(out)}


def score_command(run_dir: str, eval_id: str, checkpoint: str, by: str, temperature: float, batch_size: int) -> int:
    from rlstudio.evals.checkpoints import UnknownCheckpoint

    if temperature <= 0 or batch_size <= 0:
        print("rlstudio score: --temperature and --batch-size must be > 0", file=sys.stderr)
        return 2
    try:
        result = score_eval(Path(run_dir), eval_id, checkpoint, by, temperature, batch_size)
    except (FileNotFoundError, ValueError, UnknownCheckpoint) as exc:
        print(f"rlstudio score: {exc}", file=sys.stderr)
        return 2
    print(f"rlstudio score: {result['rows']} samples of {checkpoint} scored by {by}: {result['path']}", file=sys.stderr)
    return 0
