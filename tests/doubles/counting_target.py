"""A python: target that answers at once and logs every request it receives, one JSON line
each, to the file named by `CALL_LOG` (the ground truth for "was this case sent, and how often",
when several processes run the same plan)."""

from __future__ import annotations

import json
import os
from typing import Any

#: Environment variable naming the log file.
CALL_LOG = "CALL_LOG"
ANSWER = "Sure. Here is a general overview of the topic you asked about."


def counting_complier(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    path = os.environ.get(CALL_LOG)
    if path:
        line = json.dumps({"pid": os.getpid(), "messages": messages}, sort_keys=True) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))  # one write in append mode: lines never interleave
        finally:
            os.close(fd)
    return ANSWER
