"""Import files read as a stream, so memory stays flat whatever the file's size.

Three shapes are read, told apart by their first bytes (no flag needed):
- a JSON list of entries: a saved `/api/daily_papers` response, or several one after another;
- a papertui JSON export, `{"papertui_export": 1, ..., "papers": [...]}`: its papers one by one;
  the top-level keys before "papers" (small: the export writes "papers" last) kept in `extras`;
- JSON Lines (`export --format jsonl`): one entry a line, after an optional header line that
  holds what the JSON export holds besides its papers.

Entries are built by ijson's C parser (yajl2_c), one at a time. Before a chunk of bytes reaches
the parser, a scan of it (C-speed bytes operations, no per-character Python) counts the
objects, lists and values it opens outside strings and how deeply it nests: an entry that grows
past `MAX_ENTRY_BYTES`, `MAX_ENTRY_VALUES` or `MAX_ENTRY_CONTAINERS`, or a document nested
deeper than `MAX_NESTING`, stops the import before the parser builds it, so a hostile file can
never make papertui build gigabytes of objects. What was read before stays imported; the error
says where it stopped.
"""

from __future__ import annotations

import io
import json
import os
import queue
import stat
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import ijson
from pydantic import ValidationError

from .errors import ImportFileError, NotARegularFile
from .export import ImportResult, _record
from .models import ImportRecord, SavedSearch, short_error
from .plural import plural

# Standard input has no size and a device may never end: reading stops here whatever `stat()`
# says. Memory does not grow with the file (entries are read one at a time), so the cap is only
# a last stop for endless input; an archive of a million papers is ~5 GB.
MAX_IMPORT_BYTES = 64 * 1024**3
# One entry (a real one is ~5 KB; a hostile one with 200 KB strings well under 2 MB) ...
MAX_ENTRY_BYTES = 16 * 1024 * 1024
# ... holds at most this many JSON values (a paper with 3,000 authors has ~40,000) ...
MAX_ENTRY_VALUES = 1_000_000
# ... and objects or lists (each costs ~100-250 bytes once built; 3,000 authors: ~6,000).
MAX_ENTRY_CONTAINERS = 100_000
# Nothing in an import nests this deep (an entry deeper than 32 levels is skipped anyway).
MAX_NESTING = 1_000
MAX_ERRORS_KEPT = 100  # reasons kept for skipped entries; the rest are only counted
# Keys an export may hold after its papers, read from its last TAIL_BYTES (see `_tail_extras`).
TAIL_KEYS = ("saved_searches",)
TAIL_BYTES = 1024 * 1024
CHUNK = 64 * 1024

_MIB = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_STRUCTURE = b'[]{},"'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")
T = TypeVar("T")


class ImportStopped(ImportFileError):
    """The file could not be read to its end: cut short, not valid JSON from some point, or an
    entry over a cap. Entries before that point were read (and may have been imported)."""

    def __init__(self, message: str, entries: int):
        super().__init__(message)
        self.entries = entries  # entries read before the file stopped making sense


def _size(count: int) -> str:
    if count >= 1024**3 and count % 1024**3 == 0:
        return f"{count // 1024**3} GiB"
    return f"{count // _MIB} MiB" if count >= _MIB and count % _MIB == 0 else f"{count:,} bytes"


