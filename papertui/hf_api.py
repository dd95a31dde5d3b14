"""HTTP access to the Hugging Face papers API: one method per endpoint, nothing else.

Everything the server sends is treated as hostile: bodies are decoded here from the raw bytes
with a cap on the decoded size (gzip/deflate only, never stacked), pages and lists are capped in
items and bytes before any item is validated, redirects and `Link: rel="next"` are only followed
on the API's own origin, every request has a deadline for headers and body together (see
`netguard`), and every failure becomes an `ApiError` whose message can be shown as is and never
holds the token or a URL's userinfo. Transient failures (connection errors, timeouts, 5xx, 429)
are retried with tenacity; 429 waits as long as the server asks, within limits; every wait and
read ends promptly when the caller's `Stop` says so.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from . import __version__
from .errors import ApiError, NotFound, NotIndexed, NotPublishedYet, Unreachable
from .fulltext_body import MAX_TEXT_BYTES, Download, check_markdown
from .guarded_backend import install as install_guard
from .models import Fetched, ParseResult, item_from_paper, parse_items, short_error
from .netguard import (
    NO_STOP,
    Cancelled,
    Exchange,
    OutOfTime,
    Stop,
    TooSlow,
    guarding,
    host_of,
    inflater_for,
    origin,
    redact,
    token_problem,
)
from .ratelimit import RateLimiter, api_limiter, pages_limiter
from .text import clean

__all__ = [
    "ApiError",
    "Cancelled",
    "HfApi",
    "NotFound",
    "NotIndexed",
    "NotPublishedYet",
    "OutOfTime",
    "RetryPolicy",
    "Stop",
    "TooSlow",
]

DEFAULT_BASE_URL = "https://huggingface.co"
PAGE_LIMIT = 100
MAX_PAGES = 100
MAX_BODY_BYTES = 16 * 1024 * 1024  # one response, decoded
MAX_LIST_BYTES = 64 * 1024 * 1024  # all the pages of one list, decoded
MAX_JSON_VALUES = 500_000  # one response: counted before parsing (a real page has ~15,000)
# Across the pages of one list: each page under the per-page cap still becomes Python objects,
# so the list's total is capped too (a real day is ~20,000 values; a month ~600,000).
MAX_LIST_VALUES = 2_000_000
MAX_PAGE_ITEMS = 1_000  # the real API sends at most 100 a page
MAX_LIST_ITEMS = 5_000  # a real day has at most a few hundred
MAX_REDIRECTS = 5
DEADLINE = 60.0  # one whole request: headers, body and redirects
LATER = 24 * 3600.0  # a longer Retry-After is just "try again later"
_RATE_LIMIT_T = re.compile(r"(?:^|[;,\s])t=(\d+)")
MARKDOWN = "text/markdown, text/plain;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # first wait, doubled each retry (with jitter)
    max_backoff: float = 8.0
    max_retry_after: float = 120.0  # a longer 429 wait is reported instead of waited out
    max_total_wait: float = 180.0  # all the 429 waits of one request together


class _Transient(ApiError):
    """A failure worth retrying."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        wait: float | None = None,
        unreachable: bool = False,
    ):
        super().__init__(message, status)
        self.wait = wait
        self.unreachable = unreachable


