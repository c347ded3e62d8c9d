"""The bundled attacks and defences, registered on first lookup of their registries."""

from __future__ import annotations

from safetyloop.agentic._attacks import ATTACKS, bundled_attacks_path, load_attack_file

for _attack in load_attack_file(bundled_attacks_path()):
    ATTACKS.register(_attack.name, _attack)
