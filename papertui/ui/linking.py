"""Copying and opening links from the reader: the clipboard, the copy menu, the browser.

Only http(s) URLs are copied as links or opened (`links.safe_url`).
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any, Protocol

from .. import clipboard
from ..export import bibtex_entry, markdown_link
from ..links import arxiv_abs_url, arxiv_pdf_url, hf_url, safe_url
from ..models import ListRow, StoredPaper
from ..service import Service
from .screens.copy_menu import CopyMenu


class LinkHost(Protocol):
    """What the link controller needs of the reader."""

    service: Service

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def copy_to_clipboard(self, text: str) -> None: ...

    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None: ...

    def current_row(self) -> ListRow | None: ...


class LinkController:
    """`y`, `Y`, `o` and `O`."""

    def __init__(self, host: LinkHost):
        self.host = host

    def copy_text(self, label: str, text: str) -> None:
        try:
            how = clipboard.copy(text, osc52=self.host.copy_to_clipboard)
        except clipboard.ClipboardError as exc:
            self.host.notify(
                str(exc), title=f"Could not copy the {label}", severity="error", timeout=6
            )
            return
        self.host.notify(f"Copied the {label} to the {how}.", timeout=3)

    def copy_link(self) -> None:
        if row := self.host.current_row():
            self.copy_text("Hugging Face link", hf_url(row.id))

    def copy_menu(self) -> None:
        self._menu("Copy")

    def open_menu(self) -> None:
        self._menu("Open")

    def _menu(self, verb: str) -> None:
        """The copy (`Y`) or open (`O`) menu of the highlighted paper's links."""
        if row := self.host.current_row():
            self.host.background(
                lambda: self.host.service.paper(row.id), lambda p: self._show_menu(verb, p)
            )

    def _show_menu(self, verb: str, paper: StoredPaper | None) -> None:
        if paper is None:
            return
        copying = verb == "Copy"
        noun = " link" if copying else ""
        choices = [
            ("h", "Hugging Face" + (" link" if copying else " page"), hf_url(paper.id)),
            ("a", "arXiv abstract" + noun, arxiv_abs_url(paper.id)),
            ("p", "PDF" + noun, arxiv_pdf_url(paper.id)),
        ]
        for key, label, url in (
            ("g", "GitHub" + (" link" if copying else " repository"), paper.github_repo),
            ("w", "project page" + noun, paper.project_page),
        ):
            if url:  # a link that is not http(s) stays in the menu, to say why it is refused
                choices.append((key, label, safe_url(url) or ""))
        if copying:
            choices += [
                ("b", "BibTeX entry", bibtex_entry(paper)),
                ("m", "Markdown link", markdown_link(paper)),
            ]
        act = self.copy_text if copying else self.open_link
        done = "copied" if copying else "opened"

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice and not choice[1]:
                self.host.notify(
                    f"Refused to {verb.lower()} the {choice[0]}: only http(s) links are {done}.",
                    severity="error",
                )
            elif choice:
                act(*choice)

        self.host.push_screen(CopyMenu(paper.title, choices, verb=verb), chosen)

    def open_page(self) -> None:
        if row := self.host.current_row():
            self.open_link("Hugging Face page", hf_url(row.id))

    def open_pdf(self) -> None:
        if row := self.host.current_row():
            self.open_link("PDF", arxiv_pdf_url(row.id))

    def open_link(self, label: str, url: str) -> None:
        safe = safe_url(url)
        if safe is None:
            self.host.notify(
                f"Refused to open {url[:60]!r}: only http(s) links are opened.", severity="error"
            )
            return

        def opened(ok: bool) -> None:
            if ok:
                self.host.notify(f"Opened the {label} in your browser.", timeout=3)
            else:
                self.host.notify(
                    f"No browser available. The link: {safe}", severity="warning", timeout=8
                )

        self.host.background(lambda: webbrowser.open(safe), opened)
