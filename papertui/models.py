"""pydantic models of the papers API's JSON, and the stored paper the rest of the app reads.

The API keeps adding fields and older data lacks many, so every model accepts unknown fields and
every field but a paper's id may be missing or null. A field of the wrong type fails validation
of that one item; callers skip and count it (`parse_items`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .library import NoteError, check_note, lenient_tags
from .text import clean, clean_optional, clean_paragraphs, strip_controls

# arXiv ids: new style (2605.05242, optionally vN) and old style (cs/0112017). Anything else is
# refused, because ids end up in URLs, file names and SQL parameters.
ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)


# Counts from the network are clamped into SQLite's integer range (a 2**70 upvote count would
# otherwise fail the whole day's write) and never negative.
MAX_COUNT = 2**53
_SURROGATES = re.compile("[\ud800-\udfff]")  # JSON can spell them; no text can store them
Count = Annotated[int, AfterValidator(lambda v: max(0, min(v, MAX_COUNT)))]

# Dates outside this range are refused: arXiv began in 1991, and nothing is published after the
# end of next year. A year-9999 timestamp would otherwise overflow date arithmetic later on
# (`astimezone`, a week's last day, the next month) far from where it came in.
EARLIEST_DAY = date(1991, 1, 1)


def latest_day_allowed() -> date:
    return date(datetime.now(UTC).year + 1, 12, 31)


def check_day(day: date) -> date:
    """`day` itself, or ValueError naming the sane range it falls outside of."""
    latest = latest_day_allowed()
    if not EARLIEST_DAY <= day <= latest:
        raise ValueError(f"date {day.isoformat()} is out of range ({EARLIEST_DAY} to {latest})")
    return day


def _sane_stamp(stamp: datetime | None) -> datetime | None:
    if stamp is None:
        return None
    # Look at the wall-clock date first: converting year 9999 (or year 1) to UTC can overflow.
    check_day(stamp.date())
    check_day(_utc_date(stamp))
    return stamp


Stamp = Annotated[datetime, AfterValidator(_sane_stamp)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class User(_Lenient):
    name: str | None = None
    user: str | None = None
    fullname: str | None = None
    avatarUrl: str | None = None


class Author(_Lenient):
    name: str | None = None
    hidden: bool | None = None
    user: User | None = None


class Organization(_Lenient):
    name: str | None = None
    fullname: str | None = None
    avatar: str | None = None

    @property
    def display(self) -> str | None:
        return clean_optional(self.fullname) or clean_optional(self.name)


class Paper(_Lenient):
    id: str
    title: str | None = None
    summary: str | None = None
    authors: list[Author] | None = None
    publishedAt: Stamp | None = None
    submittedOnDailyAt: Stamp | None = None
    submittedOnDailyBy: User | None = None
    upvotes: Count | None = None
    discussionId: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    githubRepo: str | None = None
    githubStars: Count | None = None
    projectPage: str | None = None
    organization: Organization | None = None

    @field_validator("id")
    @classmethod
    def _arxiv_id(cls, value: str) -> str:
        value = value.strip()
        if not ARXIV_ID.match(value):
            raise ValueError(f"not an arXiv id: {value[:40]!r}")
        return value


class DailyItem(_Lenient):
    """One entry of `/api/daily_papers` or `/api/papers/search`."""

    paper: Paper
    publishedAt: Stamp | None = None
    title: str | None = None
    summary: str | None = None
    thumbnail: str | None = None
    numComments: Count | None = None
    submittedBy: User | None = None
    organization: Organization | None = None
    isAuthorParticipating: bool | None = None
    mediaUrls: list[str] | None = None

    def daily_day(self) -> date | None:
        """The Daily Papers day this item belongs to, when the item itself says.

        `paper.submittedOnDailyAt` where present; older data (2024) lacks it and there the
        item's own `publishedAt` is the submission time.
        """
        stamp = self.paper.submittedOnDailyAt or self.publishedAt
        return _utc_date(stamp) if stamp else None

    def submitted_day(self) -> date | None:
        """The UTC day of `paper.submittedOnDailyAt` only (search results' own `publishedAt`
        is not a submission time)."""
        stamp = self.paper.submittedOnDailyAt
        return _utc_date(stamp) if stamp else None


def _utc_date(stamp: datetime) -> date:
    if stamp.tzinfo is None:
        return stamp.date()
    return stamp.astimezone(UTC).date()


@dataclass(frozen=True)
class Fetched:
    """One validated item and the raw JSON it was read from (the store keeps both)."""

    item: DailyItem
    raw: dict[str, Any]


@dataclass
class ParseResult:
    entries: list[Fetched] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    pages: int = 0  # responses it took (a list's pages)

    @property
    def items(self) -> list[DailyItem]:
        return [entry.item for entry in self.entries]

    @property
    def raws(self) -> list[dict[str, Any]]:
        return [entry.raw for entry in self.entries]


class Origin(Enum):
    """Where an item came from, which decides what it can tell about itself."""

    DAILY = "daily"  # a day's list: its own day is its submission (2024 data: its publishedAt)
    SEARCH = "search"  # a search result: only paper.submittedOnDailyAt tells its day
    PAPER = "paper"  # a flat /api/papers/{id} answer: no comments, thumbnail or organization
    IMPORT = "import"  # an import file: the record says its day

    @property
    def flat(self) -> bool:
        """The answer lacks the item-level fields a day's list has: keep the stored ones."""
        return self is Origin.PAPER

    def own_day(self, item: DailyItem) -> date | None:
        """The item's Daily Papers day as the item itself says, when no day was asked for."""
        return item.daily_day() if self is Origin.DAILY else item.submitted_day()


