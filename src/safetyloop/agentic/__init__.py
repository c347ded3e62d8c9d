"""Agentic evaluation: tool-using agents in stateful environments, indirect prompt injection,
and scoring from the state an agent leaves, not from what it says.

Environments, user tasks, injection goals and attacks are data (`data/`); tools are typed
Python functions whose JSON schemas come from their type hints. `run_agentic` runs a target as
an agent (native tool calling where the target has it, the text protocol otherwise) on every
case and returns the trajectories, their outcomes and the rates with intervals;
`run_agent_stored` keeps every episode in the store and resumes an interrupted run.
"""

from safetyloop.agentic._attacks import (
    ATTACKS,
    Attack,
    attack_names,
    get_attack,
    load_attack_file,
)
from safetyloop.agentic._cases import build_cases, vectors_seen
from safetyloop.agentic._checks import Check, CheckContext, evaluate
from safetyloop.agentic._defences import (
    DEFENCES,
    Defence,
    DefenceSpec,
    InjectionDetector,
    Spotlight,
    ToolFilter,
    build_defences,
    create_defence,
    defence_names,
)
from safetyloop.agentic._environment import (
    ENVIRONMENTS,
    Environment,
    environment_names,
    get_environment,
    register_environment,
)
from safetyloop.agentic._incident_case import (
    Injection,
    Scenario,
    case_metadata,
    dump_checked,
    forbidden_action,
    is_agentic,
    run_scenario,
)
from safetyloop.agentic._loop import AgentLimits, Episode, run_episode
from safetyloop.agentic._metrics import AgenticMetrics, MetricGroup, Rate, rate, summarise
from safetyloop.agentic._protocol import FinalAction, ParseError, ToolAction, parse_action
from safetyloop.agentic._records import AgenticCase, Outcome, Step, ToolExecution, Trajectory
from safetyloop.agentic._request import AgentRunRequest, read_run, run_agent, write_run
from safetyloop.agentic._run import (
    AgenticRun,
    AgentRunConfig,
    agent_version,
    plan_cases,
    run_agentic,
    run_case,
    run_lineage,
)
from safetyloop.agentic._score import check_context, score_trajectory
from safetyloop.agentic._stored import StoredAgenticRun, load_stored_run, run_agent_stored
from safetyloop.agentic._tasks import (
    InjectionGoal,
    SolutionCall,
    TaskFile,
    TaskSet,
    UserTask,
    bundled_task_files,
    load_task_file,
    load_tasks,
)
from safetyloop.agentic._tools import Tool, ToolFailure, tool

__all__ = [
    "ATTACKS",
    "DEFENCES",
    "ENVIRONMENTS",
    "AgentLimits",
    "AgentRunConfig",
    "AgentRunRequest",
    "AgenticCase",
    "AgenticMetrics",
    "AgenticRun",
    "Attack",
    "Check",
    "CheckContext",
    "Defence",
    "DefenceSpec",
    "Environment",
    "Episode",
    "FinalAction",
    "Injection",
    "InjectionDetector",
    "InjectionGoal",
    "MetricGroup",
    "Outcome",
    "ParseError",
    "Rate",
    "Scenario",
    "SolutionCall",
    "Spotlight",
    "Step",
    "StoredAgenticRun",
    "TaskFile",
    "TaskSet",
    "Tool",
    "ToolAction",
    "ToolExecution",
    "ToolFailure",
    "ToolFilter",
    "Trajectory",
    "UserTask",
    "agent_version",
    "attack_names",
    "build_cases",
    "build_defences",
    "bundled_task_files",
    "case_metadata",
    "check_context",
    "create_defence",
    "defence_names",
    "dump_checked",
    "environment_names",
    "evaluate",
    "forbidden_action",
    "get_attack",
    "get_environment",
    "is_agentic",
    "load_attack_file",
    "load_stored_run",
    "load_task_file",
    "load_tasks",
    "parse_action",
    "plan_cases",
    "rate",
    "read_run",
    "register_environment",
    "run_agent",
    "run_agent_stored",
    "run_agentic",
    "run_case",
    "run_episode",
    "run_lineage",
    "run_scenario",
    "score_trajectory",
    "summarise",
    "tool",
    "vectors_seen",
    "write_run",
]
