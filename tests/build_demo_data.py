"""Build papertui/demo/sample.json (the `--demo` cache) from the recorded API fixtures.

Run from the repo root: `python tests/build_demo_data.py`. A test checks the bundled file is
what this script makes, so the demo always shows real recorded data.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papertui.export import to_json  # noqa: E402
from papertui.models import parse_items  # noqa: E402
from papertui.store import Store  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
OUTPUT = ROOT / "papertui" / "demo" / "sample.json"
STAMP = "2026-05-18T12:00:00+00:00"


def day_lists() -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = {}
    for name in ("daily_papers_latest-2026-05-18.json",):
        for item in json.loads((FIXTURES / name).read_text()):
            days.setdefault(item["paper"]["submittedOnDailyAt"][:10], []).append(item)
    days["2026-05-08"] = json.loads((FIXTURES / "daily_papers_date-2026-05-08.json").read_text())
    days["2024-10-25"] = json.loads(
        (FIXTURES / "daily_papers_date-2024-10-25_old-schema.json").read_text()
    )
    return days


def build() -> str:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "demo.db") as store:
        for day, items in sorted(day_lists().items()):
            parsed = parse_items(items)
            store.upsert(parsed.entries, day=day, record_day=True)
        store.set_state(["2605.13301", "2605.05242"], bookmarked=True)
        store.set_state(["2605.05242", "2605.15141", "2605.15178"], read=True)
        store.conn.execute("UPDATE papers SET first_seen_at = ?, updated_at = ?", (STAMP, STAMP))
        store.conn.execute(
            "UPDATE user_state SET updated_at = ?, read_at = CASE WHEN read THEN ? END, "
            "bookmarked_at = CASE WHEN bookmarked THEN ? END, "
            "read_updated_at = CASE WHEN read_updated_at IS NOT NULL THEN ? END, "
            "bookmarked_updated_at = CASE WHEN bookmarked_updated_at IS NOT NULL THEN ? END",
            (STAMP, STAMP, STAMP, STAMP, STAMP),
        )
        papers = store.papers(sort="date")
        document = json.loads(
            to_json(papers, store.raws([p.id for p in papers]), store.user_states())
        )
    document["exported_at"] = STAMP
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
