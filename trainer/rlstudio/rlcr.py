"""RLCR calibration reward (Damani et al., 2025, "Beyond Binary Rewards: Training LMs to Reason
About Their Uncertainty").

The model states a confidence q in [0, 1] after its answer, e.g.

    <think>…</think><answer>42</answer><confidence>0.8</confidence>

and is rewarded with correctness minus the Brier score of that confidence:

    reward = c − (q − c)²        c = 1 if the answer is correct else 0

so a correct answer stated with q = 1 earns 1, a wrong one stated with q = 0 earns 0, and
confident mistakes cost the most (c = 0, q = 1 → −1). When the confidence is missing, not a number
or outside [0, 1] the Brier term is replaced by `unparsable_penalty`: reward = c − penalty
(default 1.0, the worst possible Brier score, so never stating a confidence never pays).
"""

from __future__ import annotations

import re

# rlstudio.rewards registers this module's reward as a built-in, so the helpers it shares with
# rewards.py are imported inside the functions (no import cycle).
DEFAULT_ANSWER_PATTERN = r"<answer>(.*?)</answer>"
DEFAULT_CONFIDENCE_PATTERN = r"<confidence>(.*?)</confidence>"


def parse_confidence(text: str, pattern: str = DEFAULT_CONFIDENCE_PATTERN) -> float | None:
    """The stated confidence as a probability: "0.8", ".8" and "80%" all give 0.8; None if unusable."""
    from rlstudio.rewards import extract_answer

    raw = extract_answer(text, pattern)
    if raw is None:
        return None
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(%?)", raw.strip())
    if match is None:
        return None
    value = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    return value if 0.0 <= value <= 1.0 else None


def rlcr_score(correct: bool, confidence: float | None, unparsable_penalty: float = 1.0) -> float:
    c = 1.0 if correct else 0.0
    if confidence is None:
        return c - unparsable_penalty
    return c - (confidence - c) ** 2


def rlcr_reward(completions, answer=None, pattern: str = DEFAULT_ANSWER_PATTERN,
                confidence_pattern: str = DEFAULT_CONFIDENCE_PATTERN, unparsable_penalty: float = 1.0,
                column: str = "answer", **kwargs) -> list[float]:
    """Correctness − (confidence − correctness)²; `unparsable_penalty` replaces the Brier term when no
    usable confidence in [0, 1] is stated."""
    from rlstudio.rewards import _text, answers_match, extract_answer

    expected = answer if column == "answer" else kwargs.get(column)
    if expected is None:
        raise KeyError(f"rlcr needs a dataset column {column!r} with the reference answer (set args.column)")
    scores = []
    for completion, gold in zip(completions, expected, strict=True):
        text = _text(completion)
        predicted = extract_answer(text, pattern)
        correct = predicted is not None and gold is not None and answers_match(predicted, str(gold))
        scores.append(rlcr_score(correct, parse_confidence(text, confidence_pattern), unparsable_penalty))
    return scores
