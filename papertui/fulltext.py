"""Full texts: checking what the server sent, telling the fallback from the paper, fetching many.

Hugging Face serves each indexed paper as Markdown at `/papers/{id}.md`, built from arXiv's HTML
version of the paper. The body is hostile until shown otherwise (`check_markdown`): it must be
text (no NUL bytes, not an HTML page, not a binary type; `fulltext_body`), decode as UTF-8 (a few undecodable
bytes become U+FFFD; more than 0.5% refuse the body), and not be garbled (over 5% control
characters). Escape
sequences and control characters are removed before anything is stored (`strip_controls`, the
rule for all network text); Markdown and LaTeX are left exactly as sent, for the renderer.

Where arXiv has no HTML version, Hugging Face sends the paper page's own text instead, about the
abstract. Nothing in the response says so, so it is told from the body (`is_fallback`):

    a text with at least 2 numbered section headings ("## 1 Introduction", "### 2.1 Data",
    "## A Proofs", "## IV Results"; outside code blocks) is the paper;
    otherwise it is the fallback when it is short (under 1,500 words), or when at least half
    of its distinct words of four letters or more are words of the abstract we have.

A short paper without numbered sections is taken for the fallback (it is refetched later, see
`FALLBACK_RETRY`): that mistake costs a label, the other one would hide that the paper is missing.

`fetch_texts` fetches many, a few at a time, and stores each as it arrives in its own
transaction (the caller's thread is the only writer), like a sync's days.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from .errors import NotIndexed, PapertuiError, Unreachable
from .fulltext_body import Download
from .netguard import CANCELLED, Cancelled, OutOfTime, Stop, not_reached
from .plural import plural

if TYPE_CHECKING:
    from .hf_api import HfApi

FALLBACK_WORDS = 1_500
FALLBACK_SECTIONS = 2
FALLBACK_OVERLAP = 0.5
# A fallback is fetched again this long after (arXiv often publishes the HTML version later).
FALLBACK_RETRY = timedelta(days=7)
PARALLEL_TEXTS = 2
POLL = 0.1
GRACE = 1.0
# How long `sync` spends on the full texts of bookmarked papers: the "pages" rate limit allows
# about one every four seconds after a burst, so a first sync with hundreds of bookmarks takes
# what fits and leaves the rest for the next one.
SYNC_TEXT_BUDGET = 120.0

# ---- the fallback ------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*)$")
_NUMBERED = re.compile(
    r"^(?:(?:appendix|section)\b|(?:\d+|[A-Z]|[IVXL]+)(?:\.\d+)*\.?\s+\S)", re.IGNORECASE
)
_WORD = re.compile(r"[^\W_]+")


def numbered_sections(markdown: str, enough: int = FALLBACK_SECTIONS) -> int:
    """How many ATX headings (outside fenced code) start with a section number, up to `enough`."""
    count = 0
    fence: str | None = None
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        heading = _HEADING.match(line)
        if heading and _NUMBERED.match(heading.group(1).strip().strip("*_")):
            count += 1
            if count >= enough:
                break
    return count


def is_fallback(markdown: str, abstract: str | None = None) -> bool:
    """Whether a full text is Hugging Face's fallback (the page's own text, about the abstract)
    rather than the paper: the rule in the module's docstring."""
    if numbered_sections(markdown) >= FALLBACK_SECTIONS:
        return False
    words = _WORD.findall(markdown)
    if len(words) < FALLBACK_WORDS:
        return True
    if not abstract:
        return False
    own = {w.lower() for w in words if len(w) >= 4}
    known = {w.lower() for w in _WORD.findall(abstract) if len(w) >= 4}
    return bool(own) and len(own & known) / len(own) >= FALLBACK_OVERLAP


# ---- fetching many ---------------------------------------------------------------------------

# What became of one paper's full text.
NEW, UPDATED, UNCHANGED, KEPT = "new", "updated", "unchanged", "kept"
NOT_INDEXED, FAILED, NOT_FETCHED = "not indexed", "failed", "not fetched"
STORED = (NEW, UPDATED, UNCHANGED, KEPT)


@dataclass(frozen=True)
class Job:
    """One full text to fetch: the paper, the ETag of the text cached (for a conditional
    request), the abstract (to tell the fallback) and whether a full (non-fallback) text is
    cached (a fallback never replaces it)."""

    paper_id: str
    etag: str | None = None
    abstract: str | None = None
    has_full: bool = False


@dataclass
class TextResult:
    paper_id: str
    status: str
    fallback: bool = False  # what is cached now is the fallback content
    error: str | None = None
    unreachable: bool = False

    @property
    def stored(self) -> bool:
        return self.status in STORED


