"""Attack strategies: objects that plan each turn; the driver executes and records them.

A strategy only decides what to send next. It talks to the world through an `AttackContext`
(implemented by the driver): `attack` asks the attacker target, `exchange` sends a conversation to
the target and has the judge read the answer, `record` stores a turn, backtrack or pruned branch.
A provider or judge failure raises `AttackError` out of the context, and the driver records the
conversation as an error — never as a failed or successful attack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from safetyloop._registry import Registry
from safetyloop.errors import InputError
from safetyloop.redteam._prompts import (
    crescendo_system,
    crescendo_turn,
    pair_feedback,
    pair_start,
    pair_system,
    parse_attacker,
)
from safetyloop.redteam._records import AttackSpec, Verdict
from safetyloop.redteam.transforms import get_transform
from safetyloop.suites import Message


class AttackError(Exception):
    """A call failed for good (provider error after retries, judge without a verdict)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one conversation.

    Attributes:
        max_turns: Turns (Crescendo, scripted), iterations (PAIR) or depth (TAP).
        max_backtracks: Crescendo backtracks; a backtrack does not spend a turn.
        budget: Most target calls per conversation, backtracks and branches included
            (None: no cap beyond the other limits).
        width: TAP: branches kept after each depth (pruning).
        branching: TAP: children the attacker proposes per kept branch.
    """

    max_turns: int = 3
    max_backtracks: int = 2
    budget: int | None = None
    width: int = 2
    branching: int = 2

    def __post_init__(self) -> None:
        for name in ("max_turns", "width", "branching"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.max_backtracks < 0 or (self.budget is not None and self.budget < 1):
            raise InputError("max_backtracks must be >= 0 and budget >= 1")


@dataclass(frozen=True)
class Exchange:
    """One prompt sent to the target, its answer and the judge's reading of it."""

    prompt: str
    response: str
    verdict: Verdict
    refused: bool
    data: dict[str, Any] = field(default_factory=dict)


class AttackContext(Protocol):
    """What a strategy may do; the driver implements it (and tests may)."""

    spec: AttackSpec
    limits: Limits

    def calls_left(self) -> int | None:
        """Target calls left under the budget (None: unbounded)."""

    async def attack(self, messages: Sequence[Message], *, seed: int = 0) -> str:
        """The attacker's reply to `messages` (raises AttackError)."""

    async def exchange(
        self, messages: Sequence[Message], data: dict[str, Any] | None = None
    ) -> Exchange:
        """Send `messages` (the last is the attack prompt) to the target and judge the answer."""

    async def on_topic(self, prompt: str) -> bool | None:
        """Whether `prompt` still asks for the objective (None: the judge could not say)."""

    def record(self, kind: str, turn: int, exchange: Exchange, branch: str = "") -> None:
        """Store a "turn" or "backtrack"."""

    def record_pruned(self, turn: int, branch: str, prompt: str, reason: str) -> None:
        """Store a TAP branch pruned before or after it was sent."""


class Strategy(ABC):
    """Plans the turns of one attack on `ctx.spec.objective`."""

    name: str
    #: Whether the strategy needs an attacker target.
    needs_attacker: bool = False

    @abstractmethod
    async def run(self, ctx: AttackContext) -> None:
        """Run the attack to its end (success, limits, or budget)."""


def _user(text: str) -> Message:
    return Message(role="user", content=text)


def _assistant(text: str) -> Message:
    return Message(role="assistant", content=text)


def _budget_ok(ctx: AttackContext) -> bool:
    left = ctx.calls_left()
    return left is None or left > 0


class SingleTurn(Strategy):
    """One prompt: the request rewritten by a transform (`spec.technique`)."""

    name = "single"

    async def run(self, ctx: AttackContext) -> None:
        prompt = get_transform(ctx.spec.technique).apply(ctx.spec.objective, ctx.spec.seed)
        ctx.record(
            "turn", 1, await ctx.exchange([_user(prompt)], {"transform": ctx.spec.technique})
        )


class Scripted(Strategy):
    """A fixed escalation plan (`spec.metadata["turns"]`), the target keeping the history."""

    name = "scripted"

    async def run(self, ctx: AttackContext) -> None:
        history: list[Message] = []
        stop = bool(ctx.spec.metadata.get("stop_on_success", True))
        for turn, step in enumerate(ctx.spec.metadata["turns"], start=1):
            if not _budget_ok(ctx):
                return
            prompt = str(step).format(objective=ctx.spec.objective)
            done = await ctx.exchange([*history, _user(prompt)], {"plan": ctx.spec.technique})
            ctx.record("turn", turn, done)
            history += [_user(prompt), _assistant(done.response)]
            if stop and done.verdict.success:
                return


