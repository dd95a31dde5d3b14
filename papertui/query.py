"""The search language, parsed to a small syntax tree with no SQL in it (the store compiles it).

    diffusion "world model" -survey author:lecun org:meta title:agent
    is:unread is:bookmarked date:2026-05-08 date:2026-05-01..2026-05-31 upvotes:>50
    is:new has:code
    (diffusion OR flow) video -(survey OR review)
    text:"rotary embedding" has:text -has:text
    tag:ml -tag:done has:tag has:note note:baseline

Terms side by side combine with AND; `OR` (in capitals) between terms binds looser than that, so
`a b OR c` is `(a b) OR c`; parentheses group and nest; `-` negates any term or group; the empty
query matches every paper. A text term keeps only the words of what was typed (letters and
digits), so no user text can become FTS5 or SQL syntax. Parsing is total: any string yields a
`Query` or raises `QueryError` with a message for the user, never another exception.
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

from .errors import QueryError
from .library import TagError, normalize_tag

# `text:` searches the cached full texts (their own index, see store/search.py); `note:` your
# note on a paper (a column of the papers' index); the others fields of the papers' index.
TEXT_FIELDS = {
    "author": "authors",
    "org": "organization",
    "title": "title",
    "text": "text",
    "note": "notes",
}
# in the order help lists them; the last two are your own library's (`has:` serves both)
SHOWN_KEYS = ("author", "org", "title", "text", "is", "has", "date", "upvotes", "tag", "note")
FILTER_KEYS = sorted(SHOWN_KEYS)
State = Literal["read", "unread", "bookmarked", "new"]
Having = Literal["text", "tag", "note", "code"]
HAS_VALUES: dict[str, Having] = {
    "text": "text",
    "fulltext": "text",
    "tag": "tag",
    "tags": "tag",
    "note": "note",
    "notes": "note",
    "code": "code",
    "github": "code",
    "repo": "code",
}
IS_VALUES: dict[str, State] = {
    "read": "read",
    "unread": "unread",
    "bookmarked": "bookmarked",
    "bookmark": "bookmarked",
    "new": "new",
}
_WORD = re.compile(r"[^\W_]+")
_KEY = re.compile(r"([A-Za-z]+):")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_UPVOTES = re.compile(r"^(>=|<=|>|<|=)?(\d{1,9})(?:\.\.(\d{1,9}))?$")
MAX_QUERY_LENGTH = 2000
PREFIX_MIN = 3
MAX_TERMS = 32
MAX_DEPTH = 8  # nested parentheses


# ---- the syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Words to find in a paper's text, in this order; `field` None means any text field of the
    paper (not its full text: that is `field="text"`)."""

    words: tuple[str, ...]
    field: Literal["title", "authors", "organization", "text", "notes"] | None = None
    prefix: bool = False  # the last word matches as a prefix ("model" finds "models")


@dataclass(frozen=True)
class Is:
    """Your reading state, or `new`: reached the cache since the reader's last session."""

    state: State


@dataclass(frozen=True)
class Has:
    """Papers that have something: `text`, a cached full text (the fallback content counts);
    `tag` or `note`, a tag or a note of yours; `code`, a known GitHub repo."""

    what: Having


@dataclass(frozen=True)
class Days:
    """Daily Papers days from `start` to `end` (ISO dates), either end open."""

    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Upvotes:
    """Upvote count from `low` to `high`, inclusive, either end open."""

    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class Tag:
    """Papers you gave this tag (`tag:NAME`; the name normalised as tags are)."""

    name: str


@dataclass(frozen=True)
class Not:
    term: Query


@dataclass(frozen=True)
class And:
    terms: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Query, ...]


@dataclass(frozen=True)
class PaperIds:
    """These papers by arXiv id (a search that is an id or a paper link goes to that paper)."""

    ids: tuple[str, ...]


Query: TypeAlias = Words | Is | Has | Days | Upvotes | PaperIds | Tag | Not | And | Or
EVERYTHING: Query = And(())


