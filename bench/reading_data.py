"""A long paper for the reading benchmarks, built from the realistic fixture
(tests/fixtures/fulltext/paper-rendering.md): its sentences, equations, tables, figures, lists,
code, footnotes and references, recombined into a paper of a given length (deterministic).

`long_paper()` is the issue's paper: 30,000 words, 100 display equations, 10 tables.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "fulltext" / "paper-rendering.md"

SECTION_TITLES = (
    "Introduction|Related Work|Background|Method|Training|Experimental Setup|Results|Analysis|"
    "Ablations|Scaling|Efficiency|Robustness|Qualitative Examples|Discussion|Limitations|"
    "Broader Impact|Conclusion"
).split("|")
SUBSECTION_TITLES = (
    "Preliminaries|Problem setting|The block router|Load balancing|Retrieval experts|"
    "Implementation|Datasets|Baselines|Metrics|Main results|Long-context retrieval|"
    "Needle in a haystack|Error analysis|Cost"
).split("|")
EQUATIONS = [
    r"\mathcal{L}_{%d} = -\sum_{i=1}^{N} \log p_\theta(y_i \mid x_i) "
    r"+ \lambda_{%d} \lVert \theta \rVert^2",
    r"s_{j,%d} = \frac{\bar{h}_j^\top w_{%d}}{\sqrt{d}}, "
    r"\qquad p_{j,e} = \frac{\exp(s_{j,e})}{\sum_{e'} \exp(s_{j,e'})}",
    r"\operatorname{Attn}_{%d}(Q, K, V) = \operatorname{softmax}\left(\frac{QK^\top}{\sqrt{d_{%d}}}\right) V",
    r"\begin{aligned} f_{%d}(x) &= \sigma(W_1 x + b_1) \\ g_{%d}(x) &= W_2 f(x) + b_2 \end{aligned}",
    r"\nabla_\theta J(\theta) = \mathbb{E}_{\tau \sim \pi_\theta}\left[\sum_{t=0}^{T} "
    r"\nabla_\theta \log \pi_\theta(a_t \mid s_t) R_{%d}\right] + %d",
    r"\text{cost}_{%d} = O(n \cdot k B) \ll O(n^2), \quad k = %d",
    r"f(x) = \begin{cases} 1 & x > %d \\ 0 & \text{otherwise, } x \le %d \end{cases}",
]
INLINE = [
    r"$O(n^2)$",
    r"$k$",
    r"$B = 512$",
    r"$\alpha = 10^{-2}$",
    r"$h_i \in \mathbb{R}^{d}$",
    r"$\mathcal{L}_{\text{balance}}$",
    r"$p_{j,e}$",
    r"$x_1, \dots, x_n$",
    r"$\sqrt{d}$",
    r"$99.1\%$",
    r"$3.1\times$",
    r"$\lceil n / B \rceil$",
]


def _pieces() -> tuple[list[str], list[str], list[str]]:
    """The fixture's sentences, tables and reference entries."""
    text = FIXTURE.read_text(encoding="utf-8")
    body = text[text.index("## 1 Introduction") : text.index("## References")]
    prose = " ".join(
        block
        for block in body.split("\n\n")
        if block and block[0].isalpha() and not block.startswith(("Table", "Figure"))
    )
    prose = re.sub(r"\[\^\d\]|\$[^$]*\$|\[([^\]]*)\]\([^)]*\)", r"\1", prose)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", prose) if len(s.split()) > 6]
    tables = [b for b in body.split("\n\n") if b.startswith("|")]
    references = [
        line for line in text[text.index("## References") :].split("\n") if line.startswith("*")
    ]
    return sentences, tables, references


def long_paper(words: int = 30_000, equations: int = 100, tables: int = 10, seed: int = 12) -> str:
    """A paper of about `words` words in all (prose, tables, references: what `str.split`
    counts), `equations` display equations and `tables` tables."""
    first = _paper(words, equations, tables, seed)
    prose = round(words * words / len(first.split()))  # the prose target that lands on `words`
    return _paper(prose, equations, tables, seed)


