"""Your own library from the reader: tags (`t`, the tag view `T`), notes (`e`, in the reader's
editor or your own), saved searches (`S`, the list `L`).

The app routes keys here. Reads run in workers; a change is written on the UI thread, as read
and bookmark changes are: small, and on disk before the key press returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from textual.app import SuspendNotSupported

from ..config import Config
from ..errors import PapertuiError
from ..library import edit_text, editor_command
from ..models import ListRow, SavedSearch
from ..service import SavedCount, Service
from ..views import SORT_LABELS, ReaderQuery
from .screens.library import NoteEditor, SavedList, SaveSearch, TagEditor, TagView
from .widgets.detail import PaperDetail
from .widgets.paper_list import PaperList


class LibraryHost(Protocol):
    """What the library controller needs of the reader."""

    service: Service
    config: Config
    rq: ReaderQuery

    @property
    def paper_list(self) -> PaperList: ...

    @property
    def detail(self) -> PaperDetail: ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...

    def background(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None: ...

    def current_row(self) -> ListRow | None: ...

    def keys_for(self, action_id: str) -> str: ...

    def reload_paper(self) -> None: ...

    def suspend(self) -> Any: ...

    def open_query(self, rq: ReaderQuery) -> None: ...


class LibraryController:
    def __init__(self, host: LibraryHost):
        self.host = host

    # ---- tags ---------------------------------------------------------------------------

    def edit_tags(self) -> None:
        """The popup opens at once (what is typed next goes into it), with the row's tags."""
        host = self.host
        row = host.current_row()
        if row is None:
            return
        try:
            names = host.service.tag_names()
        except PapertuiError as exc:
            host.notify(str(exc), severity="error", timeout=8)
            return
        host.push_screen(
            TagEditor(row.title, row.tags, names), lambda tags: self._save_tags(row, tags)
        )

    def _save_tags(self, row: ListRow, tags: list[str] | None) -> None:
        if tags is None:
            return
        host = self.host
        try:
            saved = host.service.set_tags(row.id, tags)
        except PapertuiError as exc:
            host.notify(str(exc), title="Tags not saved", severity="error", timeout=8)
            return
        self._replace_row(row.id, tags=tuple(saved))
        host.notify(f"Tags: {' '.join(saved)}." if saved else "No tags.", timeout=3)

    def tag_view(self) -> None:
        host = self.host
        try:
            names = host.service.tag_names()
        except PapertuiError as exc:
            host.notify(str(exc), severity="error", timeout=8)
            return

        def opened(name: str | None) -> None:
            if name is not None:
                host.open_query(replace(host.rq, text=f"tag:{name}"))

        screen = TagView(
            names, f"No tags yet: {host.keys_for('app.edit_tags')} tags the highlighted paper."
        )
        host.push_screen(screen, opened)
        host.background(host.service.tag_counts, screen.show_counts)

    # ---- notes --------------------------------------------------------------------------

    def edit_note(self) -> None:
        host = self.host
        row = host.current_row()
        if row is None:
            return
        if host.config.editor.strip():
            self._edit_outside(row)
            return
        try:
            note = host.service.note(row.id)
        except PapertuiError as exc:
            host.notify(str(exc), severity="error", timeout=8)
            return
        keys = (
            f"{host.keys_for('note.save')} saves (an empty note is removed) · "
            f"{host.keys_for('note.close')} closes"
        )
        host.push_screen(
            NoteEditor(row.title, note or "", keys), lambda text: self._save_note(row, text)
        )

    def _edit_outside(self, row: ListRow) -> None:
        """The note in the user's editor (`editor` in the config): the reader steps aside while
        it runs, and comes back when it exits."""
        host = self.host
        failed: Exception | None = None
        try:
            command = editor_command(host.config.editor)
            before = host.service.note(row.id) or ""
            with host.suspend():
                # Nothing may leave this block raising: Textual resumes the reader only when it
                # ends normally, and an editor that fails would leave the terminal to no one.
                try:
                    text = edit_text(before, command, name=row.id)
                except (PapertuiError, OSError) as exc:
                    failed = exc
        except PapertuiError as exc:
            failed = exc
        except SuspendNotSupported as exc:  # no terminal to hand over (e.g. a web driver)
            host.notify(
                f"Cannot open your editor here ({type(exc).__name__}); nothing was saved.",
                title="Note not saved",
                severity="error",
                timeout=8,
            )
            return
        if failed is not None:
            message = (
                str(failed) if isinstance(failed, PapertuiError) else f"{failed}; nothing was saved"
            )
            host.notify(message, title="Note not saved", severity="error", timeout=8)
            return
        self._save_note(row, text)

    def _save_note(self, row: ListRow, text: str | None) -> None:
        if text is None:
            return
        host = self.host
        try:
            outcome = host.service.set_note(row.id, text)
        except PapertuiError as exc:
            host.notify(str(exc), title="Note not saved", severity="error", timeout=8)
            return
        if outcome == "unchanged":
            host.notify("The note is unchanged.", timeout=2)
            return
        self._replace_row(row.id, noted=outcome == "saved")
        host.notify("Note saved." if outcome == "saved" else "Note removed.", timeout=3)

    def _replace_row(self, paper_id: str, **changes: Any) -> None:
        host = self.host
        current = host.paper_list.find_row(paper_id)
        if current is not None:
            host.paper_list.replace_row(replace(current, **changes))
        if host.detail.paper is not None and host.detail.paper.id == paper_id:
            host.reload_paper()

    # ---- saved searches -----------------------------------------------------------------

    def save_search(self) -> None:
        host = self.host
        rq = host.rq
        if rq.is_default():
            host.notify(
                "Nothing to save: search for something, or show unread papers or bookmarks only, "
                "then save that.",
                timeout=5,
            )
            return
        what = rq.describe()
        if not rq.text.strip():
            what += f" ({rq.view.kind} view)"
        suggested = rq.text.strip() or " ".join(
            f for f, on in (("Unread", rq.unread_only), ("Bookmarks", rq.bookmarks_only)) if on
        )

        def named(name: str | None) -> None:
            if name is None:
                return
            try:
                replaced = host.service.save_search(rq.to_saved(name))
            except (PapertuiError, ValueError) as exc:
                host.notify(str(exc), title="Search not saved", severity="error", timeout=8)
                return
            verb = "Replaced" if replaced else "Saved"
            host.notify(
                f"{verb} the search “{name}” ({SORT_LABELS[rq.order]}). "
                f"{host.keys_for('app.saved_searches')} lists your saved searches.",
                timeout=4,
            )

        try:
            names = [saved.name for saved in host.service.saved_searches()]
        except PapertuiError as exc:
            host.notify(str(exc), severity="error", timeout=8)
            return
        host.push_screen(SaveSearch(what, suggested, names), named)

    def saved_searches(self) -> None:
        host = self.host

        def delete(saved: SavedSearch) -> bool:
            try:
                host.service.delete_saved_search(saved.name)
            except PapertuiError as exc:
                host.notify(str(exc), severity="error", timeout=6)
                return False
            host.notify(f"Deleted the saved search “{saved.name}”.", timeout=3)
            return True

        def opened(saved: SavedSearch | None) -> None:
            if saved is not None:
                host.background(lambda: host.service.saved_query(saved), host.open_query)

        try:
            searches = host.service.saved_searches()
        except PapertuiError as exc:
            host.notify(str(exc), severity="error", timeout=8)
            return
        keys = f"Enter opens · {host.keys_for('saved.delete')} deletes · Esc closes"
        empty = (
            f"No saved searches yet: {host.keys_for('app.save_search')} saves the one you are in."
        )
        screen = SavedList(searches, delete, keys, empty)
        host.push_screen(screen, opened)
        host.background(
            lambda: host.service.saved_counts(searches),
            lambda counted: screen.show_counts(_by_key(counted)),
        )


def _by_key(counted: list[SavedCount]) -> dict[str, tuple[int | None, int | None, str | None]]:
    return {c.saved.key: (c.total, c.unread, c.error) for c in counted}
