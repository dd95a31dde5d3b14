"""Every URL papertui shows, copies or opens. Only http(s) URLs ever leave this module."""

import re
from urllib.parse import quote, urlsplit

from .text import clean

HF_BASE = "https://huggingface.co"


def hf_url(paper_id: str) -> str:
    return f"{HF_BASE}/papers/{quote(paper_id, safe='./')}"


def arxiv_abs_url(paper_id: str) -> str:
    return f"https://arxiv.org/abs/{quote(paper_id, safe='./')}"


def arxiv_pdf_url(paper_id: str) -> str:
    return f"https://arxiv.org/pdf/{quote(paper_id, safe='./')}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) URL with a host, else None (javascript:, file:, ...)."""
    if not url:
        return None
    url = clean(url)
    if not url or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# An arXiv id, new style (2605.05242) or old (cs/0112017), with an optional version (v2).
_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?"
_FORMS = [
    re.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE),
    # huggingface.co/papers/ID, arxiv.org/abs|pdf|html/ID[.pdf], with or without scheme and www
    re.compile(
        r"^(?:https?://)?(?:www\.|export\.)?"
        r"(?:(?:huggingface\.co|hf\.co)/papers|arxiv\.org/(?:abs|pdf|html))/"
        rf"{_ID}(?:\.pdf)?/?(?:[?#].*)?$",
        re.IGNORECASE,
    ),
]


def paper_id_from(text: str) -> str | None:
    """The arXiv id (without its version: the cache keys papers by id) in an id or a paper URL
    as people paste them: `2605.05242v2`, `arXiv:2605.05242`, `arxiv.org/pdf/2605.05242.pdf`,
    `https://huggingface.co/papers/2605.05242`. None when it is none of these."""
    text = clean(text)
    for form in _FORMS:
        if match := form.match(text):
            return match.group(1)
    return None
