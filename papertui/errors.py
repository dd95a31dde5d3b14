"""One exception family for every failure a user can be told about in one line.

The CLI and the reader catch `PapertuiError` and show its message; anything else is a bug.
"""


class PapertuiError(Exception):
    """A failure with a message fit to show the user as is."""


class StoreError(PapertuiError):
    """The cache file cannot be opened, read or written."""


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