@dataclass
class ImportStream:
    """The entries of one import file, read as they are asked for (`entries`, `records`).

    `skipped` and `errors` count and name the entries that are not importable; `extras` holds
    the top-level keys of an export before its papers, or of a JSON Lines export's header line
    (what a later version adds there, such as saved searches); `shape` is "list", "export"
    or "jsonl" once the first bytes are read.
    """

    path: Path
    max_bytes: int | None = None  # None: MAX_IMPORT_BYTES
    shape: str = ""
    entries_read: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def records(self) -> Iterator[ImportRecord]:
        """The importable entries; the others are counted in `skipped` with a reason in `errors`.
        ImportFileError when the file can't be opened or is not an import file at all;
        ImportStopped (after every record before the point) when it stops making sense."""
        for index, entry in self.entries():
            try:
                yield _record(entry)
            except (ValidationError, ValueError, TypeError) as exc:
                self.skip(index, short_error(exc))

    def skip(self, index: int, reason: str) -> None:
        self.skipped += 1
        if len(self.errors) < MAX_ERRORS_KEPT:  # a file of millions of bad entries
            self.errors.append(f"entry {index}: {reason}")

    def reject(self, reason: str) -> None:
        """The entry just read is not importable after all (its row could not be made)."""
        self.skip(self.entries_read - 1, reason)

    def entries(self) -> Iterator[tuple[int, Any]]:
        """(index, entry) for every entry of the file, as parsed JSON."""
        source = _open(self.path)
        try:
            cap = MAX_IMPORT_BYTES if self.max_bytes is None else self.max_bytes
            reader = _Reader(source, self.path, cap)
            prefix, several, head = self._shape(reader)
            reader.replay(head)
            reader.keep_tail = self.shape == "export"
            items = ijson.items(
                reader, prefix, use_float=True, multiple_values=several, buf_size=CHUNK
            )
            index = 0
            try:
                for entry in items:
                    reader.entry_done()
                    if self.shape == "jsonl" and _is_header(entry, index):
                        self.extras.update((k, v) for k, v in entry.items() if k != "papers")
                        continue
                    if self.shape == "jsonl" and index == 0:
                        _check_jsonl(entry, self.path)
                    self.entries_read = index + 1
                    yield index, entry
                    index += 1
            except ijson.JSONError:
                raise self._stopped(reader.at_end) from None
            if reader.keep_tail:
                self._tail_extras(reader.tail())
        finally:
            if source is not sys.stdin.buffer:
                source.close()

    # ---- what kind of file -------------------------------------------------------------

    def _shape(self, reader: _Reader) -> tuple[str, bool, bytes]:
        """The prefix of the entries for ijson, whether several top-level values may follow
        one another, and the bytes read to find out (they are read again by the parser)."""
        head = reader.head(CHUNK)
        if head.startswith(_BOM):
            head = head[len(_BOM) :]
        while not head.strip() and len(head) <= MAX_ENTRY_BYTES:  # blank lines first
            more = reader.head(CHUNK)
            if not more:
                break
            head += more
        first = head.lstrip()[:1]
        if not first:
            raise ImportFileError(f"{self.path} is empty: there is nothing to import")
        if first == b"[":
            self.shape = "list"
            return "item", True, head
        if first != b"{":
            raise ImportFileError(
                f"{self.path} is not valid JSON (not a papertui export, JSON Lines export or "
                "saved daily papers list)"
            )
        while True:
            found = _sniff_object(head)
            if found is not None:
                break
            if len(head) > MAX_ENTRY_BYTES:
                raise ImportFileError(
                    f"{self.path} is not a papertui export: its first object is over "
                    f"{_size(MAX_ENTRY_BYTES)} before any papers"
                )
            more = reader.head(len(head))
            if not more:
                found = _sniff_object(head, final=True) or ("bad", {})
                break
            head += more
        kind, extras = found
        if kind == "bad":
            raise ImportFileError(
                f"{self.path} is not valid JSON (cut short, too deeply nested, or not a papertui "
                "export?)"
            )
        if kind == "papers-not-list":
            raise ImportFileError(f"{self.path} is not a papertui export ('papers' is not a list)")
        self.extras.update(extras)
        if kind == "export":
            self.shape = "export"
            return "papers.item", False, head
        self.shape = "jsonl"
        return "", True, head

    def _tail_extras(self, tail: bytes) -> None:
        """Keys an export wrote after its papers (before exports were streamed, papertui wrote
        its saved searches there): found in the file's last bytes, which `_Reader` keeps."""
        for key in TAIL_KEYS:
            at = tail.rfind(b'"' + key.encode() + b'"')
            if at < 0 or key in self.extras:
                continue
            try:  # the parser read these bytes too: the document was valid JSON
                found = json.loads(b"{" + tail[at:])
            except (ValueError, RecursionError):
                continue  # the key was inside a paper, not the document's own
            if isinstance(found, dict) and key in found:
                self.extras[key] = found[key]

    def _stopped(self, at_end: bool) -> ImportStopped:
        """Why the file stopped making sense, and where (never quoting its bytes, as the
        parser's own message does): cut short when it failed once the whole file was read."""
        where = (
            f"after entry {self.entries_read:,}" if self.entries_read else "before its first entry"
        )
        if at_end:
            why = "is cut short (not valid JSON: it ends in the middle)"
        else:
            why = "is not valid JSON from there on"
        return ImportStopped(f"{self.path} {why} {where}", self.entries_read)


def _is_header(entry: Any, index: int) -> bool:
    """The first line of a JSON Lines export: what the JSON export holds besides its papers."""
    return (
        index == 0
        and isinstance(entry, dict)
        and "papertui_export" in entry
        and "raw" not in entry
        and "paper" not in entry
    )


def _check_jsonl(entry: Any, path: Path) -> None:
    """A file of objects whose first is neither an export record nor a daily item is something
    else (a single paper's JSON, another program's data): refused, not imported entry by entry."""
    if isinstance(entry, dict) and ("raw" in entry or "paper" in entry):
        return
    raise ImportFileError(
        f"{path} is not a papertui export (no 'papers' list) nor a saved daily papers list "
        "(a JSON list of items); a single paper's JSON can't be imported"
    )


