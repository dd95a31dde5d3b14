"""The shape of the house, checked from the code itself (its modules and their imports).

- The core (every module outside `papertui/ui`) never imports Textual or Rich, and imports
  nothing from the reader: arrows only point down.
- All SQL lives in the `store` package; widgets hold no SQL or HTTP.
- No core message names a command-line flag: the face that owns a flag adds it.

httpx itself loads Rich for its own command-line helper when Rich is installed, so the import
test makes Textual and Rich unimportable and checks the core still imports and works.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "papertui"
UI = PACKAGE / "ui"
STORE = PACKAGE / "store"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module(p): p for p in sorted(root.rglob("*.py"))}


# The command line is a face, like the reader (its library commands live in a module of their own).
FACES = ("papertui.cli", "papertui.cli_library", "papertui.__main__")


def core_modules() -> list[str]:
    return [m for m, p in _sources().items() if UI not in p.parents and m not in FACES]


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module this file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = _module(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('textual', 'rich'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_the_core_list_is_derived_and_complete():
    core = core_modules()
    for expected in ("papertui.service", "papertui.views", "papertui.demo", "papertui.clipboard"):
        assert expected in core
    assert not any(m.startswith("papertui.ui") for m in core)


def test_core_imports_and_runs_without_textual_or_rich(tmp_path):
    code = BLOCKER + (
        "import importlib\n"
        f"for m in {core_modules()!r}: importlib.import_module(m)\n"
        "from papertui.store import Store\n"
        "from papertui.query import parse_query\n"
        f"s = Store({str(tmp_path / 'x.db')!r}); print(s.count(parse_query('a is:unread')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_core_modules_import_neither_textual_rich_nor_the_reader():
    for module, path in _sources().items():
        if module not in core_modules():
            continue
        for name in imports_of(path):
            top = name.split(".")[0]
            assert top not in ("textual", "rich"), (module, name)
            assert not name.startswith("papertui.ui"), (module, name)


def test_widgets_and_screens_import_no_store_http_or_sql_driver():
    """Widgets draw what the app hands them; only the app talks to the service."""
    for folder in (UI / "widgets", UI / "screens"):
        for module, path in _sources(folder).items():
            for name in imports_of(path):
                assert not name.startswith(
                    ("papertui.store", "papertui.hf_api", "papertui.sync", "papertui.service")
                ), (module, name)
    for module, path in _sources(UI).items():
        for name in imports_of(path):
            assert not name.startswith(("papertui.store", "papertui.hf_api")), (module, name)
            assert name.split(".")[0] not in ("sqlite3", "httpx", "sqlite_utils"), (module, name)


_SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
    re.IGNORECASE | re.DOTALL,
)


def _strings(path: Path) -> list[str]:
    """Every string the code holds (f-strings by their literal parts), docstrings left out."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                found.append(node.value)
    return found


def _sql_strings(path: Path) -> list[str]:
    return [text for text in _strings(path) if _SQL.search(text)]


def test_no_sql_outside_the_store_package():
    assert STORE.is_dir()
    for module, path in _sources().items():
        if STORE in path.parents:
            continue
        assert not _sql_strings(path), (module, _sql_strings(path)[:2])
        assert "sqlite3" not in {n.split(".")[0] for n in imports_of(path)}, module


def test_the_store_package_does_hold_the_sql():
    assert any(_sql_strings(p) for p in STORE.rglob("*.py"))


_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def test_no_core_message_names_a_command_line_flag():
    """Only the CLI (and the reader's launcher) know the flags; the core says what it means."""
    for module, path in _sources().items():
        if module in FACES or UI in path.parents:
            continue
        flagged = [text for text in _strings(path) if _FLAG.search(text)]
        assert not flagged, (module, flagged[:2])
