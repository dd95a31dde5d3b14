"""The `papertui` command line (click). The reader's Textual code is imported only when it runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from . import __version__
from .cli_common import EXIT_FAILED, existing_cache
from .cli_common import fail as _fail
from .cli_common import first_ctrl_c_cancels as _first_ctrl_c_cancels
from .cli_db import db
from .cli_library import COMMANDS as LIBRARY_COMMANDS
from .days import parse_day
from .errors import NotARegularFile, NotCached, Offline, PapertuiError
from .export import FORMATS, full_dict, iter_json_array, summary_dict
from .files import write_atomically
from .links import paper_id_from
from .paths import default_db_path
from .plural import plural
from .text import safe_json
from .views import SEARCH_SORT_ORDER, SORT_ORDER

# Each command imports what it alone needs (the service, the HTTP client, the full-text code)
# when it runs: every command, `status` and `--help` included, used to pay ~0.4 s to import
# all of it.
if TYPE_CHECKING:
    from .fulltext import TextResult, TextsSummary
    from .service import Service, SyncRequest


@dataclass
class Settings:
    db: Path
    api_url: str | None
    offline: bool

    def service(self, *, existing: bool = False) -> Service:
        """The service on the cache. `existing`: a command that only reads the cache or changes
        papers already in it refuses a cache that isn't there rather than make an empty one
        (a mistyped --db said "No papers match." and left a new file behind)."""
        from .service import Service

        if existing:
            existing_cache(self.db)
        return Service(self.db, api_url=self.api_url, offline=self.offline)


class _Group(click.Group):
    """Turns every expected failure into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at exit after the last word
            return result
        except BrokenPipeError:
            _closed_pipe()
        except Offline as exc:
            _fail(f"{exc} (--offline was given)")
        except PapertuiError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
        except Exception as exc:  # a bug: still one line, with a way to see more
            if os.environ.get("PAPERTUI_DEBUG"):
                raise
            _fail(
                f"unexpected error: {type(exc).__name__}: {exc} (set PAPERTUI_DEBUG=1 for details)"
            )


def _closed_pipe() -> NoReturn:
    """Whoever read our output has gone (`papertui search | head`): stop quietly and successfully,
    as `cat` does. Only the standard streams are pipes here (network errors are httpx's and
    files are written whole), so a BrokenPipeError reaching the top is always this."""
    _silence_stdout()
    sys.exit(0)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so nothing later (the flush at exit included) can
    fail on a closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAPERTUI_DB",
    default=None,
    help="Cache file [env PAPERTUI_DB; default: the user data dir].",
)
@click.option(
    "--api-url",
    envvar="PAPERTUI_API_URL",
    default=None,
    help="Papers API base URL [env PAPERTUI_API_URL; default https://huggingface.co].",
)
@click.option("--offline", is_flag=True, help="Never touch the network.")
@click.option(
    "--demo", is_flag=True, help="Open the reader on a temporary copy of the bundled sample cache."
)
@click.version_option(__version__, prog_name="papertui")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, api_url: str | None, offline: bool, demo: bool):
    """papertui: read Hugging Face Daily Papers in the terminal, online or offline.

    With no command, opens the reader.
    """
    ctx.obj = Settings(db=db or default_db_path(), api_url=api_url, offline=offline)
    if ctx.invoked_subcommand is None:
        from .ui.launch import run_reader

        run_reader(ctx.obj, demo=demo)


