"""The reader's keys: bindings (each with an id for the keymap), their help text, and the
actions offered in the command palette. Kept apart from the app so the three lists stay in step."""

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

APP_BINDINGS = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("slash", "focus_search", "Search", id="app.search"),
    Binding("tab", "switch_pane(1)", "Switch pane", show=False, priority=True, id="app.next_pane"),
    Binding(
        "shift+tab",
        "switch_pane(-1)",
        "Switch pane",
        show=False,
        priority=True,
        id="app.prev_pane",
    ),
    Binding("m", "toggle_read", "Read/unread", id="app.toggle_read"),
    Binding("b", "toggle_bookmark", "Bookmark", id="app.toggle_bookmark"),
    Binding("u", "toggle_unread_only", "Unread", id="app.unread_only"),
    Binding("B", "toggle_bookmarks_only", "Bookmarks", id="app.bookmarks_only"),
    Binding("y", "copy_link", "Copy", id="app.copy_link"),
    Binding("Y", "copy_menu", "Copy…", show=False, id="app.copy_menu"),
    Binding("o", "open_page", "Browser", id="app.open_page"),
    Binding("O", "open_pdf", "PDF", show=False, id="app.open_pdf"),
    Binding("left_square_bracket", "step(-1)", "Prev", id="app.previous"),
    Binding("right_square_bracket", "step(1)", "Next", id="app.next"),
    Binding("v", "cycle_view", "View", id="app.view"),
    Binding("s", "cycle_sort", "Sort", id="app.sort"),
    Binding("r", "sync", "Sync", id="app.sync"),
]

# Actions also offered in the command palette: (action, title, help).
PALETTE = [
    ("toggle_read", "Toggle read / unread", "Mark the highlighted paper read or unread (m)"),
    ("toggle_bookmark", "Toggle bookmark", "Bookmark the highlighted paper or remove it (b)"),
    ("toggle_unread_only", "Show unread only", "Hide papers you have read (u)"),
    ("toggle_bookmarks_only", "Show bookmarks only", "Only bookmarked papers (B)"),
    ("copy_link", "Copy Hugging Face link", "Copy the paper's huggingface.co link (y)"),
    (
        "copy_menu",
        "Copy…",
        "Copy the arXiv, PDF, GitHub or project link, BibTeX or Markdown (Y)",
    ),
    ("open_page", "Open in browser", "Open the paper's Hugging Face page (o)"),
    ("open_pdf", "Open PDF", "Open the arXiv PDF in the browser (O)"),
    ("step(-1)", "Previous day / week / month", "Step the view back ([)"),
    ("step(1)", "Next day / week / month", "Step the view forward (])"),
    ("cycle_view", "Cycle view", "Day → week → month → all papers (v)"),
    ("cycle_sort", "Cycle sort", "Most upvoted → newest → title (s)"),
    ("sync", "Sync now", "Fetch the recent days that are missing or stale (r)"),
    ("focus_search", "Search", "Focus the search bar (/)"),
    ("help", "Keys and search help", "Every key and the search language (?)"),
]

KEY_HELP = {
    "app.quit": "Quit",
    "app.help": "This help",
    "app.search": "Search (Enter: go to results, Esc: clear the search)",
    "app.next_pane": "Switch between the list and the detail pane",
    "app.prev_pane": "Switch between the list and the detail pane",
    "app.toggle_read": "Mark read / unread",
    "app.toggle_bookmark": "Bookmark / remove bookmark",
    "app.unread_only": "Show unread papers only (again: all)",
    "app.bookmarks_only": "Show bookmarked papers only (again: all)",
    "app.copy_link": "Copy the Hugging Face link",
    "app.copy_menu": "Copy… (arXiv, PDF, GitHub, project page, BibTeX, Markdown)",
    "app.open_page": "Open the Hugging Face page in the browser",
    "app.open_pdf": "Open the PDF in the browser",
    "app.previous": "Previous day / week / month",
    "app.next": "Next day / week / month",
    "app.view": "Cycle the view: day, week, month, all papers",
    "app.sort": "Cycle the sort: most upvoted, newest, title",
    "app.sync": "Sync now",
    "list.down": "Move down (detail pane: scroll)",
    "detail.down": "Move down (detail pane: scroll)",
    "list.up": "Move up (detail pane: scroll)",
    "detail.up": "Move up (detail pane: scroll)",
    "list.first": "First paper (detail pane: top)",
    "detail.top": "First paper (detail pane: top)",
    "list.last": "Last paper (detail pane: bottom)",
    "detail.bottom": "Last paper (detail pane: bottom)",
    "list.page_down": "Page down",
    "list.page_up": "Page up",
    "list.half_down": "Half a page down",
    "detail.page_down": "Half a page down",
    "list.half_up": "Half a page up",
    "detail.page_up": "Half a page up",
    "list.open": "Show the paper and mark it read",
    "search.clear": "Search bar: clear the search and return to the list",
    "detail.back": "Detail pane: back to the list",
}


# ---- the user's keymap (config.toml [keymap]) ------------------------------------------

_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_KEY_NAMES = {key.value.rsplit("+", 1)[-1] for key in Keys} | set(KEY_NAME_REPLACEMENTS.values())


def _is_key(text: str) -> bool:
    """One key as Textual names it: `j`, `?`, `question_mark`, `f5`, `ctrl+shift+x`."""
    *modifiers, name = text.strip().split("+") if text.strip() != "+" else ["+"]
    if any(m.lower() not in _MODIFIERS for m in modifiers):
        return False
    if len(name) == 1:
        return name.isprintable() and not name.isspace()
    return name in _KEY_NAMES or (name.isidentifier() and key_to_character(name) is not None)


def check_keymap(keymap: dict[str, str], known_ids: set[str]) -> tuple[dict[str, str], list[str]]:
    """The usable part of a keymap, and a line for each entry left out (shown as plain text)."""
    usable: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in known_ids:
            problems.append(f"keymap: no key binding is called {binding_id!r}; ignored")
        elif not keys.strip() or not all(_is_key(k) for k in keys.split(",")):
            problems.append(
                f"keymap: {binding_id} = {keys!r} is not a key (use names like j, ?, f5, "
                "ctrl+x or question_mark, comma-separated); ignored"
            )
        else:
            usable[binding_id] = keys
    return usable, problems
