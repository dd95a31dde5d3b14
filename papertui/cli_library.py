"""The command line of your own library: `tag`, `tags`, `note` and `saved` (`cli` adds them to
the `papertui` group; `search --saved` lives with `search`).

Every failure is a `PapertuiError` with one line for the user (the group prints it); notes are
printed with escape sequences and control characters removed, as everything is on the way out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .errors import NotCached, PapertuiError
from .library import MAX_NOTE_BYTES, NoteError, edit_text, editor_command
from .links import paper_id_from
from .models import SavedSearch
from .output import terminal_safe
from .plural import plural
from .text import safe_json
from .views import SEARCH_SORT_ORDER, SORT_ORDER, VIEW_KINDS


def _echo_err(text: str) -> None:
    click.echo(terminal_safe(text), err=True)


def _paper_id(text: str, hint: str = "") -> str:
    paper_id = paper_id_from(text)
    if paper_id is None:
        raise PapertuiError(
            f"{text.strip()[:60]!r} is not an arXiv id or paper link "
            f"(like 2605.05242 or https://arxiv.org/abs/2605.05242){hint}"
        )
    return paper_id


def _not_cached(exc: NotCached) -> PapertuiError:
    return PapertuiError(f"{exc} (nothing was changed; `papertui show ID` fetches a paper)")


# ---- tags ---------------------------------------------------------------------------------


# `-h` here is the tag "h" taken off (`tag ID -h`); help is `--help`, or `-h` alone.
@click.command(context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument(
    "args", nargs=-1, required=True, type=click.UNPROCESSED, metavar="ID... [+TAG] [-TAG]"
)
@click.pass_context
def tag(ctx: click.Context, args: tuple[str, ...]):
    """Add (+NAME) and remove (-NAME) tags on papers, all at once; without +/-, print their tags.

    \b
    papertui tag 2605.05242 2605.13301 +diffusion +to-read -inbox
    papertui tag 2605.05242
    """
    if args == ("-h",):
        click.echo(ctx.get_help())
        return
    settings: Any = ctx.obj
    add, remove, ids = [], [], []
    for arg in args:
        if arg.startswith("+") and len(arg) > 1:
            add.append(arg[1:])
        elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            remove.append(arg[1:])
        else:
            ids.append(_paper_id(arg, f"; add a tag with +{arg.strip()[:30]}"))
    if not ids:
        raise PapertuiError("name the papers to tag: papertui tag ID... +NAME -NAME")
    with settings.service(existing=True) as service:
        if not add and not remove:
            for paper_id in dict.fromkeys(ids):
                if service.paper(paper_id) is None:
                    raise PapertuiError(f"no paper {paper_id} in the cache")
                click.echo(f"{paper_id}  {' '.join(service.tags_of(paper_id)) or '(no tags)'}")
            return
        try:
            result = service.change_tags(ids, add, remove)
        except NotCached as exc:
            raise _not_cached(exc) from None
    changes = [f"+{t}" for t in dict.fromkeys(a.strip().casefold() for a in add)]
    changes += [f"-{t}" for t in dict.fromkeys(r.strip().casefold() for r in remove)]
    click.echo(f"Tagged {plural(len(result), 'paper')}: {' '.join(changes)}.")
    if len(result) <= 10:  # what each now has (a -NAME the paper never had changes nothing)
        for paper_id, names in result.items():
            click.echo(f"  {paper_id}  {' '.join(names) or '(no tags)'}")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def tags(ctx: click.Context, as_json: bool):
    """Every tag with how many papers carry it and how many of those are unread.

    `tags rename OLD NEW` renames a tag (merging into NEW when it exists); `tags delete NAME`
    takes it off every paper.
    """
    if ctx.invoked_subcommand is not None:
        return
    with ctx.obj.service(existing=True) as service:
        counts = service.tag_counts()
    if as_json:
        click.echo(
            safe_json([{"tag": c.name, "papers": c.papers, "unread": c.unread} for c in counts])
        )
        return
    if not counts:
        _echo_err("No tags yet: `papertui tag ID +NAME` tags a paper (t in the reader).")
        return
    width = max(len("tag"), *(len(c.name) for c in counts))
    if sys.stdout.isatty():
        click.echo(f"{'tag':<{width}}  {'papers':>6}  {'unread':>6}")
    for count in counts:
        click.echo(f"{count.name:<{width}}  {count.papers:>6,}  {count.unread:>6,}")


@tags.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_obj
def tags_rename(settings: Any, old: str, new: str):
    """Rename tag OLD to NEW on every paper (papers that have both keep one NEW)."""
    with settings.service(existing=True) as service:
        count = service.rename_tag(old, new)
    click.echo(
        f"Renamed {old.strip().casefold()} to {new.strip().casefold()} on {plural(count, 'paper')}."
    )


@tags.command("delete")
@click.argument("name")
@click.pass_obj
def tags_delete(settings: Any, name: str):
    """Take tag NAME off every paper."""
    with settings.service(existing=True) as service:
        count = service.rename_tag(name, None)
    click.echo(f"Removed {name.strip().casefold()} from {plural(count, 'paper')}.")


# ---- notes --------------------------------------------------------------------------------


def _read_note_file(path: Path) -> str:
    """A note from a file or standard input (`-`): UTF-8, at most the size a note may have."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_NOTE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_NOTE_BYTES + 1)
    except OSError as exc:
        raise PapertuiError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_NOTE_BYTES:
        raise NoteError(f"{path} is too long for a note (at most {MAX_NOTE_BYTES // 2**20} MiB)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError(f"{path} is not UTF-8 text; nothing was saved") from None


@click.command()
@click.argument("paper_id", metavar="ID")
@click.option("-m", "--message", metavar="TEXT", help="Set the note to TEXT.")
@click.option(
    "-F",
    "--file",
    "from_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Set the note from a file (- reads standard input).",
)
@click.option("--edit", is_flag=True, help="Edit the note in $EDITOR (or editor in config.toml).")
@click.option("--clear", is_flag=True, help="Delete the note.")
@click.pass_obj
def note(settings: Any, paper_id: str, message, from_file, edit: bool, clear: bool):
    """Print your note on a paper, or set, edit or clear it.

    \b
    papertui note 2605.05242                      # print it
    papertui note 2605.05242 -m "Baseline for the retrieval chapter"
    papertui note 2605.05242 --edit               # in $EDITOR
    papertui note 2605.05242 --clear
    """
    chosen = [
        name
        for name, given in (
            ("-m", message is not None),
            ("-F", from_file is not None),
            ("--edit", edit),
            ("--clear", clear),
        )
        if given
    ]
    if len(chosen) > 1:
        raise PapertuiError(f"choose one of {', '.join(chosen)} (nothing was changed)")
    paper_id = _paper_id(paper_id)
    with settings.service(existing=True) as service:
        if service.paper(paper_id) is None:
            raise PapertuiError(f"no paper {paper_id} in the cache (`papertui show ID` fetches it)")
        if not chosen:
            text = service.note(paper_id)
            if text is None:
                _echo_err(f"No note on {paper_id}: papertui note {paper_id} -m TEXT writes one.")
            else:
                click.echo(terminal_safe(text))
            return
        if edit:
            from .config import load_config

            config, warning = load_config()
            if warning:
                _echo_err(f"papertui: {warning}")
            command = editor_command(config.editor)
            text = edit_text(service.note(paper_id) or "", command, name=paper_id)
        elif from_file is not None:
            text = _read_note_file(from_file)
        else:
            text = None if clear else message
        outcome = service.set_note(paper_id, text)
    click.echo(
        {
            "saved": f"Saved the note on {paper_id}.",
            "cleared": f"Cleared the note on {paper_id}.",
            "unchanged": f"The note on {paper_id} is unchanged.",
        }[outcome]
    )


# ---- saved searches -----------------------------------------------------------------------


def _describe(saved: SavedSearch) -> str:
    parts = [f"“{saved.query}”" if saved.query else f"{saved.view} view"]
    parts += [
        f for f, on in (("unread", saved.unread_only), ("bookmarks", saved.bookmarks_only)) if on
    ]
    return " · ".join(parts)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def saved(ctx: click.Context, as_json: bool):
    """Your saved searches, with how many papers each finds now and how many are unread.

    `search --saved NAME` runs one; `saved add NAME QUERY...` saves one (S in the reader);
    `saved delete NAME` deletes one.
    """
    if ctx.invoked_subcommand is not None:
        return
    with ctx.obj.service(existing=True) as service:
        counted = service.saved_counts(service.saved_searches())
    if as_json:
        click.echo(
            safe_json(
                [
                    {
                        **c.saved.model_dump(),
                        "papers": c.total,
                        "unread": c.unread,
                        "error": c.error,
                    }
                    for c in counted
                ]
            )
        )
        return
    if not counted:
        _echo_err(
            "No saved searches yet: `papertui saved add NAME QUERY` saves one (S in the reader)."
        )
        return
    width = max(len("name"), *(len(c.saved.name) for c in counted))
    if sys.stdout.isatty():
        click.echo(f"{'name':<{width}}  {'papers':>6}  {'unread':>6}  search")
    for c in counted:
        numbers = f"{c.total:>6,}  {c.unread:>6,}" if c.error is None else f"{'-':>6}  {'-':>6}"
        tail = _describe(c.saved) + (f"  ⚠ {c.error}" if c.error else "")
        click.echo(terminal_safe(f"{c.saved.name:<{width}}  {numbers}  {tail}"))


@saved.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--view",
    type=click.Choice(list(VIEW_KINDS)),
    default="all",
    show_default=True,
    help="The view around a search with no words (a search looks through all papers).",
)
@click.option("--unread", is_flag=True, help="Unread papers only.")
@click.option("--bookmarks", is_flag=True, help="Bookmarked papers only.")
@click.option("--sort", type=click.Choice(list(SEARCH_SORT_ORDER)), help="The order it opens in.")
@click.pass_obj
def saved_add(settings: Any, name, query, view, unread, bookmarks, sort):
    """Save QUERY (the search language) under NAME, replacing a saved search of that name."""
    text = " ".join(query).strip()
    if not text and not unread and not bookmarks:
        raise PapertuiError("nothing to save: give a query, --unread or --bookmarks")
    fields: dict[str, Any] = {
        "name": name,
        "query": text,
        "view": view,
        "unread_only": unread,
        "bookmarks_only": bookmarks,
    }
    if sort == "relevance":
        fields["search_sort"] = "relevance"
    elif sort in SORT_ORDER:
        fields.update(sort=sort, search_sort=sort)
    try:
        search = SavedSearch.model_validate(fields)
    except ValueError as exc:
        from .models import short_error

        raise PapertuiError(f"cannot save {name.strip()[:60]!r}: {short_error(exc)}") from None
    with settings.service(existing=True) as service:
        replaced = service.save_search(search)
    click.echo(f"{'Replaced' if replaced else 'Saved'} the search {search.name!r}.")


@saved.command("delete")
@click.argument("name")
@click.pass_obj
def saved_delete(settings: Any, name: str):
    """Delete the saved search NAME."""
    with settings.service(existing=True) as service:
        service.delete_saved_search(name)
    click.echo(terminal_safe(f"Deleted the saved search {name.strip()!r}."))


COMMANDS = (tag, tags, note, saved)