@cli.command()
@click.option("--date", "one_day", metavar="YYYY-MM-DD", help="Sync one day.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day of a range (with --to).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day of a range (default: today).")
@click.option(
    "--days", type=int, metavar="N", help="The last N days (default: 7, or sync_days in config)."
)
@click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W19.")
@click.option("--month", metavar="YYYY-MM", help="A month, e.g. 2026-05.")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every day since the archive began (2023-05-04); resumable.",
)
@click.option("--force", is_flag=True, help="Refetch days that are already up to date.")
@click.pass_obj
def sync(settings: Settings, one_day, start, end, days, week, month, everything, force):
    """Fetch missing, incomplete or stale days into the cache.

    Today and yesterday are always refetched, so upvotes and comment counts move. Whole past
    months come as month lists (100 papers a request); a sync that is stopped or killed keeps
    every day it stored, and the next one fetches only what is left. Then, unless
    fulltext = "none" in the config, the full texts bookmarked papers lack (up to two minutes).
    """
    chosen = [
        n
        for n, v in (
            ("--date", one_day),
            ("--from", start),
            ("--days", days),
            ("--week", week),
            ("--month", month),
            ("--all", everything or None),
        )
        if v is not None
    ]
    if len(chosen) > 1:
        raise PapertuiError(f"choose one of {', '.join(chosen)}")
    if end is not None and start is None:
        raise PapertuiError("--to needs --from")
    if days is not None and days < 1:
        raise PapertuiError("--days must be at least 1")
    from .days import utc_today
    from .fulltext import SYNC_TEXT_BUDGET
    from .service import SyncRequest

    config = _config()
    request = SyncRequest(
        day=parse_day(one_day) if one_day is not None else None,
        start=parse_day(start) if start is not None else None,
        end=parse_day(end) if end is not None else None,
        week=week,
        month=month,
        recent=days if days is not None else config.sync_days,
        force=force,
        everything=everything,
    )
    today = utc_today()
    if later := request.days_after(today):
        _echo_err(f"papertui: {plural(later, 'day')} after today ({today} UTC) left out.")
    cancel = threading.Event()
    texts: TextsSummary | None = None
    with settings.service() as service, _first_ctrl_c_cancels(cancel):
        summary = _run_sync(service, request, cancel)
        offline = bool(summary.failed) and all(r.unreachable for r in summary.failed)
        if config.fulltext == "bookmarked" and not cancel.is_set() and not offline:
            texts = _run_texts(
                lambda **kw: service.fetch_missing_full_texts(budget=SYNC_TEXT_BUDGET, **kw),
                cancel,
            )
    if cancel.is_set():
        stored, rest = len(summary.stored), len(summary.requested) - len(summary.stored)
        text_note = ""
        if texts is not None and texts.requested:
            text_note = (
                f"; {len(texts.fetched)} of {plural(len(texts.requested), 'full text')} "
                "of bookmarked papers stored"
            )
        _fail(
            f"interrupted: {stored} of {plural(len(summary.requested), 'day')} stored, "
            f"the other {rest} not synced{text_note}",
            code=130,
        )
    try:
        click.echo(summary.line() + ("" if summary.requested else " Use --force to refetch."))
        if texts is not None and texts.requested:
            click.echo("Bookmarked papers: " + texts.line(later="left for the next sync"))
    except BrokenPipeError:  # nobody reads the summary; the failed days and the status still count
        _silence_stdout()
    if offline and len(summary.failed) > 1:  # one reason, said once rather than for every day
        _echo_err(_unreachable_line(summary.failed))
    else:
        for failed in summary.failed:
            _echo_err(f"  {failed.day} failed: {failed.error}")
    if texts is not None:
        _echo_text_problems(texts)
    if not summary.ok or (texts is not None and not texts.ok):
        sys.exit(EXIT_FAILED)


def _unreachable_line(failed) -> str:
    """The days a sync could not reach the server for, in one line: the first day to fail says
    why; the others were left at once (`netguard.not_reached`)."""
    from .netguard import NOT_REACHED

    why = next((f.error for f in failed if not f.error.startswith(NOT_REACHED)), failed[0].error)
    first, last = failed[0].day, failed[-1].day
    return f"  {plural(len(failed), 'day')} failed ({first} to {last}): {why}"


def _config():
    """The user's settings; a config file that could not be used is said on stderr."""
    from .config import load_config

    config, warning = load_config()
    if warning:
        _echo_err(f"papertui: {warning}")
    return config


