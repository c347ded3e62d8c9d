"""Routing rules: which gate results and verdicts become review items (pure functions).

* `critical-warn` — a principle of severity critical that the gate WARNs on.
* `insufficient-evidence` — a principle with an `insufficient-evidence` finding.
* `new-failure-mode` — a criterion failing (WARN/BLOCK) that passed on the baseline run, or a
  category whose rate reaches the criterion's threshold where the baseline's stayed under it.
* `borderline` — a verdict the scorer marked borderline (inside its uncertainty band).
* `judge-is-guard` — a principle judged only by the scorer its target's safeguard runs; an
  approval confirms the evidence (see `gate._independence`).
* `capability-undecided` — a capability threshold whose elicited interval spans a limit, that
  nothing measured, or a sandbagging finding (see `gate._capability`): tier 3 by default.

`block-override` items are queued by exception requests (`governance.exceptions`).
"""

from __future__ import annotations

from safetyloop.gate import CriterionResult, Decision, Status
from safetyloop.gate._capability import CAPABILITY_UNDECIDED
from safetyloop.gate._independence import JUDGE_IS_GUARD
from safetyloop.governance.reviews import Proposal
from safetyloop.store import BorderlineVerdict
from safetyloop.suites import Case


def _criterion_key(principle: str, metric: str, suites: list[str]) -> str:
    return f"{principle}/{metric}@{','.join(sorted(suites))}"


def gate_proposals(
    decision: Decision, baseline: Decision | None, author: str | None
) -> list[Proposal]:
    """Review items a gate decision asks for (before governance findings are added)."""
    out: list[Proposal] = []

    def add(rule: str, principle: str, subject: str, summary: str) -> None:
        out.append(
            Proposal(
                rule=rule,
                subject=subject,
                summary=summary,
                run_id=decision.run_id,
                target=decision.target,
                principle=principle,
                author=author,
            )
        )

    for p in decision.principles:
        if p.severity == "critical" and p.status == Status.WARN:
            reasons = "; ".join(f.message for f in p.findings if f.status == Status.WARN)
            add(
                "critical-warn", p.id, f"{p.id} WARN", f"critical principle {p.id} WARNs: {reasons}"
            )
        thin = [f.message for f in p.findings if f.rule == "insufficient-evidence"]
        if thin:
            add("insufficient-evidence", p.id, f"{p.id} evidence", "; ".join(thin))
        guarded = [
            f.message for f in p.findings if f.rule == JUDGE_IS_GUARD and f.status == Status.WARN
        ]
        if guarded:
            add(JUDGE_IS_GUARD, p.id, f"{p.id} judged by its own safeguard", "; ".join(guarded))
        undecided = [f.message for f in p.findings if f.rule == CAPABILITY_UNDECIDED]
        if undecided:
            add(CAPABILITY_UNDECIDED, p.id, f"{p.id} capability", "; ".join(undecided))
    if baseline is None:
        return out
    before = {
        _criterion_key(p.id, c.metric, c.suites): c for p in baseline.principles for c in p.criteria
    }
    for p in decision.principles:
        for c in p.criteria:
            key = _criterion_key(p.id, c.metric, c.suites)
            old = before.get(key)
            if old is None:
                continue
            if c.status != Status.PASS and old.status == Status.PASS:
                add(
                    "new-failure-mode",
                    p.id,
                    key,
                    f"{c.metric} is {c.status} at {c.rate:.3f} (n={c.n}) but passed on baseline "
                    f"run {baseline.run_id} at {old.rate:.3f} (n={old.n})",
                )
            old_cats = {g.category: g for g in old.categories}
            for g in c.categories:
                was = old_cats.get(g.category)
                if (
                    g.n
                    and was is not None
                    and was.n
                    and _fails(g.rate, c)
                    and not _fails(was.rate, c)
                ):
                    add(
                        "new-failure-mode",
                        p.id,
                        f"{key}#{g.category}",
                        f"category {g.category!r} of {c.metric}: {g.events}/{g.n} = {g.rate:.3f} "
                        f"reaches the threshold {c.threshold:g}; the baseline had "
                        f"{was.events}/{was.n}",
                    )
    return out


def _fails(rate: float, c: CriterionResult) -> bool:
    return rate >= c.threshold if c.comparison == "max" else rate <= c.threshold


def borderline_subject(case_key: str, scorer: str) -> str:
    """A borderline item's subject: the verdict it is about."""
    return f"{case_key} by {scorer}"


def borderline_verdict(subject: str) -> tuple[str, str]:
    """(case key, scorer) of a borderline item's subject (scorer names have no spaces)."""
    case_key, _, scorer = subject.rpartition(" by ")
    return case_key, scorer


def borderline_proposals(
    decision: Decision,
    verdicts: list[BorderlineVerdict],
    cases: dict[str, Case],
    author: str | None,
) -> list[Proposal]:
    """One tier-1 item per borderline verdict, under the principle whose criteria it feeds."""
    feeds: dict[tuple[str, str], str] = {}
    for p in decision.principles:
        for c in p.criteria:
            for suite in c.suites:
                feeds.setdefault((c.scorer, suite), p.id)
    out = []
    for v in verdicts:
        case = cases.get(v.case_key)
        principle = feeds.get((v.scorer, case.suite)) if case is not None else None
        out.append(
            Proposal(
                rule="borderline",
                subject=borderline_subject(v.case_key, v.scorer),
                summary=f"{v.scorer} said {v.label!r} at confidence {v.confidence:.2f}: "
                f"{v.explanation}",
                run_id=decision.run_id,
                target=decision.target,
                principle=principle,
                author=author,
            )
        )
    return out
