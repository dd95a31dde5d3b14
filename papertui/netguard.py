"""Limits on every HTTP exchange with the papers API: time, cancellation, decoded size, secrets.

- `Stop` carries what may end work from outside: a cancel event and the sync's time budget.
  Every wait (rate limiter, retry backoff, 429) sleeps on the event, so cancelling is prompt.
- `Exchange` is one request's deadline (headers and body, all redirects). A guarded network
  backend (`guarded_backend`), installed under httpx, reads the socket in short slices and checks
  the exchange between slices: a server that drips one byte every few seconds, or sends nothing at all, can
  hold a request no longer than its deadline, and a cancelled one for a fraction of a second.
- `Inflater` decodes gzip/deflate incrementally with a bound on each step, so the decoded size
  is counted (and capped) before it is ever in memory; stacked or unknown encodings are refused.
- `redact` strips userinfo (`user:password@`) from any URL in a text meant for the user.

No Textual, no Rich: this is core code.
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ApiError

SLICE = 0.25  # longest a socket read blocks before the deadline and the cancel event are checked
INFLATE_STEP = 64 * 1024  # most bytes one decompression step may produce
CANCELLED = "cancelled"
NOT_REACHED = "not fetched: the server could not be reached"  # what was left once it wasn't


def not_reached(why: str) -> str:
    """What a day or text left unfetched says, after the first request found no server."""
    return f"{NOT_REACHED} ({why})"


class Cancelled(ApiError):
    """The caller cancelled (ctrl+c, the reader quitting): not a failure of the server."""

    def __init__(self) -> None:
        super().__init__(CANCELLED)


class OutOfTime(ApiError):
    """The whole sync's time budget ran out."""


class TooSlow(ApiError):
    """One request took longer than its deadline, however steadily bytes trickled in."""


@dataclass
class Stop:
    """What may end in-flight work from outside: a cancel event and/or a monotonic end time."""

    cancel: threading.Event | None = None
    until: float | None = None
    budget: float | None = None  # the seconds `until` stands for, for the message

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def out_of_time(self) -> OutOfTime:
        return OutOfTime(
            f"the sync ran out of its time budget ({_seconds(self.budget or 0)}) "
            "before this day was fetched"
        )

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()
        if self.until is not None and time.monotonic() >= self.until:
            raise self.out_of_time()

    def pause(self, seconds: float, sleep: Callable[[float], None] | None = None) -> None:
        """Wait `seconds`, waking at once when cancelled; a wait past the budget fails now."""
        self.check()
        if seconds <= 0:
            return
        if self.until is not None and time.monotonic() + seconds > self.until:
            raise self.out_of_time()
        if sleep is not None:
            sleep(seconds)
        elif self.cancel is not None:
            self.cancel.wait(seconds)
        else:
            time.sleep(seconds)
        self.check()


NO_STOP = Stop()


@dataclass
class Exchange:
    """One request (with its redirects): where it goes, when it must be over, what may stop it."""

    where: str
    seconds: float
    stop: Stop
    deadline: float = 0.0

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        self.stop.check()
        if time.monotonic() >= self.deadline:
            raise TooSlow(
                f"{self.where} was too slow: no complete answer within {_seconds(self.seconds)}"
            )

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if self.stop.until is not None:
            left = min(left, self.stop.until - time.monotonic())
        return max(left, 0.001)

    def clamp(self, timeout: float | None) -> float:
        left = self.remaining()
        return left if timeout is None else min(timeout, left)


_local = threading.local()


@contextmanager
def guarding(exchange: Exchange) -> Iterator[Exchange]:
    """Make `exchange` the one this thread's socket operations answer to."""
    previous = getattr(_local, "exchange", None)
    _local.exchange = exchange
    try:
        yield exchange
    finally:
        _local.exchange = previous


def current() -> Exchange | None:
    """The exchange this thread's socket operations answer to (None: no limit)."""
    return getattr(_local, "exchange", None)


# ---- content decoding ------------------------------------------------------------------------


class Inflater:
    """gzip or deflate, decoded a bounded step at a time (`zlib` `max_length`)."""

    def __init__(self, name: str, where: str):
        self.name, self.where = name, where
        self._raw_fallback = name == "deflate"  # servers send zlib-wrapped or raw deflate
        self._started = False
        wbits = zlib.MAX_WBITS | 16 if name == "gzip" else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of `data`, none longer than INFLATE_STEP."""
        if self._obj.eof:
            return  # anything after the end of the stream is ignored (and not kept)
        while data:
            try:
                piece = self._obj.decompress(data, INFLATE_STEP)
            except zlib.error:
                if self._raw_fallback and not self._started:
                    self._raw_fallback = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise self._corrupt() from None
            self._started = True
            data = self._obj.unconsumed_tail
            if piece:
                yield piece
            if self._obj.eof:
                return  # anything after the end of the stream is ignored, as browsers do

    def finish(self) -> bytes:
        try:
            tail = self._obj.flush(INFLATE_STEP)
        except zlib.error:
            raise self._corrupt() from None
        if self.name == "gzip" and not self._obj.eof:
            raise ApiError(f"{self.where} sent a gzip body that is cut short")
        return tail

    def _corrupt(self) -> ApiError:
        return ApiError(f"{self.where} sent a {self.name} body that cannot be decoded (corrupt)")


def inflater_for(header: str, where: str, clean: Callable[[str], str]) -> Inflater | None:
    """The decoder for a Content-Encoding header: None for identity; stacked/unknown refused."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        shown = clean(", ".join(codings))[:80]
        raise ApiError(f"{where} sent a body with stacked encodings ({shown}): refused")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return Inflater("gzip", where)
    if coding == "deflate":
        return Inflater("deflate", where)
    raise ApiError(
        f"{where} sent a body in an unsupported encoding ({clean(coding)[:40]}): refused"
    )


# ---- secrets -----------------------------------------------------------------------------------

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s]*@")


def redact(text: str) -> str:
    """`text` with the `user:password@` of every URL in it removed."""
    return _USERINFO.sub(r"\1", text)


def host_of(url: str) -> str:
    """host[:port] of a URL, never its userinfo."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2]


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the default port filled in; None for a URL that won't parse."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def token_problem(token: str) -> str | None:
    """Why `token` cannot be sent in a header, without ever quoting it; None when it can."""
    if any(c in "\r\n" for c in token):
        return "it contains a line break"
    if any(ord(c) > 126 for c in token):
        return "it contains a non-ASCII character"
    if any(c.isspace() for c in token):
        return "it contains a space"
    if any(ord(c) < 33 or ord(c) == 127 for c in token):
        return "it contains a control character"
    if len(token) > 1024:
        return f"it is {len(token)} characters long"
    return None


def _seconds(value: float) -> str:
    return f"{value:g} s"