def _run_sync(service: Service, request: SyncRequest, cancel: threading.Event):
    """The sync, with a progress line on a terminal."""
    if not sys.stderr.isatty():
        return service.sync(request, cancel=cancel)
    from .output import ProgressLine

    with ProgressLine(sys.stderr) as line:
        return service.sync(request, on_progress=line.show, cancel=cancel)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option(
    "--sort",
    type=click.Choice(list(SEARCH_SORT_ORDER)),
    help="Default: relevance when the query has words, upvotes otherwise. With --remote: "
    "Hugging Face's order (its own relevance) unless upvotes, date or title.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--remote",
    is_flag=True,
    help="Search huggingface.co instead of the cache (results are cached).",
)
@click.option(
    "--saved",
    "saved_name",
    metavar="NAME",
    help="Run a saved search (see `papertui saved`); QUERY, if given, narrows it.",
)
@click.pass_obj
def search(settings: Settings, query, limit, sort, as_json, remote, saved_name):
    """Search the cache with the query language (see README), e.g. 'diffusion is:unread'.

    On a terminal a header labels the columns; piped, only the rows are printed. When more
    papers match than --limit, stderr says how many.
    """
    from .output import row_header, row_line
    from .service import Searched

    text = " ".join(query)
    if remote and saved_name is not None:
        raise PapertuiError("--remote and --saved contradict each other: choose one")
    if remote and not text.strip():
        raise PapertuiError("--remote needs words to search for")
    if not remote:
        from .query import parse_query

        parse_query(text)  # a search that can't be understood says so before anything else
    with settings.service(existing=not remote) as service:
        if remote:
            papers = service.search_remote(text, limit=limit, sort=sort)
            found = Searched(len(papers), len(papers), iter(papers))
        elif saved_name is not None:
            saved = service.search_saved(saved_name, text, sort=sort, limit=limit)
            found = Searched(len(saved.papers), saved.total, iter(saved.papers))
        else:
            found = service.search_stream(text, sort=sort, limit=limit)
        if as_json:  # written as the papers are read: a batch in memory, not --limit of them
            _write_pieces(iter_json_array(summary_dict(p) for p in found.papers), end="\n")
        elif not found.shown:
            _echo_err(
                "No papers match."
                if text.strip() or remote or saved_name is not None
                else "The cache is empty: run `papertui sync`."
            )
        else:
            terminal = sys.stdout.isatty()
            width = None if terminal else 10_000  # piped: whole titles, for grep and friends
            lines = (row_line(paper, width) + "\n" for paper in found.papers)
            _write_pieces(chain([row_header() + "\n"], lines) if terminal else lines)
    if found.cut:
        _echo_err(f"{found.shown:,} of {found.total:,} shown (--limit N for more)")


