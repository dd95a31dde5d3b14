"""Every key the reader answers to, in one table: the bindings, the footer, the command palette
and the help screen are all generated from it, so they cannot drift apart.

Each entry has a stable id (the name users remap in config.toml's `[keymap]`). Keys are shown
as the user has them mapped (see `KeyMap`), never as hard-coded text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding, BindingType
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

Scope = Literal[
    "app",
    "list",
    "detail",
    "search",
    "help",
    "copy",
    "reading",
    "find",
    "note",
    "tags",
    "saved",
    "calendar",
]
SCOPES: tuple[Scope, ...] = ("app", "list", "detail", "search", "reading", "find")
# The popups of your library: their keys act only while the popup is open, where the reader's
# own keys do not (a popup is modal), so they clash only with each other.
POPUP_SCOPES: tuple[Scope, ...] = ("note", "tags", "saved")
# Screens that take every key while open (the reader's own keys do not reach through them).
MODAL_SCOPES: tuple[Scope, ...] = ("calendar",)


@dataclass(frozen=True)
class KeyAction:
    id: str  # the keymap name, e.g. "app.toggle_read"
    keys: str  # default keys, comma-separated ("j,down")
    action: str  # the Textual action on the scope's widget ("toggle_read", "step(-1)")
    title: str  # short: the footer label and the palette entry
    help: str  # one line for the help screen and the palette
    scope: Scope = "app"
    footer: bool = False
    palette: bool = False
    priority: bool = False
    palette_title: str = ""  # the command palette's name for it, when `title` is too terse
    reading: bool = False  # an app key that still works on the reading screen (the rest wait)

    @property
    def command(self) -> str:
        return self.palette_title or self.title


ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("app.quit", "q", "quit", "Quit", "Quit", footer=True),
    KeyAction(
        "app.quit_ctrl_c",
        "ctrl+c",
        "quit",
        "Quit",
        "Quit",
        reading=True,
        priority=True,  # before the popups, which take every other key, and text copying
    ),
    KeyAction(
        "app.help",
        "question_mark",
        "help",
        "Help",
        "Every key and the search language",
        footer=True,
        palette=True,
        palette_title="Keys and search help",
        reading=True,
    ),
    KeyAction(
        "app.search",
        "slash",
        "focus_search",
        "Search",
        "Search (Enter: go to results, Esc: clear the search)",
        footer=True,
        palette=True,
        palette_title="Search",
    ),
    KeyAction(
        "app.next_pane",
        "tab",
        "switch_pane(1)",
        "Switch pane",
        "Switch between the list and the detail pane",
        priority=True,
    ),
    KeyAction(
        "app.prev_pane",
        "shift+tab",
        "switch_pane(-1)",
        "Switch pane",
        "Switch between the list and the detail pane",
        priority=True,
    ),
    KeyAction(
        "app.toggle_read",
        "m",
        "toggle_read",
        "Read/unread",
        "Mark read / unread",
        footer=True,
        palette=True,
        palette_title="Mark read / unread",
        reading=True,
    ),
    KeyAction(
        "app.toggle_bookmark",
        "b",
        "toggle_bookmark",
        "Bookmark",
        "Bookmark / remove bookmark",
        footer=True,
        palette=True,
        palette_title="Bookmark / remove bookmark",
        reading=True,
    ),
    KeyAction(
        "app.unread_only",
        "u",
        "toggle_unread_only",
        "Unread",
        "Show unread papers only (again: all)",
        palette=True,
        palette_title="Show unread only",
    ),
    KeyAction(
        "app.bookmarks_only",
        "B",
        "toggle_bookmarks_only",
        "Bookmarks",
        "Show bookmarked papers only (again: all)",
        palette=True,
        palette_title="Show bookmarks only",
    ),
    KeyAction(
        "app.copy_link",
        "y",
        "copy_link",
        "Copy",
        "Copy the Hugging Face link",
        palette=True,
        palette_title="Copy Hugging Face link",
        reading=True,
    ),
    KeyAction(
        "app.copy_menu",
        "Y",
        "copy_menu",
        "Copy…",
        "Copy… (arXiv, PDF, GitHub, project page, BibTeX, Markdown)",
        palette=True,
        palette_title="Copy… (arXiv, PDF, GitHub, project page, BibTeX, Markdown)",
        reading=True,
    ),
    KeyAction(
        "app.open_page",
        "o",
        "open_page",
        "Browser",
        "Open the Hugging Face page in the browser",
        palette=True,
        palette_title="Open in browser",
        reading=True,
    ),
    KeyAction(
        "app.open_menu",
        "O",
        "open_menu",
        "Open…",
        "Open… (Hugging Face page, arXiv abstract, PDF, GitHub, project page)",
        palette=True,
        palette_title="Open… (arXiv, PDF, GitHub, project page)",
        reading=True,
    ),
    KeyAction(
        "app.export_menu",
        "E",
        "export_menu",
        "Export…",
        "Copy or save BibTeX / Markdown (this paper, bookmarks, view)",
        palette=True,
        palette_title="Export… (copy or save BibTeX / Markdown)",
    ),
    KeyAction(
        "app.mark_all_read",
        "A",
        "mark_all_read",
        "All read",
        "Mark every paper in this view or search read (ctrl+z undoes)",
        palette=True,
        palette_title="Mark all read",
    ),
    KeyAction(
        "app.undo",
        "ctrl+z",
        "undo",
        "Undo",
        "Undo the last read / bookmark change",
        palette=True,
        palette_title="Undo the last change",
    ),
    KeyAction(
        "app.full_text",
        "f",
        "full_text",
        "Full text",
        "Read the paper's full text (fetched and kept for offline reading)",
        footer=True,
        palette=True,
        palette_title="Read the full text",
    ),
    KeyAction(
        "app.next_unread",
        "n",
        "next_unread(1)",
        "Next unread",
        "Next unread paper (on to older days in the day view)",
        footer=True,
        palette=True,
        palette_title="Next unread paper",
    ),
    KeyAction(
        "app.prev_unread",
        "N",
        "next_unread(-1)",
        "Prev unread",
        "Previous unread paper",
        palette=True,
        palette_title="Previous unread paper",
    ),
    KeyAction(
        "app.previous",
        "left_square_bracket",
        "step(-1)",
        "Prev",
        "Previous day / week / month",
        palette=True,
        palette_title="Previous day / week / month",
    ),
    KeyAction(
        "app.next",
        "right_square_bracket",
        "step(1)",
        "Next",
        "Next day / week / month",
        palette=True,
        palette_title="Next day / week / month",
    ),
    KeyAction(
        "app.view",
        "v",
        "cycle_view",
        "View",
        "Cycle the view: day, week, month, all papers",
        footer=True,
        palette=True,
        palette_title="Cycle view: day, week, month, all",
    ),
    KeyAction(
        "app.sort",
        "s",
        "cycle_sort",
        "Sort",
        "Cycle the sort: most upvoted, rising (+N: upvotes gained lately), newest, title",
        palette=True,
        palette_title="Cycle sort: upvotes, rising, newest, title",
    ),
    KeyAction(
        "app.calendar",
        "c",
        "calendar",
        "Calendar",
        "Coverage calendar: which days are cached, stale, failed or missing; fetch them",
        palette=True,
        palette_title="Coverage calendar",
    ),
    KeyAction(
        "app.sync",
        "r",
        "sync",
        "Sync",
        "Sync now: fetch the recent days that are missing or stale",
        footer=True,
        palette=True,
        palette_title="Sync now",
    ),
    KeyAction(
        "app.list_narrower",
        "less_than_sign",
        "resize_list(-1)",
        "Narrower list",
        "Give the list less of the width (the paper more)",
        palette=True,
        palette_title="Layout: narrower list",
    ),
    KeyAction(
        "app.list_wider",
        "greater_than_sign",
        "resize_list(1)",
        "Wider list",
        "Give the list more of the width (titles more room)",
        palette=True,
        palette_title="Layout: wider list",
    ),
    KeyAction(
        "app.toggle_layout",
        "z",
        "toggle_layout",
        "List only",
        "The list alone (Enter opens the paper full screen) / side by side",
        palette=True,
        palette_title="Layout: list only / side by side",
    ),
    KeyAction(
        "app.two_line_rows",
        "W",
        "toggle_rows",
        "Two-line rows",
        "Rows of two lines (title wrapped, authors beneath) / of one",
        palette=True,
        palette_title="Layout: two-line / one-line rows",
    ),
    # Your library: tags, notes, saved searches.
    KeyAction(
        "app.edit_tags",
        "t",
        "edit_tags",
        "Tags",
        "Edit the paper's tags (space or comma between them; Tab completes)",
        palette=True,
        palette_title="Edit tags",
    ),
    KeyAction(
        "app.edit_note",
        "e",
        "edit_note",
        "Note",
        "Write or edit your note on the paper (Markdown)",
        palette=True,
        palette_title="Edit note",
    ),
    KeyAction(
        "app.tag_view",
        "T",
        "tag_view",
        "Tags…",
        "Your tags with paper and unread counts: Enter opens one",
        palette=True,
        palette_title="Tags… (open a tag)",
    ),
    KeyAction(
        "app.save_search",
        "S",
        "save_search",
        "Save search",
        "Save this search (with its view, filters and sort) under a name",
        palette=True,
        palette_title="Save this search",
    ),
    KeyAction(
        "app.saved_searches",
        "L",
        "saved_searches",
        "Saved…",
        "Your saved searches with unread counts: Enter opens one",
        palette=True,
        palette_title="Saved searches… (open one)",
    ),
    KeyAction(
        "calendar.left", "h,left", "move(-1)", "Day before", "Calendar: day before", "calendar"
    ),
    KeyAction(
        "calendar.right", "l,right", "move(1)", "Day after", "Calendar: day after", "calendar"
    ),
    KeyAction(
        "calendar.up", "k,up", "move(-7)", "Week before", "Calendar: week before", "calendar"
    ),
    KeyAction(
        "calendar.down", "j,down", "move(7)", "Week after", "Calendar: week after", "calendar"
    ),
    KeyAction(
        "calendar.prev_month",
        "left_square_bracket,pageup",
        "month(-1)",
        "Prev month",
        "Calendar: previous month",
        "calendar",
    ),
    KeyAction(
        "calendar.next_month",
        "right_square_bracket,pagedown",
        "month(1)",
        "Next month",
        "Calendar: next month",
        "calendar",
    ),
    KeyAction(
        "calendar.prev_year",
        "left_curly_bracket",
        "month(-12)",
        "Prev year",
        "Calendar: a year back",
        "calendar",
    ),
    KeyAction(
        "calendar.next_year",
        "right_curly_bracket",
        "month(12)",
        "Next year",
        "Calendar: a year on",
        "calendar",
    ),
    KeyAction("calendar.today", "t,home", "today", "Today", "Calendar: today", "calendar"),
    KeyAction(
        "calendar.open",
        "enter",
        "open_day",
        "Open day",
        "Calendar: show the day's papers in the list",
        "calendar",
        footer=True,
    ),
    KeyAction(
        "calendar.fetch_day",
        "f",
        "fetch('day')",
        "Fetch day",
        "Calendar: fetch the selected day again, in the background",
        "calendar",
        footer=True,
    ),
    KeyAction(
        "calendar.fetch_week",
        "w",
        "fetch('week')",
        "Fetch week",
        "Calendar: fetch what the selected week lacks (all of it when nothing)",
        "calendar",
        footer=True,
    ),
    KeyAction(
        "calendar.fetch_month",
        "m",
        "fetch('month')",
        "Fetch month",
        "Calendar: fetch what the shown month lacks (all of it when nothing)",
        "calendar",
        footer=True,
    ),
    KeyAction("calendar.help", "question_mark", "help", "Help", "Calendar: the keys", "calendar"),
    KeyAction(
        "calendar.close",
        "escape,q,c",
        "close",
        "Close",
        "Calendar: back to the list",
        "calendar",
        footer=True,
    ),
    KeyAction("list.down", "j,down", "cursor_down", "Down", "Move down", "list"),
    KeyAction("list.up", "k,up", "cursor_up", "Up", "Move up", "list"),
    KeyAction("list.first", "g,home", "first", "First", "First paper", "list"),
    KeyAction("list.last", "G,end", "last", "Last", "Last paper", "list"),
    KeyAction("list.page_down", "pagedown", "page(1)", "Page down", "Page down", "list"),
    KeyAction("list.page_up", "pageup", "page(-1)", "Page up", "Page up", "list"),
    KeyAction(
        "list.half_down", "ctrl+d", "half_page(1)", "Half page down", "Half a page down", "list"
    ),
    KeyAction("list.half_up", "ctrl+u", "half_page(-1)", "Half page up", "Half a page up", "list"),
    KeyAction(
        "list.open",
        "enter",
        "select",
        "Open",
        "Show the paper and mark it read",
        "list",
        footer=True,
    ),
    KeyAction("detail.down", "j", "scroll_down", "Down", "Detail pane: scroll down", "detail"),
    KeyAction("detail.up", "k", "scroll_up", "Up", "Detail pane: scroll up", "detail"),
    KeyAction("detail.top", "g", "scroll_home", "Top", "Detail pane: top", "detail"),
    KeyAction("detail.bottom", "G", "scroll_end", "Bottom", "Detail pane: bottom", "detail"),
    KeyAction(
        "detail.page_down", "ctrl+d", "page_down", "Page down", "Detail pane: page down", "detail"
    ),
    KeyAction("detail.page_up", "ctrl+u", "page_up", "Page up", "Detail pane: page up", "detail"),
    KeyAction(
        "detail.page_or_next",
        "space",
        "page_or_next",
        "Read on",
        "Detail pane: page down; at the end, mark read and go to the next unread",
        "detail",
    ),
    KeyAction(
        "detail.next_paper",
        "J",
        "next_paper(1)",
        "Next paper",
        "Detail pane: the next paper in the list",
        "detail",
    ),
    KeyAction(
        "detail.prev_paper",
        "K",
        "next_paper(-1)",
        "Previous paper",
        "Detail pane: the previous paper in the list",
        "detail",
    ),
    KeyAction(
        "detail.back",
        "escape",
        "back",
        "Back",
        "Detail pane: back to the list",
        "detail",
        footer=True,
    ),
    KeyAction("reading.down", "j,down", "step(1)", "Down", "Full text: scroll down", "reading"),
    KeyAction("reading.up", "k,up", "step(-1)", "Up", "Full text: scroll up", "reading"),
    KeyAction("reading.top", "g,home", "top", "Top", "Full text: the beginning", "reading"),
    KeyAction("reading.bottom", "G,end", "bottom", "End", "Full text: the end", "reading"),
    KeyAction(
        "reading.page_down",
        "pagedown,space",
        "page(1)",
        "Page down",
        "Full text: page down",
        "reading",
    ),
    KeyAction("reading.page_up", "pageup", "page(-1)", "Page up", "Full text: page up", "reading"),
    KeyAction(
        "reading.half_down",
        "ctrl+d",
        "half_page(1)",
        "Half page down",
        "Full text: half a page down",
        "reading",
    ),
    KeyAction(
        "reading.half_up",
        "ctrl+u",
        "half_page(-1)",
        "Half page up",
        "Full text: half a page up",
        "reading",
    ),
    KeyAction(
        "reading.next_section",
        "right_square_bracket",
        "section(1)",
        "Next section",
        "Full text: the next section",
        "reading",
    ),
    KeyAction(
        "reading.prev_section",
        "left_square_bracket",
        "section(-1)",
        "Previous section",
        "Full text: the previous section",
        "reading",
    ),
    KeyAction(
        "reading.outline",
        "t",
        "outline",
        "Contents",
        "Full text: the contents (jump to a section)",
        "reading",
        footer=True,
    ),
    KeyAction(
        "reading.find",
        "slash",
        "find",
        "Find",
        "Full text: find in the paper (Enter: find, then n / N)",
        "reading",
        footer=True,
    ),
    KeyAction(
        "reading.next_hit",
        "n",
        "next_hit(1)",
        "Next",
        "Full text: the next match",
        "reading",
        footer=True,
    ),
    KeyAction(
        "reading.prev_hit",
        "N",
        "next_hit(-1)",
        "Previous",
        "Full text: the previous match",
        "reading",
    ),
    KeyAction(
        "reading.links",
        "l",
        "links",
        "Links",
        "Full text: its links by number (open or copy; http(s) only)",
        "reading",
        footer=True,
    ),
    KeyAction(
        "reading.pdf", "p", "pdf", "PDF", "Full text: open the PDF in the browser", "reading"
    ),
    KeyAction(
        "reading.back",
        "escape,q",
        "back",
        "Back",
        "Full text: back to the list",
        "reading",
        footer=True,
    ),
    KeyAction(
        "find.cancel", "escape", "cancel", "Close", "Find in the paper: close the field", "find"
    ),
    KeyAction(
        "search.clear",
        "escape",
        "clear_and_leave",
        "Clear search",
        "Search bar: clear the search and return to the list",
        "search",
    ),
    KeyAction(
        "note.save",
        "ctrl+s",
        "save",
        "Save",
        "Note editor: save the note",
        "note",
        priority=True,  # before the text area, which takes every key it can
    ),
    KeyAction(
        "note.close",
        "escape",
        "close",
        "Close",
        "Note editor: close (asks first when there are changes)",
        "note",
        priority=True,
    ),
    KeyAction(
        "tags.complete",
        "tab",
        "complete",
        "Complete",
        "Tag editor: complete the tag being typed from those you have",
        "tags",
        priority=True,
    ),
    KeyAction(
        "saved.delete",
        "d,delete",
        "delete",
        "Delete",
        "Saved searches: delete the highlighted one (asks first)",
        "saved",
    ),
)

BY_ID: dict[str, KeyAction] = {a.id: a for a in ACTIONS}


def bindings(scope: Scope) -> list[BindingType]:
    """The Textual bindings of one scope (a widget's `BINDINGS`), generated from the table."""
    return [
        Binding(
            a.keys,
            a.action,
            a.title,
            show=a.footer,
            priority=a.priority,
            id=a.id,
            tooltip=a.help,
        )
        for a in ACTIONS
        if a.scope == scope
    ]


# ---- the user's keymap (config.toml [keymap]) ------------------------------------------

_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_KEY_NAMES = {key.value.rsplit("+", 1)[-1] for key in Keys} | set(KEY_NAME_REPLACEMENTS.values())


def is_key(text: str) -> bool:
    """One key as Textual names it: `j`, `?`, `question_mark`, `f5`, `ctrl+shift+x`."""
    text = text.strip()
    *modifiers, name = text.split("+") if text != "+" else ["+"]
    if any(m.lower() not in _MODIFIERS for m in modifiers):
        return False
    if len(name) == 1:
        return name.isprintable() and not name.isspace()
    return name in _KEY_NAMES or (name.isidentifier() and key_to_character(name) is not None)


@dataclass(frozen=True)
class KeyMap:
    """The keys in force: the table's defaults with the user's valid remappings applied."""

    remapped: Mapping[str, str]

    @classmethod
    def from_config(cls, keymap: Mapping[str, str]) -> tuple[KeyMap, list[str]]:
        """The usable part of a config keymap, and one line per entry left out (plain text)."""
        usable: dict[str, str] = {}
        problems: list[str] = []
        for binding_id, keys in keymap.items():
            if binding_id not in BY_ID:
                problems.append(f"keymap: no key binding is called {binding_id!r}; ignored")
            elif not keys.strip() or not all(is_key(k) for k in keys.split(",")):
                problems.append(
                    f"keymap: {binding_id} = {keys!r} is not a key (use names like j, ?, f5, "
                    "ctrl+x or question_mark, comma-separated); ignored"
                )
            else:
                usable[binding_id] = keys
        result = cls(usable)
        return result, problems + result.conflicts()

    def conflicts(self) -> list[str]:
        """A remapped key that another action of the same place (or of the whole reader) also
        answers to: one of the two would never run, so say which."""
        found = []
        for action_id in self.remapped:
            action = BY_ID[action_id]
            if action.scope in POPUP_SCOPES or action.scope in MODAL_SCOPES:
                scopes = {action.scope}
            else:
                scopes = {action.scope, "app"} if action.scope != "app" else set(SCOPES)
            for other in ACTIONS:
                if other.id == action_id or other.scope not in scopes:
                    continue
                if "reading" in (action.scope, other.scope) and "app" in (
                    action.scope,
                    other.scope,
                ):
                    app_side = action if action.scope == "app" else other
                    if not app_side.reading:
                        continue  # that app key waits while the reading screen is open
                shared = set(self.keys(action_id)) & set(self.keys(other.id))
                if shared:
                    key = sorted(shared)[0]
                    found.append(
                        f"keymap: {action_id} = {key!r} is also the key of {other.id}; "
                        "one of them will not work (map that one to another key)"
                    )
                    break
        return found

    def keys(self, action_id: str) -> list[str]:
        keys = self.remapped.get(action_id) or BY_ID[action_id].keys
        return [k.strip() for k in keys.split(",") if k.strip()]


def scoped(scopes: Iterable[Scope]) -> list[KeyAction]:
    wanted = set(scopes)
    return [a for a in ACTIONS if a.scope in wanted]


def key_help(keys_for: Callable[[str], str]) -> list[tuple[str, str]]:
    """Every reader key (`keys_for(action_id)`: as mapped), one row per meaning: keys of equal
    meaning merged."""
    merged: dict[str, list[str]] = {}
    for action in scoped(
        ("app", "list", "detail", "search", "reading", "find", *POPUP_SCOPES, *MODAL_SCOPES)
    ):
        keys = merged.setdefault(action.help, [])
        for shown in keys_for(action.id).split(" / "):
            if shown not in keys:
                keys.append(shown)
    rows = [(" / ".join(keys), text) for text, keys in merged.items()]
    return [*rows, ("ctrl+p", "Command palette: every action above, and the theme picker")]


def reading_hints(keys_for: Callable[[str], str]) -> list[tuple[str, str]]:
    """The reading screen's key line, as mapped: its footer keys and the paper keys that work
    there. A line of text rather than a `Footer`, whose widget per key costs the screen's first
    paint ~80 ms."""
    own = [a for a in ACTIONS if a.footer and a.scope == "reading"]
    kept = [a for a in ACTIONS if a.footer and a.scope == "app" and a.reading]
    return [(keys_for(a.id).split(" / ")[0], a.title) for a in [*own, *kept]]
