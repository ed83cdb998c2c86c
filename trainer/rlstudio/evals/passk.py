"""pass@k: the unbiased estimator of Chen et al. (2021), in its numerically stable product form.

For one prompt with n samples of which c are correct, the probability that at least one of k samples
drawn without replacement is correct is

    pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i)      (= 1 when n - c < k)

The product has c factors in (0, 1], so it never overflows (C(256, 128) does not fit a float).
"""

from __future__ import annotations

from collections.abc import Iterable


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one prompt: n samples, c correct, 1 <= k <= n."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float | None:
    """Mean over prompts of pass@k; `counts` holds (n, c) per prompt. None without prompts."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    return sum(values) / len(values) if values else None


def default_k(n: int) -> list[int]:
    """k = 1, 2, 4, ... up to n, and n itself."""
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    if ks[-1] != n:
        ks.append(n)
    return ks


def split_k(requested: Iterable[int], n: int) -> tuple[list[int], list[int]]:
    """(computable k values, k values larger than n) of a request, sorted and deduplicated."""
    ks = sorted(set(requested))
    return [k for k in ks if k <= n], [k for k in ks if k > n]
