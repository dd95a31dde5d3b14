"""The popups of your library: the tag editor (`t`), the note editor (`e`), the tag view (`T`),
saving a search (`S`) and the saved searches (`L`), and a yes/no question.

They only draw and collect input: the app reads and writes through the service and hands them
what to show (never SQL or HTTP here). Every outside string is shown as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ...latex import shown
from ...library import TagError, parse_tags
from ...models import MAX_SAVED_NAME, SavedSearch, TagCount
from ...plural import plural
from ..actions import bindings
from ..literal import plain

_LAST_WORD = re.compile(r"[^\s,]*$")


def _title(verb: str, title: str) -> Static:
    return Static(
        Text(f"{verb} — " + shown(title), no_wrap=True, overflow="ellipsis"), classes="popup-title"
    )


class TagSuggester(Suggester):
    """Completes the tag being typed (the last word) from the tags in use, skipping those
    already in the line."""

    def __init__(self, names: Sequence[str]):
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = list(names)

    async def get_suggestion(self, value: str) -> str | None:
        word = _LAST_WORD.search(value)
        typed = word.group(0).casefold() if word else ""
        if not typed:
            return None
        before = value[: len(value) - len(typed)]
        taken = set(before.casefold().replace(",", " ").split())
        for name in self.names:
            if name.startswith(typed) and name != typed and name not in taken:
                return before + name
        return None


class TagEditor(ModalScreen[list[str] | None]):
    """`t`: the paper's tags as one line. Enter saves (the names checked first), Esc cancels,
    Tab completes the tag being typed."""

    BINDINGS = [*bindings("tags"), Binding("escape", "cancel", "Cancel", id="tags.cancel")]

    def __init__(self, title: str, tags: Sequence[str], names: Sequence[str]):
        super().__init__()
        self.paper_title = title
        self.tags = list(tags)
        self.names = list(names)

    def compose(self) -> ComposeResult:
        with Vertical(id="tags-box", classes="popup"):
            yield _title("Tags", self.paper_title)
            value = " ".join(self.tags) + (" " if self.tags else "")
            yield Input(
                value,
                placeholder="tags, separated by spaces or commas",
                suggester=TagSuggester(self.names),
                select_on_focus=False,  # typing adds to the tags there, never replaces them
                id="tags-input",
            )
            yield Static(id="tags-hint", classes="popup-hint")

    def on_mount(self) -> None:
        self._hint("")

    def _hint(self, value: str) -> None:
        word = _LAST_WORD.search(value)
        typed = word.group(0).casefold() if word else ""
        matching = [n for n in self.names if n.startswith(typed)][:12]
        line = (
            "Yours: " + "  ".join(matching)
            if matching
            else ("No tags yet: type some." if not self.names else "A new tag.")
        )
        hint = self.query_one("#tags-hint", Static)
        hint.remove_class("-error")
        hint.update(Text(line + "\nEnter saves · Tab completes · Esc cancels"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            tags = parse_tags(event.value)
        except TagError as exc:
            hint = self.query_one("#tags-hint", Static)
            hint.add_class("-error")
            hint.update(Text(plain(exc)))
            return
        self.dismiss(tags)

    def action_complete(self) -> None:
        field = self.query_one("#tags-input", Input)
        suggestion = field._suggestion  # what the input shows greyed after the cursor
        if suggestion and suggestion.startswith(field.value[: len(field.value)]):
            field.value = suggestion + " "
            field.cursor_position = len(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question: y answers yes; n or Esc no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "y: yes", no: str = "n or Esc: no"):
        super().__init__()
        self.question = question
        self.choices = f"{yes} · {no}"

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="popup"):
            yield Static(Text(plain(self.question)), classes="popup-title")
            yield Static(Text(self.choices), classes="popup-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# Highlighting re-parses the whole note on every key: up to this size it keeps up (a 1 MB note
# took 2 s a key); a longer note is edited as plain text.
HIGHLIGHT_LIMIT = 100_000


class NoteEditor(ModalScreen[str | None]):
    """`e`: your note on the paper in a text area (Markdown highlighted). The save key stores it
    (empty: no note); the close key leaves, asking first when the text changed."""

    BINDINGS = bindings("note")

    def __init__(self, title: str, note: str, keys: str = "ctrl+s saves · Esc closes"):
        super().__init__()
        self.paper_title = title
        self.note = note
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box", classes="popup"):
            yield _title("Note", self.paper_title)
            language = "markdown" if len(self.note) <= HIGHLIGHT_LIMIT else None
            try:
                area = TextArea(self.note, language=language, soft_wrap=True, tab_behavior="indent")
            except Exception:  # no Markdown grammar installed: plain text, still editable
                area = TextArea(self.note, soft_wrap=True, tab_behavior="indent")
            area.id = "note-text"
            yield area
            yield Static(Text(self.keys), classes="popup-hint")

    def on_mount(self) -> None:
        area = self.query_one("#note-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        return self.query_one("#note-text", TextArea).text

    def action_save(self) -> None:
        self.dismiss(self.text)

    def action_close(self) -> None:
        if self.text == self.note:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            Confirm(
                "Discard your changes to this note?",
                yes="y: discard them",
                no="n or Esc: keep editing",
            ),
            answered,
        )


class TagView(ModalScreen[str | None]):
    """`T`: every tag with how many papers carry it and how many are unread; typing filters,
    Enter opens the highlighted one."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="tagview.close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, names: Sequence[str], empty: str = "No tags yet."):
        super().__init__()
        self.names = list(names)
        self.empty = empty  # what to say without tags (the app names the key, as mapped)
        self.counts: dict[str, TagCount] = {}  # they arrive once counted (`show_counts`)

    def compose(self) -> ComposeResult:
        with Vertical(id="tagview-box", classes="popup"):
            yield Static(Text("Your tags", style="bold"), classes="popup-title")
            yield Input(placeholder="filter", id="tagview-filter")
            yield OptionList(id="tagview-options")
            yield Static(
                Text("Enter opens the tag as the list · ↑↓ move · Esc closes"),
                classes="popup-hint",
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#tagview-filter", Input).focus()

    def show_counts(self, counts: Sequence[TagCount]) -> None:
        self.counts = {c.name: c for c in counts}
        if self.is_mounted:
            self._fill(self.query_one("#tagview-filter", Input).value)

    def _fill(self, typed: str) -> None:
        options = self.query_one("#tagview-options", OptionList)
        options.clear_options()
        if not self.names:
            options.add_option(Option(Text(self.empty), disabled=True))
            return
        wanted = typed.strip().casefold()
        width = max(len(name) for name in self.names)
        for name in (n for n in self.names if wanted in n):
            count = self.counts.get(name)
            numbers = (
                f"{plural(count.papers, 'paper'):>12} · {count.unread:,} unread"
                if count is not None
                else ("…" if not self.counts else "not on a cached paper")
            )
            options.add_option(Option(Text(f"{name:<{width}}  {numbers}"), id=name))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#tagview-options", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if option.id and not option.disabled:
                self.dismiss(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#tagview-options", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SaveSearch(ModalScreen[str | None]):
    """`S`: a name for what the list shows now. Enter saves (replacing a saved search of that
    name, which the hint says), Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="savesearch.cancel")]

    def __init__(self, what: str, suggested: str, existing: Sequence[str]):
        super().__init__()
        self.what = what
        self.suggested = suggested[:MAX_SAVED_NAME]
        self.existing = {name.casefold(): name for name in existing}

    def compose(self) -> ComposeResult:
        with Vertical(id="savesearch-box", classes="popup"):
            yield Static(Text("Save this search", style="bold"), classes="popup-title")
            yield Static(Text(plain(self.what)), classes="popup-what")
            yield Input(self.suggested, placeholder="a name", id="savesearch-name")
            yield Static(id="savesearch-hint", classes="popup-hint")

    def on_mount(self) -> None:
        self._hint(self.suggested)

    def _hint(self, value: str) -> None:
        name = " ".join(value.split())
        same = self.existing.get(name.casefold())
        text = (
            f"“{same}” exists: Enter replaces it · Esc cancels"
            if same
            else "Enter saves · Esc cancels"
        )
        self.query_one("#savesearch-hint", Static).update(Text(plain(text)))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = " ".join(event.value.split())
        hint = self.query_one("#savesearch-hint", Static)
        if not name:
            hint.update(Text("Give it a name first."))
            return
        if len(name) > MAX_SAVED_NAME:
            hint.update(Text(f"At most {MAX_SAVED_NAME} characters."))
            return
        self.dismiss(name)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def describe_saved(saved: SavedSearch) -> str:
    """What a saved search shows, in a few words."""
    parts = [f"“{saved.query}”" if saved.query else f"{saved.view} view"]
    parts += [
        f for f, on in (("unread", saved.unread_only), ("bookmarks", saved.bookmarks_only)) if on
    ]
    return " · ".join(parts)


class SavedList(ModalScreen[SavedSearch | None]):
    """`L`: your saved searches; unread counts arrive as they are counted (`show_counts`).
    Enter opens one; the delete key deletes the highlighted one (after asking)."""

    BINDINGS = [
        *bindings("saved"),
        Binding("escape,q", "dismiss_none", "Close", id="savedlist.close"),
    ]

    def __init__(
        self,
        searches: Sequence[SavedSearch],
        delete: Callable[[SavedSearch], bool],
        keys: str = "Enter opens · d deletes · Esc closes",
        empty: str = "No saved searches yet.",
    ):
        super().__init__()
        self.empty = empty
        self.searches = list(searches)
        self.delete_saved = delete  # the app's: removes it from the cache; whether it did
        self.keys = keys
        self.counts: dict[str, tuple[int | None, int | None, str | None]] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="savedlist-box", classes="popup"):
            yield Static(Text("Saved searches", style="bold"), classes="popup-title")
            yield OptionList(id="savedlist-options")
            yield Static(Text(self.keys), classes="popup-hint")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        options = self.query_one("#savedlist-options", OptionList)
        keep = options.highlighted
        options.clear_options()
        if not self.searches:
            options.add_option(Option(Text(self.empty), disabled=True))
            return
        width = max(len(s.name) for s in self.searches)
        for index, saved in enumerate(self.searches):
            total, unread, error = self.counts.get(saved.key, (None, None, None))
            if error:
                numbers = "⚠ can't run"
            elif unread is None:
                numbers = "…"
            elif saved.unread_only:
                numbers = f"{unread:,} unread"
            else:
                numbers = f"{unread:,} unread of {total:,}"
            options.add_option(
                Option(
                    Text(
                        f"{saved.name:<{width}}  {numbers:>18}  {describe_saved(saved)}",
                        no_wrap=True,
                        overflow="ellipsis",
                    ),
                    id=str(index),
                )
            )
        options.highlighted = min(keep or 0, len(self.searches) - 1)

    def show_counts(self, counts: dict[str, tuple[int | None, int | None, str | None]]) -> None:
        """Counts by saved search key: (papers, unread, error)."""
        self.counts = counts
        if self.is_mounted:
            self._fill()

    def _highlighted(self) -> SavedSearch | None:
        options = self.query_one("#savedlist-options", OptionList)
        if options.highlighted is None or not self.searches:
            return None
        return self.searches[options.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.searches[int(event.option.id)])

    def action_delete(self) -> None:
        saved = self._highlighted()
        if saved is None:
            return

        def answered(yes: bool | None) -> None:
            if yes and self.delete_saved(saved):
                self.searches.remove(saved)
                self._fill()

        self.app.push_screen(Confirm(f"Delete the saved search “{saved.name}”?"), answered)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
