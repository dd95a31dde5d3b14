"""Make untrusted text safe to store, search and print.

Text from the API (and from import files) may carry ANSI/OSC escape sequences, C0/C1 control
characters and bidi overrides. They are removed here, once, before anything is stored, and again
before printing, so no code path can write them to a terminal.
"""

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
# Bidi embeddings/overrides/isolates and other invisible format characters that can reorder text.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile("[\t\n\r\v\f\x00\x85\u2028\u2029]")
# Unicode categories Cc (C0, DEL, C1) and Cs (lone surrogates), as one regex: a per-character
# unicodedata loop was the slowest step of ingest.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(text: str, keep_newlines: bool = False) -> str:
    """Remove escape sequences, control characters (Unicode Cc, Cs) and bidi controls."""
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    text = _BIDI.sub("", text)
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
    return " ".join(strip_controls(text).split())


def clean_optional(text: object) -> str | None:
    cleaned = clean(text)
    return cleaned or None
