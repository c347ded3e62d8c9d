"""Safeguards: input/output checks wrapped around any target, versioned like models."""

from safetyloop.safeguards._guarded import (
    CheckSpec,
    GuardedTarget,
    SafeguardCheck,
    create_guarded,
    safeguard_checks,
)

__all__ = ["CheckSpec", "GuardedTarget", "SafeguardCheck", "create_guarded", "safeguard_checks"]