# A real item nests 4 levels deep (item > paper > authors > user). One nested hundreds deep is
# stored as raw JSON and would make every later `json.loads` of it (exports) hit the recursion
# limit, so it is refused at the door.
MAX_DEPTH = 32


_SCALARS = frozenset((str, int, float, bool, type(None)))


def json_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep lists and objects nest in `value`, counted level by level without recursion,
    up to `limit + 1`. (Level by level rather than node by node: scalars, most of an item, are
    passed over with one type lookup each; 9 µs an item instead of 30.)"""
    if not isinstance(value, dict | list):
        return 0
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return depth
        deeper = []
        for node in level:
            for child in node.values() if isinstance(node, dict) else node:
                if type(child) not in _SCALARS and isinstance(child, dict | list):
                    deeper.append(child)
        level = deeper
    return depth


def check_item(raw: Any) -> dict[str, Any]:
    """`raw` as an item object, or ValueError: not an object, or nested too deeply to keep."""
    if not isinstance(raw, dict):
        raise ValueError(f"item is a {type(raw).__name__}, not an object")
    if json_depth(raw) > MAX_DEPTH:
        raise ValueError(f"item is nested more than {MAX_DEPTH} levels deep")
    return raw


def parse_items(payload: Any) -> ParseResult:
    """Validate a list of daily items; an item that fails is skipped and counted, not fatal."""
    result = ParseResult()
    if not isinstance(payload, list):
        raise ValueError(f"expected a JSON list of papers, got {type(payload).__name__}")
    for index, raw in enumerate(payload):
        try:
            item = DailyItem.model_validate(check_item(raw))
        except (ValidationError, ValueError) as exc:
            result.skipped += 1
            result.errors.append(f"item {index}: {short_error(exc)}")
            continue
        result.entries.append(Fetched(item, raw))
    return result


def item_from_paper(raw: Any) -> Fetched:
    """Wrap a flat `/api/papers/{id}` object as a daily item, so one code path stores both."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    wrapped = {"paper": check_item(raw)}
    return Fetched(DailyItem.model_validate(wrapped), wrapped)


def short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        said = str(first.get("msg", "invalid")).removeprefix("Value error, ")  # our own words
        return f"{where}: {said}"[:200]
    return str(exc)[:200]


