"""Eval prompts: a held-out file, reasoning-gym with another seed, the held-out split, or (when the
run has none of these) the training prompts (a DPO run: the distinct prompts of its pairs) — always
built by the trainer's own data code (rlstudio.data, rlstudio.preferences: same template, system
prompt, chat template) and tokenized as TRL does for training.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from rlstudio.config import ReasoningGymConfig, RunConfig
from rlstudio.evals.config import EvalConfig


@dataclass
class EvalPrompts:
    source: dict[str, Any]  # eval.json `promptSource`
    rows: list[dict[str, Any]]  # dataset rows: `prompt` (messages or text) and the columns rewards receive
    token_ids: list[list[int]]  # prompt tokens fed to the model
    texts: list[str]  # those tokens decoded with special tokens (the rollout shards' `prompt`)

    def answer(self, i: int) -> str | None:
        value = self.rows[i].get("answer")
        return None if value is None else str(value)


def load_eval_prompts(config: RunConfig, settings: EvalConfig, tokenizer, count: int) -> EvalPrompts:
    from rlstudio.data import load_dataset

    plain = dataclasses.replace(config, hints=None)  # the model's own ability: no knowledge-point hints
    if settings.data is not None:
        data = dataclasses.replace(config.data, path=settings.data, reasoning_gym=None, eval_fraction=0.0,
                                   shuffle_seed=None)
        dataset, _ = load_dataset(dataclasses.replace(plain, data=data, eval=None))
        source = {"kind": "file", "path": str(config.resolve(settings.data)),
                  "detail": f"held-out file {settings.data}"}
    elif settings.reasoning_gym is not None:
        rg, train_rg = settings.reasoning_gym, config.data.reasoning_gym
        task = rg.task or train_rg.task
        args = train_rg.args if train_rg is not None and train_rg.task == task else {}
        generator = ReasoningGymConfig(task=task, size=rg.size or count, seed=rg.seed, args=args)
        data = dataclasses.replace(config.data, path=None, reasoning_gym=generator, eval_fraction=0.0,
                                   shuffle_seed=None)
        dataset, _ = load_dataset(dataclasses.replace(plain, data=data, eval=None))
        source = {"kind": "reasoning_gym", "task": task, "seed": rg.seed,
                  "detail": f"reasoning-gym {task}, seed {rg.seed} (training: "
                            f"{'seed ' + str(train_rg.seed) if train_rg is not None else 'other data'})"}
    elif config.algorithm.name == "dpo":
        dataset, source = _preference_prompts(plain, settings)
    elif settings.split is not None or config.data.eval_fraction > 0:
        fraction = settings.split or config.data.eval_fraction
        _, dataset = load_dataset(plain)
        source = {"kind": "split", "fraction": fraction,
                  "detail": f"{fraction:.0%} of the training data, held out from training (seed {config.seed})"}
    else:
        dataset, _ = load_dataset(plain)
        source = {"kind": "train", "detail": "the training prompts (the run holds no data out: set eval.data, "
                                             "eval.reasoning_gym or eval.split for an unbiased eval)"}
    rows = [dict(dataset[i]) for i in range(min(count, len(dataset)))]
    token_ids = [prompt_token_ids(tokenizer, row["prompt"]) for row in rows]
    texts = [tokenizer.decode(ids, skip_special_tokens=False) for ids in token_ids]
    return EvalPrompts(source=source, rows=rows, token_ids=token_ids, texts=texts)


def _preference_prompts(config: RunConfig, settings: EvalConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A DPO run's eval prompts: the distinct prompts of its preference pairs (held-out pairs when the run
    holds some out), formatted as training formats them; each row also carries the text of the first
    pair's `chosen` and `rejected` answers, which reward functions receive as columns."""
    from rlstudio.preferences import load_preferences

    train, held_out = load_preferences(config)
    seen: set[str] = set()
    rows = []
    for row in held_out if held_out is not None else train:
        key = json.dumps(row["prompt"], sort_keys=True)
        if key not in seen:
            seen.add(key)
            rows.append({"prompt": row["prompt"], "chosen": _text(row["chosen"]), "rejected": _text(row["rejected"])})
    if held_out is not None:
        fraction = settings.split or config.data.eval_fraction
        return rows, {"kind": "split", "fraction": fraction,
                      "detail": f"the prompts of {fraction:.0%} of the preference pairs, held out from training "
                                f"(seed {config.seed})"}
    return rows, {"kind": "train", "detail": "the prompts of the training preference pairs (the run holds no pairs "
                                             "out: set eval.data or eval.split for an unbiased eval)"}


def _text(answer: Any) -> str:
    """An answer of a preference pair as text (with a chat template it is one assistant message)."""
    return answer if isinstance(answer, str) else "".join(str(m.get("content", "")) for m in answer)


def prompt_token_ids(tokenizer, prompt: Any) -> list[int]:
    """The prompt's tokens exactly as TRL's GRPOTrainer._tokenize_prompts builds them."""
    if isinstance(prompt, list):  # conversational
        tokenized = tokenizer.apply_chat_template(conversation=[prompt], add_generation_prompt=True, tokenize=True,
                                                  return_dict=True)
        return list(tokenized["input_ids"][0])
    return list(tokenizer(text=[prompt])["input_ids"][0])
