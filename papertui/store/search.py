"""The query language's syntax tree compiled to SQL, and the sort orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..query import And, Days, Has, InNote, Is, Not, Or, PaperIds, Query, Tag, Upvotes, Words

# Each order runs exactly along (or exactly against) one index, so SQLite never sorts.
# Relevance with no words to rank by is its own tie-break: the most recent day, then upvotes.
SORTS = {
    "relevance": "p.day DESC, p.upvotes DESC, p.id DESC",
    "upvotes": "p.upvotes DESC, p.day DESC, p.id DESC",
    "date": "p.day DESC, p.upvotes DESC, p.id DESC",
    "title": "p.title COLLATE NOCASE, p.id",
}
# bm25() weights in the index's column order: title, abstract, authors, AI keywords, AI summary,
# organization. A word in the title counts most, then in the AI keywords or summary, then in the
# abstract, then among the authors; the organization barely.
RANK_WEIGHTS = {
    "title": 10.0,
    "abstract": 2.0,
    "authors": 1.0,
    "ai_keywords": 5.0,
    "ai_summary": 5.0,
    "organization": 0.5,
}
# The best matches by score alone, straight from the index (no join, a bounded sorter).
TOP_RANKED = (
    "SELECT rowid AS pk, bm25(papers_fts, {}) AS score FROM papers_fts "
    "WHERE papers_fts MATCH ? ORDER BY score LIMIT ?"
).format(", ".join(str(w) for w in RANK_WEIGHTS.values()))
FIRST_WINDOWS = 2_000  # how deep into a words-only relevance list the fast plan reaches
_SCORES = (
    "(SELECT rowid AS pk, bm25(papers_fts, {}) AS score FROM papers_fts WHERE papers_fts MATCH ?)"
).format(", ".join(str(w) for w in RANK_WEIGHTS.values()))
_RANKED = _SCORES + " r JOIN papers p ON p.pk = r.pk"
# With papers found through notes, which the text's match may not hold.
_RANKED_OR_NOTED = "papers p LEFT JOIN " + _SCORES + " r ON r.pk = p.pk"


# Does any note match this FTS5 expression? The store answers (one lookup in the small notes
# index); a search only takes the slower notes-aware plan when one does.
NoteProbe = Callable[[str], bool]


@dataclass(frozen=True)
class NotesBranch:
    """Plain words at the top of a query look in your notes too: each word term is found in the
    paper's text or in your note on it, and no excluded word in either.

    Papers found through their text are today's full-text match; the others all have a note
    matching some word (`found`), which keeps that part small whatever the paper count."""

    found: str | None  # OR of the plain word terms some note matches: who may match by note
    terms: tuple[tuple[str, bool], ...]  # every word term: (expression, plain), all needed
    text_negative: str | None  # OR of the excluded terms, for the text
    note_negative: str | None  # OR of the plain excluded terms some note matches


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
    notes: NotesBranch | None = None  # the top-level words also look in notes
    words_only: bool = False  # the query is its top-level words and nothing else


# The unary + keeps SQLite from driving the query off the match list: with it the plan walks
# the sort index and probes the list, bounded by the cache size however many papers match
# (bench at 100k: 1.6 s -> 47 ms for a word in 90% of papers, joins with user_state).
_FTS = "+p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)"
_NOTE = "p.pk IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
_IN_TEXT = "EXISTS (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? AND rowid = p.pk)"
_IN_NOTE = "EXISTS (SELECT 1 FROM notes_fts WHERE notes_fts MATCH ? AND rowid = p.pk)"
_TAGGED = "p.id IN (SELECT paper_id FROM paper_tags WHERE tag = ?)"
_HAS = {
    "tag": Where("p.id IN (SELECT paper_id FROM paper_tags)"),
    "note": Where("u.notes IS NOT NULL", uses_user=True),
}
_IS = {
    "read": "COALESCE(u.read, 0) = 1",
    "unread": "COALESCE(u.read, 0) = 0",
    "bookmarked": "COALESCE(u.bookmarked, 0) = 1",
}


def fts_phrase(words: Words) -> str:
    """An FTS5 phrase of the words (quoted: nothing in it is FTS5 syntax), column-filtered."""
    phrase = '"' + " ".join(words.words) + '"' + ("*" if words.prefix else "")
    return f"{words.field} : {phrase}" if words.field else phrase


def fts_expression(query: Query) -> str | None:
    """The query as one FTS5 expression when it is made of words alone: phrases joined by AND,
    OR and NOT, every conjunction with a word to find (FTS5 has no "every paper NOT x").
    None when it is not (it has a filter such as is:read, or a conjunction of negations only)."""
    if isinstance(query, Words):
        return fts_phrase(query)
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


def plain(query: Query) -> bool:
    """Whether a text term looks for words in any field (those words also look in notes)."""
    if isinstance(query, Words):
        return query.field is None
    if isinstance(query, And | Or):
        return all(plain(t) for t in query.terms)
    if isinstance(query, Not):
        return plain(query.term)
    return False


def compile_query(query: Query, notes: NoteProbe | None = None) -> Where:
    """The SQL for a query. Top-level text terms (words, and OR groups of words) and negated
    ones become one FTS5 expression (one index lookup); everything else is a condition of its
    own, and the text alternatives of a mixed OR one lookup of their own.

    With `notes` (the store's probe), words also look in your notes, but only where some note
    has them: otherwise the SQL is exactly what it is without notes."""
    terms = query.terms if isinstance(query, And) else (query,)
    positive: list[tuple[str, bool]] = []
    negative: list[tuple[str, bool]] = []
    rest: list[Query] = []
    for term in terms:
        if isinstance(term, Not) and (expression := fts_expression(term.term)) is not None:
            negative.append((expression, plain(term.term)))
        elif not isinstance(term, Not) and (expression := fts_expression(term)) is not None:
            positive.append((expression, plain(term)))
        else:
            rest.append(term)
    parts: list[Where] = []
    match = None
    if positive:
        match = " AND ".join(e for e, _ in positive) + "".join(f" NOT {n}" for n, _ in negative)
        parts.append(Where(_FTS, (match,)))
    elif negative:
        parts.append(Where(f"NOT ({_FTS})", (" OR ".join(n for n, _ in negative),)))
    branch = _notes_branch(positive, negative, notes)
    if branch is not None:
        parts[0] = _with_notes(parts[0], branch)
    parts.extend(_condition(t, notes) for t in rest)
    if not parts:
        return Where("1")
    combined = _join(parts, "AND")
    only_match = match if len(parts) == 1 and positive and branch is None else None
    return Where(
        combined.sql,
        combined.params,
        only_match,
        combined.uses_user,
        rank=match,
        notes=branch,
        words_only=bool(positive or negative) and not rest,
    )


def _notes_branch(
    positive: list[tuple[str, bool]], negative: list[tuple[str, bool]], notes: NoteProbe | None
) -> NotesBranch | None:
    """How the top-level words reach into notes; None when no note has any of them."""
    if notes is None:
        return None
    found = [e for e, is_plain in positive if is_plain and notes(e)]
    excluded = [e for e, is_plain in negative if is_plain and notes(e)]
    if not found and not excluded:
        return None
    return NotesBranch(
        found=" OR ".join(found) or None,
        terms=tuple(positive),
        text_negative=" OR ".join(e for e, _ in negative) or None,
        note_negative=" OR ".join(excluded) or None,
    )


def notes_part(branch: NotesBranch) -> Where | None:
    """The papers found by their notes: a note has some word, and every word term is in the
    paper's text or its note, and no excluded word is in its text. None without such words."""
    if branch.found is None:
        return None
    sql = [_NOTE]
    params: list[str] = [branch.found]
    for expression, is_plain in branch.terms:
        if is_plain:
            sql.append(f"({_IN_TEXT} OR {_IN_NOTE})")
            params += [expression, expression]
        else:
            sql.append(_IN_TEXT)
            params.append(expression)
    if branch.text_negative is not None:
        sql.append(f"NOT {_IN_TEXT}")
        params.append(branch.text_negative)
    return Where(" AND ".join(sql), tuple(params))


def _with_notes(text: Where, branch: NotesBranch) -> Where:
    """The top-level words' condition (`text`, on the papers' text) widened to notes."""
    by_note = notes_part(branch)
    found = _join([text, by_note], "OR") if by_note is not None else text
    if branch.note_negative is None:
        return found
    return _join([found, Where(f"NOT {_NOTE}", (branch.note_negative,))], "AND")


def _join(parts: list[Where], op: str) -> Where:
    if len(parts) == 1:
        return parts[0]
    return Where(
        f" {op} ".join(f"({p.sql})" for p in parts),
        tuple(v for p in parts for v in p.params),
        uses_user=any(p.uses_user for p in parts),
    )


def _text(expression: str, is_plain: bool, notes: NoteProbe | None) -> Where:
    """Words in the papers' text, or (plain words, where some note has them) in a note."""
    if is_plain and notes is not None and notes(expression):
        return Where(f"({_FTS} OR {_NOTE})", (expression, expression))
    return Where(_FTS, (expression,))


def _condition(query: Query, notes: NoteProbe | None = None) -> Where:
    if isinstance(query, Words):
        return _text(fts_phrase(query), query.field is None, notes)
    if isinstance(query, Tag):
        return Where(_TAGGED, (query.name,))
    if isinstance(query, Has):
        return _HAS[query.what]
    if isinstance(query, InNote):
        return Where(_NOTE, (fts_phrase(query.words),))
    if isinstance(query, PaperIds):
        if not query.ids:
            return Where("0")
        return Where(f"p.id IN ({', '.join('?' * len(query.ids))})", tuple(query.ids))
    if isinstance(query, Is):
        return Where(_IS[query.state], uses_user=True)
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
        inner = _condition(query.term, notes)
        return Where(f"NOT COALESCE(({inner.sql}), 0)", inner.params, uses_user=inner.uses_user)
    if isinstance(query, And):
        return compile_query(query, notes) if query.terms else Where("1")
    if isinstance(query, Or):
        if not query.terms:
            return Where("0")
        expressions = [fts_expression(t) for t in query.terms]
        text = [e for e in expressions if e is not None]
        parts = [Where(_FTS, (" OR ".join(text),))] if text else []
        in_notes = [
            e
            for t, e in zip(query.terms, expressions, strict=True)
            if e is not None and plain(t) and notes is not None and notes(e)
        ]
        if in_notes:
            parts.append(Where(_NOTE, (" OR ".join(in_notes),)))
        parts += [
            _condition(t, notes) for t, e in zip(query.terms, expressions, strict=True) if e is None
        ]
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
    order_params: tuple = ()  # after the condition's


def ordered(where: Where, sort: str) -> Ordered:
    """The rows of a query in a sort order. Relevance with words ranks every match by bm25 in
    the full-text index (best first; FTS5's bm25 is negative, lower is better), then by the
    tie-breaks of the newest order; the id last keeps LIMIT/OFFSET windows stable.

    Papers whose note has the words come first (your note says it is about them), in the
    tie-breaks' order; then the others by score."""
    if sort == "relevance" and where.rank is not None and where.notes is not None:
        found = where.notes.found
        if found is None:  # notes only leave papers out: every match is in the text's match
            return Ordered(
                _RANKED, where.sql, (where.rank, *where.params), "r.score, " + SORTS["relevance"]
            )
        return Ordered(
            _RANKED_OR_NOTED,
            where.sql,
            (where.rank, *where.params),
            f"NOT ({_NOTE}), CASE WHEN {_NOTE} THEN 0 ELSE r.score END, " + SORTS["relevance"],
            (found, found),
        )
    if sort == "relevance" and where.rank is not None:
        condition = Where("1") if where.match is not None else where  # the join already matches
        return Ordered(
            _RANKED,
            condition.sql,
            (where.rank, *condition.params),
            "r.score, " + SORTS["relevance"],
        )
    return Ordered("papers p", where.sql, where.params, SORTS[sort])