@dataclass
class TextsSummary:
    """What a fetch of full texts did: each paper's result, and those skipped as cached."""

    requested: list[str] = field(default_factory=list)
    results: list[TextResult] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)

    def _with(self, *statuses: str) -> list[TextResult]:
        return [r for r in self.results if r.status in statuses]

    @property
    def fetched(self) -> list[TextResult]:
        return self._with(*STORED)

    @property
    def fallbacks(self) -> list[TextResult]:
        return [r for r in self.fetched if r.fallback]

    @property
    def not_indexed(self) -> list[TextResult]:
        return self._with(NOT_INDEXED)

    @property
    def failed(self) -> list[TextResult]:
        return self._with(FAILED)

    @property
    def not_fetched(self) -> list[TextResult]:
        """Not tried: the fetch was cancelled or ran out of its time budget first."""
        return self._with(NOT_FETCHED)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def unreachable(self) -> bool:
        """Whether every failure was the network (the reader shows that as offline)."""
        return bool(self.failed) and all(r.unreachable for r in self.failed)

    def line(self, later: str | None = None) -> str:
        """One summary line; `later` says what became of texts left when time ran out."""
        line = (
            f"Fetched {plural(len(self.fetched), 'full text')} ({len(self.fallbacks):,} fallback), "
            f"{len(self.cached):,} already cached, {len(self.not_indexed):,} not indexed, "
            f"{len(self.failed):,} failed"
        )
        if self.not_fetched:
            reason = self.not_fetched[0].error or CANCELLED
            if later and reason != CANCELLED:
                line += f"; {len(self.not_fetched):,} {later}"
            else:
                line += f"; {len(self.not_fetched):,} not fetched ({reason})"
        return line + "."


Prepare = Callable[[Job, Download], object]
Write = Callable[[Job, object], TextResult]


def fetch_texts(
    api: HfApi,
    jobs: Sequence[Job],
    *,
    prepare: Prepare,
    write: Write,
    on_result: Callable[[TextResult], object] | None = None,
    cancel: threading.Event | None = None,
    budget: float | None = None,
    parallel: int = PARALLEL_TEXTS,
) -> list[TextResult]:
    """Fetch the jobs' full texts a few at a time; `prepare` (in the fetching threads: fallback
    detection, compression) and `write` (in this thread, one transaction each) store each as it
    arrives. A text that fails to arrive, or arrives garbled, leaves the one cached before.

    `cancel` stops it within about a second and `budget` (seconds) bounds it: texts not fetched
    by then are reported `NOT_FETCHED`. The first "cannot reach the server" ends the round (the
    others are reported failed at once). Fetch threads are daemons."""
    results: list[TextResult] = []
    if not jobs:
        return results
    until = None if budget is None else time.monotonic() + budget
    stop = Stop(cancel=cancel, until=until, budget=budget)
    todo: queue.SimpleQueue[Job] = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)
    done: queue.SimpleQueue[tuple[Job, object]] = queue.SimpleQueue()

    def fetcher() -> None:
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                stop.check()
                download = api.full_text(job.paper_id, stop=stop, etag=job.etag)
                outcome: object = None if download is None else prepare(job, download)
            except Exception as exc:  # reported by the writer below, with the paper
                outcome = exc
            done.put((job, outcome))

    threads = [
        threading.Thread(target=fetcher, name=f"papertui-text-{i}", daemon=True)
        for i in range(max(1, min(parallel, len(jobs))))
    ]
    for thread in threads:
        thread.start()

    def report(result: TextResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    pending = {job.paper_id: job for job in jobs}
    unreachable: str | None = None
    while pending and unreachable is None and not stop.cancelled:
        if until is not None and time.monotonic() > until + GRACE:
            break
        try:
            job, outcome = done.get(timeout=POLL)
        except queue.Empty:
            continue
        pending.pop(job.paper_id, None)
        result = _written(job, outcome, write)
        if result.unreachable:
            unreachable = result.error
            _drain(todo)
        report(result)
    for job in pending.values():
        if unreachable is not None:
            report(
                TextResult(job.paper_id, FAILED, error=not_reached(unreachable), unreachable=True)
            )
        else:
            reason = CANCELLED if stop.cancelled else "out of time"
            report(TextResult(job.paper_id, NOT_FETCHED, error=reason))
    if pending:
        end = time.monotonic() + GRACE / 2
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
    return results


def _written(job: Job, outcome: object, write: Write) -> TextResult:
    """The result of one job: its outcome (an error, None for "not modified", or prepared rows)
    written, or the error described."""
    try:
        if isinstance(outcome, Exception):
            raise outcome
        return write(job, outcome)
    except NotIndexed as exc:
        return TextResult(job.paper_id, NOT_INDEXED, error=str(exc))
    except Cancelled:
        return TextResult(job.paper_id, NOT_FETCHED, error=CANCELLED)
    except OutOfTime:
        return TextResult(job.paper_id, NOT_FETCHED, error="out of time")
    except Unreachable as exc:
        return TextResult(job.paper_id, FAILED, error=str(exc), unreachable=True)
    except PapertuiError as exc:
        return TextResult(job.paper_id, FAILED, error=str(exc))
    except Exception as exc:  # a bug must not cost the other papers their texts
        return TextResult(job.paper_id, FAILED, error=f"unexpected {type(exc).__name__}: {exc}")


def _drain(todo: queue.SimpleQueue[Job]) -> None:
    while True:
        try:
            todo.get_nowait()
        except queue.Empty:
            return
