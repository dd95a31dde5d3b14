import json

import httpx
import pytest
from conftest import FAST_RETRY, day_08
from fake_api import Fault

from papertui import __version__
from papertui.errors import ApiError, NotFound, Unreachable
from papertui.hf_api import HfApi, RetryPolicy, base_url_from, retry_after
from papertui.ratelimit import RateLimiter


def test_day_list_with_headers(client, fake_api):
    result = client.daily(day=__import__("datetime").date(2026, 5, 8))
    assert len(result.items) == 37 and result.skipped == 0
    request = fake_api.requests[-1]
    assert request.query == {"date": "2026-05-08", "limit": "100", "p": "0"}
    assert request.headers["User-Agent"] == f"papertui/{__version__}"
    assert "Authorization" not in request.headers


def test_token_is_sent_as_bearer(fake_api, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    with HfApi(fake_api.url, retry=FAST_RETRY) as api:
        api.search("kazakh")
    assert fake_api.requests[-1].headers["Authorization"] == "Bearer hf_secret"


def many_items(n):
    template = day_08()[0]
    items = []
    for i in range(n):
        item = json.loads(json.dumps(template))
        item["paper"]["id"] = f"2605.{10000 + i}"
        items.append(item)
    return items


def test_pagination_follows_link_header(client, fake_api):
    from datetime import date

    fake_api.add_day("2026-05-11", many_items(250))
    result = client.daily(day=date(2026, 5, 11))
    assert len(result.items) == 250
    assert [r.query.get("p") for r in fake_api.requests_for("2026-05-11")] == ["0", "1", "2"]


def test_pagination_by_page_number_without_link(client, fake_api):
    from datetime import date

    fake_api.use_link_header = False
    fake_api.add_day("2026-05-12", many_items(200))
    result = client.daily(day=date(2026, 5, 12))
    assert len(result.items) == 200
    # pages 0 and 1 are full, page 2 is the empty one that ends it
    assert [r.query.get("p") for r in fake_api.requests_for("2026-05-12")] == ["0", "1", "2"]


def test_foreign_next_link_is_refused(client, fake_api):
    from datetime import date

    fake_api.fail(
        "2026-05-08",
        Fault(
            "body",
            body=json.dumps(day_08()).encode(),
            headers={"Link": '<http://evil.example/api?p=1>; rel="next"'},
        ),
    )
    with pytest.raises(ApiError, match="leaves"):
        client.daily(day=date(2026, 5, 8))


def test_weekend_is_an_empty_list(client):
    from datetime import date

    assert client.daily(day=date(2026, 5, 9)).items == []


def test_429_waits_as_told_then_succeeds(fake_api):
    from datetime import date

    waits = []
    fake_api.fail(
        "2026-05-08",
        Fault(
            "status",
            status=429,
            body=b'{"error":"slow down"}',
            headers={
                "RateLimit": '"api";r=0;t=3',
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
            },
        ),
    )
    with HfApi(
        fake_api.url, retry=FAST_RETRY, sleep=waits.append, limiter=RateLimiter(burst=100)
    ) as api:
        assert len(api.daily(day=date(2026, 5, 8)).items) == 37
    assert waits == [3.0]


def test_429_with_a_long_wait_is_reported(fake_api):
    from datetime import date

    fake_api.fail("2026-05-08", Fault("status", status=429, headers={"Retry-After": "3600"}))
    with HfApi(fake_api.url, retry=FAST_RETRY, sleep=lambda s: None) as api:
        with pytest.raises(ApiError, match="try again in 3600 s"):
            api.daily(day=date(2026, 5, 8))


def test_503_is_retried(client, fake_api):
    from datetime import date

    fake_api.fail("2026-05-08", *[Fault("status", status=503)] * 2)
    assert len(client.daily(day=date(2026, 5, 8)).items) == 37
    assert len(fake_api.requests_for("2026-05-08")) == 3


def test_persistent_5xx_gives_up_with_a_message(client, fake_api):
    from datetime import date

    fake_api.fail("2026-05-08", *[Fault("status", status=502)] * 10)
    with pytest.raises(ApiError, match=r"server error \(HTTP 502\).*gave up after 4 tries"):
        client.daily(day=date(2026, 5, 8))


def test_400_surfaces_the_server_message(client):
    from datetime import date

    with pytest.raises(ApiError, match="Date cannot be in the future") as info:
        client.daily(day=date(2026, 5, 19))
    assert info.value.status == 400


def test_a_future_date_is_not_published_yet_not_an_error_like_others(client, fake_api):
    from datetime import date

    from papertui.errors import NotPublishedYet

    with pytest.raises(NotPublishedYet) as info:
        client.daily(day=date(2026, 5, 19))
    assert isinstance(info.value, ApiError) and info.value.status == 400
    for body in (b'{"error": "Invalid date: 2026-05-08"}', b"{}"):
        fake_api.fail("2026-05-08", Fault("status", status=400, body=body))
        with pytest.raises(ApiError) as other:
            client.daily(day=date(2026, 5, 8))
        assert not isinstance(other.value, NotPublishedYet)


def test_404_paper(client):
    with pytest.raises(NotFound, match="Paper not found"):
        client.paper("2605.99999")


def test_one_paper_and_search(client):
    fetched = client.paper("2605.05242")
    item, raw = fetched.item, fetched.raw
    assert item.paper.id == "2605.05242" and raw["paper"]["id"] == "2605.05242"
    assert any(i.paper.id == "2605.05242" for i in client.search("corpus interaction").items)


@pytest.mark.parametrize(
    "fault, message",
    [
        (Fault("truncate", body=json.dumps(day_08()).encode()[:5000]), "incomplete body"),
        (Fault("body", body=json.dumps(day_08()).encode()[:5000]), "not valid JSON"),
        (Fault("html"), "not valid JSON"),
        (Fault("body", body=b'{"error": "not a list"}'), "expected a list"),
    ],
)
def test_bad_bodies_are_clear_errors(client, fake_api, fault, message):
    from datetime import date

    fake_api.fail("2026-05-08", *[fault] * 5)
    with pytest.raises(ApiError, match=message):
        client.daily(day=date(2026, 5, 8))


def test_huge_body_is_refused(client, fake_api, monkeypatch):
    from datetime import date

    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "MAX_BODY_BYTES", 1024 * 1024)
    fake_api.fail("2026-05-08", Fault("huge", size=4 * 1024 * 1024))
    with pytest.raises(ApiError, match="too large"):
        client.daily(day=date(2026, 5, 8))


