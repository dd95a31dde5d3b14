"""How a paper's text is kept once (issue 15, migration m007): each text lives in one place.

- The abstract, AI summary and keyword list are stored compressed in their columns (raw deflate
  with a preset dictionary, `pack_text`); the search index reads them through `unpack_text`, a
  SQL function every connection of the store registers, and keeps no copy of its own.
- The raw item as received is kept, for fields a later papertui may use, but without what its
  columns already hold: a title, abstract, AI summary, keywords, author names, thumbnail, id,
  links, stars or count that equals its column is taken out and put back when the raw item is
  read (`split_raw`, `join_raw`). A text that differs from its column only in whitespace
  (arXiv's hard line breaks) is taken out too, with the whitespace that differs; anything else
  stays as it came. Each is checked, when it is taken out, to come back exactly.
- A thumbnail at Hugging Face's usual address for the paper is stored as ""; titles are sorted
  through a 7-byte key (`title_key`) rather than an index holding every title a second time.

Pure functions: no SQL here beyond the function the store registers.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

# zlib starts its history with this (a preset dictionary): the item's field names and usual
# addresses, the parts every item repeats, so a short item does not pay for them in full.
# Built from the API's schema (DESIGN.md, the recorded fixtures), not from any paper's values.
# Never change it: residuals written with it start with RESIDUAL_V1; a new one needs a new tag.
_RESIDUAL_ZDICT = (
    b'"isHf":false,"isHfAdmin":false,"isMod":false,"isPro":false,"isUserFollowing":false,'
    b'"followerCount":0,"fullname":"","name":"","type":"user","user":"",'
    b'"status":"claimed_verified","statusLastChangedAt":"T00:00:00.000Z",'
    b'"githubRepoAddedBy":"","githubStars":0,"githubRepo":"https://github.com/",'
    b'"projectPage":"https://","mediaUrls":["https://cdn-uploads.huggingface.co/production/uploads/'
    b'.mp4",".png"],"discussionId":"","numComments":0,"isAuthorParticipating":false,'
    b'"submittedOnDailyAt":"T00:00:00.000Z","submittedOnDailyBy":{"_id":"","avatarUrl":'
    b'"https://cdn-avatars.huggingface.co/v1/production/uploads/","fullname":"","isPro":false,'
    b'"name":"","type":"user","user":""},"submittedBy":{"_id":"","avatarUrl":"/avatars/.svg",'
    b'"followerCount":0,"fullname":"","isHf":false,"isHfAdmin":false,"isMod":false,"isPro":false,'
    b'"isUserFollowing":false,"name":"","type":"user"},"organization":{"_id":"","avatar":'
    b'"https://cdn-avatars.huggingface.co/v1/production/uploads/","fullname":"","name":""},'
    b'"publishedAt":"T00:00:00.000Z","upvotes":0},"publishedAt":"T00:00:00.000Z",'
    b'"paper":{"authors":[{"_id":"","hidden":false},{"_id":"","hidden":false,"status":'
    b'"claimed_verified","statusLastChangedAt":"T00:00:00.000Z","user":{"_id":"","avatarUrl":'
    b'"/avatars/.svg","fullname":"","isPro":false,"type":"user","user":""}},{"_id":"","hidden":false}'
    b'],"taken":{"title":0,"summary":0,"thumbnail":0,"paper.title":0,"paper.summary":0,'
    b'"paper.ai_summary":0,"paper.ai_keywords":0,"paper.id":0,"paper.githubRepo":0,'
    b'"paper.projectPage":0,"paper.githubStars":0,"paper.upvotes":0,"numComments":0,'
    b'"paper.authors.name":0}}'
)
# The same for the texts (abstracts, AI summaries, keyword lists): words and phrases common in
# ML abstracts, written for this, not taken from any paper (bench: 753 -> 639 bytes an abstract).
# Never change it either: texts packed with it start with TEXT_V1.
_TEXT_ZDICT = (
    b'["large language models","reinforcement learning","diffusion models","benchmark",'
    b'"multimodal","vision-language models","reasoning","agents","efficiency","alignment"] '
    b"The paper presents a method that significantly outperforms existing approaches. "
    b"In this paper, we introduce a new framework for large language models (LLMs) and "
    b"vision-language models (VLMs), multimodal large language models (MLLMs). "
    b"Experimental results demonstrate that our method achieves state-of-the-art performance "
    b"on multiple benchmarks, while reducing the computational cost and memory. Extensive "
    b"experiments show the effectiveness of the proposed method. However, existing approaches "
    b"often suffer from limited generalization and high inference latency. To address this "
    b"challenge, we present a simple yet effective training strategy based on reinforcement "
    b"learning (RL), supervised fine-tuning (SFT), pre-training, post-training, alignment, "
    b"reasoning, chain-of-thought (CoT), diffusion models, transformer architecture, attention "
    b"mechanism, multimodal understanding and generation, text-to-image, image, video, audio, "
    b"speech, text, code, data, dataset, evaluation, tasks, agents, robotics, policy, reward "
    b"model, tokens, parameters, scaling, efficiency, accuracy, quality, robustness, safety. "
    b"Code and models are available at https://github.com/ . Our results suggest that these "
    b"models can be improved by leveraging the knowledge of the model to achieve better results "
    b"than the baseline across a wide range of downstream tasks, including question answering, "
    b"mathematical reasoning and retrieval-augmented generation (RAG). We find that the "
    b"performance of the model is highly dependent on the quality of the training data. "
    b"Furthermore, we demonstrate that our approach generalizes to unseen domains and "
    b"outperforms prior work. These findings highlight the importance of the proposed framework "
    b"and provide insights for future research. We propose a novel approach that "
)
TEXT_V1 = b"\x02"  # a text deflated with _TEXT_ZDICT (zlib streams start 0x?8, never 0x02)
RESIDUAL_V1 = b"\x01"  # a residual (below), deflated with _RESIDUAL_ZDICT
_LEVEL = 6  # ~10% smaller than level 1 on these short texts, for ~15 µs a paper more
_MIN_PACKED = 60  # shorter texts gain nothing from compression: they stay text

DIGEST_BYTES = 8  # of the SHA-1 that tells a changed item: enough to tell, a fifth of its hex
STANDARD_THUMBNAIL = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{}.png"

# Where the raw item holds each column's text: (path in the item, column).
_TAKEN = (
    (("title",), "title"),
    (("summary",), "abstract"),
    (("thumbnail",), "thumbnail"),
    (("paper", "title"), "title"),
    (("paper", "summary"), "abstract"),
    (("paper", "ai_summary"), "ai_summary"),
    (("paper", "ai_keywords"), "ai_keywords"),
    (("paper", "id"), "id"),
    (("paper", "githubRepo"), "github_repo"),
    (("paper", "projectPage"), "project_page"),
    (("paper", "githubStars"), "github_stars"),
    (("paper", "upvotes"), "upvotes"),
    (("numComments",), "num_comments"),
)
_NAMES = "paper.authors.name"  # every author's name, when they are the authors column
_WHITESPACE = re.compile(r"\s+")


# ---- the texts -------------------------------------------------------------------------------


def pack_text(text: str | None) -> str | bytes | None:
    """A text compressed when that makes it smaller; short ones stay text (both are read back
    by `unpack_text`, so a column may hold either)."""
    if text is None or len(text) < _MIN_PACKED:
        return text
    data = text.encode()
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, zdict=_TEXT_ZDICT)
    packed = TEXT_V1 + deflate.compress(data) + deflate.flush()
    return packed if len(packed) < len(data) else text


def unpack_text(value: Any) -> Any:
    """A text column's value as text, however it was stored (also the SQL function the index
    reads the columns through). A damaged value reads as "" rather than failing a whole search."""
    if isinstance(value, bytes):
        try:
            if value[:1] == TEXT_V1:
                inflate = zlib.decompressobj(-15, zdict=_TEXT_ZDICT)
                return (inflate.decompress(value[1:]) + inflate.flush()).decode()
            return zlib.decompress(value).decode()
        except (zlib.error, UnicodeDecodeError):
            return ""
    return value


def title_key(title: str) -> int:
    """The title's first 7 bytes as SQLite's NOCASE compares them (ASCII letters folded), as a
    number: an index of these orders papers as `title COLLATE NOCASE` does up to ties, which
    the sort then breaks by the whole title. A fifth of the size of an index of whole titles,
    which would be the title stored twice."""
    return int.from_bytes(title.encode()[:7].lower().ljust(7, b"\0"), "big")


def register(conn) -> None:
    """The SQL function the search index reads the packed columns through (see schema m007)."""
    conn.create_function("unpack_text", 1, _index_text, deterministic=True)


# The texts of the rows this thread is writing, by their packed form (`texts_in_hand`).
_in_hand = threading.local()


@contextmanager
def texts_in_hand(rows: Iterable[dict]) -> Iterator[None]:
    """While `rows` (from `rows.prepare_row`, which keeps each packed text's plain one in
    `_texts`) are written: the index reads their new texts from the plain ones instead of
    unpacking what was packed a moment before. Unpacking held the GIL for 90 us a paper, which
    the thread preparing the next rows was waiting for. The same value whichever way it comes:
    a packed text is the packing of exactly one text."""
    known: dict[bytes, str] = {}
    for row in rows:
        known.update(row.get("_texts") or ())
    previous = getattr(_in_hand, "texts", None)
    _in_hand.texts = known
    try:
        yield
    finally:
        _in_hand.texts = previous


def _index_text(value: Any) -> Any:
    if isinstance(value, bytes):
        known = getattr(_in_hand, "texts", None)
        if known:
            found = known.get(value)
            if found is not None:
                return found
    return unpack_text(value)


def stored_thumbnail(paper_id: str, thumbnail: str | None) -> str | None:
    """The thumbnail column's value: "" for Hugging Face's usual address of this paper's."""
    return "" if thumbnail == STANDARD_THUMBNAIL.format(paper_id) else thumbnail


