"""What every command-line module shares: failing with one clean line, refusing to look at a
cache that is not there, and ctrl+c that first asks a long command to stop and only then
interrupts it."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path

import click

from .errors import PapertuiError

EXIT_FAILED = 1


def fail(message: str, code: int = EXIT_FAILED):
    from .netguard import redact
    from .output import terminal_safe

    click.echo(f"papertui: {terminal_safe(redact(message))}", err=True)
    sys.exit(code)


def existing_cache(path: Path) -> None:
    """Commands that only look at the cache or change papers already in it (`status`, `search`,
    `export`, `mark`, your library's, `db`) say there is none rather than make an empty one."""
    if not path.exists():
        raise PapertuiError(f"no cache at {path} yet: `papertui sync` makes one")


@contextlib.contextmanager
def first_ctrl_c_cancels(cancel: threading.Event):
    """While syncing, ctrl+c sets `cancel` (the sync stops within a second, keeping what it
    stored); a second ctrl+c interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
