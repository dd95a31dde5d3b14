"""A real HTTP server on 127.0.0.1 that speaks the papers API from recorded data, with faults.

Tests (and the benchmark) load it with day lists and papers, queue faults per day, and point
papertui at `server.url`. Nothing here ever talks to huggingface.co.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    """One bad answer. kind: status | truncate | html | hang | huge | body | drip | drip-headers
    | delay (the right answer, `seconds` late).

    drip: headers with no Content-Length, then `size` bytes of `body` (default `[`+spaces), one
    every `seconds`; drip-headers: the status line, then the headers one byte every `seconds`.
    Both stop when the client hangs up or the server stops."""

    kind: str
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    size: int = 0
    content_type: str = "application/json"  # of `status`, `body` and `truncate` answers


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeApi:
    def __init__(self, today: str = "2099-12-31"):
        self.days: dict[str, list[dict]] = {}
        self.papers: dict[str, dict] = {}
        # Full texts (`/papers/{id}.md`): Markdown as text, or raw bytes sent as they are.
        self.texts: dict[str, str | bytes] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Request] = []
        self.today = today
        self.use_link_header = True
        self.periods = True  # answers month= and week= lists (False: 400, as for a bad parameter)
        self.in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # ---- set-up ---------------------------------------------------------------------------
    def add_day(self, day: str, items: list[dict]) -> None:
        self.days[day] = items

    def fail(self, key: str, *faults: Fault) -> None:
        """Queue faults for a day (or 'paper:<id>', 'text:<id>', 'search', '*'); each is used
        once."""
        self.faults.setdefault(key, []).extend(faults)

    def requests_for(self, day: str) -> list[Request]:
        return [r for r in self.requests if r.query.get("date") == day]

    # ---- server ---------------------------------------------------------------------------
    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                with api._count_lock:
                    api.in_flight += 1
                    api.max_in_flight = max(api.max_in_flight, api.in_flight)
                try:
                    api._handle(self)
                finally:
                    with api._count_lock:
                        api.in_flight -= 1

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # clients hanging up is expected
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeApi:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- answers --------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.requests.append(Request(parts.path, query, dict(h.headers.items())))
        if parts.path == "/api/daily_papers":
            key = query.get("date") or (f"month:{query['month']}" if "month" in query else "*")
        elif parts.path.startswith("/api/papers/search"):
            key = "search"
        elif parts.path.startswith("/api/papers/"):
            key = "paper:" + parts.path.rsplit("/", 1)[-1]
        elif parts.path.startswith("/papers/") and parts.path.endswith(".md"):
            key = "text:" + parts.path[len("/papers/") : -len(".md")]
        else:
            key = "*"
        for k in (key, "*"):
            if self.faults.get(k):
                fault = self.faults[k].pop(0)
                if fault.kind != "delay":
                    return self._fault(h, fault)
                time.sleep(fault.seconds)  # a slow but correct answer
                break
        if parts.path == "/api/daily_papers":
            return self._daily(h, parts.path, query)
        if parts.path == "/api/papers/search":
            q = query.get("q", "").lower()
            hits = [i for items in self.days.values() for i in items if q in json.dumps(i).lower()]
            return self._json(h, 200, hits[: int(query.get("limit", 20))])
        if key.startswith("text:"):
            return self._text(h, key[len("text:") :])
        if parts.path.startswith("/api/papers/"):
            pid = parts.path.rsplit("/", 1)[-1]
            paper = self.papers.get(pid) or next(
                (
                    i["paper"]
                    for items in self.days.values()
                    for i in items
                    if i["paper"]["id"] == pid
                ),
                None,
            )
            if paper is None:
                return self._json(h, 404, {"error": "Paper not found"})
            return self._json(h, 200, paper)
        return self._json(h, 404, {"error": "Sorry, we can't find the page you are looking for."})

    def _daily(self, h, path: str, query: dict[str, str]) -> None:
        """A day's list (`date=`), a month's (`month=YYYY-MM`) or a week's (`week=YYYY-Www`), in
        pages of `limit` (at most 100) with `Link: next`; a page past the end is `[]`. A month or
        week lists every item of its days, newest day first (as the site lists them by
        submission), each day's items in their own order."""
        day = query.get("date")
        try:
            limit = int(query.get("limit", 50))
            page = int(query.get("p", 0))
        except ValueError:
            return self._json(h, 400, {"error": "Invalid parameters"})
        if limit > 100:
            return self._json(h, 400, {"error": '"limit" must be less than or equal to 100'})
        period = None
        if "month" in query or "week" in query:
            if not self.periods:
                return self._json(h, 400, {"error": "Invalid parameters"})
            period = self._period_days(query)
            if period is None:
                return self._json(h, 400, {"error": "Invalid month or week"})
            items = [i for d in sorted(period, reverse=True) for i in self.days.get(d, [])]
        elif day is None:
            items = [i for d in sorted(self.days, reverse=True) for i in self.days[d]]
        elif len(day) != 10:
            return self._json(h, 400, {"error": f"Invalid date: {day}"})
        elif day > self.today:  # what huggingface.co answers for a day it has not reached
            return self._json(h, 400, {"error": "Date cannot be in the future"})
        else:
            items = self.days.get(day, [])
        chunk = items[page * limit : (page + 1) * limit]
        headers = {}
        if self.use_link_header and (page + 1) * limit < len(items):
            which = {k: v for k, v in query.items() if k in ("date", "month", "week")}
            asked = "&".join(f"{k}={v}" for k, v in which.items())
            nxt = f"{path}?{asked}&limit={limit}&p={page + 1}"
            headers["Link"] = f'<{self.url}{nxt}>; rel="next"'
        return self._json(h, 200, chunk, headers)

    def _text(self, h, paper_id: str) -> None:
        """A paper's Markdown, with an ETag (304 when the client has it); 404 (an HTML page, as
        the site sends) when the paper has no text here."""
        text = self.texts.get(paper_id)
        if text is None:
            page = b"<!doctype html><html><body><h1>404</h1></body></html>"
            return self._send(h, 404, page, {}, "text/html; charset=utf-8")
        body = text.encode("utf-8") if isinstance(text, str) else text
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        return self._send(h, 200, body, {"ETag": etag}, "text/markdown; charset=utf-8")

    def _period_days(self, query: dict[str, str]) -> list[str] | None:
        """The days of a `month=` or `week=` request up to the server's today, None if bad."""
        from datetime import date, timedelta

        try:
            if "month" in query:
                year, month = (int(part) for part in query["month"].split("-"))
                first = date(year, month, 1)
                days = [first + timedelta(days=i) for i in range(31)]
                days = [d for d in days if d.month == month]
            else:
                year, week = query["week"].split("-W")
                monday = date.fromisocalendar(int(year), int(week), 1)
                days = [monday + timedelta(days=i) for i in range(7)]
        except (ValueError, KeyError):
            return None
        return [d.isoformat() for d in days if d.isoformat() <= self.today]

    def month_requests(self) -> list[Request]:
        return [r for r in self.requests if "month" in r.query]

    def _json(self, h, status: int, data, headers: dict[str, str] | None = None) -> None:
        self._send(h, status, json.dumps(data).encode(), headers or {}, "application/json")

    @staticmethod
    def _send(h, status: int, body: bytes, headers: dict[str, str], ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _fault(self, h, fault: Fault) -> None:
        if fault.kind == "status":
            return self._send(
                h, fault.status, fault.body or b"{}", fault.headers, fault.content_type
            )
        if fault.kind == "html":
            page = b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"
            return self._send(h, fault.status, page, fault.headers, "text/html")
        if fault.kind == "body":
            return self._send(h, fault.status, fault.body, fault.headers, fault.content_type)
        if fault.kind == "truncate":
            h.send_response(200)
            h.send_header("Content-Type", fault.content_type)
            h.send_header("Content-Length", str(len(fault.body) * 2 + 10))
            h.end_headers()
            h.wfile.write(fault.body)
            h.wfile.flush()
            h.close_connection = True
            return None
        if fault.kind == "hang":
            time.sleep(fault.seconds)
            return self._json(h, 200, [])
        if fault.kind == "huge":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.end_headers()  # no length: stream until the client gives up
            h.close_connection = True
            chunk = b"[" + b" " * 65536
            sent = 0
            try:
                while sent < fault.size:
                    h.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if fault.kind == "drip":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            for name, value in fault.headers.items():
                h.send_header(name, value)
            h.end_headers()  # no length: the body ends when the connection does
            h.close_connection = True
            body = fault.body or b"[" + b" " * max(fault.size, 1)
            return self._drip(h, body[: fault.size or len(body)], fault.seconds)
        if fault.kind == "drip-headers":
            h.close_connection = True
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            head += b"X-Slow: " + b"a" * max(fault.size, 1)
            return self._drip(h, head, fault.seconds)
        raise ValueError(fault.kind)

    def _drip(self, h, data: bytes, seconds: float) -> None:
        try:
            h.wfile.flush()
            for i in range(len(data)):
                if self._stopping.wait(seconds):
                    return
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
        except OSError:  # the client hung up: that is the point
            pass
