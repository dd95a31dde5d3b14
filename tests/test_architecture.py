"""The core never imports Textual or Rich; widgets hold no SQL or HTTP.

httpx itself loads Rich for its own command-line helper when Rich is installed, so the import
test makes Textual and Rich unimportable and checks the core still imports and works.
"""

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "papertui"
CORE = [
    "models",
    "hf_api",
    "store",
    "query",
    "sync",
    "links",
    "export",
    "config",
    "paths",
    "text",
    "schema",
    "cli",
    "output",
    "ratelimit",
    "netguard",
    "errors",
]

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('textual', 'rich'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_core_imports_and_runs_without_textual_or_rich(tmp_path):
    code = BLOCKER + (
        "import importlib\n"
        f"for m in {CORE!r}: importlib.import_module('papertui.' + m)\n"
        "from papertui.store import Store\n"
        "from papertui.query import parse_query\n"
        f"s = Store({str(tmp_path / 'x.db')!r}); print(s.count(parse_query('a is:unread')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_core_sources_never_import_textual_or_rich():
    pattern = re.compile(r"^\s*(from|import)\s+(textual|rich)\b", re.MULTILINE)
    for name in CORE:
        source = (PACKAGE / f"{name}.py").read_text()
        assert not pattern.search(source), name


def test_widgets_hold_no_sql_or_http():
    ui = PACKAGE / "ui"
    for path in ui.rglob("*.py") if ui.exists() else []:
        source = path.read_text()
        assert not re.search(r"\b(sqlite3|httpx)\b", source), path
        assert not re.search(r"\bSELECT\b|\bINSERT\b|\bUPDATE\b.*\bSET\b", source), path