class StoredPaper(BaseModel):
    """A paper as the cache holds it, with the reader's own state beside it."""

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = Field(default_factory=list)
    organization: str | None = None
    published_at: str | None = None
    submitted_at: str | None = None
    day: str | None = None
    upvotes: int = 0
    num_comments: int = 0
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = Field(default_factory=list)
    thumbnail: str | None = None
    fetched_at: str | None = None
    first_seen_at: str | None = None
    read: bool = False
    bookmarked: bool = False
    read_at: str | None = None
    bookmarked_at: str | None = None
    notes: str | None = None
    tags: list[str] = Field(default_factory=list)


def paper_columns(item: DailyItem) -> dict[str, Any]:
    """The searchable, displayable columns of one item, cleaned of control characters.

    Item-level title/summary are preferred: in old data they are the unwrapped versions.
    """
    paper = item.paper
    org = paper.organization or item.organization
    names = (clean(a.name) for a in (paper.authors or []) if a.name)
    authors = [name for name in names if name]
    keywords = [word for word in map(clean, paper.ai_keywords or []) if word]
    published = paper.publishedAt
    submitted = paper.submittedOnDailyAt or item.publishedAt
    return {
        "id": paper.id,
        "title": clean(item.title) or clean(paper.title) or paper.id,
        # Paragraph breaks of the abstract stay ("\n\n"); everything else is one line.
        "abstract": clean_paragraphs(item.summary) or clean_paragraphs(paper.summary),
        "authors": authors,
        "organization": org.display if org else None,
        "published_at": published.isoformat() if published else None,
        "submitted_at": submitted.isoformat() if submitted else None,
        "upvotes": max(paper.upvotes or 0, 0),
        "num_comments": max(item.numComments or 0, 0),
        "github_repo": clean_optional(paper.githubRepo),
        "github_stars": paper.githubStars,
        "project_page": clean_optional(paper.projectPage),
        "ai_summary": clean_optional(paper.ai_summary),
        "ai_keywords": keywords,
        "thumbnail": clean_optional(item.thumbnail),
    }


class FullText(BaseModel):
    """A paper's full text as the cache holds it: the Markdown Hugging Face serves for it (built
    from arXiv's HTML version), cleaned of escape sequences and control characters, with when it
    was fetched, its size in bytes (UTF-8) and whether it was only the fallback content (no arXiv
    HTML version: the paper page's own text, about the abstract)."""

    model_config = ConfigDict(frozen=True)

    paper_id: str
    markdown: str
    fetched_at: datetime
    size: int
    fallback: bool = False


@dataclass(frozen=True)
class ListRow:
    """What the list pane and `search` need: one narrow row, cheap to fetch in windows."""

    id: str
    title: str
    day: str | None
    upvotes: int
    num_comments: int
    read: bool
    bookmarked: bool
    first_author: str = ""  # for the list's optional second line ("Ada Lovelace et al. · Org")
    author_count: int = 0
    organization: str = ""
    tags: tuple[str, ...] = ()  # yours
    noted: bool = False  # you have a note on it
    gained: int = 0  # upvotes gained lately ("rising"; shown as +N)
    new: bool = False  # reached the cache since the reader's last session (`is:new`)
    links_new: bool = False  # gained a GitHub repo or project page since it was last opened

    @property
    def byline(self) -> str:
        """Who wrote it, in one short line: the first author, "et al." for more, the organization."""
        who = self.first_author
        if who and self.author_count > 1:
            who += " et al."
        return " · ".join(part for part in (who, self.organization) if part)


@dataclass(frozen=True)
class DayRecord:
    """What the cache knows of one day's list: when it was fetched, how many, whether whole."""

    day: str
    fetched_at: str
    count: int
    skipped: int
    complete: bool


@dataclass(frozen=True)
class RowMarks:
    """What changed about a paper, for its row in the list (see ListRow)."""

    gained: int = 0
    new: bool = False
    links_new: bool = False


@dataclass(frozen=True)
class DayFailure:
    """The last failed fetch of a day not stored since, and why."""

    day: str
    failed_at: str
    error: str


