"""Who may decide: one role check for every governance act that ends something.

Approving a review, clearing a debt item and closing an incident all read the policy through
these two functions, so a role the policy bars from one (a release engineer) is barred from
all of them, and no command can end by one path what another refuses.
"""

from __future__ import annotations

from safetyloop.governance._policy import Policy
from safetyloop.governance._session import Refused

__all__ = ["approver_role", "refuse_forbidden_roles"]


def refuse_forbidden_roles(actor: str, roles: list[str], policy: Policy, act: str) -> None:
    """Raise `Refused` (exit 1) when `actor` holds a role the policy forbids, naming it.

    `act` completes the sentence "which may not ...", e.g. "approve reviews".
    """
    barred = sorted(set(roles) & set(policy.forbidden_roles))
    if barred:
        raise Refused(f"{actor} holds the role {', '.join(barred)}, which may not {act}")


def approver_role(actor: str, roles: list[str], policy: Policy, act: str) -> str:
    """The approver role `actor` acts in; `Refused` (exit 1) for a forbidden or missing role.

    `act` says what is being done ("clear debt debt-1a2b"), for the refusal message.
    """
    refuse_forbidden_roles(actor, roles, policy, act)
    allowed = [r for r in policy.approver_roles if r in roles]
    if not allowed:
        held = ", ".join(roles) or "none"
        raise Refused(
            f"{actor} holds no approver role ({', '.join(policy.approver_roles)}) to {act} "
            f"(holds: {held})",
            hint="an actor with an approver role in the roles file must do this",
        )
    return allowed[0]
