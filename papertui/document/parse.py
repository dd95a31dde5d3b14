"""A paper's Markdown (untrusted) into the document model, a piece at a time.

markdown-it-py (CommonMark, tables, strikethrough; from mdit-py-plugins: `$..$`/`$$..$$` math,
footnotes, bare-URL links) parses it; HTML in the text is shown as text, never interpreted.

The text is made safe and cut into pieces at its headings (outside code and math) by
`source.py`, and parsed piece by piece, so the first screen of a long paper is ready after
parsing its first sections (`Builder.step`). Footnote labels and link reference definitions are
read from the whole text first, so a reference resolves whichever piece it is in.

Besides what `source.py` bounds before parsing:
- every piece of text is cleaned again after entity decoding (`&#x202e;` is a bidi override);
- nesting beyond markdown-it's `maxNesting` is cut, and the rest of that piece is parsed again
  paragraph by paragraph, so one deep structure loses only itself;
- a paragraph longer than MAX_INLINE_CHARS is shown as plain text, and so is every paragraph
  once inline parsing has taken INLINE_BUDGET seconds in all (inline parsing is the slow part of
  markdown-it: runs of `[a](` cost it ~10 µs a character, 20 s for 2 MB);
- tables keep MAX_TABLE_COLUMNS columns, code blocks MAX_CODE_LINES lines, a document
  MAX_LINKS numbered links; each cut is said in the text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from ..links import safe_url
from ..plural import plural
from ..text import strip_controls
from .mathtext import display_math, inline_math
from .model import Block, Cell, Document, Heading, Kind, Link, Span, Table
from .source import CUT_ROWS, MAX_TABLE_ROWS, pieces, prepare
from .source import paragraphs as _paragraphs

MAX_INLINE_CHARS = 50_000
MAX_NESTING = 24  # markdown-it token levels: about ten lists deep
MAX_TABLE_COLUMNS = 40
MAX_LINK_TEXT = 200
MAX_CODE_LINES = 5_000
MAX_LINKS = 5_000  # numbered links (the links menu lists them all)
MAX_HEADINGS = 20_000  # headings in the outline (and named in the status line)
INLINE_BUDGET = 4.0  # seconds of inline parsing per document; the rest is shown as plain text

_FOOTNOTE_DEF = re.compile(r"^[ \t]{0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)
_REFERENCE_DEF = re.compile(r"^[ \t]{0,3}\[(?!\^)[^\]\n]{1,999}\]:[ \t]*\S.*$", re.MULTILINE)
_SECTION_NUMBER = re.compile(r"((?:\d{1,2}|[A-Z])(?:\.\d{1,3})+|\d{1,2})\.?\s+\S")
_CAPTION = re.compile(r"(?:Figure|Fig\.|Table|Algorithm|Listing)\s*[A-Z]?\d+[.:]", re.IGNORECASE)
_NO_ALT = {"", "refer to caption", "image", "figure"}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The parser (built once; parsing keeps its state per call, so threads may share it)."""
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    try:  # the plugins ship with mdit-py-plugins, which Textual requires
        from mdit_py_plugins.dollarmath import dollarmath_plugin
        from mdit_py_plugins.footnote import footnote_plugin

        md.use(
            dollarmath_plugin,
            allow_labels=True,
            allow_space=False,  # pandoc's rule: "costs $5 and $10" is not math
            allow_digits=False,
            allow_blank_lines=False,
            double_inline=True,
        )
        md.use(footnote_plugin, inline=False, move_to_end=False)
    except ImportError:  # pragma: no cover - an older mdit-py-plugins: math shows as text
        pass
    try:
        from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

        md.use(gfm_autolink_plugin)
    except ImportError:  # pragma: no cover - mdit-py-plugins before 0.5: bare URLs stay text
        pass
    md.core.ruler.at("inline", _bounded_inline)
    return md


def _bounded_inline(state: StateCore) -> None:
    """markdown-it's inline step, except that an overlong paragraph stays plain text, and so
    does every paragraph once the document's inline budget is spent (`env["deadline"]`)."""
    deadline = state.env.get("deadline")
    for token in state.tokens:
        if token.type != "inline":
            continue
        long = len(token.content) > MAX_INLINE_CHARS
        if long or (deadline is not None and time.monotonic() > deadline):
            text = Token("text", "", 0)
            text.content = token.content
            token.children = [text]
            token.meta = {"plain": "long" if long else "slow"}
        else:
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


