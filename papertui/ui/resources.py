"""Find the stylesheet the same way from a checkout, an editable install and a built wheel.

`styles/` lives at the top of the repository; the wheel carries it as `papertui/styles/`
(hatch force-include).
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    for candidate in (PACKAGE / "styles", PACKAGE.parent / "styles"):
        if (candidate / "papertui.tcss").is_file():
            return candidate
    raise FileNotFoundError(
        "papertui's stylesheet (styles/papertui.tcss) is missing from this install"
    )


def stylesheet() -> Path:
    return styles_dir() / "papertui.tcss"