@dataclass(frozen=True)
class SyncRun:
    """One sync as recorded in the cache; `result` None: still running, or it never finished."""

    id: int
    started_at: str
    finished_at: str | None
    what: str
    days: int
    stored: int
    failed: int
    new: int
    updated: int
    requests: int
    result: str | None


@dataclass
class UpsertStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertStats) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


def iso_timestamp(value: Any) -> str | None:
    """An ISO 8601 timestamp, re-spelt by `datetime`, or None for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


class UserState(BaseModel):
    """The reader's own state of one paper, with when each field last changed (an import merges
    field by field: the newer change wins). From an import file: notes are kept exactly as
    written (every face shows them safely), up to the size a note may have; tags are normalised
    to the tag rules (`library.lenient_tags`); timestamps are ISO or dropped."""

    read: bool = False
    read_at: str | None = None
    bookmarked: bool = False
    bookmarked_at: str | None = None
    notes: str | None = None
    tags: list[str] = Field(default_factory=list)
    updated_at: str | None = None
    read_updated_at: str | None = None
    bookmarked_updated_at: str | None = None
    notes_updated_at: str | None = None
    tags_updated_at: str | None = None

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("a note must be text")
        try:
            return check_note(_SURROGATES.sub("\ufffd", value))
        except NoteError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("tags must be a list of names")
        return lenient_tags(value)

    @field_validator(
        "read_at",
        "bookmarked_at",
        "updated_at",
        "read_updated_at",
        "bookmarked_updated_at",
        "notes_updated_at",
        "tags_updated_at",
        mode="before",
    )
    @classmethod
    def _stamp(cls, value: Any) -> str | None:
        return iso_timestamp(value)

    def stamped(self, fallback: str) -> UserState:
        """Every field's change time, those missing taken from `fallback` (an export of an older
        papertui has only `updated_at`): read and bookmark always, notes and tags when set."""
        return self.model_copy(
            update={
                "updated_at": self.updated_at or fallback,
                "read_updated_at": self.read_updated_at or fallback,
                "bookmarked_updated_at": self.bookmarked_updated_at or fallback,
                "notes_updated_at": self.notes_updated_at
                or (fallback if self.notes is not None else None),
                "tags_updated_at": self.tags_updated_at or (fallback if self.tags else None),
            }
        )


SavedView = Literal["day", "week", "month", "all"]
SavedSort = Literal["upvotes", "rising", "date", "title"]
SavedSearchSort = Literal["relevance", "upvotes", "rising", "date", "title"]
MAX_SAVED_NAME = 80


class SavedSearch(BaseModel):
    """A search saved under a name: the query text, the view and filters around it, the sorts."""

    name: str
    query: str = ""
    view: SavedView = "all"
    unread_only: bool = False
    bookmarks_only: bool = False
    sort: SavedSort = "upvotes"
    search_sort: SavedSearchSort = "relevance"
    created_at: str | None = None
    updated_at: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        name = clean(value) if isinstance(value, str) else ""
        if not name:
            raise ValueError("a saved search needs a name")
        if len(name) > MAX_SAVED_NAME:
            raise ValueError(f"a saved search's name is at most {MAX_SAVED_NAME} characters")
        return name

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a saved search's query must be text")
        return strip_controls(value)[:2000].strip()

    @field_validator("created_at", "updated_at", mode="before")
    @classmethod
    def _stamp(cls, value: Any) -> str | None:
        return iso_timestamp(value)

    @property
    def key(self) -> str:
        """The name as compared: `ML papers` and `ml papers` are one saved search."""
        return self.name.casefold()


@dataclass(frozen=True)
class TagCount:
    """A tag and how many cached papers carry it, how many of them unread."""

    name: str
    papers: int
    unread: int


@dataclass(frozen=True)
class ImportRecord:
    """One paper from an import file: the item, the day it was listed on, and the user's state."""

    fetched: Fetched
    day: str | None
    user: UserState | None = None
    first_seen_at: str | None = None
    updated_at: str | None = None