def read_thumbnail(paper_id: str, stored: str | None) -> str | None:
    return STANDARD_THUMBNAIL.format(paper_id) if stored == "" else stored


# The columns a raw item's texts come back from, in the order `stored_columns` takes them.
RAW_COLUMNS = (
    "id, title, abstract, ai_summary, ai_keywords, authors, thumbnail, github_repo, "
    "project_page, github_stars, upvotes, num_comments"
)


def stored_columns(
    paper_id, title, abstract, ai_summary, keywords, authors, thumbnail, *numbers
) -> dict[str, Any]:
    """A stored row's `RAW_COLUMNS` as `split_raw`/`join_raw` take them: texts unpacked, the
    JSON lists as lists (None when damaged), the thumbnail's full address."""
    github_repo, project_page, github_stars, upvotes, num_comments = numbers
    return {
        "id": paper_id,
        "title": title,
        "abstract": unpack_text(abstract),
        "ai_summary": unpack_text(ai_summary),
        "ai_keywords": _json_list(unpack_text(keywords)),
        "authors": _json_list(authors),
        "thumbnail": read_thumbnail(paper_id, thumbnail),
        "github_repo": github_repo,
        "project_page": project_page,
        "github_stars": github_stars,
        "upvotes": upvotes,
        "num_comments": num_comments,
    }


