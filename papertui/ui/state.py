"""Reader state shown by more than one widget, as plain values the app holds in reactives.

The app owns one reactive per fact (query, totals, sync progress, the query's error); the status
line binds to them (`data_bind`), so nothing pushes text into it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SyncKind = Literal["status--sync", "status--error", "status--offline"]


@dataclass(frozen=True)
class SyncState:
    """What the status line says about syncing."""

    running: bool = False
    text: str = ""
    kind: SyncKind = "status--sync"
