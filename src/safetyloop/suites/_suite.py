"""`Suite`: a named, licensed, versioned collection of cases."""

from __future__ import annotations

from collections import Counter
from typing import Self

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from safetyloop._hashing import content_hash
from safetyloop.suites._case import Case

__all__ = ["Suite"]


class Suite(BaseModel):
    """A set of cases with the attribution its licence requires.

    Attributes:
        name: Registry name (or the file stem for a user suite); every case carries it.
        description: One line for listings.
        source: Where the data comes from (paper, repository, release), for attribution.
        license: The licence the data is distributed under.
        cases: The cases, ids unique within the suite.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    source: str = ""
    license: str = ""
    cases: tuple[Case, ...]

    # (the cases tuple it was computed for, digest): `model_copy(update=...)` copies private
    # state, so the cache is only trusted for the very tuple it was computed from
    _version: tuple[tuple[Case, ...], str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_cases(self) -> Self:
        """Verdicts are keyed on (suite, id): a duplicate id or a foreign case would collide."""
        seen: set[str] = set()
        for case in self.cases:
            if case.suite != self.name:
                raise ValueError(
                    f"case {case.id!r} belongs to suite {case.suite!r}, not {self.name!r}"
                )
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r} in suite {self.name!r}")
            seen.add(case.id)
        return self

    @property
    def version(self) -> str:
        """Content hash over the cases: any edit to a prompt, label or category changes it.

        Description, source and licence are left out, so re-describing a suite keeps its version.
        """
        cached = self._version
        if cached is None or cached[0] is not self.cases:
            cached = (self.cases, content_hash([case.content_hash() for case in self.cases]))
            self._version = cached
        return cached[1]

    def categories(self) -> dict[str, int]:
        """Number of cases per category, sorted by category name."""
        return dict(sorted(Counter(case.category for case in self.cases).items()))

    def __len__(self) -> int:
        return len(self.cases)