def _json_list(text: str | None) -> list | None:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return None
    return value if isinstance(value, list) else None


# ---- the raw item without its columns' texts --------------------------------------------------


def split_raw(raw: dict, columns: dict[str, Any]) -> bytes:
    """`raw` (the item as received) without the texts `columns` hold, compressed: what the
    papers' `raw` column stores. `join_raw` with the same columns gives back exactly `raw`."""
    return pack_residual(residual_of(raw, columns))


def pack_residual(residual: bytes) -> bytes:
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, zdict=_RESIDUAL_ZDICT)
    return RESIDUAL_V1 + deflate.compress(residual) + deflate.flush()


def residual_of(raw: dict, columns: dict[str, Any]) -> bytes:
    """`raw` without the texts `columns` hold, as canonical JSON (keys sorted: the same item
    always gives the same bytes, which the digest hashes). `columns` are the row's values as
    the store writes them, before packing: text, and `authors` and `ai_keywords` as lists.
    Each text is only taken out once it is checked to come back the same."""
    item = dict(raw)  # copies of the objects changed only: `raw` stays as it is
    if isinstance(item.get("paper"), dict):
        item["paper"] = dict(item["paper"])
    taken: dict[str, Any] = {}
    for path, column in _TAKEN:
        parent = _parent(item, path)
        if parent is None or path[-1] not in parent:
            continue
        how = _how_taken(parent[path[-1]], columns.get(column))
        if how is not None:
            del parent[path[-1]]
            taken[".".join(path)] = how
    paper = item.get("paper")
    authors = paper.get("authors") if isinstance(paper, dict) else None
    if (
        isinstance(paper, dict)
        and isinstance(authors, list)
        and authors
        and all(isinstance(a, dict) and isinstance(a.get("name"), str) for a in authors)
        and [a["name"] for a in authors] == columns.get("authors")
    ):
        paper["authors"] = [{k: v for k, v in a.items() if k != "name"} for a in authors]
        taken[_NAMES] = 0
    residual = {"item": item, "taken": taken}
    return json.dumps(residual, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# What the digest covers besides the raw item's residual: the columns as `rows.prepare_row`
# makes them (texts plain, `authors` and `ai_keywords` as JSON text).
DIGEST_COLUMNS = (
    "id title abstract authors organization published_at submitted_at day upvotes num_comments "
    "github_repo github_stars project_page ai_summary ai_keywords thumbnail"
).split()


def digest_of(columns: dict[str, Any], residual: bytes) -> bytes:
    """What tells a changed item from the same one again: the hash of the columns' JSON, then
    the residual's. Together they hold the whole item (the residual all the columns don't),
    so any change to it changes the digest; keys in another order don't."""
    digest = hashlib.sha1(
        json.dumps([columns[c] for c in DIGEST_COLUMNS], ensure_ascii=False).encode()
    )
    digest.update(residual)
    return digest.digest()[:DIGEST_BYTES]


def join_raw(blob: bytes | str, columns: dict[str, Any]) -> dict | None:
    """The raw item back from what `split_raw` stored (or from a whole item, zlib or text, as
    papertui stored it before), with its texts from `columns` (the row's values, unpacked,
    `authors` and `ai_keywords` as lists). None for a value that can't be read (damaged)."""
    try:
        if isinstance(blob, bytes) and blob[:1] == RESIDUAL_V1:
            inflate = zlib.decompressobj(-15, zdict=_RESIDUAL_ZDICT)
            residual = json.loads(inflate.decompress(blob[1:]) + inflate.flush())
            if not isinstance(residual, dict) or not isinstance(residual.get("item"), dict):
                return None
            return _put_texts_back(residual["item"], residual.get("taken") or {}, columns)
        if isinstance(blob, bytes):
            blob = zlib.decompress(blob).decode()
        data = json.loads(blob)
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError, TypeError, KeyError):
        return None
    return data if isinstance(data, dict) else None


