"""Targets: everything that answers a conversation, behind one async interface."""

from safetyloop.targets._answerers import ANSWERED_BY, CASE_ANSWERERS, CaseAnswerer
from safetyloop.targets._python import load_callable
from safetyloop.targets._registry import (
    TARGETS,
    create_target,
    declare_target_params,
    target_kind,
    target_kinds,
    target_params,
)
from safetyloop.targets._spec import TargetSpec, build_target, load_targets_file, parse_target_spec
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse
from safetyloop.targets._tools import ToolCall, ToolSpec
from safetyloop.targets._transcripts import Transcript, TranscriptFile, read_transcripts

__all__ = [
    "ANSWERED_BY",
    "CASE_ANSWERERS",
    "TARGETS",
    "CaseAnswerer",
    "GenerateParams",
    "Target",
    "TargetError",
    "TargetResponse",
    "TargetSpec",
    "ToolCall",
    "ToolSpec",
    "Transcript",
    "TranscriptFile",
    "build_target",
    "create_target",
    "declare_target_params",
    "load_callable",
    "load_targets_file",
    "parse_target_spec",
    "read_transcripts",
    "target_kind",
    "target_kinds",
    "target_params",
]
