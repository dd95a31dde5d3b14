import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from fake_api import FakeApi  # noqa: E402

from papertui.hf_api import HfApi, RetryPolicy  # noqa: E402
from papertui.ratelimit import RateLimiter  # noqa: E402
from papertui.store import Store  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def day_08() -> list[dict]:
    return load_fixture("daily_papers_date-2026-05-08.json")


def latest_by_day() -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = {}
    for item in load_fixture("daily_papers_latest-2026-05-18.json"):
        days.setdefault(item["paper"]["submittedOnDailyAt"][:10], []).append(item)
    return days


def old_schema() -> list[dict]:
    return load_fixture("daily_papers_date-2024-10-25_old-schema.json")


FAST_RETRY = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, max_retry_after=5)


@pytest.fixture
def fake_api():
    api = FakeApi(today="2026-05-18")
    api.add_day("2026-05-08", day_08())
    for day, items in latest_by_day().items():
        api.add_day(day, items)
    api.add_day("2024-10-25", old_schema())
    with api:
        yield api


@pytest.fixture
def client(fake_api):
    with HfApi(
        fake_api.url, token="", timeout=2, retry=FAST_RETRY, limiter=RateLimiter(burst=1000)
    ) as api:
        yield api


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "cache" / "papers.db"


@pytest.fixture
def store(db_path):
    with Store(db_path) as s:
        yield s


@pytest.fixture
def run(db_path, fake_api, monkeypatch):
    """Run the CLI against the fake server and a temporary cache."""
    monkeypatch.setenv("PAPERTUI_DB", str(db_path))
    monkeypatch.setenv("PAPERTUI_API_URL", fake_api.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(db_path.parent.parent / "config"))
    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        from papertui.cli import cli

        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def demo_db_path(tmp_path):
    from papertui.demo import build_demo_cache

    return build_demo_cache(tmp_path / "demo.db")
