"""Plain-text renderings for the command line. Every string passes `strip_controls` on the way out."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date, datetime
from typing import Any, TextIO

from .coverage import DayState, Status
from .days import ARCHIVE_START
from .facts import paper_facts
from .latex import shown, shown_paragraphs
from .models import ListRow, StoredPaper
from .plural import plural
from .syncplan import Progress, eta_text
from .text import strip_controls


def terminal_safe(text: str) -> str:
    return strip_controls(text, keep_newlines=True)


def row_line(row: ListRow | StoredPaper, width: int | None = None) -> str:
    width = width or shutil.get_terminal_size((100, 24)).columns
    marks = ("•" if not row.read else " ") + ("★" if row.bookmarked else " ")
    head = f"{row.upvotes:>4}  {row.day or '----------'}  {row.id:<12} {marks} "
    title = shown(row.title)
    room = max(width - len(head), 10)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return head + title


def paper_text(paper: StoredPaper, width: int | None = None) -> str:
    width = min(width or shutil.get_terminal_size((100, 24)).columns, 100)
    wrap = textwrap.TextWrapper(width=width)
    lines = [*wrap.wrap(shown(paper.title)), ""]
    lines.append(
        f"Read: {'yes' if paper.read else 'no'}   Bookmarked: {'yes' if paper.bookmarked else 'no'}"
    )
    facts = paper_facts(paper)
    width_label = max(len(f.label) for f in facts) + 2
    for fact in facts:
        lines += textwrap.wrap(
            f"{fact.label + ':':<{width_label}}{fact.value}",
            width,
            subsequent_indent=" " * width_label,
            break_long_words=not fact.link,
        )
    if paper.notes:  # your own text, as you wrote it (lines kept; controls removed below)
        lines += ["", "Your note:", *paper.notes.strip("\n").split("\n")]
    if paper.ai_summary:
        lines += ["", *wrap.wrap("AI summary: " + shown(paper.ai_summary))]
    if paper.ai_keywords:
        lines += wrap.wrap("Keywords: " + ", ".join(paper.ai_keywords))
    for paragraph in shown_paragraphs(paper.abstract):  # a blank line between paragraphs
        lines += ["", *wrap.wrap(paragraph)]
    return terminal_safe("\n".join(lines))


def row_header() -> str:
    """The labels over `row_line`s on a terminal, with what the two marks mean."""
    return f"{'up':>4}  {'day':<10}  {'id':<12} •★ title   (• unread, ★ bookmarked)"


class ProgressLine:
    """A sync's progress on one line of a terminal (stderr), rewritten in place: a bar, days
    done, requests made, and an ETA that includes the rate limiter's pace."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.shown = False

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()

    def show(self, progress: Progress) -> None:
        width = shutil.get_terminal_size((100, 24)).columns
        filled = int(progress.fraction * 20)
        bar = "#" * filled + "-" * (20 - filled)
        text = (
            f"Syncing [{bar}] {progress.days_done:,}/{progress.days_total:,} days"
            f" · {plural(progress.requests, 'request')}"
        )
        if progress.days_done < progress.days_total:
            text += f" · ETA {eta_text(progress.eta)}"
        self.stream.write("\r" + text[: width - 1].ljust(width - 1))
        self.stream.flush()
        self.shown = True


_STATE_KEYS = {state: state.value.replace(" ", "_") for state in DayState}


def status_dict(status: Status) -> dict[str, Any]:
    """`papertui status --json`: every figure, days as ISO dates, counts a cache cannot have
    yet as null."""
    run = status.last_sync
    return {
        "path": status.path,
        "size_bytes": status.size_bytes,
        "papers": status.papers,
        "unread": status.unread,
        "bookmarked": status.bookmarked,
        "tagged": status.tagged,
        "noted": status.noted,
        "full_texts": status.full_texts,
        "history_rows": status.history_rows,
        "archive_start": ARCHIVE_START.isoformat(),
        "today": status.today.isoformat(),
        "first_day": status.first_day.isoformat() if status.first_day else None,
        "last_day": status.last_day.isoformat() if status.last_day else None,
        "days": {_STATE_KEYS[s]: n for s, n in status.days.items() if s is not DayState.OUTSIDE},
        "missing_ranges": [_span(a, b) for a, b in status.missing],
        "stale_ranges": [_span(a, b) for a, b in status.stale],
        "failed_days": [{"day": d.day.isoformat(), "error": d.reason} for d in status.failed],
        "last_sync": None
        if run is None
        else {
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "what": run.what,
            "result": run.result or "unfinished",
            "days": run.days,
            "stored": run.stored,
            "failed": run.failed,
            "new": run.new,
            "updated": run.updated,
            "requests": run.requests,
        },
        "schema_version": status.schema[-1] if status.schema else None,
        "migrations": status.schema,
    }


def _span(first: date, last: date) -> dict[str, Any]:
    return {"from": first.isoformat(), "to": last.isoformat(), "days": (last - first).days + 1}


def _ranges(spans: list[tuple[date, date]], limit: int = 4) -> str:
    shown = [
        f"{a} to {b} ({plural((b - a).days + 1, 'day')})" if a != b else f"{a} (1 day)"
        for a, b in spans[-limit:][::-1]
    ]
    if len(spans) > limit:
        shown.append(f"and {plural(len(spans) - limit, 'older range')}")
    return "; ".join(shown)


def status_text(status: Status) -> str:
    """`papertui status` for people: a label and a line per fact."""
    days = status.days
    lines = [
        ("Cache", f"{status.path} ({_size(status.size_bytes)})"),
        (
            "Papers",
            f"{status.papers:,} · {status.unread:,} unread · {status.bookmarked:,} bookmarked"
            f" · {status.tagged:,} tagged · {status.noted:,} with notes",
        ),
    ]
    if status.full_texts is not None:
        lines.append(("Full texts", f"{status.full_texts:,} cached"))
    if status.first_day and status.last_day:
        lines.append(("Covered", f"{status.first_day} to {status.last_day}"))
    else:
        lines.append(("Covered", "nothing yet"))
    counts = ", ".join(
        f"{days[s]:,} {s.value}" for s in DayState if s is not DayState.OUTSIDE and days[s]
    )
    total = sum(n for s, n in days.items() if s is not DayState.OUTSIDE)
    lines.append(("Days", f"{counts} (of {total:,} since {ARCHIVE_START})"))
    if status.missing:
        lines.append(("Missing", _ranges(status.missing)))
    if status.stale:
        lines.append(("Stale", _ranges(status.stale)))
    for failed in status.failed[-5:][::-1]:
        lines.append(("Failed", f"{failed.day}: {failed.reason}"))
    if len(status.failed) > 5:
        lines.append(("", f"and {plural(len(status.failed) - 5, 'more failed day')}"))
    run = status.last_sync
    if run is None:
        lines.append(("Last sync", "never"))
    else:
        result = run.result or "did not finish (stopped or killed)"
        line = f"{_when(run.started_at)}: {run.what}, {result}"
        if run.result:
            line += (
                f" ({run.stored:,} of {plural(run.days, 'day')} stored, {run.new:,} new,"
                f" {run.updated:,} updated, {plural(run.requests, 'request')})"
            )
        lines.append(("Last sync", line))
    lines.append(("History", f"{plural(status.history_rows, 'count change')} recorded"))
    schema = status.schema[-1] if status.schema else "none"
    lines.append(("Schema", f"{schema} ({plural(len(status.schema), 'migration')})"))
    width = max(len(label) for label, _ in lines) + 2
    return terminal_safe("\n".join(f"{label:<{width}}{value}" for label, value in lines))


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp
