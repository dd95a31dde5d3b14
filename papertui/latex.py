"""LaTeX in titles, AI summaries and abstracts, shown as readable Unicode.

arXiv text carries LaTeX source: `$\\alpha$`, `45.0\\%`, `6{,}690`, `36\\times`, `\\textbf{x}`.
`to_unicode` turns what it can into Unicode (α, 45.0%, 6,690, ×, x) with pylatexenc, at display
time only: the store keeps the source, so search still matches what the API sent.

What cannot be converted stays as the source, never garbled:
- text without a LaTeX marker is returned untouched (the fast path: most titles);
- `$` that cannot be a math delimiter (pandoc's rule: "costs $5 and $10") stays a dollar;
- `%`, `&`, `#` and `~` in prose keep their everyday meaning (not a comment, tab or space);
- macros pylatexenc does not know (`\\ours`, `\\method`), and those that would drop or invent
  text (`\\input`, `\\def`, `\\cite`, `\\label`...), stay as written, with their brace arguments;
- a paragraph with unbalanced or deeply nested braces, an oversized text, a conversion that
  raises, or one that loses most of the letters and digits, falls back to the source.

Paragraph breaks ("\\n\\n") survive; each paragraph comes out as one line with no control
characters (`text.strip_controls`). Results are cached, so a list row redrawn costs a lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .text import strip_controls

# Anything pylatexenc would change: a backslash, a dollar, the `{,}` thousands separator.
_MARKERS = re.compile(r"[\\$]|\{,\}")
MAX_CHARS = 20_000  # abstracts are ~2,000 characters; beyond this the text is not converted
MAX_DEPTH = 16  # brace nesting beyond this is not LaTeX anyone meant to show
_PRIVATE = re.compile("[\ue000-\uf8ff]")  # placeholders for protected pieces are drawn from here
_PLACEHOLDER_BASE = 0xE000
_MAX_PIECES = 0xF8FF - _PLACEHOLDER_BASE

# Macros kept as written: they read files, define things, or stand for something pylatexenc
# can only guess at (`<cit.>`, `<ref>`, an empty string).
_KEEP = frozenset(
    "input include includeonly def edef gdef xdef let newcommand renewcommand providecommand "
    "newenvironment renewenvironment catcode makeatletter makeatother usepackage documentclass "
    "begin end cite citep citet ref eqref autoref cref Cref label footnote footnotemark "
    "section subsection subsubsection paragraph item href url verb write immediate "
    "hspace vspace newline linebreak par".split()
)
# Macros pylatexenc does not know but abstracts use: (name, replacement); an argument in braces
# that follows shows as its content.
_EXTRA = {
    "left": "",
    "right": "",
    "big": "",
    "Big": "",
    "bigg": "",
    "Bigg": "",
    "bigl": "",
    "bigr": "",
    "Bigl": "",
    "Bigr": "",
    "boldsymbol": "",
    "bm": "",
    "operatorname": "",
    "mathop": "",
    "textsc": "",
    "textrm": "",
    "textnormal": "",
    "mbox": "",
    "hbox": "",
    "checkmark": "✓",
    "xmark": "✗",
    "textasciitilde": "~",
    "lesssim": "≲",
    "gtrsim": "≳",
}

_SUPERSCRIPTS = str.maketrans("0123456789+-=()niTtkmx", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀᵗᵏᵐˣ")
_SUPER_OK = frozenset("0123456789+-=()niTtkmx")
_SUPER_MACROS = {
    r"\prime": "′",
    r"\top": "ᵀ",
    r"\circ": "°",
    r"\dagger": "†",
    r"\ast": "*",
    "*": "*",
}
_SUBSCRIPTS = str.maketrans("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUB_OK = frozenset("0123456789+-=()aeijklmnoprstuvx")
_SCRIPT = re.compile(r"(?<!\\)([\^_])(?:\{([^{}]*)\}|(\\[A-Za-z]+|[0-9A-Za-z*]))")

_MACRO_END = re.compile(r"\\[A-Za-z]+\Z")
_ESCAPE = re.compile(r"\\(?:([A-Za-z]+)\*?|.)", re.DOTALL)
_ARGS = re.compile(r"(?:\s*\{[^{}]*\})*")
_PROSE_SPECIALS = re.compile(r"(?<!\\)([%&#])")


def has_latex(text: str) -> bool:
    return bool(_MARKERS.search(text))


def to_unicode(text: str) -> str:
    """`text` with its LaTeX shown as Unicode, or `text` itself where that cannot be done well."""
    if not text or not _MARKERS.search(text):
        return text  # the fast path, uncached: most titles have no LaTeX at all
    return _converted(text)


# Only texts with LaTeX are cached: a screenful of list rows is ~50 titles, an abstract ~2 KB.
@lru_cache(maxsize=4096)
def _converted(text: str) -> str:
    if len(text) > MAX_CHARS or _PRIVATE.search(text):
        return text
    return "\n\n".join(_paragraph(part) for part in text.split("\n\n"))


def _paragraph(source: str) -> str:
    if not _MARKERS.search(source) or not _braces_fine(source):
        return source
    try:
        pieces: list[str] = []
        prepared = _prepare(source, pieces)
        if prepared is None:
            return source
        from pylatexenc.latexwalker import LatexWalker  # imported on first use: ~15 ms

        walker = LatexWalker(prepared, latex_context=_walker_context(), tolerant_parsing=True)
        converted = _converter().nodelist_to_text(walker.get_latex_nodes()[0])
        converted = _restore(converted, pieces)
    except Exception:  # pylatexenc on hostile input: anything it raises means "keep the source"
        return source
    result = " ".join(strip_controls(converted).split())
    if _lost_text(source, result):
        return source
    return result


def _braces_fine(text: str) -> bool:
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _math_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_math) segments of `text`, `$`-delimited math told from prose dollars.

    Pandoc's rule for inline math: the opening `$` has a non-space right after it, the closing
    one (the next unescaped `$`) a non-space right before it and no digit right after it.
    `$$...$$` is display math."""
    dollars = [m.start() for m in re.finditer(r"(?<!\\)\$", text)]
    spans: list[tuple[int, int, bool]] = []
    last = 0
    i = 0
    while i < len(dollars):
        start = dollars[i]
        if i + 1 < len(dollars) and dollars[i + 1] == start + 1:  # `$$`
            closing = next(
                (k for k in range(i + 2, len(dollars) - 1) if dollars[k + 1] == dollars[k] + 1),
                None,
            )
            if closing is not None:
                end = dollars[closing] + 2
                spans += [(last, start, False), (start, end, True)]
                last, i = end, closing + 2
                continue
            i += 2
            continue
        if i + 1 < len(dollars):
            close = dollars[i + 1]
            after = text[close + 1 : close + 2]
            if (
                close > start + 1
                and not text[start + 1].isspace()
                and not text[close - 1].isspace()
                and not after.isdigit()
            ):
                spans += [(last, start, False), (start, close + 1, True)]
                last, i = close + 1, i + 2
                continue
        i += 1
    spans.append((last, len(text), False))
    return [span for span in spans if span[1] > span[0]]


