"""Relevance windows: the rows of a list ranked by bm25, a window at a time, without ranking
every match in SQL for every window.

Ranking every match in SQL (bm25 for each, joined to `papers`, sorted with the tie-breaks) costs
the same for every window, 300-420 ms at 100,000 papers for a word in 90% of them. Instead:

- the index's best matches by score alone come from one pass with a bounded sorter and no join
  (`TOP_RANKED`); every match by score (`ALL_RANKED`) only when a window lies deeper;
- a `Ranking` knows how far it is certain: every match scoring better than its `bound` is in it,
  so a window is exact when the last paper of the window scores better than the bound (papers
  tied with it are then all present, and the tie-breaks can be applied to them);
- a condition besides the words (`is:unread`, `date:`, `upvotes:`, ...): one pass over the index
  that scores only the papers meeting it (`FILTERED_RANKED`), kept, which also gives the total;
  or, when the words alone are ranked already, the condition evaluated on that ranking a chunk
  at a time, best first, until the window is certain;
- the tie-breaks (newest day, then upvotes, then id: `SORTS["relevance"]`) are applied in Python
  to the papers tied around the window only.

Rankings are kept per full-text expression (a few, least recently used first out) while the
full-text index is unchanged: its averages and structure records change with every write to it,
whichever connection makes it. Filtered rankings also depend on the reader's state (`is:unread`),
so they are kept only while nothing at all was written to the cache.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from math import inf
from typing import Any

from .search import ALL_RANKED, FILTERED_RANKED, TOP_RANKED, UNREAD_RANKED, Where, unread_words

FIRST_WINDOWS = 2_000  # windows ending this deep start from the index's best by score alone
TOP_AT_LEAST = 1_000  # the fewest best matches taken in that first pass
CHUNK = 500  # papers per statement when a condition is evaluated on ranked papers
KEEP = 4  # rankings kept (and as many filtered rankings)
# The full-text index's averages (1) and structure (10) records: every write to the index
# rewrites them (totals of rows and tokens; segments and a write counter).
_INDEX_STATE = "SELECT block FROM papers_fts_data WHERE id IN (1, 10) ORDER BY id"
_PASSING = "SELECT p.pk FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id WHERE {}"

Fetch = Callable[[list[int]], list[dict[str, Any]]]


@dataclass(frozen=True)
class Ranking:
    """Papers best first by bm25 score (lower is better; ties in no particular order). Every
    paper of the population ranked that scores better than `bound` is here; `inf`: all are."""

    scores: array[float]
    pks: array[int]
    bound: float

    @cached_property
    def certain(self) -> int:
        """How many leading entries are in place: none left out can come before them."""
        return bisect_left(self.scores, self.bound)

    @classmethod
    def of(cls, rows: list[tuple[float, int]], bound: float) -> Ranking:
        return cls(array("d", (r[0] for r in rows)), array("q", (r[1] for r in rows)), bound)

    def window(self, offset: int, limit: int, fetch: Fetch) -> list[dict[str, Any]] | None:
        """Rows `offset` to `offset + limit` in relevance order (score, then the tie-breaks), read
        with `fetch` (rows with `_pk`, `day`, `upvotes`, `id`); None when this ranking is not
        certain that far."""
        end = offset + limit
        if self.bound == inf:
            end = min(end, len(self.scores))
        if offset >= end:
            return []
        if end > self.certain:
            return None
        first, last = self.scores[offset], self.scores[end - 1]
        start, stop = bisect_left(self.scores, first), bisect_right(self.scores, last)
        if stop > self.certain:  # papers tied with the last may be missing
            return None
        scores = dict(zip(self.pks[start:stop], self.scores[start:stop], strict=True))
        rows = fetch(list(scores))
        # The relevance order, key by key from the last (Python's sort is stable).
        rows.sort(key=lambda r: r["id"], reverse=True)
        rows.sort(key=lambda r: r["upvotes"], reverse=True)
        rows.sort(key=lambda r: r["day"] or "", reverse=True)  # NULL last, as SQLite's DESC
        rows.sort(key=lambda r: scores[r["_pk"]])
        return rows[offset - start : end - start]

    def filtered(self, passing: Callable[[list[int]], set[int]], wanted: int) -> Ranking:
        """The papers that pass a condition, evaluated a chunk at a time from the best on until
        `wanted` pass and every paper tied with the last of those is evaluated (or none is left)."""
        scores, pks = array("d"), array("q")
        done = 0
        while done < len(self.pks):
            chunk = list(self.pks[done : done + CHUNK])
            kept = passing(chunk)
            for i, pk in enumerate(chunk, done):
                if pk in kept:
                    scores.append(self.scores[i])
                    pks.append(pk)
            done += len(chunk)
            if len(scores) >= wanted and (
                done == len(self.pks) or scores[wanted - 1] < self.scores[done]
            ):
                break
        bound = self.scores[done] if done < len(self.scores) else self.bound
        return Ranking(scores, pks, bound)


class Ranker:
    """Relevance windows over one connection, with the rankings it keeps. The caller holds the
    store's lock around every call."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.writes = 0  # bumped by the store for each of its own write transactions
        self._rankings: OrderedDict[str, tuple[tuple, Ranking]] = OrderedDict()
        self._filtered: OrderedDict[tuple, tuple[tuple, Ranking]] = OrderedDict()

    def clear(self) -> None:
        self._rankings.clear()
        self._filtered.clear()

    def window(self, where: Where, offset: int, limit: int, fetch: Fetch) -> list[dict[str, Any]]:
        """Rows `offset` to `offset + limit` of a query with words (`where.rank`) in relevance
        order, exactly as `ordered(where, "relevance")` gives them."""
        assert where.rank is not None
        if limit <= 0:
            return []
        wanted = offset + limit
        if where.rest is None:
            rows = self.ranking(where.rank, wanted).window(offset, limit, fetch)
            if rows is None:  # ties straddle the end of the best taken: take every match
                rows = self.ranking(where.rank, None).window(offset, limit, fetch)
        else:
            rows = None
            kept = self._kept(self._filtered, _key(where), self._state())
            words = self._kept(self._rankings, where.rank, self._index_state())
            if kept is None and words is not None and wanted <= FIRST_WINDOWS:
                # The words alone are ranked already (the search before `is:unread` was
                # toggled): the condition is evaluated on that ranking, best first.
                rows = words.filtered(self._passer(where.rest), wanted).window(offset, limit, fetch)
            if rows is None:
                rows = (kept or self.filtered(where)).window(offset, limit, fetch)
        assert rows is not None  # a complete ranking is certain all the way
        return rows

    def count(self, where: Where) -> int | None:
        """How many papers match, when a complete ranking of the query is at hand."""
        if where.rank is None:
            return None
        if where.rest is None:
            kept = self._kept(self._rankings, where.rank, self._index_state())
        else:
            kept = self._kept(self._filtered, _key(where), self._state())
        return len(kept.pks) if kept is not None and kept.bound == inf else None

    def ranking(self, expression: str, wanted: int | None) -> Ranking:
        """The matches of a full-text expression by score: certain for at least `wanted`
        entries, or all of them (`wanted` None). A first pass takes the best few (at least
        four times `wanted`); when a later window needs more, the next pass takes them all."""
        state = self._index_state()
        kept = self._kept(self._rankings, expression, state)
        if kept is not None and (
            kept.bound == inf or (wanted is not None and kept.certain >= wanted)
        ):
            return kept
        ranking = None
        if wanted is not None and wanted <= FIRST_WINDOWS and kept is None:  # else: all of them
            size = max(TOP_AT_LEAST, 4 * wanted)
            best = self.conn.execute(TOP_RANKED, (expression, size)).fetchall()
            ranking = Ranking.of(best, best[-1][0] if len(best) >= size else inf)
            if ranking.certain < wanted and ranking.bound != inf:
                ranking = None
        if ranking is None:
            ranking = Ranking.of(self.conn.execute(ALL_RANKED, (expression,)).fetchall(), inf)
        _keep(self._rankings, expression, state, ranking)
        return ranking

    def filtered(self, where: Where) -> Ranking:
        """Every paper matching a query with words and a condition besides, by score: one pass
        over the index that scores only the papers meeting the condition."""
        assert where.rank is not None and where.rest is not None
        state = self._state()
        kept = self._kept(self._filtered, _key(where), state)
        if kept is None:
            if unread_words(where) is not None:
                sql, params = UNREAD_RANKED, (where.rank,)
            else:
                sql, params = (
                    FILTERED_RANKED.format(where.rest.sql),
                    (where.rank, *where.rest.params),
                )
            kept = Ranking.of(self.conn.execute(sql, params).fetchall(), inf)
            _keep(self._filtered, _key(where), state, kept)
        return kept

    def _passer(self, rest: Where) -> Callable[[list[int]], set[int]]:
        def passing(pks: list[int]) -> set[int]:
            sql = _PASSING.format(f"p.pk IN ({', '.join('?' * len(pks))}) AND ({rest.sql})")
            return {pk for (pk,) in self.conn.execute(sql, (*pks, *rest.params))}

        return passing

    def _index_state(self) -> tuple:
        return tuple(row[0] for row in self.conn.execute(_INDEX_STATE))

    def _state(self) -> tuple:
        """Changes with any write to the cache: another connection's (data_version), ours."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return (version, self.writes, self._index_state())

    @staticmethod
    def _kept(cache: OrderedDict, key: Any, state: tuple) -> Ranking | None:
        found = cache.get(key)
        if found is None or found[0] != state:
            return None
        cache.move_to_end(key)
        return found[1]


def _keep(cache: OrderedDict, key: Any, state: tuple, ranking: Ranking) -> None:
    cache[key] = (state, ranking)
    cache.move_to_end(key)
    while len(cache) > KEEP:
        cache.popitem(last=False)


def _key(where: Where) -> tuple:
    assert where.rest is not None
    return (where.rank, where.rest.sql, where.rest.params)