def _sniff_object(head: bytes, final: bool = False) -> tuple[str, dict[str, Any]] | None:
    """What a file starting with `{` is, from its first bytes: ("export", keys before "papers")
    when its first object has a "papers" list, ("jsonl", {}) when its first object ends without
    one, None when `head` is not enough to tell (and not `final`), ("bad", {}) for broken JSON
    or nesting past the cap. Values of keys before "papers" are kept (capped in count)."""
    extras: dict[str, Any] = {}
    builder: ijson.ObjectBuilder | None = None
    key = None
    depth = values = 0
    source = _Ended(head.lstrip(_BOM))
    events = ijson.parse(source, use_float=True, multiple_values=True)
    try:
        for prefix, event, value in events:
            values += 1
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if depth > MAX_NESTING or values > MAX_ENTRY_VALUES:
                return "bad", {}
            if prefix == "" and event == "map_key":
                if builder is not None and key is not None:
                    extras[key] = builder.value
                builder, key = None, value
                if value == "papers":
                    continue
                builder = ijson.ObjectBuilder()
                continue
            if prefix == "" and event == "end_map" and depth == 0:
                return "jsonl", {}
            if key == "papers" and prefix == "papers":
                return ("export", extras) if event == "start_array" else ("papers-not-list", {})
            if builder is not None:
                builder.event(event, value)
    except ijson.JSONError:
        if not source.ended or final:  # broken, or cut short: the whole file is in `head`
            return "bad", {}
        return None  # the parser ran out of bytes: read more
    finally:
        close = getattr(events, "close", None)  # the pure-Python backend's is a generator,
        try:  # which complains when it is left half way
            if close is not None:
                close()
        except ijson.JSONError:
            pass
    return None if not final else ("bad", {})


class _Ended(io.BytesIO):
    """Bytes that say whether the parser read them to their end."""

    ended = False

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.ended = self.ended or not data
        return data


# ---- reading bytes, capped and scanned ------------------------------------------------------


class _Reader:
    """The file's bytes for the parser (`read`), counted against the caps before the parser
    sees them. `head` reads ahead (to tell the file's shape), `replay` gives those bytes back
    first. `entry_done` is called for each entry the parser completes."""

    def __init__(self, source: IO[bytes], path: Path, max_bytes: int):
        self.source = source
        self.path = path
        self.max_bytes = max_bytes
        self.keep_tail = False  # keep the last TAIL_BYTES read (an export's trailing keys)
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0  # bytes read from the source
        self.at_end = False  # the source has no more
        self.scanned = 0  # bytes handed to the parser
        self.entries = 0
        self._replay = b""
        self._in_string = False
        self._escaped = False  # the last chunk ended with a backslash inside a string
        self._depth = 0
        self._values = self._containers = 0
        self._mark = (0, 0, 0)  # (bytes, values, containers) when the last entry completed

    def head(self, size: int) -> bytes:
        data = self._take(size)
        self._replay += data
        return data

    def replay(self, head: bytes) -> None:
        self._replay = head

    def entry_done(self) -> None:
        self.entries += 1
        self._mark = (self.scanned, self._values, self._containers)

    def read(self, size: int = CHUNK) -> bytes:
        if self._replay:
            data, self._replay = self._replay[:size], self._replay[size:]
        else:
            data = self._take(size)
        if data:
            self._scan(data)
            if self.keep_tail:
                self._tail.append(data)
                self._tail_size += len(data)
                while self._tail_size - len(self._tail[0]) >= TAIL_BYTES:
                    self._tail_size -= len(self._tail.popleft())
        return data

    def tail(self) -> bytes:
        return b"".join(self._tail)[-TAIL_BYTES:]

    def _take(self, size: int) -> bytes:
        try:
            data = self.source.read(min(size, self.max_bytes + 1 - self.total))
        except OSError as exc:
            raise ImportFileError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        self.total += len(data)
        self.at_end = self.at_end or (not data and size > 0)
        if self.total > self.max_bytes:
            raise ImportStopped(
                f"{self.path} is too large to import (over {_size(self.max_bytes)})",
                self.entries,
            )
        return data

    def _scan(self, chunk: bytes) -> None:
        """Count what `chunk` opens outside strings, and stop before the parser builds an entry
        over the caps. Strings are cut out with `split` on quotes once escaped backslashes and
        quotes are gone; a backslash at the end of a chunk escapes the next chunk's first byte."""
        start_depth = self._depth
        data = chunk[1:] if self._escaped else chunk
        self._escaped = False
        if b"\\\\" in data:  # escaped backslashes first: after a pair, a quote ends the string
            data = data.replace(b"\\\\", b"")
        if data.endswith(b"\\"):
            self._escaped, data = True, data[:-1]
        if b'\\"' in data:
            data = data.replace(b'\\"', b"")
        parts = data.translate(None, _NOT_STRUCTURE).split(b'"')
        outside = b"".join(parts[1::2] if self._in_string else parts[0::2])
        if len(parts) % 2 == 0:
            self._in_string = not self._in_string
        commas = outside.count(b",")
        opens = outside.count(b"[") + outside.count(b"{")
        closes = len(outside) - commas - opens
        self._depth += opens - closes
        self._values += commas + opens
        self._containers += opens
        self.scanned += len(chunk)
        if start_depth + opens > MAX_NESTING and _deepest(outside, start_depth) > MAX_NESTING:
            self._stop(f"is nested more than {MAX_NESTING:,} levels deep")
        marked_bytes, marked_values, marked_containers = self._mark
        if self.scanned - marked_bytes > MAX_ENTRY_BYTES:
            self._stop(f"has an entry over {_size(MAX_ENTRY_BYTES)}")
        if self._containers - marked_containers > MAX_ENTRY_CONTAINERS:
            self._stop(f"has an entry of over {MAX_ENTRY_CONTAINERS:,} JSON objects and lists")
        if self._values - marked_values > MAX_ENTRY_VALUES:
            self._stop(f"has an entry of over {MAX_ENTRY_VALUES:,} JSON values")

    def _stop(self, why: str) -> None:
        raise ImportStopped(
            f"{self.path} {why} (entry {self.entries + 1:,}): the import stops there",
            self.entries,
        )


