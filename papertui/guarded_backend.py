"""The guarded network backend under httpx: every socket operation bounded by the thread's
`netguard.Exchange` (its deadline and its cancel event).

Apart from `netguard` so that code that only needs `Stop` and `Cancelled` (the store, `status`)
does not import httpcore.
"""

from __future__ import annotations

import time

import httpcore

from .netguard import SLICE, current


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        exchange = current()
        if exchange is None:
            return self._inner.read(max_bytes, timeout)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            exchange.check()
            step = min(SLICE, exchange.remaining())
            if end is not None:
                step = min(step, end - time.monotonic())
            try:
                return self._inner.read(max_bytes, max(step, 0.001))
            except httpcore.ReadTimeout:
                if end is not None and time.monotonic() >= end:
                    raise  # the ordinary read timeout: nothing at all came for that long

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        exchange = current()
        if exchange is not None:
            exchange.check()
            timeout = exchange.clamp(timeout)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        exchange = current()
        if exchange is not None:
            timeout = exchange.clamp(timeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, with every operation bounded by the thread's `Exchange`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None):
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        exchange = current()
        if exchange is not None:
            exchange.check()
            timeout = exchange.clamp(timeout)
        return _GuardedStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        exchange = current()
        if exchange is not None:
            timeout = exchange.clamp(timeout)
        return _GuardedStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client) -> int:
    """Put the guarded backend under every connection pool of an httpx.Client; returns how many.

    httpx has no public hook for httpcore's `network_backend`, so this sets the pool's attribute
    (httpcore >= 0.17 has it); `test_net_limits.py::test_the_guard_is_installed` fails loudly if
    a new httpx/httpcore moves it. Without it the deadline is still checked between body chunks.
    """
    installed = 0
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if pool is not None and backend is not None and not isinstance(backend, GuardedBackend):
            pool._network_backend = GuardedBackend(backend)
            installed += 1
    return installed
