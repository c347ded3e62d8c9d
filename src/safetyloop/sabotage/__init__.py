"""Sabotage evaluations: main tasks with hidden side tasks in the sandboxed workspace, a monitor
reading every transcript, and the rates a risk report argues from (main-task success, side-task
success, evasion, monitor AUC), each with an interval.

The workspace, episodes and stored runs are capability's (`safetyloop.capability`), which in
turn are agentic's loop and sandbox: one definition shared by both stages.
"""

from safetyloop.sabotage._monitor import MONITOR_PROMPT, monitor_suspicion, transcript
from safetyloop.sabotage._pairs import Pair, PairFile, Send, bundled_pairs_file, load_pairs
from safetyloop.sabotage._run import (
    EpisodeOutcome,
    SabotageConfig,
    SabotageRequest,
    attack_prompt,
    run_sabotage,
)
from safetyloop.sabotage._summary import (
    METRICS,
    Figure,
    PairMetrics,
    SabotageReport,
    latest_run_id,
    measurements,
    summarise,
)

__all__ = [
    "METRICS",
    "MONITOR_PROMPT",
    "EpisodeOutcome",
    "Figure",
    "Pair",
    "PairFile",
    "PairMetrics",
    "SabotageConfig",
    "SabotageReport",
    "SabotageRequest",
    "Send",
    "attack_prompt",
    "bundled_pairs_file",
    "latest_run_id",
    "load_pairs",
    "measurements",
    "monitor_suspicion",
    "run_sabotage",
    "summarise",
    "transcript",
]
