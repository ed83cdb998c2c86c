"""pass@k: hand-computed values, the closed form with exact integers, edge cases, large n."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from rlstudio.evals.passk import default_k, mean_pass_at_k, pass_at_k, split_k


def closed_form(n: int, c: int, k: int) -> Fraction:
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


def test_hand_computed_values():
    # n=4, c=1: pass@1 = 1/4; pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 1/2; pass@4 = 1 (n-c = 3 < 4)
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(4, 1, 4) == 1.0
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # n=10, c=3, k=3: 1 - C(7,3)/C(10,3) = 1 - 35/120
    assert pass_at_k(10, 3, 3) == pytest.approx(1 - 35 / 120)


def test_pass_at_1_is_the_fraction_correct():
    for n in (1, 7, 16, 256):
        for c in range(0, n + 1, max(1, n // 5)):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 16, 33, 64])
def test_matches_the_closed_form(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(float(closed_form(n, c, k)), abs=1e-12), (n, c, k)


def test_edges():
    assert pass_at_k(16, 0, 1) == 0.0 and pass_at_k(16, 0, 16) == 0.0  # c = 0: never solved
    assert pass_at_k(16, 16, 1) == 1.0 and pass_at_k(16, 16, 16) == 1.0  # c = n: always solved
    assert pass_at_k(16, 13, 4) == 1.0  # n - c = 3 < k = 4: every draw of 4 holds a correct one
    assert pass_at_k(16, 12, 4) == pytest.approx(float(closed_form(16, 12, 4)))  # n - c = k: 1 - 1/C(16,4)
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)  # k > n
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)


def test_n_256_does_not_overflow():
    n = 256
    assert math.comb(n, 128) > 1e75  # the closed form's terms do not fit a float's comfortable range
    for c in (0, 1, 3, 50, 128, 200, 255, 256):
        for k in default_k(n):
            value = pass_at_k(n, c, k)
            assert math.isfinite(value) and 0.0 <= value <= 1.0
            assert value == pytest.approx(float(closed_form(n, c, k)), abs=1e-9), (c, k)
    # monotone in k
    values = [pass_at_k(n, 5, k) for k in default_k(n)]
    assert values == sorted(values)


def test_mean_and_k_lists():
    assert mean_pass_at_k([(4, 1), (4, 4), (4, 0)], 1) == pytest.approx((0.25 + 1 + 0) / 3)
    assert mean_pass_at_k([], 1) is None
    assert default_k(16) == [1, 2, 4, 8, 16]
    assert default_k(12) == [1, 2, 4, 8, 12]
    assert default_k(1) == [1]
    assert split_k([64, 1, 4, 4, 32], 16) == ([1, 4], [32, 64])
