"""A token bucket shared by every request of one client, to stay under the API's rate limit.

The anonymous limit is 500 requests per 5 minutes per IP. The default (60 burst, 400 per 5 min
after) can never exceed it, so a long sync slows down instead of meeting 429s.

Pages (a paper's full text is one) count in a bucket of their own, 100 per 5 minutes for an
anonymous IP: `pages_limiter` (20 burst, 75 per 5 min after: at most 95 in any 5 minutes).
"""

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


def pages_limiter() -> RateLimiter:
    """A bucket for page requests (full texts), under Hugging Face's "pages" rate limit."""
    return RateLimiter(per_second=PAGES_PER_SECOND, burst=PAGES_BURST)
