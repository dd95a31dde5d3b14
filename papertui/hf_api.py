"""HTTP access to the Hugging Face papers API: one method per endpoint, nothing else.

Everything the server sends is treated as hostile: bodies are size-capped, JSON is parsed
defensively, `Link: rel="next"` is only followed on the same origin, and every failure becomes an
`ApiError` whose message can be shown as is. Transient failures (connection errors, timeouts,
5xx, 429) are retried with tenacity; 429 waits as long as the server asks.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from . import __version__
from .errors import ApiError, NotFound
from .models import DailyItem, ParseResult, item_from_paper, parse_items
from .ratelimit import RateLimiter
from .text import clean

DEFAULT_BASE_URL = "https://huggingface.co"
PAGE_LIMIT = 100
MAX_PAGES = 100
MAX_BODY_BYTES = 16 * 1024 * 1024
_RATE_LIMIT_T = re.compile(r"(?:^|[;,\s])t=(\d+)")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # first wait, doubled each retry (with jitter)
    max_backoff: float = 8.0
    max_retry_after: float = 120.0  # a longer 429 wait is reported instead of waited out


class _Transient(ApiError):
    """A failure worth retrying."""

    def __init__(self, message: str, status: int | None = None, wait: float | None = None):
        super().__init__(message, status)
        self.wait = wait


def base_url_from(value: str | None) -> str:
    url = (value or os.environ.get("PAPERTUI_API_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(f"bad API URL {url[:100]!r}: it must start with http:// or https://")
    return url


class HfApi:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url_from(base_url)
        token = token if token is not None else os.environ.get("HF_TOKEN")
        headers = {"User-Agent": f"papertui/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token.strip()}"
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self._sleep = sleep
        self._backoff = wait_exponential(
            multiplier=self.retry.backoff, max=self.retry.max_backoff
        ) + wait_random(0, self.retry.backoff)
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=5,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HfApi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- endpoints ----------------------------------------------------------------------

    def daily(
        self, *, day: date | None = None, week: str | None = None, month: str | None = None
    ) -> ParseResult:
        """Every item of a day's (or week's, or month's) list, across all pages."""
        params: dict[str, Any] = {}
        if day is not None:
            params["date"] = day.isoformat()
        if week is not None:
            params["week"] = week
        if month is not None:
            params["month"] = month
        result = ParseResult()
        seen: set[str] = set()
        url, page = "/api/daily_papers", 0
        query: dict[str, Any] | None = {**params, "limit": PAGE_LIMIT, "p": 0}
        while True:
            data, response = self._get_json(url, query)
            parsed = parse_items(data) if isinstance(data, list) else None
            if parsed is None:
                raise ApiError(f"expected a list of papers from {url}, got {type(data).__name__}")
            fresh = [
                (item, raw)
                for item, raw in zip(parsed.items, parsed.raws, strict=True)
                if item.paper.id not in seen
            ]
            result.items.extend(item for item, _ in fresh)
            result.raws.extend(raw for _, raw in fresh)
            result.skipped += parsed.skipped
            result.errors.extend(parsed.errors)
            if not data or (parsed.items and not fresh):
                break  # past the end, or a server that ignores the page number
            seen.update(item.paper.id for item, _ in fresh)
            next_url = self._next_link(response)
            if next_url:
                url, query = next_url, None
            elif len(data) >= PAGE_LIMIT and query is not None:
                query = {**query, "p": query["p"] + 1}
            else:
                break
            page += 1
            if page >= MAX_PAGES:
                raise ApiError(f"the server kept announcing more pages (stopped after {MAX_PAGES})")
        return result

    def paper(self, arxiv_id: str) -> tuple[DailyItem, dict[str, Any]]:
        data, _ = self._get_json(f"/api/papers/{arxiv_id}", None)
        try:
            return item_from_paper(data)
        except ValueError as exc:
            raise ApiError(
                f"the server's answer for paper {arxiv_id} is not a paper: {exc}"
            ) from exc

    def search(self, text: str, limit: int = 20) -> ParseResult:
        data, _ = self._get_json(
            "/api/papers/search", {"q": text, "limit": max(1, min(limit, 100))}
        )
        if not isinstance(data, list):
            raise ApiError(f"expected a list of papers from search, got {type(data).__name__}")
        return parse_items(data)

    # ---- plumbing -----------------------------------------------------------------------

    def _next_link(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        absolute = urljoin(str(response.url), link)
        mine, theirs = urlsplit(self.base_url), urlsplit(absolute)
        if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc):
            raise ApiError(f"the server's next-page link leaves {self.base_url}: refused")
        return absolute

    def _get_json(self, url: str, params: dict[str, Any] | None) -> tuple[Any, httpx.Response]:
        retrying = Retrying(
            stop=stop_after_attempt(max(self.retry.attempts, 1)),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(url, params)
        except _Transient as exc:
            tries = self.retry.attempts
            raise ApiError(f"{exc} (gave up after {tries} tries)", exc.status) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return exc.wait
        return self._backoff(state)

    def _get_once(self, url: str, params: dict[str, Any] | None) -> tuple[Any, httpx.Response]:
        self.limiter.acquire()
        where = urlsplit(self.base_url).netloc
        try:
            with self.client.stream("GET", url, params=params) as response:
                body = _read_capped(response)
        except httpx.TimeoutException:
            raise _Transient(f"{where} did not answer in time") from None
        except httpx.RemoteProtocolError:
            raise _Transient(f"{where} broke off the response (incomplete body)") from None
        except httpx.TransportError as exc:
            raise _Transient(f"cannot reach {where}: {_reason(exc)}") from None
        status = response.status_code
        if status == 429:
            wait = retry_after(response.headers)
            if wait > self.retry.max_retry_after:
                raise ApiError(f"rate limited by {where}; try again in {int(wait)} s", 429)
            raise _Transient(f"rate limited by {where}", 429, wait=wait)
        if status >= 500:
            raise _Transient(f"{where} had a server error (HTTP {status})", status)
        if status >= 400:
            message = _server_message(body) or f"HTTP {status}"
            cls = NotFound if status == 404 else ApiError
            raise cls(f"{where} refused the request: {message}", status)
        try:
            return json.loads(body), response
        except ValueError:
            kind = response.headers.get("content-type", "unknown type").split(";")[0]
            raise ApiError(
                f"{where} sent a response that is not valid JSON ({kind}, {len(body)} bytes; "
                "truncated or an error page?)",
                status,
            ) from None


def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(
            f"the server's response is too large ({int(declared)} bytes)", response.status_code
        )
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(
                f"the server's response is too large (over {MAX_BODY_BYTES // 2**20} MiB)",
                response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait after a 429: `Retry-After` (seconds or HTTP date), else `RateLimit: t=N`."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    match = _RATE_LIMIT_T.search(headers.get("ratelimit", ""))
    if match:
        return float(match.group(1))
    return 5.0


def _server_message(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return clean(data["error"])[:300] or None
    return None


def _reason(exc: Exception) -> str:
    text = clean(str(exc)) or type(exc).__name__
    return text[:200]
