"""KnowRL's constrained hint-subset search: the smallest set of knowledge points that keeps a
problem's pass rate.

For each problem, with the pass rate p(S) of a subset S of its points estimated from N sampled
completions (the model answers with the hints of S injected; a completion passes when the
`exact_answer` reward gives 1.0):

    1. p(∅) and p(all);                      target = p(all) − tolerance
    2. leave-one-out: p(all − {k}) for each point k;
    3. greedy removal: from S = all, drop the point whose removal keeps the highest p(S − {k}) ≥ target,
       until no removal keeps the target;
    4. chosen = the smallest evaluated subset with p ≥ target (ties: higher p, then file order);
    5. pruning-interaction check: for pairs {i, j} whose single removals each kept the target,
       p(all − {i, j}); a pair whose joint removal falls below it is flagged — removing either alone
       is harmless, removing both hurts (the "pruning interaction paradox").

Every estimate is cached by subset, so each subset is sampled once. `search_problem` takes the
estimator as a function; `ModelEstimator` is the real one (transformers generation, seeded).
Results are written next to the KP file as `<name>.kp.subsets.json`.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlstudio.hints import DEFAULT_TEMPLATE, KnowledgePoint, ProblemPoints, dump_kp, inject, load_kp
from rlstudio.runfiles import atomic_write_bytes

RESULTS_FORMAT = "rlstudio.kp-subsets/1"
MAX_PAIR_POINTS = 8  # pairs are checked among at most this many removable points
EPSILON = 1e-9  # pass rates are ratios of small counts: compare with a little slack for float error


class SearchCancelled(Exception):
    pass


@dataclass
class SubsetEstimate:
    ids: list[str]
    pass_rate: float
    passed: int
    samples: int
    stage: str  # none | all | leave_one_out | greedy | pair


@dataclass
class Interaction:
    removed: list[str]
    alone: list[float]
    together: float


@dataclass
class ProblemResult:
    problem: str
    target: float
    chosen: list[str]
    chosen_pass_rate: float
    subsets: list[SubsetEstimate] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)


Estimate = Callable[[list[KnowledgePoint], str], tuple[int, int]]  # (points, stage) -> (passed, samples)


def search_problem(entry: ProblemPoints, estimate: Estimate, tolerance: float = 0.0,
                   check_cancelled: Callable[[], None] = lambda: None) -> ProblemResult:
    points = list(entry.points)
    order = {p.id: i for i, p in enumerate(points)}
    cache: dict[frozenset[str], SubsetEstimate] = {}

    def p(ids: frozenset[str], stage: str) -> float:
        if ids not in cache:
            check_cancelled()
            chosen = [pt for pt in points if pt.id in ids]
            passed, samples = estimate(chosen, stage)
            cache[ids] = SubsetEstimate(sorted(ids, key=order.__getitem__), passed / samples if samples else 0.0,
                                        passed, samples, stage)
        return cache[ids].pass_rate

    everything = frozenset(order)
    p(frozenset(), "none")
    target = p(everything, "all") - tolerance

    def keeps(rate: float) -> bool:
        return rate >= target - EPSILON

    kept_alone = [pt.id for pt in points if keeps(p(everything - {pt.id}, "leave_one_out"))]

    current = everything
    while current:
        candidates = [(p(current - {k}, "greedy"), -order[k], k) for k in sorted(current, key=order.__getitem__)]
        keeping = [c for c in candidates if keeps(c[0])]
        if not keeping:
            break
        current = current - {max(keeping)[2]}

    interactions = []
    for i, j in itertools.combinations(kept_alone[:MAX_PAIR_POINTS], 2):
        together = p(everything - {i, j}, "pair")
        if not keeps(together):
            alone = [cache[everything - {i}].pass_rate, cache[everything - {j}].pass_rate]
            interactions.append(Interaction([i, j], alone, together))

    good = [e for e in cache.values() if keeps(e.pass_rate)]
    best = min(good, key=lambda e: (len(e.ids), -e.pass_rate, [order[i] for i in e.ids]))
    subsets = sorted(cache.values(), key=lambda e: (len(e.ids), [order[i] for i in e.ids]))
    return ProblemResult(entry.problem, target, best.ids, best.pass_rate, subsets, interactions)


# ---------------------------------------------------------------------------------------------
# The real estimator: sample N completions from a local model


@dataclass
class SamplingConfig:
    samples: int = 8
    max_new_tokens: int = 64
    temperature: float = 1.0
    seed: int = 0
    placement: str = "before_problem"
    template: str = DEFAULT_TEMPLATE
    system_prompt: str | None = None


class ModelEstimator:
    """Pass counts from N sampled completions of a transformers model (a checkpoint or base model folder)."""

    def __init__(self, model_path: str, sampling: SamplingConfig) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True)
        self.model.eval()
        self.sampling = sampling
        self.generated = 0

    def for_problem(self, problem_text: str, answer: str) -> Estimate:
        from rlstudio.rewards import exact_answer

        def estimate(points: list[KnowledgePoint], stage: str) -> tuple[int, int]:
            completions = self.sample(problem_text, points)
            scores = exact_answer(completions, answer=[answer] * len(completions))
            return sum(1 for s in scores if s >= 1.0), len(completions)

        return estimate

    def prompt_text(self, problem_text: str, points: list[KnowledgePoint]) -> str:
        s = self.sampling
        messages = ([{"role": "system", "content": s.system_prompt}] if s.system_prompt else []) + [
            {"role": "user", "content": problem_text}]
        messages = inject(messages, points, s.placement, s.template)
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def sample(self, problem_text: str, points: list[KnowledgePoint]) -> list[str]:
        import torch

        s = self.sampling
        encoded = self.tokenizer(self.prompt_text(problem_text, points), return_tensors="pt")
        torch.manual_seed(s.seed)  # the same seed for every subset: differences come from the hints
        with torch.no_grad():
            out = self.model.generate(**encoded, do_sample=True, temperature=s.temperature,
                                      max_new_tokens=s.max_new_tokens, num_return_sequences=s.samples,
                                      pad_token_id=self.tokenizer.pad_token_id)
        self.generated += s.samples
        prompt_length = encoded["input_ids"].shape[1]
        return self.tokenizer.batch_decode(out[:, prompt_length:], skip_special_tokens=True)


# ---------------------------------------------------------------------------------------------
# Files


def results_path(kp_file: str | Path) -> Path:
    kp_file = Path(kp_file)
    stem = kp_file.name.removesuffix(".kp.jsonl")
    return kp_file.with_name(f"{stem}.kp.subsets.json")


def write_results(kp_file: str | Path, results: list[ProblemResult], meta: dict[str, Any]) -> Path:
    """Merge these problems' results into `<name>.kp.subsets.json` (atomically); return its path."""
    path = results_path(kp_file)
    existing: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8")).get("problems", {})
        except (OSError, json.JSONDecodeError, AttributeError):
            existing = {}
    for result in results:
        existing[result.problem] = {**asdict(result), **meta}
    document = {"format": RESULTS_FORMAT, "kpFile": Path(kp_file).name, "problems": existing}
    atomic_write_bytes(path, (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def apply_selected(kp_file: str | Path, results: list[ProblemResult]) -> None:
    """Set each searched problem's `selected` to its chosen subset in the KP file."""
    entries = load_kp(kp_file)
    chosen = {r.problem: r.chosen for r in results}
    for entry in entries:
        if entry.problem in chosen:
            entry.selected = list(chosen[entry.problem])
    atomic_write_bytes(Path(kp_file), dump_kp(entries).encode("utf-8"))


def read_rows(data_file: str | Path, id_column: str) -> dict[str, dict[str, Any]]:
    from rlstudio.worker.samples import _read_rows

    return {str(row.get(id_column)): row for row in _read_rows(Path(data_file), 1_000_000)}


def run_search(kp_file: str, data_file: str, model: str, sampling: SamplingConfig, tolerance: float = 0.0,
               problems: list[str] | None = None, id_column: str = "id", prompt_column: str = "prompt",
               answer_column: str = "answer", apply: bool = False,
               progress: Callable[[str, int, int], None] = lambda *_: None,
               check_cancelled: Callable[[], None] = lambda: None) -> dict[str, Any]:
    entries = [e for e in load_kp(kp_file) if problems is None or e.problem in problems]
    if problems is not None:
        missing = sorted(set(problems) - {e.problem for e in entries})
        if missing:
            raise ValueError(f"{kp_file}: no knowledge points for problems {missing}")
    rows = read_rows(data_file, id_column)
    estimator = ModelEstimator(model, sampling)
    results = []
    for done, entry in enumerate(entries):
        row = rows.get(entry.problem)
        if row is None:
            raise ValueError(f"{data_file}: no row with {id_column} = {entry.problem!r}")
        progress(f"problem {entry.problem} ({len(entry.points)} points)", done, len(entries))
        estimate = estimator.for_problem(str(row[prompt_column]), str(row[answer_column]))
        results.append(search_problem(entry, estimate, tolerance, check_cancelled))
    progress("done", len(entries), len(entries))
    meta = {"model": model, "samples": sampling.samples, "tolerance": tolerance, "seed": sampling.seed,
            "placement": sampling.placement}
    path = write_results(kp_file, results, meta)
    if apply:
        apply_selected(kp_file, results)
    return {"resultsFile": str(path), "generated": estimator.generated,
            "problems": [asdict(r) for r in results]}
