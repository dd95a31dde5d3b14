"""The query language's syntax tree compiled to SQL, and the sort orders."""

from __future__ import annotations

from dataclasses import dataclass

from ..query import And, Days, Has, Is, Not, Or, PaperIds, Query, Tag, Upvotes, Words

# Each order runs exactly along (or exactly against) one index, so SQLite never sorts.
# Relevance with no words to rank by is its own tie-break: the most recent day, then upvotes.
SORTS = {
    "relevance": "p.day DESC, p.upvotes DESC, p.id DESC",
    "upvotes": "p.upvotes DESC, p.day DESC, p.id DESC",
    "date": "p.day DESC, p.upvotes DESC, p.id DESC",
    "title": "p.title_key, p.title COLLATE NOCASE, p.id",  # title_key: see store.compact
    # the papers that gained upvotes lately, by their gain, come first (`Store._rising_window`);
    # the rest in this order
    "rising": "p.upvotes DESC, p.day DESC, p.id DESC",
}
# bm25() weights in the index's column order: title, abstract, authors, AI keywords, AI summary,
# organization, your note. A word in the title counts most, then in your note on the paper, then
# in the AI keywords or summary, then in the abstract, then among the authors; the organization
# barely.
RANK_WEIGHTS = {
    "title": 10.0,
    "abstract": 2.0,
    "authors": 1.0,
    "ai_keywords": 5.0,
    "ai_summary": 5.0,
    "organization": 0.5,
    "notes": 8.0,
}
_BM25 = "bm25(papers_fts, {})".format(", ".join(str(w) for w in RANK_WEIGHTS.values()))
# The best matches by score alone, straight from the index (no join, a bounded sorter), and every
# match by score: the relevance windows of `ranking.py` are read from these.
TOP_RANKED = f"SELECT {_BM25} AS score, rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY score LIMIT ?"
ALL_RANKED = (
    f"SELECT {_BM25} AS score, rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY score"
)
# The matches that meet a condition besides the words (`{}`: over `papers p LEFT JOIN user_state
# u`), by score: bm25 is computed for those only, and the condition's papers are gathered once.
FILTERED_RANKED = (
    f"SELECT {_BM25} AS score, rowid FROM papers_fts WHERE papers_fts MATCH ? AND +rowid IN "
    "(SELECT p.pk FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id WHERE {}) "
    "ORDER BY score"
)
# The read papers that are cached, by key (`read_papers`, m010, kept by triggers). A match is
# unread when it is not among them (no state, or read = 0): `is:unread` with words is counted and
# ranked from the index and this one table, which SQLite probes in place (a million papers,
# 269,324 unread matches: count 607 -> 182 ms when the set was gathered from the read ids,
# -> 66 ms with the table), instead of looking up the state of every match.
READ_PKS = "SELECT pk FROM read_papers"
UNREAD_MATCHES = f"papers_fts MATCH ? AND +rowid NOT IN ({READ_PKS})"
UNREAD_COUNT = f"SELECT count(*) FROM papers_fts WHERE {UNREAD_MATCHES}"
UNREAD_RANKED = (
    f"SELECT {_BM25} AS score, rowid FROM papers_fts WHERE {UNREAD_MATCHES} ORDER BY score"
)
# Every match ranked in SQL with the tie-breaks: the plain statement of the relevance order, which
# `ranking.py` must give window for window (tests compare the two).
_RANKED = (
    f"(SELECT rowid AS pk, {_BM25} AS score FROM papers_fts "
    "WHERE papers_fts MATCH ?) r JOIN papers p ON p.pk = r.pk"
)


@dataclass(frozen=True)
class Where:
    """An SQL condition over `papers p LEFT JOIN user_state u`, with its parameters.

    `match` is set when the whole query is one full-text match: its count can then come straight
    from the index (8 ms instead of 31 ms for a word in 90,000 of 100,000 papers).
    """

    sql: str
    params: tuple = ()
    match: str | None = None
    uses_user: bool = False
    rank: str | None = None  # the full-text expression whose bm25 ranks by relevance
    rest: Where | None = None  # with `rank`: the condition besides that match (None: nothing)