def _put_texts_back(item: dict, taken: dict, columns: dict[str, Any]) -> dict:
    for path, column in _TAKEN:
        how = taken.get(".".join(path))
        if how is None:
            continue
        parent = _parent(item, path, create=True)
        if parent is not None:
            parent[path[-1]] = _put_back(columns.get(column), how)
    if _NAMES in taken:
        paper = item.get("paper")
        authors = paper.get("authors") if isinstance(paper, dict) else None
        names = columns.get("authors") or []
        if isinstance(authors, list) and len(authors) == len(names):
            for author, name in zip(authors, names, strict=True):
                if isinstance(author, dict):
                    author["name"] = name
    return item


def _how_taken(value: Any, column: Any) -> Any:
    """How `value` comes back from `column`: 0 when equal, the whitespace that differs for a
    text equal but for its whitespace, None when it can't (it stays in the raw item)."""
    if column is None or type(value) is not type(column):
        return None
    if value == column:
        return 0
    if not isinstance(value, str):
        return None
    words = value.split()
    if not words or words != column.split():
        return None
    runs = _runs(value)
    spaced = {i: run for i, run in enumerate(runs) if run != (" " if 0 < i < len(runs) - 1 else "")}
    how = [[i, run] for i, run in spaced.items()]
    return how if _put_back(column, how) == value else None


def _put_back(column: Any, how: Any) -> Any:
    if how == 0 or not isinstance(column, str):
        return column
    words = column.split()
    runs = [""] + [" "] * (len(words) - 1) + [""] if words else [""]
    for i, run in how:
        if 0 <= i < len(runs):
            runs[i] = run
    out = [runs[0]]
    for word, run in zip(words, runs[1:], strict=False):
        out += [word, run]
    return "".join(out)


def _runs(text: str) -> list[str]:
    """The whitespace before the first word, between words and after the last (str.split's)."""
    runs = _WHITESPACE.findall(text)
    if not text[:1].isspace():
        runs.insert(0, "")
    if not text[-1:].isspace():
        runs.append("")
    return runs


def _parent(item: dict, path: tuple[str, ...], create: bool = False) -> dict | None:
    """The object holding `path`'s last key (`path[:-1]`'s value), or None."""
    node: Any = item
    for key in path[:-1]:
        if not isinstance(node, dict):
            return None
        if key not in node:
            if not create:
                return None
            node[key] = {}
        node = node[key]
    return node if isinstance(node, dict) else None
