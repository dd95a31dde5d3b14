"""Syncing from inside the reader: a worker runs the core's sync; progress comes back as messages
and shows in the status line; new papers appear as each day is stored.

Quitting cancels the worker, and the worker's cancel event reaches the core's sync, which stops
its fetches and returns at once: what was stored stays stored, and the process can exit.

With `fulltext = "bookmarked"`, a sync that reached the server, and bookmarking a paper, start a
worker of their own that fetches the full texts bookmarked papers lack (a newer one replaces a
running one, which stops at once); it is quiet unless it stored something or a text failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from textual.worker import get_current_worker

from ..config import Config
from ..errors import PapertuiError
from ..fulltext import TextsSummary
from ..plural import plural
from ..service import Service, SyncRequest
from ..syncplan import eta_text
from ..views import ReaderQuery
from .messages import SyncDayDone, SyncDone, SyncPlanned, SyncProgressed
from .state import SyncState


class SyncHost(Protocol):
    """What the sync controller needs of the reader."""

    service: Service
    config: Config
    rq: ReaderQuery
    total: int | None
    sync_state: SyncState
    offline_reason: str

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def post_message(self, message: Any) -> bool: ...

    def run_sync_worker(self, work: Callable[[], None]) -> None: ...

    @property
    def run_worker(self) -> Callable[..., Any]: ...

    @property
    def call_from_thread(self) -> Callable[..., Any]: ...

    @property
    def is_running(self) -> bool: ...

    def refresh_list(self, keep_current: bool = True) -> None: ...

    def go_to_latest(self) -> None: ...

    def set_empty_text(self, text: str) -> None: ...


class SyncController:
    """`r`, the sync that starts with the reader, and the periodic one of a reader left open."""

    def __init__(self, host: SyncHost):
        self.host = host
        self.planned = 0
        self.done = 0
        self.eta = ""  # the time left, as shown
        self.what = ""  # what is being synced, when not the recent days

    @property
    def running(self) -> bool:
        return self.host.sync_state.running

    def start(self, request: SyncRequest | None = None, what: str = "") -> bool:
        """Sync the recent days (`sync_days` of the config), or the days of `request` (the
        calendar's fetches); `what` names them in the status line. False when it could not
        start (offline, or a sync is already running: said in a notification)."""
        host = self.host
        if host.service.offline:
            host.notify(
                f"Offline ({host.offline_reason}): syncing is turned off.", severity="warning"
            )
            return False
        if self.running:
            host.notify("A sync is already running.", timeout=2)
            return False
        self.planned = self.done = 0
        self.eta = ""
        self.what = what
        host.sync_state = SyncState(
            True, f"⟳ checking {what}…" if what else "⟳ checking for new papers…"
        )
        request = request or SyncRequest(recent=host.config.sync_days)
        host.run_sync_worker(lambda: self._work(request))
        return True

    def auto(self) -> None:
        """The periodic sync: silent when one is already running."""
        if not self.running and not self.host.service.offline:
            self.start()

    def _work(self, request: SyncRequest) -> None:
        """In a worker thread. Quitting the reader cancels the worker: the sync stops too."""
        host = self.host
        cancel = get_current_worker().cancelled_event
        try:
            summary = host.service.sync(
                request,
                on_day=lambda result: host.post_message(SyncDayDone(result)),
                on_plan=lambda todo: host.post_message(SyncPlanned(len(todo))),
                on_progress=lambda progress: host.post_message(SyncProgressed(progress)),
                cancel=cancel,
            )
        except PapertuiError as exc:
            host.post_message(SyncDone(None, str(exc)))
            return
        host.post_message(SyncDone(summary))

    # ---- full texts of bookmarked papers ---------------------------------------------------

    def fetch_texts(self) -> None:
        """Fetch the full texts bookmarked papers lack, in a worker (replacing a running one)."""
        host = self.host
        if host.service.offline or host.config.fulltext != "bookmarked":
            return
        host.run_worker(
            self._texts_work,
            thread=True,
            group="fulltext",
            exclusive=True,
            exit_on_error=False,
            name="fulltext",
        )

    def _texts_work(self) -> None:
        host = self.host
        worker = get_current_worker()
        try:
            summary = host.service.fetch_missing_full_texts(cancel=worker.cancelled_event)
        except PapertuiError:
            return  # a problem of the network or the cache, said by the sync or the next read
        if worker.is_cancelled or not host.is_running:
            return
        host.call_from_thread(self._texts_done, summary)

    def _texts_done(self, summary: TextsSummary) -> None:
        host = self.host
        if summary.fetched:
            count = plural(len(summary.fetched), "full text")
            host.notify(f"Saved {count} for reading offline.", timeout=3)
        problems = [r for r in summary.failed if not r.unreachable]
        if problems:
            host.notify(
                _shorten(problems[0].error or "", 160),
                title=f"{plural(len(problems), 'full text')} could not be fetched",
                severity="warning",
                timeout=6,
            )

    # ---- progress, on the UI thread ------------------------------------------------------

    def _progress_text(self) -> str:
        what = f" {self.what}" if self.what else ""
        eta = f" · ETA {self.eta}" if self.eta and self.done < self.planned else ""
        return f"⟳ syncing{what} {self.done}/{self.planned} days{eta}"

    def on_planned(self, message: SyncPlanned) -> None:
        self.planned = message.total
        self.host.sync_state = SyncState(True, self._progress_text())

    def on_progress(self, message: SyncProgressed) -> None:
        if not self.running:
            return
        eta = eta_text(message.progress.eta) if message.progress.eta is not None else ""
        if eta != self.eta:
            self.eta = eta
            self.host.sync_state = SyncState(True, self._progress_text())

    def on_day_done(self, message: SyncDayDone) -> None:
        self.done += 1
        self.host.sync_state = SyncState(True, self._progress_text())
        result = message.result
        if result.ok and (result.new or result.updated):
            self._show_new_papers()

    def _show_new_papers(self) -> None:
        self.host.go_to_latest()  # moves only while the reader follows the newest day

    def on_done(self, message: SyncDone) -> None:
        host = self.host
        summary = message.summary
        if not host.total and (summary is None or not summary.ok):
            unreachable = summary is not None and all(r.unreachable for r in summary.failed)
            host.set_empty_text(
                "No papers cached yet: the server can't be reached. r tries again; "
                "papertui --demo shows sample papers offline, --api-url picks another server."
                if unreachable
                else "No papers cached yet: the sync failed (r tries again; papertui --demo "
                "shows sample papers offline)."
            )
        if summary is None:
            host.sync_state = SyncState(False, f"sync failed: {message.error}", "status--error")
            host.notify(
                message.error or "sync failed", title="Sync failed", severity="error", timeout=8
            )
            return
        if summary.ok:
            new = sum(r.new for r in summary.results)
            what = f" {self.what}" if self.what else ""
            text = f"✓ synced{what} {datetime.now():%H:%M}" + (f" · {new} new" if new else "")
            host.sync_state = SyncState(False, text)
            host.go_to_latest()
            self.fetch_texts()
            return
        failed = [r for r in summary.failed if not r.cancelled]
        if not failed:  # only cancelled days: the reader is closing, or a sync was stopped
            host.sync_state = SyncState(False, "sync stopped")
            return
        if all(r.unreachable for r in failed):
            cached = bool(host.total) or host.rq.view.anchor is not None
            what = "showing cached papers" if cached else "nothing cached yet"
            host.sync_state = SyncState(False, f"offline · {what}", "status--offline")
            host.notify(
                failed[0].error or "",
                title=f"No network: {what}",
                severity="warning",
                timeout=6,
            )
            return
        count = len(failed)
        host.sync_state = SyncState(
            False, f"⚠ sync: {count} day{'s' * (count != 1)} failed", "status--error"
        )
        details = "\n".join(f"{r.day}: {_shorten(r.error or '', 120)}" for r in failed[:5])
        if count > 5:
            details += f"\n…and {count - 5} more days (papertui sync names them all)"
        host.notify(details, title="Some days failed to sync", severity="error", timeout=10)


def _shorten(text: str, limit: int) -> str:
    """One failure's reason, cut to fit a toast (a server's message can be any length)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