# `is:new`: papers that reached the cache after the reader's "new since" mark (reader_marks,
# set when the reader opens; see HistoryMixin.begin_reading). Nothing is new without a mark.
IS_NEW_SQL = "p.first_seen_at > COALESCE((SELECT new_since FROM reader_marks WHERE id = 1), '9999')"
# The unary + keeps SQLite from driving the query off the match list: with it the plan walks
# the sort index and probes the list, bounded by the cache size however many papers match
# (bench at 100k: 1.6 s -> 47 ms for a word in 90% of papers, joins with user_state).
_FTS = "+p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
# `text:` words, in the full texts' own index (a few hundred rows where the papers have 100,000:
# the match list drives the query).
_TEXT_FTS = (
    "p.id IN (SELECT paper_id FROM full_texts WHERE pk IN "
    "(SELECT rowid FROM full_texts_fts WHERE full_texts_fts MATCH ?))"
)
# Your library: tags through their index; notes are a column of the papers' index (m005).
_TAGGED = "p.id IN (SELECT paper_id FROM paper_tags WHERE tag = ?)"
_HAS = {
    "text": Where("p.id IN (SELECT paper_id FROM full_texts)"),
    "tag": Where("p.id IN (SELECT paper_id FROM paper_tags)"),
    "note": Where("u.notes IS NOT NULL", uses_user=True),
    "code": Where("(p.github_repo IS NOT NULL AND p.github_repo != '')"),  # a known GitHub repo
}
_IS = {
    "read": "COALESCE(u.read, 0) = 1",
    "unread": "COALESCE(u.read, 0) = 0",
    "bookmarked": "COALESCE(u.bookmarked, 0) = 1",
    "new": IS_NEW_SQL,
}
_IS_USER = {"read", "unread", "bookmarked"}  # the states that live in user_state


def unread_words(where: Where) -> str | None:
    """The full-text expression of a query that is words and `is:unread`, nothing else."""
    rest = where.rest
    if rest is not None and rest.sql == _IS["unread"] and not rest.params:
        return where.rank
    return None


def fts_phrase(words: Words) -> str:
    """An FTS5 phrase of the words (quoted: nothing in it is FTS5 syntax), column-filtered."""
    phrase = '"' + " ".join(words.words) + '"' + ("*" if words.prefix else "")
    return f"{words.field} : {phrase}" if words.field and words.field != "text" else phrase


def fts_expression(query: Query) -> str | None:
    """The query as one FTS5 expression when it is made of words alone: phrases joined by AND,
    OR and NOT, every conjunction with a word to find (FTS5 has no "every paper NOT x").
    None when it is not (it has a filter such as is:read, words of the full texts, which have
    an index of their own, or a conjunction of negations only)."""
    if isinstance(query, Words):
        return None if query.field == "text" else fts_phrase(query)
    if isinstance(query, Or):
        alternatives = [fts_expression(t) for t in query.terms]
        if not alternatives or None in alternatives:
            return None
        return "(" + " OR ".join(a for a in alternatives if a) + ")"
    if isinstance(query, And):
        found = [fts_expression(t) for t in query.terms if not isinstance(t, Not)]
        without = [fts_expression(t.term) for t in query.terms if isinstance(t, Not)]
        if not found or None in found or None in without:
            return None
        return (
            "(("
            + " AND ".join(f for f in found if f)
            + ")"
            + "".join(f" NOT {w}" for w in without)
            + ")"
        )
    return None