def all_of(*terms: Query) -> Query:
    """The conjunction, flattened: And((a, And((b, c)))) is And((a, b, c)); And(()) matches all."""
    flat: list[Query] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, And) else (term,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


@dataclass
class _Term:
    key: str | None
    value: str
    negate: bool
    quoted: bool
    open_end: bool  # the last token, still being typed: match it as a prefix


# The tokens that are grammar, not terms: "(" or "-(" opens a group (negated), ")" closes one,
# "OR" joins the terms either side of it.
_Token: TypeAlias = _Term | Literal["(", "-(", ")", "OR"]


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] in "()":
            tokens.append(text[i])  # type: ignore[arg-type]
            i += 1
            continue
        if text.startswith("-(", i):
            tokens.append("-(")
            i += 2
            continue
        negate = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negate:
            i += 1
        key = None
        match = _KEY.match(text, i)
        if match and match.group(1).lower() in FILTER_KEYS:
            key = match.group(1).lower()
            i = match.end()
            if text.startswith("(", i):
                raise QueryError(
                    f"{key}: takes one value, not a group: write "
                    f"({key}:a OR {key}:b) instead of {key}:(a OR b)"
                )
        elif match and not text.startswith("//", match.end()):  # a URL's scheme is a word
            _unknown_filter(match.group(1))
        quoted = i < n and text[i] == '"'
        if quoted:
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            value, i = text[i + 1 : end], end + 1
        else:
            end = _word_end(text, i)
            value, i = text[i:end], end
        if not quoted and not negate and key is None and value == "OR":
            tokens.append("OR")
            continue
        tokens.append(_Term(key, value, negate, quoted, open_end=not quoted and i >= n))
    return tokens


def _word_end(text: str, i: int) -> int:
    """The end of an unquoted value: whitespace, or a `)` that closes a group rather than one
    opened inside the value itself (`f(x)` stays one value, `(a b)` ends `b` at its `)`)."""
    inner = 0
    while i < len(text) and not text[i].isspace():
        if text[i] == "(":
            inner += 1
        elif text[i] == ")":
            if not inner:
                break
            inner -= 1
        i += 1
    return i


def _unknown_filter(key: str) -> None:
    close = difflib.get_close_matches(key.lower(), FILTER_KEYS, n=1, cutoff=0.75)
    if close:
        raise QueryError(f"unknown filter '{key}:' - did you mean '{close[0]}:'?")
    raise QueryError(f"unknown filter '{key}:' (filters: {' '.join(k + ':' for k in SHOWN_KEYS)})")


def _words(term: _Term) -> Words | None:
    words = tuple(_WORD.findall(term.value))
    if not words:
        return None
    # Unquoted plain words match as prefixes ("model" finds "models", "modeling"): the index has
    # no stemmer. Field values do so only while being typed, so author:li is not author:lin.
    # Words under three characters match exactly: "a*" would touch most of the index.
    prefix = (
        not term.quoted and (term.key is None or term.open_end) and len(words[-1]) >= PREFIX_MIN
    )
    field = TEXT_FIELDS[term.key] if term.key else None
    return Words(words, field, prefix)  # type: ignore[arg-type]


def _date_range(value: str) -> tuple[str | None, str | None]:
    if ".." in value:
        start, _, end = value.partition("..")
        if not start and not end:
            raise QueryError(
                "date: needs a day, e.g. date:2026-05-08 or date:2026-05-01..2026-05-31"
            )
        low = _bound(start, first=True) if start else None
        high = _bound(end, first=False) if end else None
        if low and high and low > high:
            raise QueryError(f"date:{value[:40]} runs backwards: write date:{end}..{start}")
        return low, high
    return _bound(value, first=True), _bound(value, first=False)


def _bound(value: str, first: bool) -> str:
    try:
        if m := _DAY.match(value):
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if m := _MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            if first:
                return date(year, month, 1).isoformat()
            return date(year, month, calendar.monthrange(year, month)[1]).isoformat()
        if m := _YEAR.match(value):
            return f"{int(m[1]):04d}-01-01" if first else f"{int(m[1]):04d}-12-31"
    except ValueError:
        pass
    raise QueryError(
        f"bad date '{value[:40]}': use YYYY-MM-DD, YYYY-MM or YYYY, or a range like "
        "2026-05-01..2026-05-31"
    )


def _upvotes(value: str) -> Upvotes:
    m = _UPVOTES.match(value.replace(" ", ""))
    if not m:
        raise QueryError(
            f"bad upvotes filter '{value[:40]}': use upvotes:>50, upvotes:<=10 or upvotes:10..50"
        )
    op, low, high = m.group(1), int(m.group(2)), m.group(3)
    if high is not None:
        if op:
            raise QueryError("upvotes: a range like 10..50 takes no comparison sign")
        if low > int(high):
            raise QueryError(f"upvotes:{low}..{high} runs backwards: write upvotes:{high}..{low}")
        return Upvotes(low, int(high))
    return {
        None: Upvotes(low, low),
        "=": Upvotes(low, low),
        ">": Upvotes(low + 1, None),
        ">=": Upvotes(low, None),
        "<": Upvotes(None, low - 1),
        "<=": Upvotes(None, low),
    }[op]


