"""Math in a paper's full text, as readable Unicode (the converter of titles and abstracts,
`latex.to_unicode`), or as its LaTeX source when it cannot be converted faithfully.

A conversion counts as failed when the converter gave the source back or left a macro in it
(`\\ours`, `\\begin{cases}`): then the face shows the source, dimmed, never half-converted noise.
Math without a backslash, brace or script (`$k$`, `$E = 8$`) is its own rendering and skips the
converter (most inline math in papers is like that).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..latex import to_unicode
from ..text import strip_controls

MAX_MATH_CHARS = 4_000  # longer math is shown as its source, not converted
_PLAIN = re.compile(r"[^\\{}^_$&~%#]*")
_MACRO_LEFT = re.compile(r"\\[A-Za-z]")
# Environments that only arrange equations on lines: their rows convert one by one.
_ARRANGING = (
    "aligned|align\\*?|alignat\\*?|alignedat|gathered|gather\\*?|split|multline\\*?|"
    "equation\\*?|eqnarray\\*?|displaymath"
)
_ENV = re.compile(rf"\\(?:begin|end)\{{(?:{_ARRANGING})\}}(?:\{{\d+\}})?")
_ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")
_LABELS = re.compile(r"\\(?:label|tag\*?|nonumber|notag)(?:\{[^{}]*\})?")


def inline_math(source: str) -> tuple[str, bool]:
    """(text to show, converted) for `$...$` math."""
    return _convert(" ".join(source.split()))


def display_math(source: str) -> tuple[list[str], bool]:
    """(lines to show, converted) for `$$...$$` math: each row of an aligned environment on its
    own line; all rows converted, or all of the source shown as written."""
    body = _LABELS.sub("", _ENV.sub("", source))
    rows = [" ".join(row.replace("&", " ").split()) for row in _ROW_BREAK.split(body)]
    rows = [row for row in rows if row]
    if rows and len(source) <= MAX_MATH_CHARS:
        converted = [_convert(row) for row in rows]
        if all(ok for _, ok in converted):
            return [text for text, _ in converted], True
    lines = [strip_controls(line).rstrip() for line in source.strip("\n").split("\n")]
    return [line for line in lines if line.strip()] or [""], False


@lru_cache(maxsize=8192)
def _convert(source: str) -> tuple[str, bool]:
    source = strip_controls(source).strip()
    if not source:
        return "", True
    if _PLAIN.fullmatch(source):
        return source, True
    if len(source) > MAX_MATH_CHARS:
        return source, False
    wrapped = f"${source}$"
    result = to_unicode(wrapped)
    if result == wrapped or _MACRO_LEFT.search(result) or "$" in result:
        return source, False
    return result.strip(), True
