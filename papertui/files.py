"""Writing a user's file whole or not at all: a crash or a full disk mid-write never leaves half
a file where the old one was. And checking a path a person typed before anything is written."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import PapertuiError


def write_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, as they come) to a temporary file beside `path`, then
    rename it over `path` (OSError on failure, with the old file untouched). The file keeps its
    permissions; a new one gets the usual ones (the umask's)."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SavePathError(PapertuiError):
    """A typed path that can't be saved to; the message says why, naming the path as typed."""


@dataclass(frozen=True)
class SaveTarget:
    path: Path  # absolute, `~` expanded, a symlink followed to its file
    exists: bool  # saving replaces a file: ask first


def tilde(path: Path) -> str:
    """A path for people: the home folder as `~`."""
    home = Path.home()
    try:
        return "~" if path == home else "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def save_target(typed: str, file_name: str = "") -> SaveTarget:
    """Where a path typed by a person saves (`~` expanded, relative to the working folder), or
    SavePathError saying plainly why it can't: a folder, a folder that does not exist, not a
    regular file, read-only, no permission to write there. `file_name` is suggested to someone
    who typed a folder."""
    text = typed.strip()
    if not text:
        raise SavePathError("Type the path of a file to save to.")
    if "\0" in text:
        raise SavePathError("A file name can't contain a NUL character.")
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):
        user = expanded[1:].split("/", 1)[0]
        raise SavePathError(f"There is no user {user!r} for {text}: use ~/ for your home folder.")
    try:
        return _checked(Path(os.path.abspath(expanded)), text, file_name)
    except OSError as exc:  # a name too long, a folder we may not look into, ...
        raise SavePathError(f"Can't save to {text}: {exc.strerror or exc}.") from None


def _checked(path: Path, text: str, file_name: str) -> SaveTarget:
    if path.is_symlink() and path.exists():
        path = Path(os.path.realpath(path))  # save into the file the link points to
    if path.is_dir() or text.endswith(os.sep):
        if not path.is_dir():
            raise SavePathError(f"There is no folder {text}.")
        name = file_name or "papers.bib"
        raise SavePathError(f"{text} is a folder: add a file name, e.g. {os.path.join(text, name)}")
    parent = path.parent
    if not parent.exists():
        raise SavePathError(f"There is no folder {tilde(parent)}: create it first.")
    if not parent.is_dir():
        raise SavePathError(f"{tilde(parent)} is a file, not a folder.")
    exists = path.exists()
    if exists:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise SavePathError(f"{text} is not a regular file (a device, pipe or socket).")
        if not os.access(path, os.W_OK):
            raise SavePathError(f"{text} is read-only: pick another name.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SavePathError(f"Can't write in {tilde(parent)}: permission denied.")
    return SaveTarget(path, exists)


def complete_path(typed: str) -> str:
    """Tab in a path prompt: the last part of a typed path completed as far as the folder's
    names agree (a single folder gets its `/`); the text unchanged when nothing matches.
    Hidden names only when the part typed starts with a dot."""
    if typed.startswith("~") and "/" not in typed:
        return typed + "/" if typed == "~" else typed
    cut = typed.rfind("/") + 1
    head, part = typed[:cut], typed[cut:]
    folder = Path(os.path.expanduser(head)) if head else Path(".")
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                e.name
                for e in entries
                if e.name.startswith(part) and (part.startswith(".") or not e.name.startswith("."))
            )
    except (OSError, ValueError):
        return typed
    if not names:
        return typed
    common = os.path.commonprefix(names)
    if len(names) == 1 and (folder / common).is_dir():
        common += "/"
    return head + common
