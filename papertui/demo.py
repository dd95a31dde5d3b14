"""The bundled sample cache behind `papertui --demo`: real recorded API responses, no network.

The sample is a papertui JSON export (`demo/sample.json`, built by `tests/build_demo_data.py`
from the recorded fixtures); each demo run imports it into a fresh temporary cache.
"""

from __future__ import annotations

from pathlib import Path

from .importing import read_all
from .store import Store

SAMPLE = Path(__file__).parent / "demo" / "sample.json"


def build_demo_cache(path: Path) -> Path:
    parsed = read_all(SAMPLE)
    with Store(path) as store:
        store.import_records(parsed.records)
    return path
