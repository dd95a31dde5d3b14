"""The full-text half of the application layer: `Service` inherits these use cases.

Reading a cached full text, fetching one or many (the paper's metadata first when it is not
cached), the missing texts of bookmarked papers, and the reader's position in each paper. Writes
of fetched texts go through a connection of their own, as a sync's do, so the reader's reads
and its tiny state writes never queue behind a text being indexed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import fulltext as texts
from .errors import NotFound, NotIndexed, PapertuiError, Unreachable
from .fulltext import Job, TextResult, TextsSummary
from .models import FullText, Origin
from .netguard import CANCELLED, Cancelled, Stop
from .ratelimit import RateLimiter
from .store import PreparedText, Store, TextInfo, prepare_text

if TYPE_CHECKING:
    from .hf_api import HfApi


class FullTexts:
    """The full-text methods of `Service` (see there for the connections and the offline rule)."""

    if TYPE_CHECKING:
        db_path: Path
        offline: bool
        page_limiter: RateLimiter

        @property
        def store(self) -> Store: ...

        def _state_store(self) -> Store: ...

        def api(self, what: str) -> HfApi: ...

    def full_text(self, paper_id: str) -> FullText | None:
        """The cached full text of a paper (never the network); None when there is none."""
        return self.store.full_text(paper_id)

    def not_indexed_since(self, paper_id: str) -> str | None:
        """When Hugging Face last said it has no page (so no text) for the paper, if it did."""
        return self.store.not_indexed_since(paper_id)

    def fetch_full_text(
        self, paper_id: str, *, force: bool = False, cancel: threading.Event | None = None
    ) -> FullText:
        """A paper's full text: the cached one unless `force` or it is a fallback due for
        another try; otherwise fetched (the paper's metadata too when it is not cached) and
        stored. `Offline` when it must be fetched and papertui is offline; `NotIndexed` when
        Hugging Face does not have the paper; network errors as the API raises them
        (`Unreachable` for no network, `Cancelled` when `cancel` is set). A fetch that fails
        or arrives garbled leaves the cached text as it was."""
        info = self.store.full_text_infos([paper_id]).get(paper_id)
        if info is not None and (self.offline or not (force or _due(info))):
            cached = self.store.full_text(paper_id)
            if cached is not None:  # else a damaged row: fetched again
                return cached
        stop = Stop(cancel=cancel)
        with self.api(f"fetching the full text of {paper_id}") as api:
            api.page_limiter = self.page_limiter
            self._ensure_paper(api, paper_id, stop)
            abstract = self._abstracts([paper_id]).get(paper_id)
            job = Job(paper_id, info.etag if info else None, abstract, _has_full(info))
            download = api.full_text(paper_id, stop=stop, etag=job.etag)
            with Store(self.db_path) as store:
                if download is None:
                    store.touch_full_text(paper_id)
                else:
                    store.put_full_text(_prepared(job, download))
                text = store.full_text(paper_id)
        if text is None:  # pragma: no cover - just stored
            raise PapertuiError(f"the full text of {paper_id} could not be read back")
        return text

    def fetch_full_texts(
        self,
        ids: Sequence[str],
        *,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Callable[[TextResult], object] | None = None,
        on_plan: Callable[[int], object] | None = None,
        budget: float | None = None,
    ) -> TextsSummary:
        """Fetch the full texts of many papers, each stored as it arrives (its own transaction).

        Those cached are skipped (counted as already cached) unless `force`, or a fallback is
        due for another try. Papers not cached are looked up first (NotIndexed when Hugging
        Face does not have them). `on_plan(n)` says how many will be fetched, `progress` is
        called with each result. `cancel` (from any thread) stops it within about a second and
        `budget` (seconds) bounds it; texts not reached are reported "not fetched", those
        stored stay stored. `Offline` when something must be fetched and papertui is offline.
        """
        wanted = list(dict.fromkeys(ids))
        summary = TextsSummary(requested=wanted)
        infos = self.store.full_text_infos(wanted)
        todo = [i for i in wanted if force or i not in infos or _due(infos[i])]
        fetching = set(todo)
        summary.cached = [i for i in wanted if i not in fetching]
        if on_plan:
            on_plan(len(todo))
        if not todo:
            return summary
        with self.api("fetching full texts") as api, Store(self.db_path) as store:
            api.page_limiter = self.page_limiter
            jobs = self._jobs(api, store, todo, infos, summary, cancel, progress)

            def write(job: Job, prepared: object) -> TextResult:
                if prepared is None:  # not modified
                    store.touch_full_text(job.paper_id)
                    status = texts.UNCHANGED
                    fallback = bool(infos.get(job.paper_id) and infos[job.paper_id].fallback)
                else:
                    assert isinstance(prepared, PreparedText)
                    status = store.put_full_text(prepared)
                    fallback = prepared.fallback and status != texts.KEPT
                return TextResult(job.paper_id, status, fallback=fallback)

            texts.fetch_texts(
                api,
                jobs,
                prepare=_prepared,
                write=write,
                on_result=lambda result: _tell(summary, result, progress),
                cancel=cancel,
                budget=budget,
            )
            if summary.not_indexed:  # the fetches after a sync skip them for a while
                store.note_not_indexed(r.paper_id for r in summary.not_indexed)
        return summary

    def _jobs(
        self,
        api: HfApi,
        store: Store,
        todo: list[str],
        infos: dict[str, TextInfo],
        summary: TextsSummary,
        cancel: threading.Event | None,
        progress: Callable[[TextResult], object] | None,
    ) -> list[Job]:
        """A job for each paper to fetch, its metadata fetched first when it is not cached
        (those Hugging Face does not have are reported not indexed and get no job)."""
        jobs: list[Job] = []
        stop = Stop(cancel=cancel)
        for index, paper_id in enumerate(todo):
            try:
                self._ensure_paper(api, paper_id, stop, store)
            except NotIndexed as exc:
                _tell(summary, TextResult(paper_id, texts.NOT_INDEXED, error=str(exc)), progress)
                continue
            except (Cancelled, Unreachable) as exc:
                for rest in todo[index:]:
                    result = (
                        TextResult(rest, texts.NOT_FETCHED, error=CANCELLED)
                        if isinstance(exc, Cancelled)
                        else TextResult(rest, texts.FAILED, error=str(exc), unreachable=True)
                    )
                    _tell(summary, result, progress)
                return []
            except PapertuiError as exc:
                _tell(summary, TextResult(paper_id, texts.FAILED, error=str(exc)), progress)
                continue
            info = infos.get(paper_id)
            jobs.append(Job(paper_id, info.etag if info else None, None, _has_full(info)))
        abstracts = self._abstracts([j.paper_id for j in jobs], store)
        return [Job(j.paper_id, j.etag, abstracts.get(j.paper_id), j.has_full) for j in jobs]

    def missing_full_texts_of_bookmarks(self) -> list[str]:
        """Bookmarked papers whose full text is not cached (or is only a fallback due for
        another try), the most recently bookmarked first; not those Hugging Face said it has no
        page for in the same while (it may index them later; `fetch ID` or `f` asks at once)."""
        stale = (datetime.now(UTC) - texts.FALLBACK_RETRY).isoformat(timespec="seconds")
        return self.store.bookmarked_without_text(stale)

    def fetch_missing_full_texts(
        self,
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[TextResult], object] | None = None,
        on_plan: Callable[[int], object] | None = None,
        budget: float | None = None,
    ) -> TextsSummary:
        """Fetch the full texts bookmarked papers lack (what `fulltext = "bookmarked"` asks
        for after a sync or a bookmark; the reader runs it in a worker). Nothing to fetch costs
        no request, offline or not."""
        missing = self.missing_full_texts_of_bookmarks()
        if not missing:
            return TextsSummary()
        return self.fetch_full_texts(
            missing, cancel=cancel, progress=progress, on_plan=on_plan, budget=budget
        )

    def reading_position(self, paper_id: str) -> int | None:
        """Where the reader last was in a paper's full text (an index of the parsed document's
        blocks, opaque here); None when it never was."""
        return self.store.reading_position(paper_id)

    def save_reading_position(self, paper_id: str, block: int) -> None:
        self._state_store().save_reading_position(paper_id, block)

    def _ensure_paper(
        self, api: HfApi, paper_id: str, stop: Stop | None = None, store: Store | None = None
    ) -> None:
        """Cache a paper's metadata from the API when it is not cached (a full text is shown
        and searched with its paper); NotIndexed when Hugging Face does not have it."""
        store = store or self.store
        if store.has_paper(paper_id):
            return
        try:
            fetched = api.paper(paper_id, stop=stop)
        except NotFound:
            raise NotIndexed(
                f"{paper_id} is not indexed on Hugging Face: it has no full text there", 404
            ) from None
        store.upsert([fetched], origin=Origin.PAPER)

    def _abstracts(self, paper_ids: Sequence[str], store: Store | None = None) -> dict[str, str]:
        store = store or self.store
        found = {}
        for paper_id in paper_ids:
            paper = store.paper(paper_id)
            if paper is not None:
                found[paper_id] = paper.abstract
        return found


def _due(info: TextInfo | None) -> bool:
    """Whether a cached text should be fetched again without being asked: a fallback (no arXiv
    HTML version then) older than `FALLBACK_RETRY`, as arXiv often adds the HTML later."""
    if info is None or not info.fallback:
        return False
    try:
        fetched = datetime.fromisoformat(info.fetched_at)
    except ValueError:
        return True
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    return datetime.now(UTC) - fetched > texts.FALLBACK_RETRY


def _has_full(info: TextInfo | None) -> bool:
    return info is not None and not info.fallback


def _prepared(job: Job, download: texts.Download) -> PreparedText:
    """In a fetching thread: tell the fallback, compress and hash."""
    fallback = texts.is_fallback(download.markdown, job.abstract)
    return prepare_text(job.paper_id, download.markdown, fallback=fallback, etag=download.etag)


def _tell(
    summary: TextsSummary, result: TextResult, progress: Callable[[TextResult], object] | None
) -> None:
    summary.results.append(result)
    if progress:
        progress(result)
