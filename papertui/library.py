"""Your own library: the rules of tags and notes, and editing a note in an external editor.

Shared by both faces (the CLI and the reader) through the service; no SQL and no Textual here.

- A tag is one word: letters and digits of any script plus `- _ . / + # &`, starting with a letter
  or digit, at most 64 characters. Names are trimmed and case-folded, so `ML` and `ml` are one tag.
  Typed lists are separated by spaces or commas. What the user types is validated with a message
  that says what is wrong; tags from an import file are normalised leniently instead (spaces
  become `-`, other characters are dropped), since an import never stops for one odd tag.
- A note is the user's own text, stored exactly as written (escape sequences and all: every face
  makes it safe when it shows it), up to MAX_NOTE_BYTES of UTF-8. A note of only whitespace is no
  note. Text that is not valid Unicode (lone surrogates: bytes that are not UTF-8, from a file or
  the command line) is refused with a message rather than changed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import PapertuiError
from .text import strip_controls

MAX_TAG_LENGTH = 64
MAX_NOTE_BYTES = 4 * 1024 * 1024
_TAG = re.compile(r"[^\W_][\w\-./+#&]*")
_SEPARATORS = re.compile(r"[\s,]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
TAG_RULE = (
    "a tag is one word of letters, digits and - _ . / + # & (no spaces or commas), "
    "starting with a letter or digit"
)


class TagError(PapertuiError):
    """A tag name the user typed can't be used; the message says why."""


class BadTagName(TagError):
    """A tag name that breaks `TAG_RULE` (said once for several by `parse_tags`)."""


class NoteError(PapertuiError):
    """A note can't be stored as given; the message says why."""


def normalize_tag(text: str) -> str:
    """The tag's name, trimmed and case-folded; TagError when it is no tag."""
    name = text.strip().casefold()
    if not name:
        raise TagError("an empty tag name: " + TAG_RULE)
    shown = name[:40] + ("…" if len(name) > 40 else "")
    if len(name) > MAX_TAG_LENGTH:
        raise TagError(f"the tag {shown!r} is too long (over {MAX_TAG_LENGTH} characters)")
    if not _TAG.fullmatch(name):
        raise BadTagName(f"bad tag {shown!r}: {TAG_RULE}")
    return name


def parse_tags(text: str) -> list[str]:
    """Tags typed as one line, separated by spaces or commas: normalised, in order, no repeats.
    TagError naming every tag that is not one."""
    names: list[str] = []
    bad: list[str] = []  # names that break the rule: said once, with the rule
    problems: list[str] = []  # other problems (too long), each its own
    for word in _SEPARATORS.split(text):
        if not word:
            continue
        try:
            name = normalize_tag(word)
        except BadTagName:
            bad.append(repr(word[:40] + ("…" if len(word) > 40 else "")))
            continue
        except TagError as exc:
            problems.append(str(exc))
            continue
        if name not in names:
            names.append(name)
    if bad:
        listed = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        problems.insert(0, f"bad tag{'s' * (len(bad) > 1)} {listed}: {TAG_RULE}")
    if problems:
        raise TagError("; ".join(problems[:3]) + ("; …" if len(problems) > 3 else ""))
    return names


def lenient_tags(values: Iterable[object]) -> list[str]:
    """Tags from an import file or an old cache: normalised as far as possible, the rest dropped
    (whitespace inside a name becomes `-`; characters a tag can't hold are removed)."""
    names: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        name = "-".join(strip_controls(value).casefold().split())
        name = "".join(re.findall(r"[\w\-./+#&]", name))
        name = re.sub(r"^[\W_]+", "", name)[:MAX_TAG_LENGTH]
        if name and _TAG.fullmatch(name) and name not in names:
            names.append(name)
    return sorted(names)


def check_note(text: str | None) -> str | None:
    """The note to store for `text` (None: no note). NoteError when it can't be stored."""
    if text is None or not text.strip():
        return None
    if _SURROGATE.search(text):
        raise NoteError(
            "the note is not valid text (it holds bytes that are not UTF-8); nothing was saved"
        )
    size = len(text.encode("utf-8"))
    if size > MAX_NOTE_BYTES:
        raise NoteError(
            f"the note is too long ({size:,} bytes; at most {MAX_NOTE_BYTES // 2**20} MiB)"
        )
    return text


# ---- editing a note in the user's editor ------------------------------------------------


class EditorError(PapertuiError):
    """The external editor could not be run, or did not finish well; nothing was saved."""


def editor_command(configured: str | None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run, as an argument list: the config's `editor` (environment variables such
    as $EDITOR expanded), else $VISUAL, else $EDITOR. EditorError when there is none."""
    env = os.environ if environ is None else environ
    for source, value in (
        ("editor in config.toml", configured),
        ("$VISUAL", env.get("VISUAL")),
        ("$EDITOR", env.get("EDITOR")),
    ):
        if value is None or not value.strip():
            continue
        expanded = re.sub(
            r"\$(\w+)|\$\{(\w+)\}", lambda m: env.get(m.group(1) or m.group(2), ""), value
        )
        try:
            words = shlex.split(expanded)
        except ValueError as exc:
            raise EditorError(
                f"cannot read the editor command {value!r} ({source}): {exc}"
            ) from None
        if words:
            return words
        raise EditorError(f"the editor command {value!r} ({source}) is empty once expanded")
    raise EditorError("no editor: set $EDITOR (or editor in config.toml)")


def edit_text(text: str, command: list[str], *, name: str = "note") -> str:
    """Let the user edit `text` in their editor: a private temporary file is written, the editor
    runs on it (in this terminal, waited for), and the file is read back and removed.

    A file that does not end in a line break gets one (editors add it); one trailing line break
    is taken off again on the way back. EditorError when the editor can't be started, exits with
    a failure, or leaves text that is not UTF-8 (that file is then kept, and named, so nothing
    typed is lost)."""
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:60] or "note"
    folder = Path(tempfile.mkdtemp(prefix="papertui-"))  # private: mode 0700
    path = folder / f"{safe_name}.md"
    keep = False
    try:
        written = text if not text or text.endswith("\n") else text + "\n"
        path.write_text(written, encoding="utf-8", newline="")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise EditorError(
                f"cannot run the editor {command[0]!r}: {exc.strerror or exc}; nothing was saved"
            ) from None
        if done.returncode != 0:
            raise EditorError(
                f"the editor {command[0]!r} exited with status {done.returncode}; nothing was saved"
            )
        data = path.read_bytes()
        try:
            edited = data.decode("utf-8")
        except UnicodeDecodeError:
            keep = True
            raise EditorError(
                f"the edited note is not UTF-8 text; nothing was saved (your text is kept in {path})"
            ) from None
        if edited == written:
            return text
        return edited[:-1] if edited.endswith("\n") else edited
    finally:
        if not keep:
            path.unlink(missing_ok=True)
            try:
                folder.rmdir()
            except OSError:
                pass
