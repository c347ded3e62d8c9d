"""Safeguards: input/output checks wrapped around any target, versioned like models."""

from safetyloop.safeguards._guarded import CheckSpec, GuardedTarget, create_guarded

__all__ = ["CheckSpec", "GuardedTarget", "create_guarded"]