class Crescendo(Strategy):
    """Crescendo (Russinovich et al., 2024): small benign-looking steps toward the objective.

    The attacker plans each next question from the target's last answer. A refused question is
    backtracked: recorded, removed from the target's history, and retried without spending a
    turn, up to `max_backtracks` times; after that a refusal spends its turn.
    """

    name = "crescendo"
    needs_attacker = True

    async def run(self, ctx: AttackContext) -> None:
        limits = ctx.limits
        planner = [_system(crescendo_system(ctx.spec.objective, limits.max_turns))]
        history: list[Message] = []
        turn, backtracks = 1, 0
        last: str | None = None
        refused = False
        while turn <= limits.max_turns and _budget_ok(ctx):
            planner.append(_user(crescendo_turn(turn, limits.max_turns, last, refused)))
            raw = await ctx.attack(planner)
            planner.append(_assistant(raw))
            prompt, parsed = parse_attacker(raw)
            if not prompt:
                raise AttackError("the attacker proposed an empty question")
            done = await ctx.exchange(
                [*history, _user(prompt)], {"attacker": raw, "parsed": parsed}
            )
            last, refused = done.response, done.refused
            if done.refused and backtracks < limits.max_backtracks:
                ctx.record("backtrack", turn, done)
                backtracks += 1
                continue
            ctx.record("turn", turn, done)
            history += [_user(prompt), _assistant(done.response)]
            if done.verdict.success:
                return
            turn += 1


def _system(text: str) -> Message:
    return Message(role="system", content=text)


#: Attacker turns kept in its context (the system prompt is always kept).
_ATTACKER_MEMORY = 4


class Pair(Strategy):
    """PAIR (Chao et al., 2023): attacker proposes, target answers alone, judge scores, repeat."""

    name = "pair"
    needs_attacker = True

    async def run(self, ctx: AttackContext) -> None:
        system = _system(pair_system(ctx.spec.objective))
        dialogue: list[Message] = [_user(pair_start(ctx.spec.objective))]
        for turn in range(1, ctx.limits.max_turns + 1):
            if not _budget_ok(ctx):
                return
            raw = await ctx.attack([system, *dialogue[-_ATTACKER_MEMORY * 2 + 1 :]])
            prompt, parsed = parse_attacker(raw)
            if not prompt:
                raise AttackError("the attacker proposed an empty prompt")
            done = await ctx.exchange([_user(prompt)], {"attacker": raw, "parsed": parsed})
            ctx.record("turn", turn, done)
            if done.verdict.success:
                return
            dialogue += [
                _assistant(raw),
                _user(pair_feedback(done.response, ctx.spec.objective, done.verdict.score)),
            ]


@dataclass
class _Branch:
    id: str
    dialogue: list[Message]


class Tap(Strategy):
    """Tree of Attacks with Pruning (Mehrotra et al., 2024).

    Each kept branch asks the attacker for `branching` refinements (sampled with distinct seeds);
    empty, duplicate and off-topic proposals (the judge target's YES/NO on whether the prompt
    still asks for the objective; a scorer judge keeps all) are pruned before they are sent
    (phase 1), and after scoring only the `width` best branches survive to the next depth
    (phase 2). Depth = turn.
    """

    name = "tap"
    needs_attacker = True

    async def run(self, ctx: AttackContext) -> None:
        limits = ctx.limits
        system = _system(pair_system(ctx.spec.objective))
        leaves = [_Branch("0", [_user(pair_start(ctx.spec.objective))])]
        seen: set[str] = set()
        for depth in range(1, limits.max_turns + 1):
            scored: list[tuple[float, _Branch]] = []
            for leaf in leaves:
                for b in range(limits.branching):
                    child = f"{leaf.id}.{b}"
                    if not _budget_ok(ctx):  # before asking the attacker and judge for nothing
                        ctx.record_pruned(depth, child, "", "budget spent")
                        return
                    raw = await ctx.attack(
                        [system, *leaf.dialogue[-_ATTACKER_MEMORY * 2 + 1 :]], seed=b
                    )
                    prompt, parsed = parse_attacker(raw)
                    if not prompt or prompt in seen:
                        ctx.record_pruned(depth, child, prompt, "empty or duplicate proposal")
                        continue
                    seen.add(prompt)
                    topical = await ctx.on_topic(prompt)
                    if topical is False:
                        ctx.record_pruned(depth, child, prompt, "off topic")
                        continue
                    done = await ctx.exchange(
                        [_user(prompt)],
                        {"attacker": raw, "parsed": parsed, "parent": leaf.id, "on_topic": topical},
                    )
                    ctx.record("turn", depth, done, branch=child)
                    if done.verdict.success:
                        return
                    feedback = pair_feedback(done.response, ctx.spec.objective, done.verdict.score)
                    dialogue = [*leaf.dialogue, _assistant(raw), _user(feedback)]
                    scored.append((done.verdict.score, _Branch(child, dialogue)))
            scored.sort(key=lambda item: (-item[0], item[1].id))
            for _, dropped in scored[limits.width :]:
                ctx.record_pruned(depth, dropped.id, "", f"not among the {limits.width} best")
            leaves = [branch for _, branch in scored[: limits.width]]
            if not leaves:
                return


def _accept(name: str, loaded: object) -> type[Strategy]:
    if not (isinstance(loaded, type) and issubclass(loaded, Strategy)):
        raise TypeError(f"{loaded!r} is not a Strategy subclass")
    return loaded


#: Every strategy class by name (the built-ins here, plugins through entry points).
STRATEGIES: Registry[type[Strategy]] = Registry("strategy", "safetyloop.strategies", accept=_accept)
for _builtin in (SingleTurn, Scripted, Crescendo, Pair, Tap):
    STRATEGIES.register(_builtin.name, _builtin)


def get_strategy(name: str) -> Strategy:
    """A fresh strategy object by name."""
    return STRATEGIES.get(name)()
