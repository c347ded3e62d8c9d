"""A small streaming reader of Inspect logs: `.eval` (a zip) sample by sample, and `.json`.

Inspect's own `read_eval_log` validates every sample into pydantic models before handing any
back, which is what makes large logs slow (inspect_ai#4931, #5074). Here each `.eval` member
is decompressed (zstd or deflate) and parsed on its own, so memory holds one sample at a time.
The file format is versioned but not frozen (inspect_ai#5066): a log whose schema version this
reader does not know is refused rather than half-understood.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from safetyloop.errors import InputError

#: `EvalLog.version` values this reader understands (Inspect writes 2 today).
SCHEMA_VERSIONS = frozenset({1, 2})
#: The zip compression method number Inspect uses for zstd members.
ZIP_ZSTD = 93
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_SAMPLES_DIR = "samples/"


class InspectLogError(InputError):
    """A log that cannot be imported: the message names the file and, where known, the sample."""


def sample_name(sample: dict[str, Any]) -> str:
    """How a sample is named in errors: its id and epoch."""
    return f"sample {sample.get('id')!r} epoch {sample.get('epoch', 1)}"


@dataclass(frozen=True)
class InspectLog:
    """An opened log: its header (everything but the samples), file hash, and its samples.

    `samples()` yields each sample as parsed JSON with its attachments resolved; for `.eval`
    files only one sample is decoded at a time.
    """

    path: Path
    sha256: str
    header: dict[str, Any]
    #: The id and epoch of each sample summaries.json lists (None: the log has none).
    summaries: list[dict[str, Any]] | None

    @property
    def eval(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.header.get("eval") or {}
        return spec

    def samples(self) -> Iterator[dict[str, Any]]:
        if self.path.suffix == ".eval":
            yield from _zip_samples(self.path)
        else:
            for sample in _json_samples(self.path):
                yield resolve_attachments(sample)


def open_log(path: Path) -> InspectLog:
    """Open an Inspect log (`.eval` or `.json`), check its schema version, read its header."""
    if path.suffix not in (".eval", ".json"):
        raise InspectLogError(f"{path}: not an Inspect log (expected a .eval or .json file)")
    digest = _sha256(path)
    if path.suffix == ".eval":
        header, summaries = _zip_header(path)
    else:
        header, summaries = _json_header(path), None
    _check_header(path, header)
    return InspectLog(path=path, sha256=digest, header=header, summaries=summaries)


def _check_header(path: Path, header: dict[str, Any]) -> None:
    version = header.get("version")
    if version not in SCHEMA_VERSIONS:
        known = ", ".join(str(v) for v in sorted(SCHEMA_VERSIONS))
        raise InspectLogError(
            f"{path}: unknown Inspect log schema version {version!r} (this reader knows {known})",
            hint="convert it with a matching Inspect (`inspect log convert`) or upgrade safetyloop",
        )
    if not isinstance(header.get("eval"), dict):
        raise InspectLogError(f"{path}: field 'eval' is missing: not an Inspect eval log")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


#: The top-level fields of a `.json` log read as its header (Inspect writes them before the
#: samples, so a streaming read stops early).
_JSON_HEADER = ("version", "status", "eval", "plan", "results", "stats")


def _json_header(path: Path) -> dict[str, Any]:
    """A `.json` log's header: streamed with `ijson` (the `inspect` extra) when installed, so
    the samples are never held whole; else the whole file, parsed."""
    ijson = _ijson()
    if ijson is None:
        whole = _json_log(path)
        return {k: whole[k] for k in _JSON_HEADER if k in whole}
    header: dict[str, Any] = {}
    for key in _JSON_HEADER:
        with _json_errors(path), path.open("rb") as fh:
            found = next(iter(ijson.items(fh, key, use_float=True)), None)
        if found is not None:
            header[key] = found
    return header


def _json_samples(path: Path) -> Iterator[dict[str, Any]]:
    ijson = _ijson()
    if ijson is None:
        yield from _json_log(path).get("samples") or []
        return
    with _json_errors(path), path.open("rb") as fh:
        for sample in ijson.items(fh, "samples.item", use_float=True):
            if not isinstance(sample, dict):
                raise InspectLogError(f"{path}: a sample is not an object")
            yield sample


def _ijson() -> Any:
    """The streaming JSON parser (the `inspect` extra), or None."""
    try:
        import ijson  # type: ignore[import-untyped]
    except ImportError:
        return None
    return ijson


@contextmanager
def _json_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except _ijson().JSONError as exc:
        raise InspectLogError(
            f"{path}: not valid JSON ({exc}); the file may be truncated"
        ) from None


def _json_log(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            log = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InspectLogError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(log, dict):
        raise InspectLogError(f"{path}: not an Inspect log (the top level is not an object)")
    return log


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InspectLogError(
            f"{path}: not a readable .eval file ({exc}); it may be truncated",
            hint="a log still being written has no central directory yet: wait for the eval",
        ) from None


_SUMMARIES = "summaries.json"


def _zip_header(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    with _open_zip(path) as zf, path.open("rb") as fh:
        names = set(zf.namelist())
        if "header.json" not in names:
            raise InspectLogError(
                f"{path}: no header.json: the eval did not finish writing this log",
                hint="import a finished log, or recover it with `inspect log convert`",
            )
        header = _member_json(path, zf, fh, "header.json")
        summaries = _summary_keys(path, zf, fh) if _SUMMARIES in names else None
    if not isinstance(header, dict):
        raise InspectLogError(f"{path}: header.json is not an object")
    return header, summaries


def _zip_samples(path: Path) -> Iterator[dict[str, Any]]:
    with _open_zip(path) as zf, path.open("rb") as fh:
        for info in zf.infolist():
            if info.filename.startswith(_SAMPLES_DIR) and info.filename.endswith(".json"):
                sample = _member_json(path, zf, fh, info.filename)
                if not isinstance(sample, dict):
                    raise InspectLogError(f"{path}: {info.filename} is not a sample object")
                yield resolve_attachments(sample)


def _member_json(path: Path, zf: zipfile.ZipFile, fh: BinaryIO, name: str) -> Any:
    """One member, decompressed and parsed; a damaged member names itself."""
    info = zf.getinfo(name)
    try:
        data = _zstd_member(fh, info) if info.compress_type == ZIP_ZSTD else zf.read(info)
        return json.loads(data)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise InspectLogError(
            f"{path}: member {name} is damaged ({exc}); the file may be truncated"
        ) from None


def _zstd_member(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """A zstd member's bytes: Python's zipfile knows no zstd, so read the raw data and check
    its CRC here."""
    import zstandard  # the `inspect` extra; only .eval logs need it

    raw = _zstd_raw(fh, info)
    try:
        data = zstandard.ZstdDecompressor().decompress(raw, max_output_size=info.file_size)
    except zstandard.ZstdError as exc:
        raise ValueError(str(exc)) from None
    if zlib.crc32(data) != info.CRC:
        raise ValueError("CRC mismatch")
    return bytes(data)


def _zstd_raw(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """A zstd member's compressed bytes, read past its local header."""
    fh.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(fh.read(_LOCAL_HEADER.size))
    if fields[0] != _LOCAL_SIGNATURE:
        raise ValueError("bad local header")
    fh.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    raw = fh.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise EOFError("member data cut short")
    return raw


