"""`Suite`: its version follows its content and nothing else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safetyloop.suites import Case, Expected, Message, Suite, load_suite


def make_case(case_id: str, prompt: str = "hello", category: str = "a") -> Case:
    return Case(
        id=case_id,
        suite="s",
        category=category,
        messages=(Message(role="user", content=prompt),),
        expected=Expected.REFUSE,
    )


def make_suite(*cases: Case, description: str = "") -> Suite:
    return Suite(name="s", description=description, cases=cases)


def test_version_is_stable_for_equal_content() -> None:
    one = make_suite(make_case("1"), make_case("2"))
    two = make_suite(make_case("1"), make_case("2"), description="re-described")
    assert one.version == two.version
    assert len(one.version) == 64


def test_version_changes_when_a_prompt_changes() -> None:
    base = make_suite(make_case("1"), make_case("2"))
    edited = make_suite(make_case("1"), make_case("2", prompt="hello!"))
    assert base.version != edited.version


def test_version_changes_when_a_category_changes() -> None:
    assert make_suite(make_case("1")).version != make_suite(make_case("1", category="b")).version


def test_bundled_version_changes_when_one_prompt_is_edited() -> None:
    suite = load_suite("strongreject")
    cases = list(suite.cases)
    first = cases[0]
    cases[0] = first.model_copy(
        update={"messages": (Message(role="user", content=first.prompt + " "),)}
    )
    assert suite.version  # computed and cached before the copy
    edited = suite.model_copy(update={"cases": tuple(cases)})
    assert edited.version != suite.version
    rebuilt = Suite.model_validate(edited.model_dump())
    assert rebuilt.version == edited.version
    assert Suite.model_validate(suite.model_dump()).version == suite.version


def test_categories_counts() -> None:
    suite = make_suite(make_case("1", category="b"), make_case("2"), make_case("3", category="b"))
    assert suite.categories() == {"a": 1, "b": 2}
    assert len(suite) == 3


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate case id"):
        make_suite(make_case("1"), make_case("1"))


def test_foreign_case_is_rejected() -> None:
    with pytest.raises(ValidationError, match="belongs to suite"):
        Suite(name="other", cases=(make_case("1"),))
