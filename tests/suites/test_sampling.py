"""Stratified sampling: size, proportionality, coverage and determinism, as properties."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from safetyloop.suites import Case, Expected, Message, load_suite, stratified_sample


def make_cases(sizes: list[int]) -> list[Case]:
    return [
        Case(
            id=f"c{k}-{i:03d}",
            suite="s",
            category=f"cat{k}",
            messages=(Message(role="user", content=f"prompt {k} {i}"),),
            expected=Expected.REFUSE,
        )
        for k, size in enumerate(sizes)
        for i in range(size)
    ]


sizes_st = st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(sizes=sizes_st, n=st.integers(min_value=0, max_value=200), seed=st.integers())
def test_sample_properties(sizes: list[int], n: int, seed: int) -> None:
    cases = make_cases(sizes)
    sample = stratified_sample(cases, n, seed)
    total, strata = len(cases), len(sizes)

    assert len(sample) == min(n, total)
    assert len({c.key for c in sample}) == len(sample)
    assert {c.key for c in sample} <= {c.key for c in cases}
    assert sample == sorted(sample, key=lambda c: (c.category, c.id))

    counts = Counter(c.category for c in sample)
    quotas = {f"cat{k}": Fraction(min(n, total) * size, total) for k, size in enumerate(sizes)}
    if n >= strata:
        assert all(counts[name] >= 1 for name in quotas)
    if n < strata or all(q >= 1 for q in quotas.values()):
        # the at-least-one rule never binds here: pure largest remainder, within 1 of the share
        assert all(abs(counts[name] - q) < 1 for name, q in quotas.items())


@settings(max_examples=100, deadline=None)
@given(sizes=sizes_st, n=st.integers(min_value=0, max_value=200), seed=st.integers())
def test_sample_is_deterministic_and_order_independent(sizes: list[int], n: int, seed: int) -> None:
    cases = make_cases(sizes)
    first = stratified_sample(cases, n, seed)
    assert stratified_sample(cases, n, seed) == first
    assert stratified_sample(list(reversed(cases)), n, seed) == first


def test_all_cases_when_n_is_large() -> None:
    cases = make_cases([3, 2])
    assert stratified_sample(cases, 10, 0) == sorted(cases, key=lambda c: (c.category, c.id))


def test_different_seeds_differ_on_a_real_suite() -> None:
    cases = load_suite("donotanswer").cases
    one, two = stratified_sample(cases, 50, 1), stratified_sample(cases, 50, 2)
    assert one != two
    assert Counter(c.category for c in one) == Counter(c.category for c in two)
    assert len(Counter(c.category for c in one)) == 5


def test_small_categories_are_covered() -> None:
    sample = stratified_sample(make_cases([100, 1, 1, 1]), 4, seed=3)
    assert Counter(c.category for c in sample) == {"cat0": 1, "cat1": 1, "cat2": 1, "cat3": 1}
