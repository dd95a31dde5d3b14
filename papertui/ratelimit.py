"""A token bucket shared by every request of one client, to stay under the API's rate limit.

Hugging Face's limits (huggingface.co/docs/hub/rate-limits), per 5 minutes: API requests 500
for an anonymous IP, 1,000 for a signed-in (free) user; pages (a paper's full text is one) 100
and 200. The buckets here (`api_limiter`, `pages_limiter`) can never exceed them, so a long sync
slows down instead of meeting 429s: 60 burst and 400 per 5 minutes after for the API (120 and
800 with a token), 20 and 75 for pages (40 and 150 with a token). PRO accounts have more; a
token can't tell, so papertui keeps to the free user's.
"""

import os
import threading
import time


class RateLimiter:
    def __init__(
        self, per_second: float = 400 / 300, burst: int = 60, clock=time.monotonic, sleep=time.sleep
    ):
        self.rate = per_second
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self, sleep=None) -> float:
        """Take one token, waiting for it if needed; returns the seconds waited.

        `sleep` replaces this limiter's own for the wait (a caller's cancellable wait)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait:
            (sleep or self._sleep)(wait)
        return wait

    def seconds_for(self, requests: int) -> float:
        """How long `requests` more requests take at this limiter's pace from now (the tokens
        in the bucket first, then one every 1/rate seconds): what an ETA must include."""
        with self._lock:
            now = self._clock()
            tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        return max(0.0, (requests - tokens) / self.rate)


PAGES_PER_SECOND = 75 / 300
PAGES_BURST = 20
SIGNED_IN = 2  # a signed-in user's buckets are twice an anonymous IP's


def signed_in(token: str | None = None) -> bool:
    """Whether requests carry a token: `token`, else HF_TOKEN (as `HfApi` sends it)."""
    return bool((token if token is not None else os.environ.get("HF_TOKEN", "")).strip())


def api_limiter(token: str | None = None) -> RateLimiter:
    """A bucket for API requests, under Hugging Face's "api" rate limit."""
    times = SIGNED_IN if signed_in(token) else 1
    return RateLimiter(per_second=times * 400 / 300, burst=times * 60)


def pages_limiter(token: str | None = None) -> RateLimiter:
    """A bucket for page requests (full texts), under Hugging Face's "pages" rate limit."""
    times = SIGNED_IN if signed_in(token) else 1
    return RateLimiter(per_second=times * PAGES_PER_SECOND, burst=times * PAGES_BURST)
