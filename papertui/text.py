"""Make untrusted text safe to store, search and print.

Text from the API (and from import files) may carry ANSI/OSC escape sequences, C0/C1 control
characters and bidi overrides. They are removed here, once, before anything is stored, and again
before printing, so no code path can write them to a terminal.
"""

import json
import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes;
# plus the 8-bit C1 forms of CSI (0x9b) and OSC (0x9d).
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]          # CSI
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)  # OSC, terminated by BEL or ST (or end of text)
  | \x1b[PX^_].*?(?:\x1b\\|\x9c|$)            # DCS, SOS, PM, APC strings
  | \x1b[@-Z\\-_]                             # other Fe escapes
  | \x1b.?                                    # a stray ESC and what follows
    """,
    re.VERBOSE | re.DOTALL,
)
# Bidi embeddings/overrides/isolates, and invisible format characters that hide inside words
# (zero-width space, word joiner and the invisible operators, BOM, soft hyphen, Mongolian vowel
# separator, deprecated format controls, interlinear annotation, the language tag). Kept: U+200C/D
# (ZWNJ/ZWJ: scripts and emoji need them) and the tag characters of emoji flag sequences. Also
# the blank-looking fillers used to hide text (Hangul fillers, the blank Braille pattern) and the
# unassigned specials U+FFF0-U+FFF8.
_BIDI = re.compile(
    "[\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\u2800\u3164\ufeff\uffa0\ufff0-\ufffb\U000e0001]"
)
# Tag characters (U+E0020-E007F) are kept only inside an emoji flag sequence (🏴 + tags + cancel
# tag); anywhere else they are invisible text.
_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_TAGS = re.compile("[\U000e0020-\U000e007f]")
_SPACES = re.compile("[\t\n\r\v\f\x00\x85\u2028\u2029]")
# Unicode categories Cc (C0, DEL, C1) and Cs (lone surrogates), as one regex: a per-character
# unicodedata loop was the slowest step of ingest.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# ASCII text without these needs only its whitespace folded: `str.split()` splits on the
# tab, line breaks, VT and FF that `strip_controls` turns into spaces (and on nothing else
# that is left here), and the other C0 controls (ESC included) and DEL take the long way.
_ASCII_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def _strip_stray_tags(text: str) -> str:
    """Tag characters removed, except those of emoji flag sequences."""
    kept, last = [], 0
    for flag in _FLAG.finditer(text):
        kept.append(_TAGS.sub("", text[last : flag.start()]))
        kept.append(flag.group(0))
        last = flag.end()
    kept.append(_TAGS.sub("", text[last:]))
    return "".join(kept)


def strip_controls(text: str, keep_newlines: bool = False) -> str:
    """Remove escape sequences, control characters (Unicode Cc, Cs) and bidi controls."""
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    text = _BIDI.sub("", text)
    if _TAGS.search(text):
        text = _strip_stray_tags(text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS_BUT_LINES.sub("", text)
    return _CONTROLS.sub("", _SPACES.sub(" ", text))


def clean(text: object) -> str:
    """One line of safe text: controls removed, runs of whitespace folded to one space.

    arXiv titles and abstracts keep hard line breaks (`"...Scaling for\\n  Contrastive..."`);
    folding them makes display and search consistent across old and new API data.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii() and not _ASCII_CONTROLS.search(text):
        return " ".join(text.split())  # most text: nothing to strip (ingest's hottest line)
    return " ".join(strip_controls(text).split())


# A paragraph break: a blank line (two or more line breaks, blank-looking lines between them).
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


def clean_paragraphs(text: object) -> str:
    """Like `clean`, but a blank line between paragraphs stays, as one "\\n\\n".

    Single line breaks (arXiv's hard wraps) and other whitespace fold to one space, as in
    `clean`; so text without a blank line comes out exactly as `clean` makes it.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (clean(part) for part in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(part for part in paragraphs if part)


def clean_optional(text: object) -> str | None:
    cleaned = clean(text)
    return cleaned or None


# What JSON output escapes besides what `json.dumps` already does (C0, quote, backslash): DEL and
# C1 controls, every format character (Unicode Cf: bidi overrides, zero-width characters, tags),
# lone surrogates and the line/paragraph separators. Hard-coded because building the class from
# `unicodedata` at import costs ~0.2 s; a test checks it covers every Cf of the running Python.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)


def _json_escape(match: re.Match) -> str:
    code = ord(match.group(0))
    if code > 0xFFFF:  # JSON spells astral characters as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def safe_json(value: object, *, indent: int | None = 1) -> str:
    """JSON for a terminal or a file: readable non-ASCII, but no character that a terminal obeys
    or that reorders or hides text (C1, Cf, surrogates, U+2028/9) appears raw; each is a `\\uXXXX`
    escape, so the data round-trips unchanged. The one JSON dumper of every JSON output."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(_json_escape, text)