def _write_pieces(pieces: Iterable[str], end: str = "") -> None:
    """Text to standard output as it is made, about 64 KB a write."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= 65536:
            click.echo("".join(buffer), nl=False)
            buffer, size = [], 0
    click.echo("".join(buffer) + end, nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as a JSON object.")
@click.pass_obj
def status(settings: Settings, as_json):
    """What the cache holds: papers, your reading state, which days it covers and which it
    lacks, the last sync, the schema."""
    from .output import status_dict, status_text

    with settings.service(existing=True) as service:
        found = service.status()
    if as_json:
        click.echo(safe_json(status_dict(found)))
    else:
        click.echo(status_text(found))
        if found.missing or found.failed:
            click.echo(
                "\nTo fill the holes: papertui sync --all (the whole archive, whole months "
                "at a time; resumable), or --from YYYY-MM-DD for a part of it."
            )


def _paper_id(text: str) -> str:
    paper_id = paper_id_from(text)
    if paper_id is None:
        raise PapertuiError(
            f"{text.strip()[:60]!r} is not an arXiv id or paper link "
            "(like 2605.05242, 2605.05242v2 or https://arxiv.org/abs/2605.05242)"
        )
    return paper_id


@cli.command()
@click.argument("paper_ids", metavar="[ID...]", nargs=-1)
@click.option("--bookmarked", is_flag=True, help="The bookmarked papers.")
@click.option("--query", "-q", "query", help="The papers matching this search.")
@click.option("--force", is_flag=True, help="Fetch again the texts that are cached.")
@click.pass_obj
def fetch(settings: Settings, paper_ids, bookmarked, query, force):
    """Download papers' full texts into the cache, to read offline and search with text:.

    IDs take every form `show` does; --bookmarked and --query add papers (both: the bookmarked
    ones matching the query). Texts already cached are skipped unless --force. Prints
    one summary line; exits non-zero when any text failed (a paper Hugging Face has not
    indexed is counted, not a failure). ctrl+c stops at once, keeping the texts stored.
    """
    ids = [_paper_id(i) for i in paper_ids]
    if not (ids or bookmarked or query is not None):
        raise PapertuiError("say which papers: IDs, --bookmarked or --query Q")
    if query is not None and not query.strip():
        raise PapertuiError("--query needs search text")
    cancel = threading.Event()
    with settings.service() as service, _first_ctrl_c_cancels(cancel):
        if bookmarked or query is not None:
            chosen = service.paper_ids(query=query, bookmarked=bookmarked)
            if not chosen:
                what = "bookmarked papers" if bookmarked and not query else "papers"
                _echo_err(f"No {what} match.")
            ids += chosen
        summary = _run_texts(lambda **kw: service.fetch_full_texts(ids, force=force, **kw), cancel)
    if cancel.is_set():
        _fail(
            f"interrupted: {len(summary.fetched)} of {plural(len(summary.requested), 'full text')}"
            f" stored, {len(summary.not_fetched)} not fetched",
            code=130,
        )
    try:
        click.echo(summary.line())
    except BrokenPipeError:
        _silence_stdout()
    _echo_text_problems(summary)
    if not summary.ok:
        sys.exit(EXIT_FAILED)


def _run_texts(fetch, cancel: threading.Event) -> TextsSummary:
    """A fetch of full texts (`fetch(cancel=, progress=, on_plan=)`), with a progress bar on a
    terminal."""
    if not sys.stderr.isatty():
        return fetch(cancel=cancel)
    with contextlib.ExitStack() as stack:
        bars: list = []

        def planned(count: int) -> None:
            if count:
                bars.append(
                    stack.enter_context(
                        click.progressbar(
                            length=count,
                            label="Fetching full texts",
                            file=sys.stderr,
                            item_show_func=lambda r: r.paper_id if r else None,
                        )
                    )
                )

        def done(result: TextResult) -> None:
            if bars:
                bars[0].update(1, result)

        return fetch(cancel=cancel, progress=done, on_plan=planned)


def _echo_text_problems(summary: TextsSummary) -> None:
    for result in summary.failed:
        _echo_err(f"  {result.paper_id} failed: {result.error}")
    for result in summary.not_indexed:
        _echo_err(f"  {result.paper_id}: not indexed on Hugging Face (no full text there)")


@cli.command()
@click.argument("paper_id", metavar="ID")
@click.option("--plain", is_flag=True, help="Plain text without styles (what a pipe gets anyway).")
@click.option(
    "--width",
    type=click.IntRange(20, 300),
    default=None,
    help="Wrap at this many columns [default: reading_width (90), at most the terminal's].",
)
@click.pass_obj
def read(settings: Settings, paper_id, plain, width):
    """Print a paper's full text, rendered: headings, lists, aligned tables, math as Unicode,
    numbered links listed at the end. Fetched first when it is not cached (unless --offline).
    Styled on a terminal; plain text, without a single escape, with --plain or into a pipe."""
    from .document import plain_text, styled_text
    from .links import arxiv_pdf_url

    paper_id = _paper_id(paper_id)
    config = _config()
    with settings.service() as service:
        text = service.full_text(paper_id)
        if text is None:
            if settings.offline and (missed := service.not_indexed_since(paper_id)):
                raise PapertuiError(
                    f"Hugging Face had no full text of {paper_id} when last asked "
                    f"({missed[:10]}): the PDF is at {arxiv_pdf_url(paper_id)}"
                )
            if settings.offline:
                raise PapertuiError(
                    f"the full text of {paper_id} is not cached (--offline: not fetched; "
                    f"`papertui fetch {paper_id}` keeps it for reading offline)"
                )
            text = service.fetch_full_text(paper_id)
    styled = _stdout_is_terminal() and not plain
    columns = width or config.reading_width
    if styled and width is None:
        columns = min(columns, max(shutil.get_terminal_size((100, 24)).columns, 20))
    pdf = arxiv_pdf_url(paper_id)
    if styled:
        colour = not os.environ.get("NO_COLOR")
        rendered = styled_text(
            text.markdown, columns, fallback=text.fallback, pdf_url=pdf, colour=colour
        )
    else:
        rendered = plain_text(text.markdown, columns, fallback=text.fallback, pdf_url=pdf)
    click.echo(
        rendered, nl=False, color=styled
    )  # click would strip the styles it did not see a tty for


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


@cli.command()
@click.argument("paper_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON.")
@click.pass_obj
def show(settings: Settings, paper_id, as_json):
    """Show one paper in full (fetched from the API when not cached, unless --offline)."""
    from .output import paper_text

    paper_id = _paper_id(paper_id)
    with settings.service() as service:
        try:
            paper = service.paper_or_fetch(paper_id)
        except NotCached:
            raise PapertuiError(
                f"no paper {paper_id} in the cache (--offline: not fetched)"
            ) from None
    if as_json:
        click.echo(safe_json(full_dict(paper)))
    else:
        click.echo(paper_text(paper))


@cli.command()
@click.argument("paper_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--read", is_flag=True, help="Mark as read.")
@click.option("--unread", is_flag=True, help="Mark as unread.")
@click.option("--bookmark", is_flag=True, help="Bookmark.")
@click.option("--unbookmark", is_flag=True, help="Remove the bookmark.")
@click.pass_obj
def mark(settings: Settings, paper_ids, read, unread, bookmark, unbookmark):
    """Mark papers read or unread, bookmarked or not: --read --bookmark does both at once."""
    read_state = _one_of("--read", read, "--unread", unread)
    bookmarked = _one_of("--bookmark", bookmark, "--unbookmark", unbookmark)
    if read_state is None and bookmarked is None:
        raise PapertuiError("say what to do: --read, --unread, --bookmark or --unbookmark")
    ids = [_paper_id(i) for i in paper_ids]
    with settings.service(existing=True) as service:
        try:
            count = service.set_state(ids, read=read_state, bookmarked=bookmarked)
        except NotCached as exc:
            raise PapertuiError(f"{exc} (nothing was changed)") from None
    done = [
        {True: "read", False: "unread", None: ""}[read_state],
        {True: "bookmarked", False: "not bookmarked", None: ""}[bookmarked],
    ]
    click.echo(f"Marked {plural(count, 'paper')} {' and '.join(d for d in done if d)}.")


def _one_of(yes_flag: str, yes: bool, no_flag: str, no: bool) -> bool | None:
    """True, False or None (neither) from a pair of opposite flags; both is refused."""
    if yes and no:
        raise PapertuiError(f"{yes_flag} and {no_flag} contradict each other (nothing was changed)")
    return True if yes else False if no else None


@cli.command("export")
@click.option("--bookmarked", is_flag=True, help="Only bookmarked papers.")
@click.option("--query", "-q", "query", help="Only papers matching this search.")
@click.option("--tag", "tag_name", metavar="NAME", help="Only papers with this tag.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
@click.option("--sort", type=click.Choice(list(SORT_ORDER)), default="date", show_default=True)
@click.option(
    "--with-text", is_flag=True, help="Markdown only: each paper's cached full text under it."
)
@click.pass_obj
def export_cmd(settings: Settings, bookmarked, query, tag_name, fmt, output, sort, with_text):
    """Write papers as JSON or JSON Lines (both re-importable), BibTeX, Markdown or CSV.

    Your tags and notes go along: in JSON with the rest of your state (and, exporting every
    paper, your saved searches), in BibTeX as keywords and note, in Markdown under each paper,
    in CSV as two columns. Written as the papers are read: memory does not grow with them.
    """
    if with_text and fmt != "markdown":
        raise PapertuiError("--with-text works only with --format markdown")
    if output is not None:
        _check_folder(output)
    with settings.service(existing=True) as service:
        count, pieces = service.export_stream(
            fmt,
            query=query,
            bookmarked=bookmarked,
            tag=tag_name,
            sort=sort,
            with_text=with_text,
        )
        if count == 0:  # still written (an empty export is valid), but never silently
            what = "bookmarked papers" if bookmarked and not query else "papers"
            if tag_name is not None and not query and not bookmarked:
                what = f"papers tagged {tag_name.strip().casefold()!r}"
                _echo_err(f"No {what}: the export is empty.")
            else:
                _echo_err(f"No {what} match: the export is empty.")
        if output is None:  # written as the papers are read: memory does not grow with them
            _write_pieces(pieces)
            return
        _write_atomically(output, pieces)
    _echo_err(f"Exported {plural(count, 'paper')} to {output}.")


def _check_folder(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise PapertuiError(f"cannot write {path}: no such directory {parent}")


def _write_atomically(path: Path, text: str | Iterable[str]) -> None:
    _check_folder(path)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise PapertuiError(f"cannot write {path}: {exc.strerror or exc}") from None


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.pass_obj
def import_cmd(settings: Settings, file: Path):
    """Restore papers and user state from a JSON or JSON Lines export (or a saved API daily
    list), told apart by their first bytes.

    FILE may be - to read standard input. The file is read as it is imported, so memory does
    not grow with it; a file cut short keeps what was imported before.
    """
    done = 0
    terminal = sys.stderr.isatty()

    def progress(count: int) -> None:
        nonlocal done
        done = count
        if terminal:
            click.echo(f"\rImporting… {plural(count, 'paper')}", err=True, nl=False)

    try:
        with settings.service() as service:
            try:
                report = service.import_file(file, on_batch=progress)
            except NotARegularFile as exc:
                raise PapertuiError(f"{exc}: papertui import - < {exc.path}") from None
            finally:
                if terminal and done:
                    click.echo("\r\033[K", err=True, nl=False)
    except KeyboardInterrupt:
        _fail(f"interrupted: {plural(done, 'paper')} imported, the rest not", code=130)
    stats = report.stats
    saved = (
        f"; {plural(report.saved_searches, 'saved search', 'saved searches')} taken"
        if report.saved_searches
        else ""
    )
    click.echo(
        f"Imported {plural(report.imported, 'paper')} ({stats.new:,} new, "
        f"{stats.updated:,} updated, {stats.unchanged:,} unchanged); "
        f"{plural(report.skipped, 'entry', 'entries')} skipped{saved}."
    )
    for error in report.errors[:10]:
        _echo_err(f"  skipped {error}")


def _echo_err(text: str) -> None:
    from .output import terminal_safe

    click.echo(terminal_safe(text), err=True)


for _command in LIBRARY_COMMANDS:  # tag, tags, note, saved: in their own module
    cli.add_command(_command)
cli.add_command(db)  # db check, db optimize: in their own module


def main() -> None:
    from .store import Store

    Store.on_upgrade = _upgrading
    cli(prog_name="papertui")


def _upgrading(names: list[str]) -> None:
    click.echo(
        "Upgrading the cache to this papertui's format (once: under a minute for each "
        "100,000 papers; `papertui db optimize` afterwards gives the space it frees back)…",
        err=True,
    )


if __name__ == "__main__":
    main()
