"""The driver: runs every planned conversation turn by turn, records everything, resumes.

`run_redteam` plans (attack set, targets, judge), finds an unfinished run of the same plan or
creates one, and runs each pending conversation with its strategy. Each turn, backtrack, pruned
branch and judge verdict is written as it happens. A conversation interrupted midway is redone
whole on resume; finished ones (ok or error) are not redone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.engine import Caller, RunnerSettings
from safetyloop.errors import InputError
from safetyloop.governance import Clock, SystemClock, audit
from safetyloop.redteam import _store as db
from safetyloop.redteam._attackset import AttackSetRequest, build_attack_set
from safetyloop.redteam._judge import Judge, JudgeCallError, ScorerJudge, TargetJudge
from safetyloop.redteam._records import AttackSpec, Outcome
from safetyloop.redteam.strategies import AttackError, Exchange, Limits, get_strategy
from safetyloop.scoring import scorer_names
from safetyloop.store import Store
from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, Target, build_target


@dataclass(frozen=True)
class RedteamRequest:
    """Everything that defines a red-team run; the same request resumes an interrupted run.

    Attributes:
        target: The target under test (spec or name in `targets_file`).
        attacker: Target that plans attacks (needed by crescendo, pair, tap).
        judge: Who decides success: a scorer name (`harm`: was the harmful help given) or a
            target spec asked for a PAIR rating.
        refusal_judge: Crescendo's refusal detector (a scorer or target); None: `judge`.
        attacks: Strategies, transforms and requests (see `AttackSetRequest`).
        limits: Turns, backtracks, budget and TAP shape per conversation.
        params: Generation parameters of the target.
        attacker_params: Generation parameters of the attacker (TAP varies the seed).
        concurrency: Conversations in flight at once.
    """

    target: str = "local"
    attacker: str | None = None
    judge: str = "harm"
    refusal_judge: str | None = "refusal"
    attacks: AttackSetRequest = field(default_factory=AttackSetRequest)
    limits: Limits = field(default_factory=Limits)
    params: GenerateParams = field(default_factory=lambda: GenerateParams(max_tokens=48))
    attacker_params: GenerateParams = field(
        default_factory=lambda: GenerateParams(max_tokens=96, temperature=0.7)
    )
    runner: RunnerSettings = field(default_factory=RunnerSettings)
    targets_file: Path | None = None
    store_url: str | None = None
    resume: bool = True
    concurrency: int = 2


ProgressStart = Callable[[int, int], None]  # (total conversations, already finished)


@dataclass
class _Parties:
    target: Target
    attacker: Target | None
    judge: Judge
    refusal_judge: Judge | None
    #: Every distinct target built for the run (a spec named twice is one object).
    built: list[Target]

    async def aclose(self) -> None:
        for target in self.built:
            await target.aclose()


class _Context:
    """One conversation's `AttackContext`: calls, judging, budget and event recording."""

    def __init__(
        self,
        spec: AttackSpec,
        conversation_id: int,
        request: RedteamRequest,
        parties: _Parties,
        store: Store,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self.limits = request.limits
        self._request = request
        self._parties = parties
        self._store = store
        self._clock = clock
        self._conversation_id = conversation_id
        self._target = Caller(parties.target, request.params, request.runner, store)
        self._calls = 0
        self._seq = 0
        self.events: list[db.Event] = []

    def calls_left(self) -> int | None:
        budget = self.limits.budget
        return None if budget is None else budget - self._calls

    async def attack(self, messages: Sequence[Message], *, seed: int = 0) -> str:
        attacker = self._parties.attacker
        if attacker is None:
            raise AttackError(f"strategy {self.spec.strategy} needs --attacker")
        params = self._request.attacker_params.model_copy(
            update={"seed": self._request.attacker_params.seed + seed}
        )
        result = await Caller(attacker, params, self._request.runner, self._store).ask(
            messages, "attacker"
        )
        if result.status != "ok" or result.response is None:
            raise AttackError(f"attacker call failed: {result.error}")
        return result.response

    async def exchange(
        self, messages: Sequence[Message], data: dict[str, Any] | None = None
    ) -> Exchange:
        self._calls += 1
        prompt = messages[-1].content
        result = await self._target.ask(messages, "target")
        if result.status != "ok" or result.response is None:
            self._error(prompt, f"target call failed: {result.error}", data)
            raise AttackError(f"target call failed: {result.error}")
        response = result.response
        verdict = await self._parties.judge.judge(self.spec.objective, prompt, response)
        if verdict.error:
            self._error(prompt, f"judge: {verdict.error}", data, response)
            raise AttackError(f"judge gave no verdict: {verdict.error}")
        refused = verdict.refused
        extra = dict(data or {})
        if self._parties.refusal_judge is not None:
            second = await self._parties.refusal_judge.judge(self.spec.objective, prompt, response)
            if second.error:
                self._error(prompt, f"refusal judge: {second.error}", data, response)
                raise AttackError(f"refusal judge gave no verdict: {second.error}")
            refused = second.refused
            extra["refusal_judge"] = second.model_dump(mode="json")
        extra["judge"] = verdict.model_dump(mode="json")
        return Exchange(prompt, response, verdict, refused, extra)

    async def on_topic(self, prompt: str) -> bool | None:
        try:
            return await self._parties.judge.on_topic(self.spec.objective, prompt)
        except JudgeCallError as exc:
            self._error(prompt, f"judge: {exc}", None)
            raise AttackError(str(exc)) from exc

    def _append(self, event: db.Event) -> None:
        db.append_event(self._store, self._conversation_id, event)
        self.events.append(event)
        self._seq += 1

    def _event(self, kind: str, turn: int, branch: str, prompt: str, **rest: Any) -> db.Event:
        return db.Event(
            seq=self._seq,
            kind=kind,
            turn=turn,
            branch=branch,
            prompt=prompt,
            response=rest.get("response"),
            score=rest.get("score"),
            label=rest.get("label"),
            refused=rest.get("refused"),
            data=rest.get("data") or {},
            at=self._clock.now(),
        )

    def record(self, kind: str, turn: int, exchange: Exchange, branch: str = "") -> None:
        self._append(
            self._event(
                kind,
                turn,
                branch,
                exchange.prompt,
                response=exchange.response,
                score=exchange.verdict.score,
                label=exchange.verdict.label,
                refused=exchange.refused,
                data={**exchange.data, "success": exchange.verdict.success},
            )
        )

    def record_pruned(self, turn: int, branch: str, prompt: str, reason: str) -> None:
        self._append(self._event("pruned", turn, branch, prompt, data={"reason": reason}))

    def _error(
        self, prompt: str, message: str, data: dict[str, Any] | None, response: str | None = None
    ) -> None:
        turn = max((e.turn for e in self.events), default=0) + 1
        self._append(
            self._event(
                "error",
                turn,
                "",
                prompt,
                response=response,
                data={**(data or {}), "error": message},
            )
        )


def outcome_of(spec: AttackSpec, events: Sequence[db.Event], error: str | None) -> Outcome:
    """Summarise a conversation from its events (pure: also used to re-derive stored ones)."""
    turns = [e for e in events if e.kind == "turn"]
    hits = [e.turn for e in turns if e.data.get("success")]
    scores = [e.score for e in turns if e.score is not None]
    return Outcome(
        attack_key=spec.key,
        status="error" if error else "ok",
        success=None if error else bool(hits),
        best_score=max(scores) if scores else None,
        first_failure_turn=min(hits) if hits and not error else None,
        turns=max((e.turn for e in turns), default=0),
        backtracks=sum(1 for e in events if e.kind == "backtrack"),
        error=error,
    )


def _parties(request: RedteamRequest, store: Store) -> _Parties:
    """Build the parties; one spec named twice (e.g. `local` as target and attacker) is one
    target object, so a local model is loaded once."""
    built: dict[str, Target] = {}

    def target(spec: str) -> Target:
        if spec not in built:
            built[spec] = build_target(spec, request.targets_file)
        return built[spec]

    def judge(spec: str) -> Judge:
        if spec in scorer_names():
            return ScorerJudge(spec)
        return TargetJudge(spec, target(spec), settings=request.runner, cache=store)

    return _Parties(
        target(request.target),
        target(request.attacker) if request.attacker else None,
        judge(request.judge),
        judge(request.refusal_judge) if request.refusal_judge else None,
        list(built.values()),
    )


def plan_hash(
    attack_set_hash: str, parties: _Parties, request: RedteamRequest
) -> tuple[str, dict[str, Any]]:
    """The run's identity and lineage: attack set, the three parties' versions, limits, params."""
    lineage: dict[str, Any] = {
        "attack_set_hash": attack_set_hash,
        "target": parties.target.describe(),
        "attacker": parties.attacker.describe() if parties.attacker else None,
        "judge": parties.judge.describe(),
        "refusal_judge": parties.refusal_judge.describe() if parties.refusal_judge else None,
        "limits": asdict(request.limits),
        "params": request.params.model_dump(mode="json"),
        "attacker_params": request.attacker_params.model_dump(mode="json"),
    }
    return content_hash(lineage), lineage


def run_redteam(
    request: RedteamRequest,
    *,
    on_start: ProgressStart | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    clock: Clock | None = None,
) -> db.RedteamRun:
    """Plan, run (resuming an unfinished run of the same plan) and record a red-team run."""
    attack_set = build_attack_set(request.attacks)
    needs = sorted(
        {s.strategy for s in attack_set.specs if get_strategy(s.strategy).needs_attacker}
    )
    if needs and request.attacker is None:
        raise InputError(
            f"strategies {', '.join(needs)} need an attacker target",
            hint="pass --attacker local (or any target spec)",
        )
    with Store(request.store_url) as store:
        parties = _parties(request, store)
        return asyncio.run(
            _execute(
                request,
                attack_set.specs,
                attack_set.hash,
                attack_set.suite_versions,
                parties,
                store,
                on_start,
                on_done,
                clock or SystemClock(),
            )
        )


async def _execute(
    request: RedteamRequest,
    specs: list[AttackSpec],
    attack_set_hash: str,
    suite_versions: dict[str, str],
    parties: _Parties,
    store: Store,
    on_start: ProgressStart | None,
    on_done: Callable[[Outcome], None] | None,
    clock: Clock,
) -> db.RedteamRun:
    digest, lineage = plan_hash(attack_set_hash, parties, request)
    lineage["suite_versions"] = suite_versions
    run = db.find_unfinished(store, digest) if request.resume else None
    payload: dict[str, Any]
    if run is None:
        run = db.create_run(
            store,
            plan_hash=digest,
            attack_set_hash=attack_set_hash,
            target_name=parties.target.name,
            target_version=parties.target.version,
            lineage=lineage,
            specs=specs,
            at=clock.now(),
        )
        action = "redteam.started"
    else:
        action = "redteam.resumed"
    payload = {"redteam_run": run.id, "plan_hash": digest, "attack_set_hash": attack_set_hash}
    audit.record(store, action, payload, clock=clock)
    todo = [c for c in db.conversations(store, run.id) if c.status in ("pending", "running")]
    if on_start:
        on_start(len(specs), len(specs) - len(todo))
    semaphore = asyncio.Semaphore(max(1, request.concurrency))

    async def one(conversation: db.Conversation) -> None:
        async with semaphore:
            db.start_conversation(store, conversation.id)
            ctx = _Context(conversation.spec, conversation.id, request, parties, store, clock)
            error: str | None = None
            try:
                await get_strategy(conversation.spec.strategy).run(ctx)
            except AttackError as exc:
                error = str(exc)
            outcome = outcome_of(conversation.spec, ctx.events, error)
            db.finish_conversation(store, conversation.id, outcome, clock.now())
        if on_done:
            on_done(outcome)

    try:
        await asyncio.gather(*(one(c) for c in todo))
    finally:
        await parties.aclose()
    db.finish_run(store, run.id, clock.now())
    audit.record(store, "redteam.finished", payload, clock=clock)
    return db.get_run(store, run.id)
