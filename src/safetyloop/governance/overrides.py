"""A reviewer overrides a borderline verdict: the gate then counts their label, not the scorer's.

A verdict the scorer was unsure of is queued as a `borderline` review item. Whoever may decide
that item (the queue's own rules: `reviews.may_decide`) may relabel the verdict, with a reason;
the override is stored beside the scorer's verdict, which stays as it was, and audited as
`verdict.overridden` in the same transaction. One override per verdict.
"""

from __future__ import annotations

from safetyloop.clock import Clock, SystemClock
from safetyloop.errors import InputError
from safetyloop.governance._policy import Policy, load_policy
from safetyloop.governance._routing import borderline_subject, borderline_verdict
from safetyloop.governance._session import Refused
from safetyloop.governance.reviews import ReviewItem, list_reviews, may_decide
from safetyloop.scoring import ERROR, SCORERS, Score
from safetyloop.store import Store
from safetyloop.store.governance import (
    VerdictOverride,
    get_review_record,
    governed,
    verdict_overrides,
)

__all__ = [
    "VerdictOverride",
    "borderline_item",
    "borderline_verdict",
    "override_labels",
    "override_verdict",
    "relabelled",
    "verdict_overrides",
]

#: The review rule whose items' verdicts can be overridden.
BORDERLINE = "borderline"


def override_verdict(
    store: Store,
    item_id: str,
    *,
    label: str,
    reason: str,
    actor: str,
    roles: list[str],
    policy: Policy | None = None,
    clock: Clock | None = None,
) -> VerdictOverride:
    """Relabel the verdict borderline review item `item_id` is about.

    Raises `InputError` (exit 2) for an unknown item, an item of another rule, a label the
    scorer does not give or no reason; `Refused` (exit 1) when the actor may not decide the
    item or the verdict is overridden already.
    """
    if not reason.strip():
        raise InputError("an override needs a reason (--reason)")
    found = get_review_record(store, item_id)
    if found is None:
        raise InputError(f"no review item {item_id!r}", hint="see `safetyloop review list`")
    item = found[0]
    if item.rule != BORDERLINE or item.run_id is None:
        raise InputError(
            f"review {item_id} is a {item.rule} item: only a borderline verdict can be overridden"
        )
    case_key, scorer = borderline_verdict(item.subject)
    verdict = next(
        (v for v in store.borderline(item.run_id) if (v.case_key, v.scorer) == (case_key, scorer)),
        None,
    )
    if verdict is None:
        raise InputError(f"run {item.run_id} has no borderline verdict of {scorer} on {case_key}")
    _check_label(scorer, label, verdict.label)
    the_policy = policy or load_policy()
    the_clock = clock or SystemClock()
    with governed(store) as tx:
        row = tx.review_for_update(item_id)
        assert row is not None  # items are never deleted
        role = may_decide(tx, row, actor, roles, the_policy)
        if tx.override_of(item.run_id, case_key, verdict.scorer_version):
            raise Refused(f"the verdict of {scorer} on {case_key} is overridden already")
        done = VerdictOverride(
            run_id=item.run_id,
            case_key=case_key,
            scorer=scorer,
            scorer_version=verdict.scorer_version,
            was=verdict.label,
            label=label,
            reviewer=actor,
            reason=reason,
            review_id=item_id,
            created_at=the_clock.now(),
        )
        tx.add_override(done)
        payload = {
            "item_id": item_id,
            "run_id": item.run_id,
            "case_key": case_key,
            "scorer": scorer,
            "scorer_version": verdict.scorer_version,
            "was": verdict.label,
            "label": label,
            "role": role,
            "reason": reason,
        }
        tx.audit(actor, "verdict.overridden", payload, the_clock)
    return done


def override_labels(scorer: str) -> list[str] | None:
    """The labels an override of `scorer`'s verdicts may give: the scorer's own but `error`;
    None for a scorer not registered here (an imported one: any label but `error`)."""
    known = getattr(SCORERS.find(scorer), "labels", None)
    return [x for x in known if x != ERROR] if known else None


def _check_label(scorer: str, label: str, was: str) -> None:
    """A label the scorer could have given, and not the one it gave."""
    allowed = override_labels(scorer)
    if label == ERROR or not label.strip() or (allowed is not None and label not in allowed):
        choices = f": one of {', '.join(allowed)}" if allowed else ""
        raise InputError(f"{label!r} is no label of {scorer} to override with{choices}")
    if label == was:
        raise InputError(f"{scorer} already said {label!r}: nothing to override")


def borderline_item(store: Store, run_id: str, case_key: str, scorer: str) -> ReviewItem | None:
    """The borderline review item about this verdict, when one is queued."""
    subject = borderline_subject(case_key, scorer)
    return next(
        (
            r
            for r in list_reviews(store, run_id=run_id)
            if r.rule == BORDERLINE and r.subject == subject
        ),
        None,
    )


def relabelled(
    scores: dict[str, Score], scorer_version: str, overrides: list[VerdictOverride]
) -> dict[str, Score]:
    """A scorer version's verdicts by case key, overridden ones with the reviewer's label."""
    out = dict(scores)
    for o in overrides:
        score = out.get(o.case_key)
        if o.scorer_version == scorer_version and score is not None:
            out[o.case_key] = score.model_copy(
                update={"label": o.label, "explanation": f"overridden by {o.reviewer}: {o.reason}"}
            )
    return out