def _prepare(source: str, pieces: list[str]) -> str | None:
    """The paragraph as pylatexenc should see it: prose dollars and specials escaped, macros
    that must stay as written swapped for placeholders, sub/superscripts in math as Unicode."""
    out = []
    for start, end, is_math in _math_spans(source):
        chunk = source[start:end]
        if is_math:
            chunk = _SCRIPT.sub(_script, chunk)
        else:
            chunk = re.sub(r"(?<!\\)\$", r"\\$", chunk)
        chunk = _PROSE_SPECIALS.sub(r"\\\1", chunk)
        chunk = chunk.replace("~", _protect("~", pieces))
        chunk = _protect_macros(chunk, pieces)
        out.append(chunk)
    if len(pieces) > _MAX_PIECES:
        return None
    return "".join(out)


def _protect(piece: str, pieces: list[str]) -> str:
    pieces.append(piece)
    return chr(_PLACEHOLDER_BASE + min(len(pieces) - 1, _MAX_PIECES))


def _protect_macros(chunk: str, pieces: list[str]) -> str:
    """Unknown or kept macros, with their brace arguments, swapped for placeholders."""
    out, pos = [], 0
    for match in _ESCAPE.finditer(chunk):
        name = match.group(1)
        if match.start() < pos or name is None:
            continue
        if name in _KEEP or (name not in _EXTRA and _context().get_macro_spec(name) is None):
            args = _ARGS.match(chunk, match.end())
            end = args.end() if args else match.end()
            out += [chunk[pos : match.start()], _protect(chunk[match.start() : end], pieces)]
            pos = end
    out.append(chunk[pos:])
    return "".join(out)


