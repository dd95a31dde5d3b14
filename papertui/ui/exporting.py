"""Copying and saving BibTeX / Markdown from the reader: of the highlighted paper, of the
bookmarks, or of exactly the papers of the current view or search.

`E` opens a menu (which papers, then copy or save as what); the command palette has every
combination as its own command (`EXPORT_COMMANDS`). The text comes from the core exporters
through `Service.export_papers`, built in a worker so 100,000 papers never freeze the reader;
the clipboard is `clipboard.copy` (with a size check for the terminal's OSC 52); files are
written whole or not at all (`files.write_atomically`) after the prompt checked the path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from .. import clipboard
from ..errors import PapertuiError
from ..files import SaveTarget, tilde
from ..models import ListRow
from ..paths import default_export_dir
from ..plural import plural
from ..query import Is
from ..scopes import (
    FORMAT_NAMES,
    SCOPE_KINDS,
    ExportFormat,
    ExportScope,
    ScopeKind,
    bookmarks_scope,
    paper_scope,
    view_scope,
)
from ..service import Service
from ..views import ReaderQuery
from .literal import plain
from .screens.copy_menu import CopyMenu
from .screens.save_prompt import SavePrompt

Verb = Literal["copy", "save"]
LARGE = 2000  # papers: above this, say that the work has started
SCOPE_TITLES: dict[ScopeKind, str] = {
    "paper": "this paper",
    "bookmarks": "bookmarks",
    "view": "this view",
}
_WHICH: dict[ScopeKind, str] = {
    "paper": "the highlighted paper",
    "bookmarks": "every bookmarked paper",
    "view": "the papers of this view or search (in its order)",
}


@dataclass(frozen=True)
class ExportCommand:
    """One command-palette entry: copy or save, BibTeX or Markdown, of which papers."""

    verb: Verb
    fmt: ExportFormat
    scope: ScopeKind

    @property
    def title(self) -> str:
        ellipsis = "…" if self.verb == "save" else ""
        return f"{self.verb.capitalize()} {FORMAT_NAMES[self.fmt]}: {SCOPE_TITLES[self.scope]}{ellipsis}"

    @property
    def help(self) -> str:
        where = "to the clipboard" if self.verb == "copy" else "to a file you name"
        return f"{self.verb.capitalize()} {_WHICH[self.scope]} as {FORMAT_NAMES[self.fmt]} {where}"


EXPORT_COMMANDS: tuple[ExportCommand, ...] = tuple(
    ExportCommand(verb, fmt, scope)
    for scope in SCOPE_KINDS
    for verb in ("copy", "save")
    for fmt in ("bibtex", "markdown")
)

# The second menu of `E`: (key, label, (verb, format)).
_ACTIONS: list[tuple[str, str, Verb, ExportFormat]] = [
    ("b", "Copy BibTeX", "copy", "bibtex"),
    ("m", "Copy Markdown", "copy", "markdown"),
    ("B", "Save BibTeX to a file…", "save", "bibtex"),
    ("M", "Save Markdown to a file…", "save", "markdown"),
]


class ExportHost(Protocol):
    """What exporting needs of the reader."""

    service: Service
    rq: ReaderQuery

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def copy_to_clipboard(self, text: str) -> None: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None: ...

    def current_row(self) -> ListRow | None: ...

    def highlighted(self) -> ListRow | None: ...

    def keys_for(self, action_id: str) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What a copy or save did, for its notification."""

    message: str
    ok: bool = True
    title: str = ""


