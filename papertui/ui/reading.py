"""`f`: the highlighted paper's full text in the reading screen.

Cached: parsed in a thread, the first screenful shown as soon as its section is parsed, the rest
following (so a long paper opens as fast as a short one). Not cached and online: fetched in a
worker, the screen showing that it is (Esc cancels). Offline and not cached, or the fetch
failed: the screen says so and shows the abstract with the PDF and arXiv links instead.

The full texts themselves come through `FullTextSource` (the service, see the seam below);
the reading position (the top block) is saved when the reader leaves and restored on open.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..document import Builder, Document, Layout, lay_out
from ..document.abstract import abstract_document
from ..errors import NotFound, PapertuiError, Unreachable
from ..latex import shown
from ..links import arxiv_abs_url, arxiv_pdf_url, hf_url
from ..models import ListRow, StoredPaper
from .actions import reading_hints
from .screens.reading import ReadingScreen

if TYPE_CHECKING:
    from ..service import Service

FIRST_BLOCKS = 30  # parsed before the screen first draws (a screenful and more)
KEPT_DOCUMENTS = 4  # whole parsed texts kept for the session: reopening one is instant


class FullTextLike(Protocol):
    """What the reading screen needs of a stored full text (`models.FullText`)."""

    @property
    def paper_id(self) -> str: ...

    @property
    def markdown(self) -> str: ...

    @property
    def fallback(self) -> bool: ...


class FullTextSource(Protocol):
    """Where full texts and reading positions come from: the `Service` (tests give a stand-in,
    `tests/reading_helpers.py`)."""

    offline: bool

    def full_text(self, paper_id: str) -> FullTextLike | None: ...

    def fetch_full_text(
        self, paper_id: str, *, force: bool = False, cancel: threading.Event | None = None
    ) -> FullTextLike: ...

    def reading_position(self, paper_id: str) -> int | None: ...

    def save_reading_position(self, paper_id: str, block: int) -> None: ...


if TYPE_CHECKING:  # the service is the source: mypy checks it keeps that shape

    def _the_service_is_a_source(service: Service) -> FullTextSource:
        return service


# ---- the controller -----------------------------------------------------------------------


class FullTextHost(Protocol):
    """What the controller needs of the reader."""

    service: Any
    links: Any

    @property
    def screen(self) -> Any: ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None: ...

    def current_row(self) -> ListRow | None: ...

    def keys_for(self, action_id: str) -> str: ...


@dataclass
class _Opened:
    """What the loading worker hands the screen: the first part of the document, the builder
    that parses the rest, and where the reader was."""

    document: Document | None = None
    builder: Builder | None = None
    position: int | None = None
    fallback: bool = False
    paper: StoredPaper | None = None
    problem: str = ""  # why there is no full text to show
    text: FullTextLike | None = None
    layout: Layout | None = None  # a kept layout of the whole text (for one width)


class FullTextController:
    def __init__(self, host: FullTextHost, reading_width: int = 90):
        self.host = host
        self.reading_width = reading_width
        self.source: FullTextSource = host.service
        self._opening = False  # a text is being read for `f`: another `f` waits
        self._lock = threading.Lock()
        self._parsed_texts: OrderedDict[tuple[str, bool], tuple[str, Document, Layout | None]] = (
            OrderedDict()
        )

    def open(self) -> None:
        """Read the cached text in a thread, then open the screen on its first part: the
        screen's first frame already has the paper's lines (drawing it empty first, then again,
        cost the open ~40 ms). Without a cached text the screen opens to say what happens."""
        row = self.host.current_row()
        if row is None or self._opening or isinstance(self.host.screen, ReadingScreen):
            return
        self._opening = True
        paper_id = row.id
        title = shown(row.title)

        def arrived(opened: _Opened) -> None:
            self._opening = False
            if isinstance(self.host.screen, ReadingScreen):
                return
            cancel = threading.Event()
            kept = {"text": opened.document is not None}  # a real full text: its place is kept
            screen = self._screen(paper_id, title, cancel, kept)
            self.host.push_screen(screen)
            if opened.document is None:
                if not self.source.offline and not opened.problem:
                    self._fetch(screen, paper_id, cancel, kept)
                else:
                    self._show_abstract(screen, paper_id, opened.paper, opened.problem)
                return
            screen.show_document(
                opened.document, opened.layout, block=opened.position, fallback=opened.fallback
            )
            if opened.builder is not None:
                self._finish(screen, paper_id, opened)

        def load() -> _Opened:
            try:
                return self._load(paper_id)
            except BaseException:  # a bug: reported by the worker; `f` works again
                self._opening = False
                raise

        self.host.background(load, arrived)

    def _screen(
        self, paper_id: str, title: str, cancel: threading.Event, kept: dict[str, bool]
    ) -> ReadingScreen:
        def leave(block: int | None) -> None:
            if block is None or not kept["text"]:
                return
            try:
                self.source.save_reading_position(paper_id, block)
            except PapertuiError as exc:
                self.host.notify(str(exc), title="Reading position not saved", severity="warning")

        return ReadingScreen(
            paper_id,
            title,
            reading_width=self.reading_width,
            on_leave=leave,
            on_link=self._link,
            on_pdf=lambda: self.host.links.open_link("PDF", arxiv_pdf_url(paper_id)),
            on_cancel=cancel.set,
            key_hints=reading_hints(self.host.keys_for),
        )

    def warm_up(self) -> None:
        """Build the Markdown parser and the LaTeX converter before the first `f` needs them
        (imports and tables: ~40 ms), in a thread while the reader sits idle; then move what
        exists by now (Textual's widgets and styles, those tables: long-lived) out of the
        cyclic GC's full passes, which otherwise walk all of it every time a paper's text adds
        its objects (measured: 50-170 ms pauses, landing on key presses)."""

        def warm() -> None:
            Builder("$x^2$ and $\\alpha$").run()

        self.host.background(warm, lambda _result: gc.freeze())

    def _load(self, paper_id: str) -> _Opened:
        """In a thread: the cached text, parsed far enough to draw (and past the saved spot)."""
        try:
            text = self.source.full_text(paper_id)
            position = self.source.reading_position(paper_id) if text is not None else None
        except PapertuiError as exc:
            return _Opened(
                paper=self._paper(paper_id), problem=f"The full text could not be read: {exc}"
            )
        if text is None:
            problem = ""
            if self.source.offline:
                problem = (
                    "Offline, and the full text of this paper is not cached. Here is the "
                    "abstract; the PDF and the arXiv page are under Links (l), and p opens the PDF."
                )
            return _Opened(paper=self._paper(paper_id), problem=problem)
        return self._parsed(paper_id, text, position)

    def _parsed(self, paper_id: str, text: FullTextLike, position: int | None) -> _Opened:
        """The text parsed far enough to draw at the saved place (all of it before that place:
        a block is known by its number). A paper read earlier in the session comes parsed."""
        key = (paper_id, text.fallback)
        with self._lock:
            kept = self._parsed_texts.get(key)
            if kept is not None and kept[0] == text.markdown:
                self._parsed_texts.move_to_end(key)
                return _Opened(kept[1], None, position, text.fallback, text=text, layout=kept[2])
        builder = Builder(text.markdown, fallback=text.fallback, pdf_url=arxiv_pdf_url(paper_id))
        builder.until(max(position or 0, 0) + FIRST_BLOCKS)
        return _Opened(_snapshot(builder.document), builder, position, text.fallback, text=text)

    def _keep(
        self, paper_id: str, text: FullTextLike | None, document: Document, layout: Layout
    ) -> None:
        """Remember a whole parsed text and its layout for this session (the last few)."""
        if text is None or not document.complete:
            return
        with self._lock:
            self._parsed_texts[(paper_id, text.fallback)] = (text.markdown, document, layout)
            while len(self._parsed_texts) > KEPT_DOCUMENTS:
                self._parsed_texts.popitem(last=False)

    def _paper(self, paper_id: str) -> StoredPaper | None:
        try:
            return self.host.service.paper(paper_id)
        except PapertuiError:
            return None

    def _fetch(
        self, screen: ReadingScreen, paper_id: str, cancel: threading.Event, kept: dict
    ) -> None:
        screen.show_loading(
            f"Fetching the full text of {paper_id} from Hugging Face… (Esc cancels)"
        )

        def fetch() -> _Opened:
            try:
                text = self.source.fetch_full_text(paper_id, cancel=cancel)
            except NotFound:
                return _Opened(
                    paper=self._paper(paper_id),
                    problem="Hugging Face has no full text of this paper. Here is the abstract; "
                    "the PDF is under Links (l), and p opens it.",
                )
            except Unreachable as exc:
                return _Opened(
                    paper=self._paper(paper_id),
                    problem=f"Hugging Face could not be reached ({exc}). Here is the abstract; "
                    "the PDF and the arXiv page are under Links (l).",
                )
            except PapertuiError as exc:
                return _Opened(
                    paper=self._paper(paper_id),
                    problem=f"The full text could not be fetched: {exc}. Here is the abstract.",
                )
            return self._parsed(paper_id, text, None)

        def fetched(opened: _Opened) -> None:
            if screen.closed or cancel.is_set():
                return
            if opened.document is None:
                self._show_abstract(screen, paper_id, opened.paper, opened.problem)
                return
            kept["text"] = True
            screen.show_document(opened.document, block=0, fallback=opened.fallback)
            if opened.builder is not None:
                self._finish(screen, paper_id, opened)

        self.host.background(fetch, fetched)

    def _finish(self, screen: ReadingScreen, paper_id: str, opened: _Opened) -> None:
        """Parse and lay out the rest in a thread, then show the whole document. It starts once
        the first lines are painted, and lets the UI thread in between pieces, so neither the
        first paint nor the keys pressed meanwhile wait for it (the GIL is shared)."""
        measure = _rich_cell_len()
        builder, fallback = opened.builder, opened.fallback
        assert builder is not None

        def rest(width: int) -> tuple[Document, Layout]:
            while builder.step():
                time.sleep(0)  # the UI thread's turn
            document = builder.document
            layout = lay_out(document, width, measure)
            self._keep(paper_id, opened.text, document, layout)
            return document, layout

        def done(result: tuple[Document, Layout]) -> None:
            if not screen.closed:
                screen.show_document(result[0], result[1], fallback=fallback)

        def start() -> None:
            if not screen.closed:
                width = screen.view.wanted_width
                self.host.background(lambda: rest(width), done)

        screen.call_after_refresh(start)

    def _show_abstract(
        self, screen: ReadingScreen, paper_id: str, paper: StoredPaper | None, problem: str
    ) -> None:
        links = [
            ("PDF", arxiv_pdf_url(paper_id)),
            ("arXiv abstract page", arxiv_abs_url(paper_id)),
            ("Hugging Face page", hf_url(paper_id)),
        ]
        document = abstract_document(
            paper.title if paper else screen.paper_title,
            paper.abstract if paper else None,
            problem or "There is no full text of this paper to show. Here is the abstract.",
            links,
            paper.authors if paper else None,
        )
        screen.show_document(document, block=0)

    def _link(self, verb: str, link: Any) -> None:
        if not link.openable:
            self.host.notify(
                f"Refused to {verb} link [{link.number}]: only http(s) links are "
                f"{'opened' if verb == 'open' else 'copied'}.",
                severity="error",
            )
            return
        label = f"link [{link.number}]"
        if verb == "copy":
            self.host.links.copy_text(label, link.url)
        else:
            self.host.links.open_link(label, link.url)


def _snapshot(document: Document) -> Document:
    """A copy of a document's lists, so the thread parsing the rest never changes what the
    screen is drawing."""
    return Document(
        blocks=list(document.blocks),
        links=list(document.links),
        headings=list(document.headings),
        notices=list(document.notices),
        complete=document.complete,
    )


def _rich_cell_len() -> Callable[[str], int]:
    from rich.cells import cell_len

    return cell_len
