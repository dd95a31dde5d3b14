"""One copy() for the whole app: the system clipboard via pyperclip, else OSC 52 via the terminal.

The caller passes the OSC 52 fallback (the reader's `App.copy_to_clipboard`), so this module
never imports Textual. The result says how the text was copied, for the notification.
"""

from __future__ import annotations

from collections.abc import Callable

import pyperclip

from .errors import PapertuiError


class ClipboardError(PapertuiError):
    pass


def copy(text: str, osc52: Callable[[str], None] | None = None) -> str:
    """Copy text; return "system clipboard" or "terminal (OSC 52)"; raise ClipboardError."""
    try:
        pyperclip.copy(text)
        return "system clipboard"
    except Exception as exc:  # pyperclip raises its own exception type, or OSError
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    if osc52 is None:
        raise ClipboardError(f"no clipboard available ({reason})")
    try:
        osc52(text)
    except Exception as exc:
        raise ClipboardError(f"no clipboard available ({reason}; OSC 52 failed: {exc})") from exc
    return "terminal (OSC 52)"