class ExportController:
    def __init__(
        self,
        host: ExportHost,
        *,
        today: Callable[[], date] = date.today,
        folder: Callable[[], Path] = default_export_dir,
    ):
        self.host = host
        self.today = today
        self.default_folder = folder
        self.folder: Path | None = None  # where the last save went: offered next time

    # ---- choosing ---------------------------------------------------------------------

    def menu(self) -> None:
        """`E`: which papers (with their counts), then what to do with them."""
        host = self.host
        row = host.highlighted()
        try:
            view: ExportScope | None = view_scope(host.rq, self.today())
        except PapertuiError:
            view = None  # the search can't be understood; choosing it says why

        def count() -> tuple[int, int | None]:
            bookmarks = host.service.count(Is("bookmarked"))
            return bookmarks, host.service.count(view.where) if view else None

        def labels(bookmarks: str, in_view: str) -> dict[str, str]:
            return {
                "k": f"bookmarks ({bookmarks})",
                "v": plain(f"this view: {view.short} ({in_view})")
                if view
                else "this view (the search can't be understood)",
            }

        def counted(counts: tuple[int, int | None]) -> None:
            bookmarks, in_view = counts
            menu.relabel(labels(plural(bookmarks, "paper"), plural(in_view or 0, "paper")))

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice:
                self._choose_action(choice[1])  # type: ignore[arg-type]

        # The menu opens at once, counts to follow: keys typed right after `E` are its own.
        first = labels("counting…", "counting…")
        choices = [
            (
                "p",
                plain(f"this paper ({row.id})" if row else "this paper (none highlighted)"),
                "paper",
            ),
            ("k", first["k"], "bookmarks"),
            ("v", first["v"], "view"),
        ]
        menu = CopyMenu("copy or save BibTeX / Markdown of…", choices, verb="Export")
        host.push_screen(menu, chosen)
        host.background(count, counted)

    def _choose_action(self, kind: ScopeKind) -> None:
        scope = self._scope(kind)
        if scope is None:
            return
        choices = [(key, label, f"{verb} {fmt}") for key, label, verb, fmt in _ACTIONS]

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice:
                verb, fmt = choice[1].split()
                self._start(verb, fmt, scope)  # type: ignore[arg-type]

        title = {"bookmarks": "bookmarks", "paper": f"this paper: {scope.detail}"}.get(
            kind, f"this view: {scope.detail}"
        )
        self.host.push_screen(CopyMenu(plain(title), choices, verb="Export"), chosen)

    def run(self, verb: Verb, fmt: ExportFormat, kind: ScopeKind) -> None:
        """A palette command: copy or save at once (the prompt asks where)."""
        scope = self._scope(kind)
        if scope is not None:
            self._start(verb, fmt, scope)

    def _scope(self, kind: ScopeKind) -> ExportScope | None:
        """The papers of `kind` as they are now; None (said why) when there is no such thing."""
        host = self.host
        if kind == "paper":
            row = host.current_row()  # says "No paper is highlighted." when there is none
            return paper_scope(row.id, row.title) if row else None
        if kind == "bookmarks":
            return bookmarks_scope(self.today())
        try:
            return view_scope(host.rq, self.today())
        except PapertuiError as exc:
            host.notify(
                str(exc), title="The search can't be understood", severity="warning", timeout=6
            )
            return None

    def _start(self, verb: Verb, fmt: ExportFormat, scope: ExportScope) -> None:
        """Count the papers first: nothing is copied, and no prompt opens, for none."""
        self.host.background(
            lambda: self.host.service.count(scope.where),
            lambda count: self._counted(verb, fmt, scope, count),
        )

    def _counted(self, verb: Verb, fmt: ExportFormat, scope: ExportScope, count: int) -> None:
        if count == 0:
            self.host.notify(self._none(verb, scope), timeout=4)
        elif verb == "copy":
            self._copy(fmt, scope, count)
        else:
            self._ask_where(fmt, scope, count)

    def _none(self, verb: Verb, scope: ExportScope) -> str:
        nothing = "nothing to copy" if verb == "copy" else "nothing saved"
        if scope.kind == "bookmarks":
            key = self.host.keys_for("app.toggle_bookmark")
            return f"No bookmarks yet: {nothing}. {key} bookmarks the highlighted paper."
        if scope.kind == "paper":
            return f"That paper is no longer in the cache: {nothing}."
        return f"No papers in {scope.label}: {nothing}."

    # ---- copying ----------------------------------------------------------------------

    def _copy(self, fmt: ExportFormat, scope: ExportScope, count: int) -> None:
        host, name = self.host, FORMAT_NAMES[fmt]
        if count > LARGE:
            host.notify(f"Copying the {name} of {plural(count, 'paper')}…", timeout=3)

        def osc52(text: str) -> None:  # the terminal is written on the UI thread
            host.call_from_thread(host.copy_to_clipboard, text)

        def work() -> Outcome:
            exported = host.service.export_papers(
                fmt, scope.where, sort=scope.sort, heading=scope.heading
            )
            if exported.count == 0:
                return Outcome(self._none("copy", scope))
            what = self._what(name, scope, exported.count)
            try:
                how = clipboard.copy(exported.text, osc52=osc52)
            except clipboard.TooBigForTerminal as exc:
                return Outcome(
                    f"The {what} is too big to copy: {exc}. Save it to a file instead "
                    f"(“Save {name}: {SCOPE_TITLES[scope.kind]}…”).",
                    ok=False,
                    title="Not copied",
                )
            except clipboard.ClipboardError as exc:
                return Outcome(str(exc), ok=False, title=f"Could not copy the {what}")
            return Outcome(f"Copied the {what} to the {how}.")

        host.background(work, self._tell)

    @staticmethod
    def _what(name: str, scope: ExportScope, count: int) -> str:
        if scope.paper_id is not None:
            return f"{name} of {scope.paper_id}"
        return f"{name} of {plural(count, 'paper')} ({scope.label})"

    # ---- saving -----------------------------------------------------------------------

    def _ask_where(self, fmt: ExportFormat, scope: ExportScope, count: int) -> None:
        name = FORMAT_NAMES[fmt]
        folder = self.folder or self.default_folder()
        file_name = scope.file_name(fmt)
        prompt = SavePrompt(
            f"Save {name}: {scope.label} ({plural(count, 'paper')})",
            scope.detail,
            tilde(folder / file_name),
            file_name,
        )

        def chosen(target: SaveTarget | None) -> None:
            if target is not None:
                self._save(fmt, scope, count, target)

        self.host.push_screen(prompt, chosen)

    def _save(self, fmt: ExportFormat, scope: ExportScope, count: int, target: SaveTarget) -> None:
        host, shown = self.host, tilde(target.path)
        if count > LARGE:
            host.notify(f"Saving {plural(count, 'paper')} to {shown}…", timeout=3)

        def work() -> Outcome:
            try:
                count = host.service.save_papers(
                    fmt, scope.where, target.path, sort=scope.sort, heading=scope.heading
                )
            except OSError as exc:
                return Outcome(
                    f"{shown}: {exc.strerror or exc}. Nothing was written.",
                    ok=False,
                    title="Could not save",
                )
            if count == 0:
                return Outcome(self._none("save", scope))
            self.folder = target.path.parent
            return Outcome(f"Saved {plural(count, 'paper')} to {shown}.")

        host.background(work, self._tell)

    def _tell(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.host.notify(outcome.message, timeout=5)
        else:
            self.host.notify(outcome.message, title=outcome.title, severity="error", timeout=10)
