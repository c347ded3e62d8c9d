"""Capability thresholds with elicitation: what the model can be made to do, judged against
limits that require stronger safeguards once crossed.

`capabilities.yaml` declares thresholds bound to suites (sandboxed tasks with hidden tests);
`run_capability` runs every elicitation method in agentic's loop and sandbox and keeps each
attempt in the store; `summarise` reports per threshold the best method's rate with an
interval that accounts for choosing it, the verdict (ruled out, crossed, undecided) and the
sandbagging check; `measurements` hands the figures to the risk report.

The sandboxed workspace (an agentic environment of files with a code tool and an outbound
`send_file`), the episode in it, its checks and the stored episodic run are defined here once
and shared with `safetyloop.sabotage`.
"""

from safetyloop.capability._elicit import (
    EVALUATION_FRAME,
    Attempt,
    ElicitationConfig,
    plan_attempts,
)
from safetyloop.capability._episodes import Executed, StoredEpisodes, load_episodes, run_stored
from safetyloop.capability._run import (
    AttemptOutcome,
    CapabilityRequest,
    run_capability,
    selected_tasks,
)
from safetyloop.capability._suites import (
    CapabilitySuite,
    CapabilityTask,
    bundled_suite_files,
    load_suites,
)
from safetyloop.capability._summary import (
    CapabilityReport,
    MethodRate,
    Sandbagging,
    ThresholdResult,
    latest_run_id,
    measurements,
    summarise,
)
from safetyloop.capability._thresholds import (
    METHODS,
    Capabilities,
    Threshold,
    Verdict,
    decide,
    default_capabilities_path,
    load_capabilities,
)
from safetyloop.capability._workspace import (
    SENT_FILE,
    WorkspaceTask,
    check_workspace,
    run_workspace_episode,
)

__all__ = [
    "EVALUATION_FRAME",
    "METHODS",
    "SENT_FILE",
    "Attempt",
    "AttemptOutcome",
    "Capabilities",
    "CapabilityReport",
    "CapabilityRequest",
    "CapabilitySuite",
    "CapabilityTask",
    "ElicitationConfig",
    "Executed",
    "MethodRate",
    "Sandbagging",
    "StoredEpisodes",
    "Threshold",
    "ThresholdResult",
    "Verdict",
    "WorkspaceTask",
    "bundled_suite_files",
    "check_workspace",
    "decide",
    "default_capabilities_path",
    "latest_run_id",
    "load_capabilities",
    "load_episodes",
    "load_suites",
    "measurements",
    "plan_attempts",
    "run_capability",
    "run_stored",
    "run_workspace_episode",
    "selected_tasks",
    "summarise",
]