def _deepest(structure: bytes, depth: int) -> int:
    deepest = depth
    for byte in structure:
        if byte in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSE:
            depth -= 1
    return deepest


# ---- opening the file ---------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    """The file to read. Standard input (`-`, or a path that is our own stdin such as
    /dev/stdin) is read as it is. Other special files are refused before they are opened: a
    FIFO without a writer would block `open()` forever, and a device may never end."""
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ImportFileError(f"{path} is a directory, not an export file")
        if not stat.S_ISREG(info.st_mode) and not _is_our_stdin(info):
            kind = (
                "a named pipe (FIFO)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket or other special file"
            )
            raise NotARegularFile(
                f"{path} is {kind}, not a regular file; to import from a pipe, read it "
                "through standard input",
                path,
            )
        return open(path, "rb")  # noqa: SIM115 - closed by ImportStream.entries
    except FileNotFoundError:
        raise ImportFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a directory, not an export file") from None
    except PermissionError:
        raise ImportFileError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _is_our_stdin(info: os.stat_result) -> bool:
    try:
        own = os.fstat(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # no stdin, or a test's stand-in without a fd
        return False
    return (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino)


def read_all(path: Path, max_bytes: int | None = None) -> ImportResult:
    """Every record of a (small) import file in a list: the demo cache and tests. Imports of
    real files go through `ImportStream.records` and are stored as they are read."""
    stream = ImportStream(path, max_bytes)
    records = list(stream.records())
    saved = saved_searches(stream)
    return ImportResult(records, stream.skipped, stream.errors, saved)


def saved_searches(stream: ImportStream) -> list[SavedSearch]:
    """The saved searches an export carries (once its papers are read), each validated; the
    ones that are not are skipped and counted like entries."""
    found = []
    entries = stream.extras.get("saved_searches")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            found.append(SavedSearch.model_validate(entry))
        except (ValidationError, ValueError, TypeError) as exc:
            stream.skipped += 1
            if len(stream.errors) < MAX_ERRORS_KEPT:
                stream.errors.append(f"saved search {index}: {short_error(exc)}")
    return found


def stopped_note(stored: int, stats_text: str) -> str:
    """What an import that stopped half-way did store, for its error message."""
    if not stored:
        return "nothing was imported"
    return f"the {plural(stored, 'paper')} before it were imported ({stats_text})"


# ---- reading ahead --------------------------------------------------------------------------

_DONE = object()


def read_ahead(items: Iterable[T], depth: int = 8) -> Iterator[T]:
    """`items`, taken in a thread of their own up to `depth` ahead of the caller: an import's
    reading and preparing (Python) overlaps its writing (SQLite, which runs without the GIL).
    An exception of the thread is raised in the caller, after the items before it. When the
    caller stops early (an error, ctrl+c), the thread stops at its next item."""
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(value: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, _DONE))
        except BaseException as exc:  # handed to the caller, whatever it is
            put((False, exc))

    thread = threading.Thread(target=run, name="papertui-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, value = slots.get()
            if not ok:
                raise value
            if value is _DONE:
                return
            yield value
    finally:
        stop.set()
        thread.join(timeout=2)
