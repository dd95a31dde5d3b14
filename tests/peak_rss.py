"""papertui run in a small process of its own that reports the child's peak RSS and CPU time:
on Linux the peak survives fork and exec, so measured from the caller itself (a test process late
in the suite, a bench script) it would be at least the caller's own. The tests and
`bench/scale.py` both measure through it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = """
import os, sys
report, args = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "papertui", *args])
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    *args: str, timeout: float | None = None
) -> tuple[subprocess.CompletedProcess, int, float]:
    """`papertui ARGS` in a process of its own: its result (stderr kept), peak RSS in KiB and
    CPU seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        proc = subprocess.run(
            [sys.executable, "-c", LAUNCHER, report.name, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=timeout,
        )
        rss, cpu = report.read().split()  # nothing written: the launcher failed, and says so
    return proc, int(rss), float(cpu)
