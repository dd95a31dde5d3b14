"""Syncing from inside the reader: a worker runs the core's sync; progress comes back as messages
and shows in the status line; new papers appear as each day is stored."""

from __future__ import annotations

from datetime import datetime

from textual import work

from ..errors import PapertuiError
from ..views import View
from .messages import SyncDayDone, SyncDone, SyncPlanned, while_mounted


class SyncActions:
    """Mixed into the app: `r`, and the sync that starts with the reader."""

    def action_sync(self) -> None:
        if self.library.offline:
            self.notify("Offline (--offline): syncing is turned off.", severity="warning")
            return
        if self.syncing:
            self.notify("A sync is already running.", timeout=2)
            return
        self.syncing = True
        self._sync_done = 0
        self.status.set(sync_text="⟳ checking for new papers…", sync_kind="status--sync")
        self._run_sync(self.config.sync_days)

    def auto_sync(self) -> None:
        """The periodic sync of a reader left open all day: silent when one is already running."""
        if not self.syncing and not self.library.offline:
            self.action_sync()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _run_sync(self, days: int) -> None:
        try:
            summary = self.library.sync(
                days,
                on_day=lambda result: self.post_message(SyncDayDone(result)),
                on_plan=lambda todo: self.post_message(SyncPlanned(len(todo))),
            )
        except PapertuiError as exc:
            self.post_message(SyncDone(None, str(exc)))
            return
        self.post_message(SyncDone(summary))

    @while_mounted
    def on_sync_planned(self, message: SyncPlanned) -> None:
        self._sync_total = message.total
        self.status.set(sync_text=f"⟳ syncing 0/{message.total} days", sync_kind="status--sync")

    @while_mounted
    def on_sync_day_done(self, message: SyncDayDone) -> None:
        self._sync_done += 1
        self.status.set(
            sync_text=f"⟳ syncing {self._sync_done}/{self._sync_total} days",
            sync_kind="status--sync",
        )
        result = message.result
        if result.ok and (result.new or result.updated):
            if self.rq.view.anchor is None:
                self.background(self.library.latest_day, self._first_papers)
            else:
                self.refresh_list()

    def _first_papers(self, latest) -> None:
        if latest is not None and self.rq.view.anchor is None:
            self._show_view(View(self.rq.view.kind, latest))
        else:
            self.refresh_list()

    @while_mounted
    def on_sync_done(self, message: SyncDone) -> None:
        self.syncing = False
        summary = message.summary
        if self.total == 0 and (summary is None or not summary.ok):
            self.paper_list.empty_text = "No papers yet: the sync failed (r retries)."
            self.paper_list.refresh()
        if summary is None:
            self.status.set(sync_text=f"sync failed: {message.error}", sync_kind="status--error")
            self.notify(
                message.error or "sync failed", title="Sync failed", severity="error", timeout=8
            )
            return
        stamp = datetime.now().strftime("%H:%M")
        if summary.ok:
            new = sum(r.new for r in summary.results)
            text = f"✓ synced {stamp}" + (f" · {new} new" if new else "")
            self.status.set(sync_text=text, sync_kind="status--sync")
            if self.rq.view.anchor is None:
                self.background(self.library.latest_day, self._first_papers)
            return
        failed = summary.failed
        if all(
            "cannot reach" in (r.error or "") or "did not answer" in (r.error or "") for r in failed
        ):
            self.status.set(
                sync_text="offline · showing cached papers", sync_kind="status--offline"
            )
            self.notify(
                failed[0].error or "",
                title="No network: showing cached papers",
                severity="warning",
                timeout=6,
            )
            return
        self.status.set(sync_text=f"⚠ sync: {len(failed)} day(s) failed", sync_kind="status--error")
        details = "\n".join(f"{r.day}: {r.error}" for r in failed[:5])
        self.notify(details, title="Some days failed to sync", severity="error", timeout=10)
