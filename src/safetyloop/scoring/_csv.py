"""Reading the labelled CSV files, which may open with `#` comment lines (PyRIT's do)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def after_comments(lines: Iterable[str]) -> Iterator[str]:
    """The lines after the file's leading `#` comments.

    Only the leading ones: later a line starting with `#` is part of a quoted multi-line field
    (a Markdown heading in a response), and dropping it would corrupt that response.
    """
    it = iter(lines)
    for line in it:
        if not line.startswith("#"):
            yield line
            break
    yield from it
