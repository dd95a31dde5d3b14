"""Between models and rows: the columns written for an item, and the models read back.

Pure CPU work (cleaning, JSON, zlib, hashing), kept out of write transactions so sync can do it
in its fetching threads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..models import Fetched, ImportRecord, Origin, StoredPaper, UserState, paper_columns
from . import compact
from .compact import (
    digest_of,
    join_raw,
    pack_residual,
    pack_text,
    read_thumbnail,
    residual_of,
    stored_columns,
    stored_thumbnail,
    title_key,
    unpack_text,
)

_JSON_COLUMNS = ("authors", "ai_keywords")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_PACKED = ("abstract", "ai_summary", "ai_keywords")  # the texts stored packed (`compact`)


def prepare_row(entry: Fetched, day: str | None, origin: Origin, now: str) -> dict:
    item, raw = entry.item, entry.raw
    columns = paper_columns(item)
    if day is None:  # no day was asked for: the item's own submission day, if it says
        found = origin.own_day(item)
        day = found.isoformat() if found else None
    columns["day"] = day
    if origin.flat:
        columns["num_comments"] = item.numComments
    residual = residual_of(raw, columns)  # the item without the texts these columns hold
    for name in _JSON_COLUMNS:
        columns[name] = json.dumps(columns[name], ensure_ascii=False)
    digest = digest_of(columns, residual)
    texts = {name: columns[name] for name in _PACKED}
    packed = {name: pack_text(text) for name, text in texts.items()}
    columns.update(
        packed,
        _texts=[(packed[n], texts[n]) for n in _PACKED if isinstance(packed[n], bytes)],
        thumbnail=stored_thumbnail(columns["id"], columns["thumbnail"]),
        title_key=title_key(columns["title"]),
        raw=pack_residual(residual),
        digest=digest,
        now=now,
        flat=int(origin.flat),
    )
    return columns


def state_columns(paper_id: str, state: UserState) -> dict[str, Any]:
    """The columns of an imported user state."""
    return {
        **state.model_dump(),
        "paper_id": paper_id,
        "read": int(state.read),
        "bookmarked": int(state.bookmarked),
        "tags": json.dumps(sorted(set(state.tags)), ensure_ascii=False),
        "updated_at": state.updated_at or utc_now(),
    }


def row_tags(text: str | None) -> list[str]:
    """A paper's tags from its JSON column (nothing for anything that is not a list of names)."""
    try:
        tags = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def read_user_state(row: dict[str, Any]) -> UserState:
    return UserState.model_construct(
        **{
            **row,
            "read": bool(row["read"]),
            "bookmarked": bool(row["bookmarked"]),
            "tags": row_tags(row.get("tags")),
        }
    )


def prepare_rows(
    entries: Sequence[Fetched], *, day: str | None, origin: Origin = Origin.DAILY
) -> list[dict]:
    """The columns to write for each item: pure CPU work (cleaning, JSON, zlib, hashing), kept out
    of the write transaction so sync can do it in the fetching threads, in parallel."""
    now = utc_now()
    return [prepare_row(entry, day, origin, now) for entry in entries]


@dataclass
class Prepared:
    """The rows to write for imported records, each with what else its record says (`_day`,
    `_first_seen`, `_state`: the user state's columns or None); the records themselves (their
    validated items and raw JSON, ten times the row's memory) are not kept. `size` is the
    bytes of the rows' text and raw JSON, which bounds what a batch holds in memory."""

    rows: list[dict]
    size: int


def row_size(row: dict) -> int:
    """About the bytes a row holds: its raw JSON (compressed) and its longest texts."""
    return len(row["raw"]) + len(row["abstract"]) + len(row["ai_summary"] or "") + 200


def prepare_import(
    records: Iterable[ImportRecord],
    rows: int = 250,
    size: int = 8 * 1024 * 1024,
    reject: Callable[[str], object] | None = None,
) -> Iterator[Prepared]:
    """The rows to write for imported records, up to `rows` records or `size` bytes at a time:
    pure CPU work (cleaning, JSON, zlib, hashing), which an import runs in its reading thread
    while the writer writes. A record whose row can't be made (text that can't be stored) is
    left out and `reject` told why. When `records` fails, the rows before come first."""
    now = utc_now()
    chunk = Prepared([], 0)
    source = iter(records)
    while True:
        try:
            record = next(source)
        except StopIteration:
            break
        except Exception:  # the file stops making sense: what was read before still counts
            if chunk.rows:
                yield chunk
            raise
        try:
            row = prepare_row(record.fetched, record.day, Origin.IMPORT, now)
        except (ValueError, TypeError) as exc:  # UnicodeEncodeError is a ValueError
            if reject is None:
                raise
            reject(f"{type(exc).__name__}: {str(exc)[:100]}")
            continue
        row["now"] = record.updated_at or now
        row["_day"] = record.day
        row["_first_seen"] = record.first_seen_at
        row["_state"] = state_columns(row["id"], record.user) if record.user else None
        chunk.rows.append(row)
        chunk.size += row_size(row)
        if len(chunk.rows) >= rows or chunk.size >= size:
            yield chunk
            chunk = Prepared([], 0)
    if chunk.rows:
        yield chunk


def in_chunks(conn: sqlite3.Connection, sql: str, ids: list[str], size: int = 500) -> list[tuple]:
    """Run `sql` (with one `IN ({})`) over ids in chunks, under SQLite's parameter limit."""
    found: list[tuple] = []
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found.extend(conn.execute(sql.format(",".join("?" * len(chunk))), chunk))
    return found


RAW_COLUMNS = f"raw, {compact.RAW_COLUMNS}"


def load_raw(row: Sequence) -> dict | None:
    """The raw item of a row of `RAW_COLUMNS`, its texts put back from the columns (see
    `compact`). One that cannot be read back (damaged, or nested too deeply by an older
    papertui) is None, so one bad row never fails a whole export."""
    raw, *columns = row
    return join_raw(raw, stored_columns(*columns)) if raw else None


def stored_paper(row: dict) -> StoredPaper:
    data = dict(row)
    data["abstract"] = unpack_text(data["abstract"])
    data["ai_summary"] = unpack_text(data["ai_summary"])
    data["ai_keywords"] = unpack_text(data["ai_keywords"])
    data["thumbnail"] = read_thumbnail(data["id"], data["thumbnail"])
    for name in (*_JSON_COLUMNS, "tags"):
        try:
            value = json.loads(data.get(name) or "[]")
        except ValueError:
            value = []
        data[name] = [str(v) for v in value] if isinstance(value, list) else []
    data["read"] = bool(data["read"])
    data["bookmarked"] = bool(data["bookmarked"])
    return StoredPaper.model_validate(data)