def _restore(text: str, pieces: list[str]) -> str:
    return _PRIVATE.sub(lambda m: pieces[ord(m.group(0)) - _PLACEHOLDER_BASE], text)


def _script(match: re.Match[str]) -> str:
    """`^{2}` → ², `_{i}` → ᵢ where Unicode has every character; `x^{ab}` → x^(ab) otherwise."""
    sign, braced, single = match.group(1), match.group(2), match.group(3)
    body = (braced if braced is not None else single).strip()
    if sign == "^" and body in _SUPER_MACROS:
        return _SUPER_MACROS[body]
    allowed, table = (_SUPER_OK, _SUPERSCRIPTS) if sign == "^" else (_SUB_OK, _SUBSCRIPTS)
    if body and all(char in allowed for char in body):
        # Right after a macro (`\sum_{i=1}`) an empty group keeps the script out of its name:
        # `ᵢ` is a letter to pylatexenc, and `\sumᵢ₌₁` would be an unknown macro, dropped.
        start = match.start()
        after_macro = _MACRO_END.search(match.string, max(0, start - 40), start) is not None
        return ("{}" if after_macro else "") + body.translate(table)
    if braced is not None and len(body) > 1:
        return f"{sign}({body})"
    return match.group(0)


_LETTERS = re.compile(r"\\[A-Za-z]+|[^\W_]", re.UNICODE)


def _lost_text(source: str, result: str) -> bool:
    """The conversion dropped most of the letters and digits (macro names not counted)."""
    before = sum(1 for m in _LETTERS.finditer(source) if not m.group(0).startswith("\\"))
    after = sum(1 for char in result if char.isalnum())
    return before >= 8 and after < before * 0.6


@lru_cache(maxsize=1)
def _context():
    from pylatexenc import latex2text

    db = latex2text.get_default_latex_context_db()
    db.add_context_category(
        "papertui",
        macros=[latex2text.MacroTextSpec(name, repl) for name, repl in _EXTRA.items()],
        prepend=True,
    )
    return db


@lru_cache(maxsize=1)
def _walker_context():
    """The parser's macro table, built once (`latex_to_text` builds one per call: 40% of it)."""
    from pylatexenc import latexwalker

    return latexwalker.get_default_latex_context_db()


@lru_cache(maxsize=1)
def _converter():
    from pylatexenc.latex2text import LatexNodes2Text

    # Spaces as the source has them ("36\\times faster" keeps its space), including those
    # between two constructs ("$a$ $b$").
    spaces = {
        "between-macro-and-chars": False,
        "between-latex-constructs": True,
        "after-comment": False,
        "in-equations": None,
    }
    return LatexNodes2Text(latex_context=_context(), math_mode="text", strict_latex_spaces=spaces)


def shown(text: str | None) -> str:
    """One line for display: LaTeX as Unicode, no control characters, no line breaks."""
    return strip_controls(to_unicode(text or ""))


def shown_paragraphs(text: str | None) -> list[str]:
    """An abstract's paragraphs (stored split by a blank line), each one line for display."""
    converted = to_unicode(text or "")
    parts = (strip_controls(part).strip() for part in converted.split("\n\n"))
    return [part for part in parts if part]
