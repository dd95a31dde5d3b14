"""One copy() for the whole app: the system clipboard via pyperclip, else OSC 52 via the terminal.

The caller passes the OSC 52 fallback (the reader's `App.copy_to_clipboard`), so this module
never imports Textual. The result says how the text was copied, for the notification.

OSC 52 sends the text through the terminal as one escape sequence, and terminals cap its length
(some at a few kilobytes, many near 100 kB) and drop a longer one silently. So a text above
OSC52_MAX_BYTES is refused up front (`TooBigForTerminal`) rather than lost without a word.
"""

from __future__ import annotations

from collections.abc import Callable

import pyperclip

from .errors import PapertuiError

OSC52_MAX_BYTES = 100_000


class ClipboardError(PapertuiError):
    pass


class TooBigForTerminal(ClipboardError):
    """No system clipboard, and the text is more than the terminal's clipboard takes."""

    def __init__(self, message: str, size: int):
        super().__init__(message)
        self.size = size


def size_text(count: int) -> str:
    """A byte count for people: 850 bytes, 12 kB, 4.2 MB."""
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.0f} kB"
    return f"{count / 1_000_000:.1f} MB"


def copy(text: str, osc52: Callable[[str], None] | None = None) -> str:
    """Copy text; return "system clipboard" or "terminal (OSC 52)"; raise ClipboardError."""
    try:
        pyperclip.copy(text)
        return "system clipboard"
    except Exception as exc:  # pyperclip raises its own exception type, or OSError
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    if osc52 is None:
        raise ClipboardError(f"no clipboard available ({reason})")
    size = len(text.encode("utf-8"))
    if size > OSC52_MAX_BYTES:
        raise TooBigForTerminal(
            f"no system clipboard ({reason}), and {size_text(size)} is more than the terminal's "
            f"clipboard (OSC 52) takes (up to {size_text(OSC52_MAX_BYTES)})",
            size,
        )
    try:
        osc52(text)
    except Exception as exc:
        raise ClipboardError(f"no clipboard available ({reason}; OSC 52 failed: {exc})") from exc
    return "terminal (OSC 52)"
