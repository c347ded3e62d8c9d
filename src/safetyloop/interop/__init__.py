"""Interoperability with Inspect AI: its logs in as stored runs, stored runs out as its logs.

`import_inspect` reads `.eval` and `.json` logs with a small streaming reader of our own
(`open_log`: zip members one sample at a time, zstd or deflate, a schema-version guard) and
stores each log as one finished run, in one transaction; `export_inspect` writes a stored run
as an `.eval` log that Inspect's `read_eval_log` and `inspect view` open.
"""

from safetyloop.interop._convert import PREFIX, scorer_name
from safetyloop.interop._export import Exported, export_inspect
from safetyloop.interop._import import (
    LINEAGE_KEY,
    Imported,
    import_inspect,
    inspect_lineage,
    log_files,
)
from safetyloop.interop._reader import SCHEMA_VERSIONS, InspectLog, InspectLogError, open_log
from safetyloop.interop._rescore import rescore_run, score_pending

__all__ = [
    "LINEAGE_KEY",
    "PREFIX",
    "SCHEMA_VERSIONS",
    "Exported",
    "Imported",
    "InspectLog",
    "InspectLogError",
    "export_inspect",
    "import_inspect",
    "inspect_lineage",
    "log_files",
    "open_log",
    "rescore_run",
    "score_pending",
    "scorer_name",
]
