"""The store package: every line of SQL papertui has, and nothing else.

`Store` is one open cache file (`cache`; its full texts and reading positions in `texts`);
`search` compiles the query language's syntax tree to SQL; `rows` turns models into rows and
back; `schema` holds the migrations; `errors` turns SQLite failures into messages. Nothing
outside this package speaks SQL (a test checks).
"""

from .cache import BATCH_PAUSE, BATCH_ROWS, BATCH_SECONDS, BUSY_TIMEOUT_MS, Store
from .errors import describe_sqlite_error
from .rows import prepare_rows
from .search import SORTS, Where, compile_query
from .texts import PreparedText, TextInfo, prepare_text

__all__ = [
    "BATCH_PAUSE",
    "BATCH_ROWS",
    "BATCH_SECONDS",
    "BUSY_TIMEOUT_MS",
    "PreparedText",
    "SORTS",
    "Store",
    "TextInfo",
    "Where",
    "compile_query",
    "describe_sqlite_error",
    "prepare_rows",
    "prepare_text",
]