def _summary_keys(path: Path, zf: zipfile.ZipFile, fh: BinaryIO) -> list[dict[str, Any]]:
    """The id and epoch of each sample summaries.json lists, streamed with `ijson` when it is
    installed: a summary carries its sample's whole input (18 MB of them for a 12 MB log),
    which parsed whole would briefly take several times the log's size in memory."""
    ijson = _ijson()
    errors: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, ValueError)
    if ijson is None:
        parsed = _member_json(path, zf, fh, _SUMMARIES)
        items = parsed if isinstance(parsed, list) else []
    else:
        items = ijson.items(_member_stream(zf, fh, zf.getinfo(_SUMMARIES)), "item")
        errors += (ijson.JSONError,)
    try:
        return [{"id": s.get("id"), "epoch": s.get("epoch")} for s in items if isinstance(s, dict)]
    except errors as exc:
        raise InspectLogError(
            f"{path}: member {_SUMMARIES} is damaged ({exc}); the file may be truncated"
        ) from None


def _member_stream(zf: zipfile.ZipFile, fh: BinaryIO, info: zipfile.ZipInfo) -> Any:
    """A member as a readable stream (its CRC checked once read to the end)."""
    if info.compress_type != ZIP_ZSTD:
        return zf.open(info)  # zipfile checks the CRC at the end
    import zstandard

    return _CrcChecked(zstandard.ZstdDecompressor().stream_reader(_zstd_raw(fh, info)), info.CRC)


class _CrcChecked:
    """A zstd member's decompressing stream whose CRC-32 is checked when it reaches its end."""

    def __init__(self, stream: Any, crc: int) -> None:
        self.stream, self.expected, self.crc = stream, crc, 0

    def read(self, size: int = -1) -> bytes:
        import zstandard

        try:
            data: bytes = self.stream.read(size)
        except zstandard.ZstdError as exc:
            raise ValueError(str(exc)) from None
        self.crc = zlib.crc32(data, self.crc)
        if not data and size != 0 and self.crc != self.expected:
            raise ValueError("CRC mismatch")
        return data


_ATTACHMENT = "attachment://"
#: Sample fields the import does not keep.
_UNUSED = ("events", "events_data")


def resolve_attachments(sample: dict[str, Any]) -> dict[str, Any]:
    """Replace Inspect's deduplicated `attachment://<hash>` strings with their content."""
    for unused in _UNUSED:  # the event stream is not imported; skip resolving into it
        sample.pop(unused, None)
    attachments: dict[str, str] = sample.pop("attachments", None) or {}
    if not attachments:
        return sample

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(_ATTACHMENT):
            return attachments.get(value[len(_ATTACHMENT) :], value)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    resolved: dict[str, Any] = resolve(sample)
    return resolved
