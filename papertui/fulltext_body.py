"""A full text's body as the server sent it, checked before anything keeps it (`check_markdown`):
text, not binary or an HTML page, UTF-8 but for a few bytes, not garbled; controls removed. Its
own module because the API client (`hf_api`) checks bodies as they arrive, and the fetching of
many (`fulltext`) drives that client: neither needs the other's module to do this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ApiError
from .text import strip_controls

MAX_TEXT_BYTES = 8 * 1024 * 1024  # one full text, decoded (a long real paper is ~0.2-1 MiB)

_TEXT_TYPES = ("text/", "application/markdown", "application/x-markdown")
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_GARBAGE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class BadFullText(ApiError):
    """The server's answer is not a full text that can be kept (binary, HTML, garbled, empty)."""


@dataclass(frozen=True)
class Download:
    """A full text as received and checked: clean Markdown, and the server's ETag if it sent one."""

    markdown: str
    etag: str | None = None


def check_markdown(body: bytes, content_type: str, where: str, paper_id: str) -> str:
    """The body as clean text, or `BadFullText` saying what is wrong with it."""
    what = f"the full text of {paper_id} from {where}"
    kind = content_type.split(";")[0].strip().lower()
    if kind and not kind.startswith(_TEXT_TYPES):
        shown = strip_controls(kind)[:60]
        raise BadFullText(f"{what} is a {shown} body, not Markdown: refused")
    if not body.strip():
        raise BadFullText(f"{what} is empty: nothing stored")
    if b"\x00" in body:
        raise BadFullText(f"{what} is binary data (NUL bytes), not Markdown: refused")
    if _HTML_START.match(body[:1024]):
        raise BadFullText(f"{what} is an HTML page, not Markdown: refused")
    text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    undecodable = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    if undecodable > max(16, len(text) // 200):
        raise BadFullText(f"{what} is not UTF-8 text ({undecodable:,} bad bytes): refused")
    garbage = len(_GARBAGE.findall(text))
    if garbage > max(256, len(text) // 20):
        raise BadFullText(f"{what} is garbled ({garbage:,} control characters): refused")
    text = strip_controls(text, keep_newlines=True)
    if not text.strip():
        raise BadFullText(f"{what} has no readable text: nothing stored")
    return text
