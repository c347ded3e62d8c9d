"""Each probe family's invariant: the worse answer differs from the better one only in the
intended way, and the same seed gives the same pairs."""

from __future__ import annotations

import re

import pytest

from safetyloop.reward import FAMILIES, TAXONOMY, ProbePair, words
from safetyloop.reward._probes import (
    COMPLIANCE,
    CONFIDENCE,
    EMOJI,
    FILLER,
    FLATTERY,
    KEYWORDS,
    MAX_WORDS,
    REFUSAL,
    SYCOPHANCY,
)
from safetyloop.reward._sources import COMPLY, REFUSE, facts, xstest


def pairs(name: str) -> list[ProbePair]:
    return FAMILIES.get(name).pairs(seed=0, limit=100)


def test_every_family_maps_to_the_taxonomy_and_is_seeded() -> None:
    assert set(FAMILIES.names()) == {
        "length",
        "flattery",
        "format",
        "sycophancy",
        "confident_wrong",
        "harmful",
        "over_refusal",
        "position",
    }
    for name in FAMILIES.names():
        family = FAMILIES.get(name)
        assert family.taxonomy in TAXONOMY
        first, again = family.pairs(3, 20), family.pairs(3, 20)
        assert first == again and first, name
        assert all(p.better != p.worse for p in first)
        assert len({p.source for p in first}) == len(first)  # one pair a source prompt


def test_seeds_change_samples_and_orders() -> None:
    a, b = FAMILIES.get("length").pairs(0, 30), FAMILIES.get("length").pairs(1, 30)
    assert [p.source for p in a] != [p.source for p in b]
    assert 0.2 < sum(p.better_first for p in pairs("harmful")) / 100 < 0.8


def test_length_pads_the_same_answer_with_filler_only() -> None:
    for p in pairs("length"):
        assert p.worse.startswith(p.better + " ")
        rest = p.worse[len(p.better) + 1 :]
        added = re.split(r"(?<=\.) ", rest)
        assert all(s in FILLER for s in added) and len(set(added)) == len(added)
        assert p.transform == f"pad{len(added)}"
        assert p.added_words > 0 and words(p.better) <= MAX_WORDS


def test_flattery_wraps_the_same_answer() -> None:
    for p in pairs("flattery"):
        opener = next(f for f in FLATTERY if p.worse.startswith(f + " "))
        closer = next(k for k in KEYWORDS if p.worse.endswith(" " + k))
        assert p.worse == f"{opener} {p.better} {closer}"


def test_format_keeps_every_sentence_and_word() -> None:
    for p in pairs("format"):
        assert not re.search(r"[*#`]", p.better)
        stripped = re.sub(r"^- \*\*|\*\*( [" + "".join(EMOJI) + "])?$", "", p.worse, flags=re.M)
        assert stripped.split("\n") == re.split(r"(?<=[.!?])\s+", p.better.strip())
        assert words(p.worse) == words(p.better)


def test_sycophancy_swaps_only_the_claim_and_the_opener() -> None:
    by_id = {f.id: f for f in facts()}
    for p in pairs("sycophancy"):
        fact = by_id[p.source]
        k = int(p.transform.removeprefix("frame"))
        correcting, agreeing = SYCOPHANCY[k]
        assert p.prompt.startswith(f"I'm fairly sure the answer is {fact.wrong}.")
        assert p.better == f"{correcting} the answer is {fact.correct}, not {fact.wrong}."
        assert p.worse == f"{agreeing} the answer is {fact.wrong}, not {fact.correct}."
        assert words(p.better) == words(p.worse)


def test_confident_wrong_pairs_matched_frames() -> None:
    by_id = {f.id: f for f in facts()}
    for hedged, confident in CONFIDENCE:
        assert words(hedged.format(a="")) == words(confident.format(a=""))
    for p in pairs("confident_wrong"):
        fact = by_id[p.source]
        hedged, confident = CONFIDENCE[int(p.transform.removeprefix("frame"))]
        assert p.prompt == fact.question
        assert p.better == hedged.format(a=fact.correct)
        assert p.worse == confident.format(a=fact.wrong)


def test_harmful_pairs_are_human_labelled_or_matched_templates() -> None:
    labelled = {r.id: r for r in xstest()}
    got = pairs("harmful")
    assert {p.transform for p in got} >= {"xstest-human", "advbench-template0"}
    for p in got:
        if p.transform == "xstest-human":
            row = labelled[p.source]
            assert row.unsafe and p.prompt == row.prompt
            assert (REFUSE, p.better) in row.answers.values()
            assert (COMPLY, p.worse) in row.answers.values()
        else:
            k = int(p.transform.removeprefix("advbench-template"))
            task = p.prompt.rstrip(".")
            assert p.better == REFUSAL[k].format(task=task)
            assert p.worse == COMPLIANCE[k].format(task=task)


def test_over_refusal_pairs_are_safe_prompts_with_human_labels() -> None:
    labelled = {r.id: r for r in xstest()}
    for p in pairs("over_refusal"):
        row = labelled[p.source]
        assert not row.unsafe
        assert (COMPLY, p.better) in row.answers.values()
        assert (REFUSE, p.worse) in row.answers.values()


@pytest.mark.parametrize("template", REFUSAL + COMPLIANCE)
def test_harmful_templates_name_the_task(template: str) -> None:
    assert "{task}" in template


def test_position_reuses_pairs_shown_both_ways() -> None:
    got = pairs("position")
    assert FAMILIES.get("position").swapped
    assert {p.transform for p in got} == {"from-sycophancy", "from-harmful"}


@pytest.mark.parametrize("name", ["length", "flattery", "format", "harmful", "sycophancy"])
def test_a_larger_limit_keeps_every_earlier_pair(name: str) -> None:
    family = FAMILIES.get(name)
    small, large = set(family.pairs(5, 20)), set(family.pairs(5, 1000))
    assert small <= large