def _paper(words: int, equations: int, tables: int, seed: int) -> str:
    rng = random.Random(seed)
    sentences, table_bank, references = _pieces()
    head = FIXTURE.read_text(encoding="utf-8")
    head = head[: head.index("## 1 Introduction")]
    out = [head]
    count = len(head.split())
    sections = len(SECTION_TITLES)
    per_section = words // sections
    eq_every = max(words // (equations + 1), 1)
    table_every = max(words // (tables + 1), 1)
    next_eq, next_table, eq_number, table_number, figure = eq_every, table_every, 0, 0, 0
    footnotes = 0
    for number, title in enumerate(SECTION_TITLES, 1):
        out.append(f"## {number} {title}\n")
        sub = 0
        section_words = 0
        while section_words < per_section and count < words:
            if section_words == 0 or rng.random() < 0.12:
                sub += 1
                out.append(f"### {number}.{sub} {rng.choice(SUBSECTION_TITLES)}\n")
            paragraph = []
            for _ in range(rng.randint(4, 9)):
                sentence = rng.choice(sentences)
                if rng.random() < 0.35:
                    words_of = sentence.split()
                    at = rng.randrange(1, len(words_of))
                    words_of.insert(at, rng.choice(INLINE))
                    sentence = " ".join(words_of)
                if rng.random() < 0.05:
                    who = rng.choice(["Lewis et al.", "Vaswani et al."])
                    sentence += (
                        f" (see [{who}](https://arxiv.org/abs/2005.{rng.randint(10000, 99999)}))"
                    )
                paragraph.append(sentence)
            if rng.random() < 0.03:
                footnotes += 1
                paragraph[-1] += f"[^{footnotes}]"
            text = " ".join(paragraph)
            out.append(text + "\n")
            added = len(text.split())
            count += added
            section_words += added
            if count >= next_eq and eq_number < equations:
                eq_number += 1
                template = EQUATIONS[eq_number % len(EQUATIONS)]
                out.append(f"$$\n{template % (eq_number, eq_number)}\n$$ ({eq_number})\n")
                next_eq += eq_every
            if count >= next_table and table_number < tables:
                table_number += 1
                table = table_bank[table_number % len(table_bank)]
                rows = table.split("\n")
                body_rows = rows[2:] * rng.randint(2, 3)
                out.append(f"Table {table_number}: Results of run {table_number}.\n")
                out.append("\n".join(rows[:2] + body_rows) + "\n")
                next_table += table_every
            if rng.random() < 0.04:
                figure += 1
                out.append(
                    f"![Refer to caption](https://arxiv.org/html/2605.01234v1/x{figure}.png)\n"
                )
                out.append(f"Figure {figure}: {rng.choice(sentences)}\n")
            if rng.random() < 0.03:
                items = [f"- {rng.choice(sentences)}" for _ in range(rng.randint(2, 5))]
                out.append("\n".join(items) + "\n")
    while eq_number < equations:  # what the word count left over
        eq_number += 1
        out.append(
            f"$$\n{EQUATIONS[eq_number % len(EQUATIONS)] % (eq_number, eq_number)}\n$$ ({eq_number})\n"
        )
    while table_number < tables:
        table_number += 1
        out.append(table_bank[table_number % len(table_bank)] + "\n")
    out.append("## References\n")
    out.append("\n".join(references * 8) + "\n")
    out += [f"[^{n}]: A footnote of the paper, number {n}.\n" for n in range(1, footnotes + 1)]
    return "\n".join(out)


if __name__ == "__main__":
    paper = long_paper()
    print(
        f"{len(paper.split()):,} words, {paper.count('$$') // 2} display equations, "
        f"{paper.count('| --- |') + paper.count('| :--- |')} tables, {len(paper):,} characters"
    )