# ---- tokens into blocks ------------------------------------------------------------------


@dataclass
class _Context:
    """What the walk over one piece's tokens needs to know about where it is."""

    quote: int = 0
    lists: list[list[int]] = field(default_factory=list)  # [ordered?, next number]
    marker: str = ""  # a list item's marker, for the first block inside it
    footnote: str | None = None  # label of the footnote being defined, for its first block
    in_footnote: int = 0


class Builder:
    """Parses a document a piece at a time: `step()` until `done`; `document` grows."""

    def __init__(
        self,
        markdown_text: str,
        *,
        fallback: bool = False,
        pdf_url: str | None = None,
        budget: float = INLINE_BUDGET,
    ):
        text, cut_notice = prepare(markdown_text)
        self._budget = budget
        self._spent = 0.0
        self.document = Document(complete=False)
        self._pieces = pieces(text)
        self._cut_notice = cut_notice
        self._env = self._global_env(text)
        self._said: set[str] = set()
        self._seen_heading = False
        self._headings_cut = False
        self._pending: list[Block] | None = None
        if fallback:
            self._fallback_notice(pdf_url)
        self.done = False

    def _global_env(self, text: str) -> dict[str, Any]:
        """Footnote labels and link reference definitions of the whole text, for every piece."""
        env: dict[str, Any] = {}
        labels = {f":{label}": -1 for label in _FOOTNOTE_DEF.findall(text)}
        if labels:
            env["footnotes"] = {"refs": labels, "list": {}}
        definitions = _REFERENCE_DEF.findall(text)
        if definitions and len(definitions) <= 10_000:
            scratch: dict[str, Any] = {}
            markdown().parse("\n\n".join(definitions), scratch)
            if scratch.get("references"):
                env["references"] = scratch["references"]
        return env

    def _fallback_notice(self, pdf_url: str | None) -> None:
        spans = [
            Span(
                "arXiv has no HTML version of this paper, so this is the text of its Hugging Face "
                "page (about the abstract), not the paper itself.",
                "notice",
            )
        ]
        if pdf_url:
            number = self._link(pdf_url, "PDF")
            spans += [Span(" The PDF: ", "notice"), Span(pdf_url, "link", number)]
            spans.append(Span(f"[{number}]", "link-num", number))
        self._add(Block(Kind.NOTICE, spans))

    def step(self) -> bool:
        """Parse the next piece; False once the whole text is parsed."""
        if self.done:
            return False
        piece = next(self._pieces, None)
        if piece is None:
            if self._cut_notice:
                self._notice(self._cut_notice)
            self.done = True
            self.document.complete = True
            return False
        self._parse_piece(piece)
        return True

    def run(self) -> Document:
        while self.step():
            pass
        return self.document

    def until(self, blocks: int) -> Document:
        """Parse until the document has at least `blocks` blocks (or is whole)."""
        while len(self.document.blocks) < blocks and self.step():
            pass
        return self.document

    def _parse_piece(self, piece: str, retry: bool = True) -> None:
        env = {
            key: (dict(value) if key == "references" else value) for key, value in self._env.items()
        }
        if "footnotes" in env:
            env["footnotes"] = {"refs": dict(env["footnotes"]["refs"]), "list": {}}
        started = time.monotonic()
        env["deadline"] = started + self._budget - self._spent
        tokens = markdown().parse(piece, env)
        self._spent += time.monotonic() - started
        cut = any(token.level >= MAX_NESTING - 1 for token in tokens)
        if cut and retry and len(parts := _paragraphs(piece)) > 1:
            for part in parts:  # one deep structure costs only its own paragraph
                self._parse_piece(part, retry=False)
            return
        self._walk(tokens)
        if cut:
            self._notice(
                "Something here is nested too deeply to show (lists or quotes more than about "
                "ten levels deep); the rest of it is left out."
            )

    # ---- the walk ---------------------------------------------------------------------

    def _walk(self, tokens: list[Token]) -> None:
        context = _Context()
        pending: list[Block] = []  # the piece's blocks, before figures meet their captions
        self._pending = pending
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "heading_open":
                inline = tokens[index + 1]
                pending.append(self._heading(int(token.tag[1:] or 1), inline, context))
                index += 3
                continue
            if kind == "paragraph_open":
                inline = tokens[index + 1]
                pending.append(self._paragraph(inline, context))
                index += 3
                continue
            if kind == "blockquote_open":
                context.quote += 1
            elif kind == "blockquote_close":
                context.quote -= 1
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = token.attrGet("start")
                number = int(start) if isinstance(start, int | str) and str(start).isdigit() else 1
                context.lists.append([kind == "ordered_list_open", number])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                if context.lists:
                    context.lists.pop()
            elif kind == "list_item_open":
                context.marker = self._item_marker(token, context)
            elif kind in ("fence", "code_block"):
                pending.append(self._code(token, context))
            elif kind in ("math_block", "math_block_label"):
                pending.append(self._math(token, context))
            elif kind == "table_open":
                index, block = self._table(tokens, index, context)
                pending.append(block)
                continue
            elif kind == "hr":
                pending.append(Block(Kind.RULE, quote=context.quote, depth=len(context.lists)))
            elif kind == "footnote_reference_open":
                context.footnote = str((token.meta or {}).get("label", ""))
                context.in_footnote += 1
            elif kind == "footnote_reference_close":
                context.in_footnote -= 1
                context.footnote = None
            elif kind in ("html_block", "html_inline") or (kind == "inline" and token.content):
                pending.append(
                    Block(Kind.PARAGRAPH, [Span(_clean(token.content))], quote=context.quote)
                )
            index += 1
        self._pending = None
        for block in _with_figures(pending, self.document.links):
            self._add(block)

    def _add(self, block: Block) -> None:
        document = self.document
        if block.kind in (Kind.TITLE, Kind.HEADING):
            if len(document.headings) < MAX_HEADINGS:
                title = block.text.strip()[:MAX_LINK_TEXT]
                document.headings.append(
                    Heading(len(document.blocks), block.level, block.number, title)
                )
            elif not self._headings_cut:
                self._headings_cut = True
                self._notice(  # in the text where the contents stop, as well as in `notices`
                    f"The contents list the first {MAX_HEADINGS:,} headings; the ones from "
                    "here on are not in them."
                )
        document.blocks.append(block)

    def _notice(self, text: str) -> None:
        if text not in self._said:  # each kind of cut is said once, where it first happens
            self._said.add(text)
            self.document.notices.append(text)
            block = Block(Kind.NOTICE, [Span(text, "notice")])
            if self._pending is not None:  # in the middle of a piece: in its place
                self._pending.append(block)
            else:
                self._add(block)

    def _item_marker(self, token: Token, context: _Context) -> str:
        if not context.lists:
            return "•"
        current = context.lists[-1]
        if current[0]:
            info = token.info if token.info.isdigit() else str(current[1])
            current[1] = int(info) + 1 if len(info) < 10 else current[1] + 1
            return f"{int(info)}." if len(info) < 10 else f"{info[:9]}."
        return ("•", "◦", "▪")[(len(context.lists) - 1) % 3]

    def _take_marker(self, context: _Context) -> str:
        marker, context.marker = context.marker, ""
        return marker

    def _heading(self, level: int, inline: Token, context: _Context) -> Block:
        spans = self._inline(inline)
        text = "".join(span.text for span in spans).strip()
        number_match = _SECTION_NUMBER.match(text)
        number = number_match.group(1) if number_match else ""
        kind = Kind.TITLE if level == 1 and not self._seen_heading else Kind.HEADING
        self._seen_heading = True
        style = "title" if kind is Kind.TITLE else f"h{min(level, 4)}"
        for span in spans:
            span.style = f"{style} {span.style}".strip()
        return Block(kind, spans, level=level, number=number, quote=context.quote)

    def _paragraph(self, inline: Token, context: _Context) -> Block:
        spans = self._inline(inline)
        plain = inline.meta.get("plain") if inline.meta else None
        if plain == "long":
            self._notice(
                f"A paragraph longer than {MAX_INLINE_CHARS:,} characters is shown as plain text."
            )
        elif plain == "slow":
            self._notice(
                "From here on the text is shown without its formatting: it took too long to "
                "parse (links, emphasis and math are plain text)."
            )
        depth = len(context.lists)
        if context.in_footnote:
            label = context.footnote or ""
            context.footnote = None
            return Block(
                Kind.FOOTNOTE, spans, marker=_footnote_mark(label) if label else "", depth=depth
            )
        block = Block(
            Kind.PARAGRAPH,
            spans,
            depth=depth,
            quote=context.quote,
            marker=self._take_marker(context),
        )
        if not block.depth and _CAPTION.match(block.text):
            block.kind = Kind.CAPTION
        return block

    def _code(self, token: Token, context: _Context) -> Block:
        lines = [line.rstrip() for line in _clean_lines(token.content).split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        if len(lines) > MAX_CODE_LINES:
            left = len(lines) - MAX_CODE_LINES
            self._notice(f"Code blocks are shown up to {MAX_CODE_LINES:,} lines.")
            lines = [*lines[:MAX_CODE_LINES], f"… ({plural(left, 'more line')})"]
        language = _clean(token.info.split()[0]) if token.info.strip() else ""
        return Block(
            Kind.CODE,
            lines=lines or [""],
            label=language[:30],
            depth=len(context.lists),
            quote=context.quote,
            marker=self._take_marker(context),
        )

    def _math(self, token: Token, context: _Context) -> Block:
        lines, converted = display_math(token.content)
        label = _clean(token.info)[:20] if token.type == "math_block_label" else ""
        return Block(
            Kind.MATH,
            lines=lines,
            label=f"({label})" if label else "",
            converted=converted,
            depth=len(context.lists),
            quote=context.quote,
            marker=self._take_marker(context),
        )

    def _table(self, tokens: list[Token], index: int, context: _Context) -> tuple[int, Block]:
        head: list[Cell] = []
        rows: list[list[Cell]] = []
        align: list[str] = []
        row: list[Cell] = []
        cut_rows = cut_columns = 0
        in_head = False
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "table_close":
                index += 1
                break
            if kind == "thead_open":
                in_head = True
            elif kind == "thead_close":
                in_head = False
            elif kind == "tr_open":
                row = []
            elif kind == "tr_close":
                if row and row[0].text.startswith(CUT_ROWS):
                    count = row[0].text[1:]
                    cut_rows += int(count) if count.isdigit() else 0
                elif in_head:
                    head = row
                elif len(rows) < MAX_TABLE_ROWS:
                    rows.append(row)
                else:
                    cut_rows += 1
            elif kind in ("th_open", "td_open"):
                if len(row) >= MAX_TABLE_COLUMNS:
                    cut_columns = max(cut_columns, 1)
                    index += 3
                    continue
                if in_head:
                    style = str(token.attrGet("style") or "")
                    align.append(style.partition(":")[2].strip() or "left")
                inline = tokens[index + 1]
                row.append(Cell(self._inline(inline) if inline.type == "inline" else []))
                index += 3
                continue
            index += 1
        columns = max([len(head), *(len(r) for r in rows)] or [0])
        if cut_columns:
            cut_columns = 1  # more than MAX_TABLE_COLUMNS: the count is not kept
        table = Table(head, rows, align + ["left"] * (columns - len(align)), cut_rows, cut_columns)
        block = Block(Kind.TABLE, table=table, depth=len(context.lists), quote=context.quote)
        if cut_rows:
            block.label = (
                f"{plural(cut_rows, 'more row')} not shown: tables are shown up to "
                f"{MAX_TABLE_ROWS:,} rows"
            )
        if cut_columns:
            block.label = (block.label + "; " if block.label else "") + (
                f"columns after the first {MAX_TABLE_COLUMNS} are not shown"
            )
        return index, block

    # ---- inline text ------------------------------------------------------------------

    def _inline(self, token: Token) -> list[Span]:
        spans: list[Span] = []
        marks: dict[str, int] = {}
        link = 0
        link_start = 0
        for child in token.children or []:
            kind = child.type
            if kind == "text":
                spans.append(Span(_clean(child.content), _style(marks), link))
            elif kind == "softbreak":
                spans.append(Span(" ", _style(marks), link))
            elif kind == "hardbreak":
                spans.append(Span("\n", _style(marks), link))
            elif kind == "code_inline":
                spans.append(Span(_clean(child.content), _style(marks, "code"), link))
            elif kind in ("math_inline", "math_inline_double"):
                text, ok = inline_math(child.content)
                spans.append(Span(text, _style(marks, "math" if ok else "math-src"), link))
            elif kind in ("strong_open", "em_open", "s_open"):
                name = kind[:-5]
                marks[name] = marks.get(name, 0) + 1
            elif kind in ("strong_close", "em_close", "s_close"):
                name = kind[:-6]
                marks[name] = max(0, marks.get(name, 0) - 1)
            elif kind == "link_open":
                href = str(child.attrGet("href") or "")
                link = 0 if href.startswith("#") else self._link(href, "")
                link_start = len(spans)
                if link:
                    marks["link"] = 1
            elif kind == "link_close":
                if link:
                    label = "".join(s.text for s in spans[link_start:]).strip()
                    self.document.links[link - 1].label = label[:MAX_LINK_TEXT]
                    spans.append(Span(f"[{link}]", "link-num", link))
                link = 0
                marks.pop("link", None)
            elif kind == "image":
                alt = _clean(child.content or "".join(c.content for c in child.children or []))
                src = str(child.attrGet("src") or "")
                number = self._link(src, alt or "image")
                shown = alt if alt.lower() not in _NO_ALT else "image"
                spans.append(Span(f"[{shown}]", "figure", number))
                if number:
                    spans.append(Span(f"[{number}]", "link-num", number))
            elif kind == "footnote_ref":
                label = str((child.meta or {}).get("label", ""))
                spans.append(Span(_footnote_mark(label), "footnote-ref", link))
            elif kind == "footnote_anchor":
                continue
            elif child.content:
                spans.append(Span(_clean(child.content), _style(marks), link))
        return [span for span in spans if span.text]

    def _link(self, url: str, label: str) -> int:
        """The next link number (0 once MAX_LINKS are numbered: the rest stay plain text)."""
        url = _clean(url)[:2000]
        links = self.document.links
        if len(links) >= MAX_LINKS:
            self._notice(f"Links after the first {MAX_LINKS:,} are shown without numbers.")
            return 0
        number = len(links) + 1
        links.append(Link(number, url, label[:MAX_LINK_TEXT], safe_url(url) is not None))
        return number


def _style(marks: dict[str, int], extra: str = "") -> str:
    names = [name for name in ("strong", "em", "s", "link") if marks.get(name)]
    if extra:
        names.append(extra)
    return " ".join(names)


def _clean(text: str) -> str:
    """One line of safe text (entities can decode to controls and bidi characters)."""
    return strip_controls(text)


def _clean_lines(text: str) -> str:
    return strip_controls(text, keep_newlines=True).replace("\t", "    ")


def _footnote_mark(label: str) -> str:
    label = _clean(label)[:12]
    return label.translate(_SUPERSCRIPT) if label.isdigit() else f"[^{label}]"


def _with_figures(blocks: list[Block], links: list[Link]) -> Iterator[Block]:
    """An image alone in its paragraph is a figure; a caption right after it is its label (and
    the label of the image's link)."""
    index = 0
    while index < len(blocks):
        block = blocks[index]
        spans = [s for s in block.spans if s.text.strip()]
        is_image = (
            block.kind in (Kind.PARAGRAPH, Kind.CAPTION)
            and len(spans) == 2
            and spans[0].style == "figure"
            and spans[1].style == "link-num"
        )
        if not is_image:
            yield block
            index += 1
            continue
        image, number = spans
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if after is not None and after.kind is Kind.CAPTION:
            caption = [Span(s.text, f"caption {s.style}".strip(), s.link) for s in after.spans]
            if 1 <= number.link <= len(links):
                links[number.link - 1].label = after.text.strip()[:MAX_LINK_TEXT]
            yield Block(Kind.FIGURE, [*caption, Span(" "), number], depth=block.depth)
            index += 2
            continue
        label = image.text[1:-1]
        yield Block(
            Kind.FIGURE,
            [Span("Image" if label == "image" else label, "caption"), Span(" "), number],
            depth=block.depth,
        )
        index += 1


def parse(markdown_text: str, *, fallback: bool = False, pdf_url: str | None = None) -> Document:
    """The whole document at once (the command line; tests)."""
    return Builder(markdown_text, fallback=fallback, pdf_url=pdf_url).run()
