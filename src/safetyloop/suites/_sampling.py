"""Stratified sampling: a smaller run that still covers every category in proportion."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction

from safetyloop.suites._case import Case

__all__ = ["allocate", "stratified_sample"]


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split `n` draws over strata of `sizes` by largest remainder (Hamilton's method).

    Each stratum gets the floor of its proportional quota, the leftover draws go to the largest
    remainders (ties: larger stratum, then name). When `n` is at least the number of strata, any
    stratum left at zero takes one draw from the stratum furthest above its quota, so that every
    category is covered; per-category rates need at least one case.
    """
    total = sum(sizes.values())
    if n < 0:
        raise ValueError(f"sample size must be >= 0, got {n}")
    if n >= total:
        return dict(sizes)
    quotas = {name: Fraction(n * size, total) for name, size in sizes.items()}
    counts = {name: int(quota) for name, quota in quotas.items()}
    order = sorted(sizes, key=lambda name: (-(quotas[name] - counts[name]), -sizes[name], name))
    for name in order[: n - sum(counts.values())]:
        counts[name] += 1
    if n >= len(sizes):
        for name in sorted(name for name, count in counts.items() if count == 0 and sizes[name]):
            donor = max(
                (d for d in counts if counts[d] > 1),
                key=lambda d: (counts[d] - quotas[d], sizes[d], d),
            )
            counts[donor] -= 1
            counts[name] = 1
    return counts


def stratified_sample(cases: Sequence[Case], n: int, seed: int) -> list[Case]:
    """Pick `n` cases, allocated to categories in proportion (see `allocate`), deterministically.

    Within a category the cases are sorted by id before `random.Random(seed)` draws, so the same
    suite, `n` and seed give the same sample on any machine and in any input order. Returns every
    case when `n >= len(cases)`. Output is sorted by category, then id.
    """
    if n < 0:
        raise ValueError(f"sample size must be >= 0, got {n}")
    by_category: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_category[case.category].append(case)
    counts = allocate({name: len(group) for name, group in by_category.items()}, n)
    rng = random.Random(seed)
    chosen: list[Case] = []
    for name in sorted(by_category):
        group = sorted(by_category[name], key=lambda case: (case.id, case.suite))
        chosen.extend(rng.sample(group, counts[name]))
    return sorted(chosen, key=lambda case: (case.category, case.id, case.suite))
