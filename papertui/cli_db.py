"""The command line of the cache file itself: `papertui db check` and `papertui db optimize`
(`cli` adds the `db` group to `papertui`). The work is `store.maintenance`'s, through the service.
"""

from __future__ import annotations

import sys
import threading

import click

from .cli_common import EXIT_FAILED, fail, first_ctrl_c_cancels
from .errors import Interrupted
from .plural import plural


@click.group()
def db():
    """Look after the cache file: check it for damage, or optimize it."""


@db.command("check")
@click.pass_obj
def db_check(settings):
    """Check the cache: SQLite's integrity check of the whole file, then each search index
    (that it is sound and matches what it indexes). Changes nothing; exits 1 on any problem.
    Refused while another papertui process is writing to the cache."""
    from .output import terminal_safe

    cancel = threading.Event()
    with settings.service(existing=True) as service, first_ctrl_c_cancels(cancel):
        click.echo(f"Checking the cache at {terminal_safe(str(settings.db))}")
        steps = _maintenance(lambda **kw: service.db_check(cancel=cancel, **kw))
    problems = sum(len(step.problems) for step in steps)
    if problems:
        click.echo(
            f"The cache has {plural(problems, 'problem')}: searches may miss papers or fail. "
            "Back up what matters to you (`papertui export`) before anything else."
        )
        sys.exit(EXIT_FAILED)
    click.echo("The cache is sound.")


@db.command("optimize")
@click.pass_obj
def db_optimize(settings):
    """Optimize the cache: merge each search index into one piece (faster searches), refresh
    the query planner's statistics (ANALYZE) and compact the file (VACUUM), printing its size
    before and after. Needs free disk space about the cache's size (checked first). Refused
    while another papertui process is writing to the cache; ctrl+c rolls back the step running."""
    from .output import terminal_safe

    cancel = threading.Event()
    with settings.service(existing=True) as service, first_ctrl_c_cancels(cancel):
        click.echo(f"Optimizing the cache at {terminal_safe(str(settings.db))}")
        before, after, _ = _maintenance(lambda **kw: service.db_optimize(cancel=cancel, **kw))
    freed = before.total - after.total
    click.echo(
        f"{_mb(before.total)} before, {_mb(after.total)} after "
        f"({_mb(freed) + ' freed' if freed >= 0 else _mb(-freed) + ' more'})."
    )


def _maintenance(run):
    """A check or an optimization, each step printed as it ends; ctrl+c ends it at once with
    the step running rolled back (exit 130)."""
    from .output import terminal_safe

    def step_done(step) -> None:
        state = step.done if not step.problems else plural(len(step.problems), "problem")
        click.echo(f"  {step.name}: {state} ({step.seconds:.1f} s)")
        for problem in step.problems[:20]:
            click.echo(f"    {terminal_safe(problem)}")

    try:
        return run(on_step=step_done)
    except Interrupted:
        fail(
            "interrupted: the step running was rolled back (the steps before it are done)",
            code=130,
        )


def _mb(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"