def parse_query(text: str) -> Query:
    """Parse search text to a Query; raise QueryError with a user-facing message."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is too long (over {MAX_QUERY_LENGTH} characters)")
    tokens = _tokens(text.replace("\x00", " "))
    if sum(isinstance(t, _Term) for t in tokens) > MAX_TERMS:
        raise QueryError(f"too many terms (over {MAX_TERMS})")
    return _Parser(tokens).parse()


class _Parser:
    """Recursive descent over the tokens:

    query := terms ("OR" terms)*
    terms := (term | "(" query ")" | "-(" query ")")*
    """

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    def parse(self) -> Query:
        query = self._either()
        if self.at < len(self.tokens):  # only a ")" stops `_either` early
            raise QueryError("unbalanced parentheses: a ')' closes nothing")
        return EVERYTHING if query is None else query

    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _either(self) -> Query | None:
        """Terms joined by OR; None when there are no terms (a lone `-` or `""` is none)."""
        alternatives = [self._all()]
        while self._peek() == "OR":
            self.at += 1
            alternatives.append(self._all())
        if len(alternatives) == 1:
            return alternatives[0]
        if any(a is None for a in alternatives):
            raise QueryError("OR needs a term on each side, e.g. diffusion OR flow")
        flat: list[Query] = []
        for alternative in alternatives:
            assert alternative is not None
            flat.extend(alternative.terms if isinstance(alternative, Or) else (alternative,))
        return Or(tuple(flat))

    def _all(self) -> Query | None:
        """Terms side by side, up to an OR, a ")" or the end; None when there are none."""
        terms: list[Query] = []
        while (token := self._peek()) is not None and token not in ("OR", ")"):
            self.at += 1
            if isinstance(token, _Term):
                node = _term(token)
                if node is not None:
                    terms.append(node)
                continue
            terms.append(self._group(negate=token == "-("))
        return all_of(*terms) if terms else None

    def _group(self, negate: bool) -> Query:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"too many nested parentheses (over {MAX_DEPTH})")
        inner = self._either()
        if self._peek() != ")":
            raise QueryError("unbalanced parentheses: a '(' is never closed")
        self.at += 1
        self.depth -= 1
        if inner is None:
            raise QueryError("empty parentheses: put terms inside, e.g. (diffusion OR flow)")
        return Not(inner) if negate else inner


def _term(term: _Term) -> Query | None:
    node: Query
    if term.key in (None, *TEXT_FIELDS):
        words = _words(term)
        if words is None:
            if term.key:
                raise QueryError(f"{term.key}: needs a word after it, e.g. {term.key}:smith")
            return None
        node = words
    elif term.key == "is":
        state = IS_VALUES.get(term.value.lower())
        if state is None:
            raise QueryError("is: takes read, unread, bookmarked or new")
        node = Is(state)
    elif term.key == "has":
        having = HAS_VALUES.get(term.value.lower())
        if having is None:
            raise QueryError(
                "has: takes text, tag, note or code (has:text: a cached full text; has:tag, "
                "has:note: yours; has:code: a GitHub repo)"
            )
        node = Has(having)
    elif term.key == "date":
        node = Days(*_date_range(term.value))
    elif term.key == "tag":
        node = _tag(term)
    else:
        node = _upvotes(term.value)
    return Not(node) if term.negate else node


def _tag(term: _Term) -> Query:
    """`tag:NAME` (`has:tag`, `has:note` are `has:` values; `note:WORDS` a text field)."""
    if not term.value.strip():
        raise QueryError("tag: needs a tag name, e.g. tag:ml")
    try:
        return Tag(normalize_tag(term.value))
    except TagError as exc:
        raise QueryError(f"tag:{term.value[:40]} - {exc}") from None


def has_words(query: Query) -> bool:
    """Whether the query looks for words (not only leaves them out): what relevance ranks by."""
    if isinstance(query, Words):
        return True
    if isinstance(query, And | Or):
        return any(has_words(t) for t in query.terms)
    return False


def day_range(start: date | None, end: date | None) -> Query:
    """A view over the Daily Papers days from start to end (either may be open)."""
    if start is None and end is None:
        return EVERYTHING
    return Days(start.isoformat() if start else None, end.isoformat() if end else None)