def test_hanging_server_times_out(fake_api):
    from datetime import date

    fake_api.fail("2026-05-08", *[Fault("hang", seconds=1.5)] * 2)
    with HfApi(fake_api.url, timeout=0.3, retry=RetryPolicy(attempts=2, backoff=0.01)) as api:
        with pytest.raises(ApiError, match="did not answer in time"):
            api.daily(day=date(2026, 5, 8))


def test_connection_refused():
    from datetime import date

    with HfApi("http://127.0.0.1:9", timeout=1, retry=RetryPolicy(attempts=2, backoff=0.01)) as api:
        with pytest.raises(ApiError, match="cannot reach 127.0.0.1:9"):
            api.daily(day=date(2026, 5, 8))


def test_an_item_with_wrong_types_is_skipped(client, fake_api):
    from datetime import date

    items = day_08()
    items[2]["paper"]["upvotes"] = {"a": 1}
    items[4]["paper"]["authors"] = 7
    fake_api.add_day("2026-05-08", items)
    result = client.daily(day=date(2026, 5, 8))
    assert (len(result.items), result.skipped) == (35, 2)


def test_retry_after_forms():
    assert retry_after(httpx.Headers({"Retry-After": "12"})) == 12
    assert retry_after(httpx.Headers({"RateLimit": '"api";r=0;t=42'})) == 42
    assert 0 <= retry_after(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) <= 1


@pytest.mark.parametrize("bad", ["ftp://x", "huggingface.co", "javascript:alert(1)", "http://"])
def test_bad_base_url(bad):
    with pytest.raises(ApiError, match="bad API URL"):
        base_url_from(bad)


def test_rate_limiter_spaces_requests():
    clock = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    limiter = RateLimiter(per_second=2, burst=3, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert slept == [0.5, 0.5]


def test_a_host_that_does_not_resolve_is_not_retried():
    """No name service (offline) or no such host: retries with backoff only made the reader
    wait ~12 s before saying what the status line already said (offline)."""
    waits: list[float] = []
    api = HfApi("http://no-such-host.invalid", token="", sleep=waits.append)
    with pytest.raises(Unreachable, match="cannot reach no-such-host.invalid"):
        api.paper("2605.05242")
    assert api.requests_made == 1 and waits == []
    api.close()
