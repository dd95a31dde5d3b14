"""One exception family for every failure a user can be told about in one line.

The CLI and the reader catch `PapertuiError` and show its message; anything else is a bug.
"""

from collections.abc import Sequence


class PapertuiError(Exception):
    """A failure with a message fit to show the user as is."""


class StoreError(PapertuiError):
    """The cache file cannot be opened, read or written."""


class ReadInterrupted(StoreError):
    """A read was stopped on purpose (`Store.interrupt`): nobody wants its answer any more."""


class QueryError(PapertuiError):
    """The search text cannot be understood; the message says why."""


class ApiError(PapertuiError):
    """A request to the papers API failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Unreachable(ApiError):
    """The server could not be reached or did not answer: the network is down or the host is
    gone. The reader treats this as "offline", not as a failure of the days asked for."""


class NotFound(ApiError):
    """The server says the thing asked for does not exist (404)."""


class NotIndexed(NotFound):
    """Hugging Face has no page for the paper (404 on its full text): it is not indexed there, so
    there is no full text to fetch. Not a failure of the network or of papertui."""


class NotPublishedYet(ApiError):
    """The server has no list for that day yet: it says the day is in the future (our UTC day
    before its list opens, or a clock ahead of the server's). Not a failure: nothing to fetch."""


class ImportFileError(PapertuiError):
    """An import file is missing, unreadable or not a papertui export."""


class NotARegularFile(ImportFileError):
    """An import path is a pipe, device or socket: read it through standard input instead."""

    def __init__(self, message: str, path: object):
        super().__init__(message)
        self.path = path


class CacheBusy(StoreError):
    """Another process holds the cache's write lock (a sync, an import): a command that needs
    the cache to itself refuses rather than waiting behind it."""


class Interrupted(PapertuiError):
    """The user stopped a long operation (ctrl+c); what it was doing was rolled back."""


class Offline(PapertuiError):
    """Something needs the network, and papertui was told to stay offline."""

    def __init__(self, what: str):
        super().__init__(f"{what} needs the network, but papertui is offline")
        self.what = what


class NotCached(PapertuiError):
    """Papers asked for by id are not in the cache (and were not fetched)."""

    def __init__(self, ids: Sequence[str]):
        super().__init__(f"not in the cache: {', '.join(ids)}")
        self.ids = list(ids)
