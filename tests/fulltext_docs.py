"""Full-text documents for tests and benchmarks: the recorded-shape fixtures in
`fixtures/fulltext/` and generated ones (a long paper, hostile bodies).

`fixtures/fulltext/2605.13301.md` has the structure of a real arXiv paper as Hugging Face serves
it in Markdown (title, authors with affiliations and footnotes, abstract, numbered sections and
subsections, inline `$…$` and display `$$…$$` math, pipe tables with alignment, figures as images
with "Figure N:" captions, a code block, a quote, lists, footnotes, references, appendices); its
paper's metadata is `fixtures/paper_2605.13301.json`. `2605.15320.md` is the fallback shape (the
paper page's own text) for `fixtures/paper_2605.15320.json`. `hostile-escapes.md` carries escape
sequences, C0/C1 controls, bidi overrides, Rich markup and non-http links.
"""

from __future__ import annotations

import re
from pathlib import Path

FULLTEXT = Path(__file__).parent / "fixtures" / "fulltext"
PAPER_ID = "2605.13301"  # a full text
FALLBACK_ID = "2605.15320"  # the fallback content


def paper_markdown() -> str:
    return (FULLTEXT / f"{PAPER_ID}.md").read_text(encoding="utf-8")


def fallback_markdown() -> str:
    return (FULLTEXT / f"{FALLBACK_ID}.md").read_text(encoding="utf-8")


def hostile_markdown() -> str:
    return (FULLTEXT / "hostile-escapes.md").read_text(encoding="utf-8")


_SECTION = re.compile(r"^(#{2,3}) (\d+)((?:\.\d+)?) ", re.MULTILINE)


def _renumber(match: re.Match[str], offset: int) -> str:
    return f"{match.group(1)} {int(match.group(2)) + offset}{match.group(3)} "


def long_paper(words: int = 30_000, equations: int = 100, tables: int = 10) -> str:
    """A paper of about `words` words with at least `equations` display equations and `tables`
    tables (the issue's benchmark document): the fixture's body sections repeated and
    renumbered until the words are there, then a section of the equations and tables missing."""
    text = paper_markdown()
    head, _, rest = text.partition("## 1 Introduction")
    body, _, tail = ("## 1 Introduction" + rest).partition("## References")
    parts = [head]
    section = 0
    count = len(head.split())
    eq = tab = 0
    while count < words:
        chunk = _SECTION.sub(lambda m, o=section: _renumber(m, o), body)
        parts.append(chunk)
        section += 6
        count += len(chunk.split())
        eq += chunk.count("$$") // 2
        tab += len(re.findall(r"^\| --- ", chunk, re.MULTILINE))
    extra = [f"## {section + 1} Further derivations\n\n"]
    for i in range(max(0, equations - eq)):
        extra.append(
            f"Equation {i + 1} bounds the error term $e_{{{i}}}$ of step {i}:\n\n"
            f"$$\n\\left| e_{{{i}}} \\right| \\leq \\frac{{C_{{{i}}}}}{{\\sqrt{{n}}}} "
            f"+ \\sum_{{k=1}}^{{{i + 2}}} \\alpha^{{k}} \\|x_k\\|_2\n$$\n\n"
        )
    for i in range(max(0, tables - tab)):
        extra.append(f"Table {i + 100}: Extra results {i}.\n\n" + wide_table(6, 4) + "\n")
    parts.append("".join(extra))
    parts.append("## References" + tail)
    return "".join(parts)


def huge_markdown(size: int) -> str:
    """A valid Markdown document of `size` bytes or a little more."""
    paragraph = "Words of a very long paper, repeated to fill the body. " * 20 + "\n\n"
    return "# Huge\n\n" + paragraph * (size // len(paragraph) + 1)


def binary_body(size: int = 4096) -> bytes:
    """Bytes that are not text: NULs and invalid UTF-8, like an image or a PDF."""
    return (b"%PDF-1.7\n\x00\x01\x02\xff\xfe\xfd" * (size // 12 + 1))[:size]


def latin1_body() -> bytes:
    """Text in another encoding: most bytes fine, many not UTF-8."""
    return ("Théorème: l'énergie é è à ç ü ö " * 200).encode("latin-1")


def deep_list(levels: int) -> str:
    return "\n".join("  " * i + "- item" for i in range(levels)) + "\n"


def wide_table(rows: int, columns: int = 8) -> str:
    head = "| " + " | ".join(f"c{i}" for i in range(columns)) + " |\n"
    rule = "|" + " --- |" * columns + "\n"
    return head + rule + "".join(f"| {r} |" + " x |" * (columns - 1) + "\n" for r in range(rows))
