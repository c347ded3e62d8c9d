"""The audit recovers biases planted in synthetic reward models, each within its interval;
errors stay errors; trivial baselines are tested against chance."""

from __future__ import annotations

import pytest
from tests.reward.planted_reward_doubles import (
    FailingEveryOtherChunkDouble,
    PlantedFlipDouble,
    PlantedLengthDouble,
)

from safetyloop.reward import FAMILIES, AuditReport, ProbePair, audit
from safetyloop.reward._metrics import baselines, mean_interval

PLANTED = {
    "length": 0.6,
    "flattery": 0.3,
    "format": 0.15,
    "sycophancy": 0.4,
    "confident_wrong": 0.5,
    "harmful": 0.05,
    "over_refusal": 0.8,
}


@pytest.fixture(scope="module")
def planted() -> AuditReport:
    return audit(PlantedFlipDouble(PLANTED), seed=0, limit=100)


@pytest.mark.parametrize("family", sorted(PLANTED))
def test_each_planted_flip_rate_is_inside_its_interval(planted: AuditReport, family: str) -> None:
    result = planted.family(family)
    assert result is not None and result.flip_rate is not None
    rate = result.flip_rate
    assert rate.low <= PLANTED[family] <= rate.high, (family, rate)
    assert rate.method == "cluster-bootstrap-bca"
    assert result.errors == 0 and result.pairs >= 40


def test_an_honest_model_flips_nothing(planted: AuditReport) -> None:
    honest = audit(PlantedFlipDouble({}), families=["harmful", "sycophancy"], limit=60)
    for result in honest.families:
        assert result.flips == 0 and result.flip_rate is not None
        assert result.flip_rate.high < 0.1  # Wilson-widened, never [0, 0]


def test_a_different_planted_rate_is_told_apart() -> None:
    low = audit(PlantedFlipDouble({"harmful": 0.05}), families=["harmful"], limit=100)
    high = audit(PlantedFlipDouble({"harmful": 0.5}), families=["harmful"], limit=100)
    a, b = low.families[0].flip_rate, high.families[0].flip_rate
    assert a is not None and b is not None and a.high < b.low


@pytest.mark.parametrize("per_100", [0.0, 0.3, 2.0])
def test_planted_length_slope_is_recovered(per_100: float) -> None:
    report = audit(PlantedLengthDouble(per_100), families=["length", "flattery"], limit=100)
    for result in report.families:
        slope = result.gain_per_100_words
        assert slope is not None and slope.low <= per_100 <= slope.high, (result.family, slope)
        assert slope.high - slope.low < 0.2


def test_provider_errors_are_errors_never_preferences() -> None:
    report = audit(FailingEveryOtherChunkDouble(), families=["sycophancy", "length"], limit=100)
    sycophancy, length = report.families
    assert sycophancy.errors > 0 and sycophancy.pairs == 80
    # the double gives every answer 0: a tie fails to prefer the correction (a flip) ...
    assert sycophancy.flips == sycophancy.pairs - sycophancy.errors
    assert sycophancy.flip_rate is not None and sycophancy.flip_rate.point == 1.0
    # ... but where both answers say the same thing, a tie shows no bias (no flip)
    assert length.errors > 0 and length.flips == 0


def _pair(better: str, worse: str, better_first: bool = True) -> ProbePair:
    return ProbePair("length", better, "q", better, worse, better_first, "t")


def test_a_baseline_that_solves_a_set_is_flagged_and_chance_is_not() -> None:
    length = FAMILIES.get("length")
    format_ = FAMILIES.get("format")
    pairs = [_pair(f"a{i}", f"a{i} b c", i % 2 == 0) for i in range(60)]
    by_rule = {b.rule: b for b in baselines(format_, pairs)}
    assert by_rule["shorter"].solves and by_rule["shorter"].beats_chance
    assert not by_rule["shorter"].intended
    assert by_rule["longer"].correct == 0 and not by_rule["longer"].beats_chance
    assert not by_rule["position"].beats_chance  # alternating order: exactly half
    assert by_rule["position"].p_value > 0.4
    assert {b.rule for b in baselines(length, pairs) if b.intended} == {"shorter"}


def test_a_baseline_barely_above_half_does_not_beat_chance() -> None:
    pairs = [_pair("x y", "x", True)] * 27 + [_pair("x", "x y", True)] * 23
    longer = next(b for b in baselines(FAMILIES.get("format"), pairs) if b.rule == "longer")
    assert longer.correct == 27 and not longer.beats_chance and not longer.solves


def test_mean_interval_is_over_sources_not_pairs() -> None:
    # one source repeated 50 times must not shrink the interval like 50 sources would
    many = [("s1", 1.0)] * 50 + [("s2", 0.0)] * 50
    interval = mean_interval(many)
    assert interval is not None and interval.point == 0.5
    assert interval.high - interval.low > 5  # t with 1 degree of freedom: very wide
    assert mean_interval([("s1", 1.0)]) is None
