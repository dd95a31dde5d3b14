import json
import shutil
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


def _copy_cache(template: Path, target: Path) -> Path:
    """A private copy of a closed cache (its WAL was checkpointed away when it was closed)."""
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{target}{suffix}"))
    return target


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory) -> Path:
    """The `--demo` cache, built once per test session; tests get copies (`demo_db_path`)."""
    from papertui.demo import build_demo_cache

    return build_demo_cache(tmp_path_factory.mktemp("demo-template") / "demo.db")


@pytest.fixture
def demo_db_path(tmp_path, demo_db_template):
    return _copy_cache(demo_db_template, tmp_path / "demo.db")


@pytest.fixture(scope="session")
def cache_100k_template(tmp_path_factory) -> Path:
    """100,000 papers over 250 days, 400 a day, each day written as one sync would write it.
    Building it takes ~15 s, so it is built once per test session; use `cache_100k` for a copy."""
    from datetime import date

    from papertui.models import parse_items

    db = tmp_path_factory.mktemp("cache-100k") / "big.db"
    template = {"paper": {"id": "", "title": "", "upvotes": 0, "authors": [{"name": "A. Writer"}]}}
    words = (
        "diffusion transformer agent reasoning video retrieval benchmark vision robot memory"
    ).split()
    with Store(db) as store:
        for day_index in range(250):
            day = date.fromordinal(date(2024, 1, 1).toordinal() + day_index).isoformat()
            raws = []
            for i in range(400):
                n = day_index * 400 + i
                raw = json.loads(json.dumps(template))
                raw["paper"].update(
                    id=f"{2400 + day_index // 100}.{n:05d}",
                    upvotes=n % 301,
                    title=f"{words[n % 10]} {words[(n // 10) % 10]} paper {n}",
                )
                raws.append(raw)
            parsed = parse_items(raws)
            store.upsert(parsed.entries, day=day, record_day=True)
        assert store.count() == 100_000
    return db


@pytest.fixture
def cache_100k(tmp_path, cache_100k_template) -> Path:
    """A private copy of the 100,000-paper cache: a test may write to it."""
    return _copy_cache(cache_100k_template, tmp_path / "big.db")