def base_url_from(value: str | None) -> str:
    url = (value or os.environ.get("PAPERTUI_API_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    # Whatever the shape of the URL, nothing before its last "@" is ever shown: a password typed
    # without a scheme, or with a space or a slash missing, is still a password.
    shown = redact(url)
    shown = repr(("…@" + shown.rpartition("@")[2]) if "@" in shown else shown)[:100]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        raise ApiError(f"bad API URL {shown}: it is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(f"bad API URL {shown}: it must start with http:// or https://")
    return url


class HfApi:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 20.0,
        deadline: float = DEADLINE,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        page_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        """`timeout`: longest silence (10 s at most to connect); `deadline`: longest request,
        however steadily the bytes trickle in; `sleep` replaces waiting (tests record waits).
        `limiter` paces API requests, `page_limiter` page requests (full texts): Hugging Face
        counts them in separate buckets, the second far smaller."""
        self.base_url = base_url_from(base_url)
        self.where = host_of(self.base_url)
        token = (token if token is not None else os.environ.get("HF_TOKEN", "")).strip()
        headers = {
            "User-Agent": f"papertui/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # what _read_body can decode with bounded memory
        }
        if token:
            problem = token_problem(token)
            if problem:
                raise ApiError(f"HF_TOKEN is not a valid token ({problem}); fix or unset it")
            headers["Authorization"] = f"Bearer {token}"
        self._token = token
        self.requests_made = 0  # every request sent, retries included (sync's progress and ETA)
        self._count_lock = threading.Lock()
        self.deadline = deadline
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or api_limiter(token)
        self.page_limiter = page_limiter or pages_limiter(token)
        self._sleep = sleep
        self._backoff = wait_exponential(
            multiplier=self.retry.backoff, max=self.retry.max_backoff
        ) + wait_random(0, self.retry.backoff)
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,  # followed by hand, only within the API's origin
        )
        install_guard(self.client)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HfApi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- endpoints ----------------------------------------------------------------------

    def daily(
        self,
        *,
        day: date | None = None,
        week: str | None = None,
        month: str | None = None,
        stop: Stop | None = None,
    ) -> ParseResult:
        """Every item of a day's (or week's, or month's) list, across all pages.

        `stop` (a cancel event and/or an end time) ends the fetch early with `Cancelled` or
        `OutOfTime`, even in the middle of a read or a wait."""
        params: dict[str, Any] = {}
        if day is not None:
            params["date"] = day.isoformat()
        if week is not None:
            params["week"] = week
        if month is not None:
            params["month"] = month
        result = ParseResult()
        seen: set[str] = set()
        url, page, total_bytes, total_items, total_values = "/api/daily_papers", 0, 0, 0, 0
        query: dict[str, Any] | None = {**params, "limit": PAGE_LIMIT, "p": 0}
        while True:
            data, response, size, values = self._get_json(url, query, stop)
            result.pages += 1
            if not isinstance(data, list):
                raise ApiError(f"expected a list of papers from {url}, got {type(data).__name__}")
            total_bytes += size
            total_items += len(data)
            total_values += values
            # counted before any item is validated: a flood costs no more than its bytes
            if len(data) > MAX_PAGE_ITEMS:
                raise ApiError(
                    f"{self.where} sent {len(data)} items in one page "
                    f"(at most {MAX_PAGE_ITEMS} expected): refused"
                )
            if total_items > MAX_LIST_ITEMS:
                raise ApiError(
                    f"{self.where} sent over {MAX_LIST_ITEMS} items for one list: refused"
                )
            if total_values > MAX_LIST_VALUES:
                raise ApiError(
                    f"{self.where} sent over {MAX_LIST_VALUES:,} JSON values for one list: refused"
                )
            if total_bytes > MAX_LIST_BYTES:
                raise ApiError(
                    f"{self.where} sent over {MAX_LIST_BYTES // 2**20} MiB for one list: refused"
                )
            try:
                parsed = parse_items(data)
            except RecursionError:
                raise ApiError(f"{self.where} sent items nested too deeply to read") from None
            fresh = [e for e in parsed.entries if e.item.paper.id not in seen]
            result.entries.extend(fresh)
            result.skipped += parsed.skipped
            result.errors.extend(parsed.errors)
            if not data or (parsed.entries and not fresh):
                break  # past the end, or a server that ignores the page number
            seen.update(e.item.paper.id for e in fresh)
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

    def paper(self, arxiv_id: str, *, stop: Stop | None = None) -> Fetched:
        data, *_ = self._get_json(f"/api/papers/{arxiv_id}", None, stop)
        try:
            return item_from_paper(data)
        except (ValueError, RecursionError) as exc:
            raise ApiError(
                f"the server's answer for paper {arxiv_id} is not a paper: {short_error(exc)}"
            ) from None

    def search(self, text: str, limit: int = 20, *, stop: Stop | None = None) -> ParseResult:
        data, *_ = self._get_json(
            "/api/papers/search", {"q": text, "limit": max(1, min(limit, 100))}, stop
        )
        if not isinstance(data, list):
            raise ApiError(f"expected a list of papers from search, got {type(data).__name__}")
        if len(data) > MAX_PAGE_ITEMS:
            raise ApiError(
                f"{self.where} sent {len(data)} search results (at most {MAX_PAGE_ITEMS}): refused"
            )
        try:
            return parse_items(data)
        except RecursionError:
            raise ApiError(f"{self.where} sent items nested too deeply to read") from None

    def full_text(
        self, paper_id: str, *, stop: Stop | None = None, etag: str | None = None
    ) -> Download | None:
        """The paper as Markdown (`GET /papers/{id}.md`, the "pages" rate-limit bucket), checked
        and cleaned (`fulltext_body.check_markdown`); `NotIndexed` on 404. With the `etag` of the
        text cached, None when the server says it has not changed (304)."""
        headers = {"Accept": MARKDOWN}
        if etag and not token_problem(etag):
            headers["If-None-Match"] = etag
        try:
            response, body = self._get(
                f"/papers/{quote(paper_id, safe='./')}.md",
                None,
                stop,
                limiter=self.page_limiter,
                cap=MAX_TEXT_BYTES,
                headers=headers,
                what=f"the full text of {paper_id}",
            )
        except NotFound:
            raise NotIndexed(
                f"{paper_id} is not indexed on Hugging Face: it has no full text there", 404
            ) from None
        if response.status_code == 304:
            return None
        markdown = check_markdown(
            body, response.headers.get("content-type", ""), self.where, paper_id
        )
        etag = clean(response.headers.get("etag", ""))[:200] or None
        return Download(markdown, etag)

    # ---- plumbing -----------------------------------------------------------------------

    def _next_link(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        absolute = urljoin(str(response.url), link)
        if origin(absolute) != origin(self.base_url):
            raise ApiError(f"the server's next-page link leaves {redact(self.base_url)}: refused")
        return absolute

    def _get_json(
        self, url: str, params: dict[str, Any] | None, stop: Stop | None = None
    ) -> tuple[Any, httpx.Response, int, int]:
        response, body = self._get(url, params, stop)
        where, status = self.where, response.status_code
        values = body.count(b",") + body.count(b"{") + body.count(b"[")
        if values > MAX_JSON_VALUES:
            raise ApiError(
                f"{where} sent a response with too many JSON values "
                f"(over {MAX_JSON_VALUES:,}): refused",
                status,
            )
        try:
            return json.loads(body), response, len(body), values
        except RecursionError:
            raise ApiError(f"{where} sent JSON nested too deeply to read", status) from None
        except ValueError:
            kind = clean(response.headers.get("content-type", "unknown type").split(";")[0])[:60]
            raise ApiError(
                f"{where} sent a response that is not valid JSON ({kind}, {len(body)} bytes; "
                "truncated or an error page?)",
                status,
            ) from None

    def _get(
        self,
        url: str,
        params: dict[str, Any] | None,
        stop: Stop | None = None,
        *,
        limiter: RateLimiter | None = None,
        cap: int | None = None,
        headers: dict[str, str] | None = None,
        what: str = "the response",
    ) -> tuple[httpx.Response, bytes]:
        """One GET with retries: the response (2xx, or 304 to an If-None-Match) and its body,
        decoded and capped.
        `limiter`: the rate-limit bucket (default: the API's); `what` names the body in the
        "too large" message."""
        stop = stop or NO_STOP
        waited = 0.0

        def wait(state) -> float:
            nonlocal waited
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.wait is not None:
                if waited + exc.wait > self.retry.max_total_wait:
                    raise ApiError(
                        f"{exc}; still so after waiting {int(waited)} s: try again later",
                        exc.status,
                    )
                waited += exc.wait
                return exc.wait
            return self._backoff(state)

        retrying = Retrying(
            stop=stop_after_attempt(max(self.retry.attempts, 1)),
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            sleep=lambda seconds: stop.pause(seconds, self._sleep),
            reraise=True,
        )
        cap = MAX_BODY_BYTES if cap is None else cap
        request = _Request(url, params, limiter or self.limiter, cap, headers, what)
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(request, stop)
        except _Transient as exc:
            tries = self.retry.attempts
            cls = Unreachable if exc.unreachable else ApiError
            raise cls(f"{exc} (gave up after {tries} tries)", exc.status) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, request: _Request, stop: Stop) -> tuple[httpx.Response, bytes]:
        where = self.where
        request.limiter.acquire(sleep=lambda seconds: stop.pause(seconds, self._sleep))
        with self._count_lock:
            self.requests_made += 1
        exchange = Exchange(where, self.deadline, stop)
        try:
            with guarding(exchange):
                response, body = self._fetch(request, exchange)
        except httpx.TimeoutException:
            stop.check()  # a read cut short by the budget is the budget's doing
            raise _Transient(f"{where} did not answer in time", unreachable=True) from None
        except httpx.RemoteProtocolError:
            raise _Transient(f"{where} broke off the response (incomplete body)") from None
        except httpx.TransportError as exc:
            if _no_such_host(exc):  # no name service, or no such name: retrying won't help
                raise Unreachable(f"cannot reach {where}: {self._reason(exc)}") from None
            raise _Transient(
                f"cannot reach {where}: {self._reason(exc)}", unreachable=True
            ) from None
        status = response.status_code
        if status == 429:
            wait = retry_after(response.headers)
            if wait > self.retry.max_retry_after:
                when = "later" if wait >= LATER else f"in {int(wait)} s"
                raise ApiError(f"rate limited by {where}; try again {when}", 429)
            raise _Transient(f"rate limited by {where}", 429, wait=wait)
        if status >= 500:
            raise _Transient(f"{where} had a server error (HTTP {status})", status)
        asked_if_changed = bool(request.headers and "If-None-Match" in request.headers)
        if status >= 300 and not (status == 304 and asked_if_changed):
            message = _server_message(body)
            cls: type[ApiError] = ApiError
            if status == 404:
                cls = NotFound
            elif status == 400 and _says_in_the_future(message):
                cls = NotPublishedYet
            raise cls(f"{where} refused the request: {message or f'HTTP {status}'}", status)
        return response, body

    def _fetch(self, request: _Request, exchange: Exchange) -> tuple[httpx.Response, bytes]:
        """GET, following at most MAX_REDIRECTS redirects, none of them off the API's origin."""
        home = origin(self.base_url)
        url, params = request.url, request.params
        for _ in range(MAX_REDIRECTS + 1):
            try:
                # httpx prepares the next request of a redirect even when not following it, so a
                # Location that is no URL (`javascript:…`, `http:\\host`) fails right here
                with self.client.stream(
                    "GET", url, params=params, headers=request.headers
                ) as response:
                    # a 304, or a 3xx with no Location, is an answer, not a redirect
                    if not response.is_redirect or "location" not in response.headers:
                        return response, _read_body(response, exchange, request.cap, request.what)
                    target = urljoin(str(response.url), response.headers["location"])
            except httpx.InvalidURL:
                raise ApiError(
                    f"{exchange.where} redirected to an address that is not a valid URL: refused"
                ) from None
            if origin(target) != home or not _valid_url(target):
                shown = clean(redact(target))[:100]
                raise ApiError(
                    f"{exchange.where} redirected to another host ({shown}): refused",
                    response.status_code,
                )
            url, params = target, None
        raise ApiError(f"{exchange.where} redirected more than {MAX_REDIRECTS} times: refused")

    def _reason(self, exc: Exception) -> str:
        text = redact(clean(str(exc)) or type(exc).__name__)
        if self._token:
            text = text.replace(self._token, "***")
        return text[:200]


def _no_such_host(exc: BaseException) -> bool:
    """Whether a transport error is the host's name not resolving (offline, or a wrong address):
    seconds of retries change neither, and the reader says "offline" at once instead."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, socket.gaierror):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


@dataclass(frozen=True)
class _Request:
    """What one GET asks for, and the limits its answer is read under."""

    url: str
    params: dict[str, Any] | None
    limiter: RateLimiter
    cap: int
    headers: dict[str, str] | None
    what: str


def _valid_url(url: str) -> bool:
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return True


def _read_body(
    response: httpx.Response,
    exchange: Exchange,
    cap: int,
    what: str = "the response",
) -> bytes:
    """The body, decoded here from the raw bytes so no step can ever exceed `cap`."""
    where = exchange.where
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise ApiError(
            f"{what} from {where} is too large ({int(declared)} bytes)", response.status_code
        )
    inflater = inflater_for(response.headers.get("content-encoding", ""), where, clean)
    chunks: list[bytes] = []
    size = raw_size = 0

    def too_large() -> ApiError:
        decoded = " decoded" if inflater else ""
        return ApiError(
            f"{what} from {where} is too large (over {cap // 2**20} MiB{decoded})",
            response.status_code,
        )

    def take(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > cap:
            raise too_large()
        chunks.append(piece)

    for raw in response.iter_raw():
        exchange.check()
        raw_size += len(raw)
        if raw_size > cap:
            raise too_large()
        if inflater is None:
            take(raw)
        else:
            for piece in inflater.feed(raw):
                take(piece)
    if inflater is not None:
        take(inflater.finish())
    return b"".join(chunks)


def retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait after a 429: `Retry-After` (seconds or HTTP date), else `RateLimit: t=N`.
    Any value is clamped to LATER (a day): a 400-digit number means "later", not an overflow."""
    value = headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return _clamp_wait(value)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return min(LATER, max(0.0, (when - datetime.now(UTC)).total_seconds()))
        except (TypeError, ValueError, OverflowError):
            pass
    match = _RATE_LIMIT_T.search(headers.get("ratelimit", ""))
    if match:
        return _clamp_wait(match.group(1))
    return 5.0


def _clamp_wait(digits: str) -> float:
    digits = digits.lstrip("0") or "0"
    return LATER if len(digits) > 6 else min(LATER, float(digits))


def _says_in_the_future(message: str | None) -> bool:
    """Whether a 400's message is the server's "Date cannot be in the future" (its answer for a
    day whose list has not opened yet). The server gives no code for it, so this is the one
    place papertui reads a server's message text; everything past here uses `NotPublishedYet`."""
    return message is not None and "in the future" in message.lower()


def _server_message(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return clean(data["error"])[:300] or None
    return None
