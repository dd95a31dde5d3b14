"""What the paper list says when it has nothing to show: why, and what to press about it."""

from __future__ import annotations

from collections.abc import Callable

from ..views import ReaderQuery


def empty_list_text(rq: ReaderQuery, nothing_cached: str, key: Callable[[str], str]) -> str:
    """Why the list is empty: nothing cached, nothing matching, or a filter hiding it all; the
    keys it names are the keys as mapped (`key(action_id)`)."""
    if rq.text.strip():
        return (
            f"Nothing matches “{rq.text.strip()}”. Esc in the search bar clears it; "
            f"{key('app.help')} lists the search language."
        )
    if rq.view.anchor is None:
        return nothing_cached
    if rq.bookmarks_only:
        if rq.unread_only:
            return f"No unread bookmarks: {key('app.unread_only')} shows read ones too."
        return (
            f"No bookmarks yet: {key('app.toggle_bookmark')} bookmarks the highlighted "
            f"paper; {key('app.bookmarks_only')} shows every paper."
        )
    if rq.unread_only:
        return f"Nothing unread in {rq.view.label()}: {key('app.unread_only')} shows all."
    if rq.view.kind == "all":
        return nothing_cached
    return (
        f"No papers cached for {rq.view.label()}: none were listed, or it was not synced "
        f"({key('app.calendar')} shows which, and fetches it). {key('app.previous')} / "
        f"{key('app.next')} step to other {rq.view.kind}s; {key('app.view')} changes the view."
    )
