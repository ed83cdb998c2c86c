"""Hint subset search: the bookkeeping with a known pass-rate table, then the real thing on a tiny model."""

import json

import pytest

from rlstudio.hints import KnowledgePoint, ProblemPoints, load_kp
from rlstudio.subset_search import SamplingConfig, SearchCancelled, results_path, run_search, search_problem

POINTS = [KnowledgePoint(k, f"point {k}") for k in "abc"]
ENTRY = ProblemPoints("q1", POINTS, [])


def table_estimator(rates: dict[str, float], samples: int = 10):
    """Pass counts from a fixed table keyed by the subset's ids ("" = no hints); records every call."""
    calls = []

    def estimate(points, stage):
        key = "".join(p.id for p in points)
        calls.append((key, stage))
        return round(rates[key] * samples), samples

    return estimate, calls


def test_greedy_removal_picks_the_smallest_subset_keeping_the_rate():
    rates = {"": 0.1, "abc": 0.8, "bc": 0.8, "ac": 0.5, "ab": 0.8, "b": 0.8, "c": 0.3, "a": 0.2}
    estimate, calls = table_estimator(rates)
    result = search_problem(ENTRY, estimate, tolerance=0.0)
    assert result.chosen == ["b"] and result.chosen_pass_rate == 0.8
    assert result.target == 0.8
    # each subset is sampled once: none, all, 3 leave-one-outs; greedy drops a (ties: earliest point),
    # then from {b, c} tries {c} and {b}; the pair check {a, c} removed is {b}, already known.
    assert calls == [("", "none"), ("abc", "all"), ("bc", "leave_one_out"), ("ac", "leave_one_out"),
                     ("ab", "leave_one_out"), ("c", "greedy"), ("b", "greedy")]
    by_ids = {"".join(s.ids): s for s in result.subsets}
    assert by_ids["b"].passed == 8 and by_ids["b"].samples == 10
    assert [len(s.ids) for s in result.subsets] == sorted(len(s.ids) for s in result.subsets)


def test_tolerance_lets_the_rate_drop_a_little_and_no_hints_can_win():
    rates = {"": 0.7, "abc": 0.8, "bc": 0.75, "ac": 0.75, "ab": 0.75, "c": 0.7, "b": 0.7, "a": 0.7}
    estimate, _ = table_estimator(rates, samples=20)
    result = search_problem(ENTRY, estimate, tolerance=0.1)
    assert result.chosen == []
    assert result.target == pytest.approx(0.7)


def test_pruning_interaction_paradox_is_flagged():
    # removing a alone or b alone keeps 0.8, removing both drops to 0.2
    rates = {"": 0.0, "abc": 0.8, "bc": 0.8, "ac": 0.8, "ab": 0.3, "c": 0.2, "b": 0.3, "a": 0.3}
    estimate, _ = table_estimator(rates)
    result = search_problem(ENTRY, estimate)
    assert [(i.removed, i.alone, i.together) for i in result.interactions] == [(["a", "b"], [0.8, 0.8], 0.2)]
    # {b, c} and {a, c} both keep 0.8 with two points: ties go to the subset earlier in file order
    assert result.chosen == ["a", "c"]


def test_cancel_stops_between_estimates():
    estimate, calls = table_estimator({"": 0, "abc": 1, "bc": 1, "ac": 1, "ab": 1})

    def check():
        if len(calls) >= 2:
            raise SearchCancelled()

    with pytest.raises(SearchCancelled):
        search_problem(ENTRY, estimate, check_cancelled=check)
    assert len(calls) == 2


@pytest.mark.slow
def test_on_a_tiny_model_results_are_written_next_to_the_kp_file(tmp_path):
    from rlstudio.testing import make_tiny_model

    model = make_tiny_model(tmp_path / "model")
    kp = tmp_path / "hard.kp.jsonl"
    kp.write_text(
        '{"problem": "p1", "points": [{"id": "x", "text": "Add the tens."}, {"id": "y", "text": "Then the units."}], '
        '"selected": []}\n{"problem": "p2", "points": [{"id": "z", "text": "Think."}], "selected": ["z"]}\n')
    data = tmp_path / "data.jsonl"
    data.write_text('{"id": "p1", "prompt": "What is 12 + 30?", "answer": "42"}\n'
                    '{"id": "p2", "prompt": "What is 1 + 1?", "answer": "2"}\n')
    events = []
    out = run_search(str(kp), str(data), str(model), SamplingConfig(samples=3, max_new_tokens=8), tolerance=0.0,
                     problems=["p1"], apply=True, progress=lambda m, d, t: events.append((d, t)))
    (result,) = out["problems"]
    # ∅, all, 2 leave-one-outs (= the singletons) → 4 subsets, 3 samples each, no pair beyond those
    assert sorted("".join(s["ids"]) for s in result["subsets"]) == ["", "x", "xy", "y"]
    assert all(s["samples"] == 3 and 0 <= s["passed"] <= 3 for s in result["subsets"])
    assert out["generated"] == 4 * 3
    assert events == [(0, 1), (1, 1)]
    saved = json.loads(results_path(kp).read_text())
    assert saved["format"] == "rlstudio.kp-subsets/1"
    assert saved["problems"]["p1"]["chosen"] == result["chosen"]
    assert saved["problems"]["p1"]["samples"] == 3
    entries = {e.problem: e.selected for e in load_kp(kp)}
    assert entries == {"p1": result["chosen"], "p2": ["z"]}


@pytest.mark.slow
def test_through_the_worker_with_progress_bad_input_and_cancel(tmp_path):
    from rlstudio.testing import make_tiny_model
    from rlstudio.worker.client import WorkerProcess

    model = make_tiny_model(tmp_path / "model")
    kp = tmp_path / "h.kp.jsonl"
    points = ", ".join(f'{{"id": "k{i}", "text": "Point {i}."}}' for i in range(6))
    kp.write_text(f'{{"problem": "p1", "points": [{points}], "selected": []}}\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "p1", "prompt": "What is 1 + 1?", "answer": "2"}\n')
    worker = WorkerProcess()
    try:
        bad = worker.request("hints/subsetSearch", {"kpFile": str(tmp_path / "missing.kp.jsonl"), "dataFile": str(data),
                                                   "model": str(model)})
        assert bad["error"]["code"] == -32602 and "missing.kp.jsonl" in bad["error"]["message"]
        request_id = worker.send_request("hints/subsetSearch", {
            "kpFile": str(kp), "dataFile": str(data), "model": str(model), "samples": 2, "maxNewTokens": 4,
            "progressToken": "search"})
        first = worker.next_message(timeout=60)
        assert first["method"] == "$/progress" and first["params"]["value"]["message"].startswith("problem p1")
        worker.notify("$/cancelRequest", {"id": request_id})
        assert worker.response(request_id, timeout=60)["error"]["code"] == -32800
        assert not (tmp_path / "h.kp.subsets.json").exists(), "a cancelled search writes nothing"
    finally:
        worker.close()
