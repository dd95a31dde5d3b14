"""User settings in `config.toml` (platform config dir): theme, keymap, default view, sync window,
which full texts to keep, the editor for notes.

A broken or unreadable file never stops the app: defaults are used and the problem is reported.
The file is the user's: papertui only ever changes the keys the reader remembers (`theme` and the
layout: `list_width`, `layout`, `two_line_rows`), keeping comments, order and everything else with
tomlkit, and never writes over a file it could not read and validate.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from .errors import PapertuiError
from .files import write_atomically
from .paths import config_path


class Config(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme: str = "textual-dark"
    default_view: Literal["day", "week", "month", "all"] = "day"
    sort: Literal["upvotes", "rising", "date", "title"] = "upvotes"
    sync_days: int = Field(default=7, ge=1, le=90)
    auto_sync_minutes: int = Field(default=30, ge=0, le=24 * 60)  # 0: only at start and on `r`
    keymap: dict[str, str] = Field(default_factory=dict)
    restore_session: bool = True  # open where the reader was last time
    reading_width: int = Field(default=90, ge=40, le=300)  # the full text's measure, in columns
    list_width: int = Field(default=50, ge=20, le=80)  # the list's share of the width, percent
    layout: Literal["split", "list"] = "split"  # "list": the list alone, the paper full screen
    two_line_rows: bool = False  # rows of two lines: the title wrapped, the authors beneath
    # "bookmarked": every sync (and bookmarking a paper in the reader) fetches the full texts of
    # bookmarked papers that are not cached, so they can be read offline; "none": only on demand.
    fulltext: Literal["bookmarked", "none"] = "bookmarked"
    # The editor for notes (`e`): empty for the reader's own; a command such as "nvim" or
    # "code --wait", where $EDITOR and other environment variables are expanded.
    editor: str = ""


def load_config(path: Path | None = None) -> tuple[Config, str | None]:
    """The settings, and a warning to show when the file could not be used (whole or in part).

    A setting with a bad value is left out and named; the others still apply, so one typo
    does not cost the user their keymap and theme."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(), None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Config(), f"config file {path} ignored: {exc}"
    try:
        return Config.model_validate(data), None
    except ValidationError as exc:
        problems: dict[str, str] = {}  # one line a setting, whole
        for error in exc.errors():
            key = ".".join(str(x) for x in error["loc"]) or "?"
            problems.setdefault(key, f"{key} = {_shown(error.get('input'))}: {_wanted(error)}")
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        kept = {key: value for key, value in data.items() if key not in bad}
        try:
            config = Config.model_validate(kept)
        except ValidationError:
            config = Config()
        lines = list(problems.values())
        said = "; ".join(lines[:MAX_PROBLEMS])
        if len(lines) > MAX_PROBLEMS:
            said += f"; and {len(lines) - MAX_PROBLEMS} more"
        return config, f"config file {path}: {said} (defaults used for those settings)"


MAX_PROBLEMS = 12  # settings named in the warning (all of them, in practice); the rest counted


def _shown(value: object) -> str:
    """A bad value as the user wrote it (TOML-ish), short."""
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 30 else text[:29] + "…"


def _wanted(error: ErrorDetails) -> str:
    """What a setting must be, in words rather than pydantic's ("Input should be ...")."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "less_than_equal":
        return f"at most {context.get('le')}"
    if kind == "greater_than_equal":
        return f"at least {context.get('ge')}"
    if kind == "literal_error":
        return f"one of {context.get('expected')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "true or false"
    if kind == "string_type":
        return "text"
    if kind == "dict_type":
        return "a table of keys"
    return error["msg"].removeprefix("Value error, ")


class ConfigNotSaved(PapertuiError):
    """The config file could not be read or validated, so it was left as it is."""


def save_theme(theme: str, path: Path | None = None) -> None:
    """Set `theme` in the config file, keeping everything else in it as the user wrote it."""
    save_setting("theme", theme, path)


def save_setting(key: str, value: str | int | bool, path: Path | None = None) -> None:
    """Set one top-level key in the config file, keeping everything else as the user wrote it."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigNotSaved(
            f"config file {path} could not be read ({exc}); left as it is"
        ) from exc
    try:
        document = tomlkit.parse(text)
        Config.model_validate(document.unwrap())
    except (tomlkit.exceptions.ParseError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigNotSaved(f"config file {path} has an error ({first}); left as it is") from exc
    if key in document:
        document[key] = value
        text = tomlkit.dumps(document)
    else:  # first thing in the file, not under whatever comment ends the top-level keys
        text = f"{key} = {tomlkit.item(value).as_string()}\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)
