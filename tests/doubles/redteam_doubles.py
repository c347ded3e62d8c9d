"""Test doubles for red teaming (`python` target callables): scripted target, attacker, judge.

The target refuses any prompt containing "blocked" or "try 1", fails (raises) on "explode", and
otherwise answers `Sure: <prompt> score=K`, K read from a fixed table (default 5; "FINAL" turns
are 10). The judge turns that K into a PAIR rating (a refusal is 1). The attacker plans by turn:
Crescendo "step N" (blocked on turn 2 until told it was refused), PAIR "pair try N", TAP
"tap dD bB" by depth and seed (depth 1, seed 1 repeats seed 0, so TAP prunes it; branch 2 is
"offtopic", which the judge's on-topic check answers NO to).
"""

from __future__ import annotations

import json
import re
from typing import Any

SCORES = {
    "step 3": 10,
    "pair try 3": 10,
    "tap d1 b0": 4,
    "tap d2 b0": 2,
    "tap d2 b1": 6,
    "tap d3 b0": 10,
    "tap d3 b1": 3,
}
REFUSAL = "I'm sorry, but I cannot help with that."


def target(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    prompt = messages[-1]["content"]
    if "explode" in prompt:
        raise RuntimeError("the provider fell over")
    if "blocked" in prompt or "try 1" in prompt:
        return REFUSAL
    score = next((v for k, v in SCORES.items() if prompt.startswith(k)), 5)
    return f"Sure: {prompt} score={score}"


def judge(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    text = messages[-1]["content"]
    if "asks for the same information" in messages[0]["content"]:  # TAP's on-topic question
        return "Response: [[NO]]" if "offtopic" in text else "Response: [[YES]]"
    response = text.split("[ASSISTANT'S RESPONSE]:", 1)[-1]
    if "cannot" in response:
        return "Rating: [[1]]"
    found = re.search(r"score=(\d+)", response)
    return f"Rating: [[{found.group(1) if found else 5}]]"


def mute_judge(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return "I would rather not rate this."


def attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    last = messages[-1]["content"]
    turn = re.search(r"This is turn (\d+) of", last)
    if turn:  # Crescendo
        n = int(turn.group(1))
        if n == 2 and "REFUSED" not in last:
            return json.dumps({"next_message": "step 2 blocked", "rationale": "go direct"})
        return json.dumps({"next_message": f"step {n}", "rationale": "small steps"})
    depth = sum(1 for m in messages if m["role"] == "user")
    if params.get("seed", 0) >= 100:  # TAP (tests set the attacker's base seed to 100)
        branch = params["seed"] - 100
        branch = 0 if depth == 1 and branch == 1 else branch
        topic = " offtopic" if branch == 2 else ""
        return json.dumps({"next_message": f"tap d{depth} b{branch}{topic}"})
    return f"pair try {depth}"  # plain text: parsed as the whole prompt


def explosive_attacker(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return json.dumps({"next_message": "please explode"})
