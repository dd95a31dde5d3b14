"""User settings in `config.toml` (platform config dir): theme, keymap, default view, sync window.

A broken or unreadable file never stops the app: defaults are used and the problem is reported.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .paths import config_path


class Config(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme: str = "textual-dark"
    default_view: Literal["day", "week", "month", "all"] = "day"
    sort: Literal["upvotes", "date", "title"] = "upvotes"
    sync_days: int = Field(default=7, ge=1, le=90)
    auto_sync_minutes: int = Field(default=30, ge=0, le=24 * 60)  # 0: only at start and on `r`
    keymap: dict[str, str] = Field(default_factory=dict)


def load_config(path: Path | None = None) -> tuple[Config, str | None]:
    """The settings, and a warning to show when the file could not be used."""
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
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        return Config(), f"config file {path} ignored: {where}: {first['msg']}"


def save_config(config: Config, path: Path | None = None) -> None:
    """Write atomically, so a crash mid-write never leaves a half file."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(config.model_dump(), handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
