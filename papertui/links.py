"""Every URL papertui shows, copies or opens. Only http(s) URLs ever leave this module."""

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
