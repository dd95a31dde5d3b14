"""Make untrusted text safe to store, search and print.

Text from the API (and from import files) may carry ANSI/OSC escape sequences, C0/C1 control
characters and bidi overrides. They are removed here, once, before anything is stored, and again
before printing, so no code path can write them to a terminal.
"""

import re
import unicodedata

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


def strip_controls(text: str, keep_newlines: bool = False) -> str:
    """Remove escape sequences, control characters and bidi controls."""
    text = _BIDI.sub("", _ESCAPES.sub("", text))
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        keep = "\n\t"
    else:
        text = _SPACES.sub(" ", text)
        keep = ""
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs"))


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
