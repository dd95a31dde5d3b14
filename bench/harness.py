"""Run in a fresh process by the benchmark: start the reader headless on a cache and report.

argv: DB SPAWN_TIME (the parent's time.time() just before it started this process). Prints one
JSON line: seconds from spawn to the first rows painted, and the process's peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own high-water RSS. Not getrusage: on Linux its ru_maxrss survives exec, so
    a child forked from a big benchmark process would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(db: str, spawned: float) -> None:
    from pathlib import Path

    from papertui.config import Config
    from papertui.ui.app import PapertuiApp
    from papertui.ui.launch import create_app

    report: dict = {}

    class Timed(PapertuiApp):
        def on_query_done(self, message) -> None:
            super().on_query_done(message)
            if self.paper_list.total and "first_rows_s" not in report:
                self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            report["first_rows_s"] = time.time() - spawned
            report["rows"] = self.paper_list.total
            report["rss_at_first_rows_mb"] = (
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            )
            lst = self.paper_list  # touch the hot paths before reading RSS
            lst.action_cursor_down()
            lst.action_page(1)
            lst.action_last()
            lst.action_select()
            self.set_timer(0.5, self._finish)

        def _finish(self) -> None:
            report["peak_rss_mb"] = peak_rss_mb()
            self.exit()

    app = create_app(
        Path(db),
        offline=True,
        config=Config(default_view="all", restore_session=False),
        config_path=Path(os.devnull),
    )
    app.__class__ = Timed
    app.run(headless=True, size=(120, 36))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