def compile_query(query: Query) -> Where:
    """The SQL for a query. Top-level text terms (words, and OR groups of words) and negated
    ones become one FTS5 expression (one index lookup); everything else is a condition of its
    own, and the text alternatives of a mixed OR one lookup of their own."""
    terms = query.terms if isinstance(query, And) else (query,)
    positive: list[str] = []
    negative: list[str] = []
    rest: list[Query] = []
    for term in terms:
        if isinstance(term, Not) and (expression := fts_expression(term.term)) is not None:
            negative.append(expression)
        elif not isinstance(term, Not) and (expression := fts_expression(term)) is not None:
            positive.append(expression)
        else:
            rest.append(term)
    parts: list[Where] = []
    match = None
    if positive:
        match = " AND ".join(positive) + "".join(f" NOT {n}" for n in negative)
        parts.append(Where(_FTS, (match,)))
    elif negative:
        parts.append(Where(f"NOT ({_FTS})", (" OR ".join(negative),)))
    others = [_condition(t) for t in rest]
    parts.extend(others)
    if not parts:
        return Where("1")
    combined = _join(parts, "AND")
    only_match = match if len(parts) == 1 and positive else None
    besides = _join(others, "AND") if match is not None and others else None
    return Where(
        combined.sql, combined.params, only_match, combined.uses_user, rank=match, rest=besides
    )


def _join(parts: list[Where], op: str) -> Where:
    if len(parts) == 1:
        return parts[0]
    return Where(
        f" {op} ".join(f"({p.sql})" for p in parts),
        tuple(v for p in parts for v in p.params),
        uses_user=any(p.uses_user for p in parts),
    )


def _condition(query: Query) -> Where:
    if isinstance(query, Words):
        return Where(_TEXT_FTS if query.field == "text" else _FTS, (fts_phrase(query),))
    if isinstance(query, PaperIds):
        if not query.ids:
            return Where("0")
        return Where(f"p.id IN ({', '.join('?' * len(query.ids))})", tuple(query.ids))
    if isinstance(query, Is):
        return Where(_IS[query.state], uses_user=query.state in _IS_USER)
    if isinstance(query, Tag):
        return Where(_TAGGED, (query.name,))
    if isinstance(query, Has):
        return _HAS[query.what]
    if isinstance(query, Days):
        bounds = [("p.day >= ?", query.start), ("p.day <= ?", query.end)]
        kept = [(sql, v) for sql, v in bounds if v is not None]
        return Where(" AND ".join(sql for sql, _ in kept) or "1", tuple(v for _, v in kept))
    if isinstance(query, Upvotes):
        if query.low is not None and query.high is not None:
            return Where("p.upvotes BETWEEN ? AND ?", (query.low, query.high))
        if query.low is not None:
            return Where("p.upvotes >= ?", (query.low,))
        if query.high is not None:
            return Where("p.upvotes <= ?", (query.high,))
        return Where("1")
    if isinstance(query, Not):
        inner = _condition(query.term)
        return Where(f"NOT COALESCE(({inner.sql}), 0)", inner.params, uses_user=inner.uses_user)
    if isinstance(query, And):
        return compile_query(query) if query.terms else Where("1")
    if isinstance(query, Or):
        if not query.terms:
            return Where("0")
        expressions = [fts_expression(t) for t in query.terms]
        text = [e for e in expressions if e is not None]
        parts = [Where(_FTS, (" OR ".join(text),))] if text else []
        parts += [_condition(t) for t, e in zip(query.terms, expressions, strict=True) if e is None]
        return _join(parts, "OR")
    raise TypeError(f"not a query: {query!r}")  # pragma: no cover


@dataclass(frozen=True)
class Ordered:
    """`SELECT … FROM {source} LEFT JOIN user_state u … WHERE {where} ORDER BY {order}`, with the
    source's parameters, then the condition's."""

    source: str
    where: str
    params: tuple
    order: str


def ordered(where: Where, sort: str) -> Ordered:
    """The rows of a query in a sort order. Relevance with words ranks every match by bm25 in
    the full-text index (best first; FTS5's bm25 is negative, lower is better), then by the
    tie-breaks of the newest order; the id last keeps LIMIT/OFFSET windows stable. (The store
    reads relevance windows through `ranking.py`, which gives the same rows for less; rising
    puts the papers that gained first: `Store._rising_window`.)"""
    if sort == "relevance" and where.rank is not None:
        condition = Where("1") if where.match is not None else where  # the join already matches
        return Ordered(
            _RANKED,
            condition.sql,
            (where.rank, *condition.params),
            "r.score, " + SORTS["relevance"],
        )
    return Ordered("papers p", where.sql, where.params, SORTS[sort])
