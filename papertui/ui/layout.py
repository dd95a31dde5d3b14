"""How the reader shares the screen: the list's share of the width (`<` / `>`), the list alone
with the paper full screen over it (`z`), one- or two-line rows (`W`), and the stacked panes
of a narrow terminal.

The user's choices are remembered in config.toml (one key each, written with tomlkit like the
theme) a moment after the last press, so holding `>` writes the file once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from textual.screen import Screen
from textual.timer import Timer

from ..config import Config, save_setting
from ..errors import PapertuiError
from .widgets.detail import PaperDetail
from .widgets.paper_list import PaperList
from .widgets.search_bar import SearchBar

NARROW_WIDTH = 100  # below this the panes stack
WIDTH_STEP = 5  # percent of the width a `<` / `>` press moves the split
MIN_LIST_WIDTH, MAX_LIST_WIDTH = 20, 80
SAVE_DELAY = 1.0  # seconds after the last change before config.toml is written


class LayoutHost(Protocol):
    """What the layout needs of the reader."""

    config: Config
    config_path: Path | None

    @property
    def main_screen(self) -> Screen: ...

    @property
    def paper_list(self) -> PaperList: ...

    @property
    def detail(self) -> PaperDetail: ...

    @property
    def search_bar(self) -> SearchBar: ...

    @property
    def size(self) -> Any: ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: float | None = ...
    ) -> None: ...

    def set_timer(self, delay: float, callback: Any) -> Timer: ...

    def keys_for(self, action_id: str) -> str: ...


class Layout:
    def __init__(self, host: LayoutHost):
        self.host = host
        self._unsaved: dict[str, int | str | bool] = {}
        self._save_timer: Timer | None = None

    # ---- what is in force ---------------------------------------------------------------

    @property
    def list_width(self) -> int:
        return self.host.config.list_width

    @property
    def list_only(self) -> bool:
        return self.host.config.layout == "list"

    @property
    def two_line(self) -> bool:
        return self.host.config.two_line_rows

    @property
    def narrow(self) -> bool:
        return self.host.main_screen.has_class("-narrow")

    @property
    def paper_full_screen(self) -> bool:
        """Whether opening a paper takes the whole screen (stacked panes, or the list alone)."""
        return self.narrow or self.list_only

    def apply(self, width: int | None = None) -> None:
        """Lay the reader's own screen out for a terminal `width` columns wide (set on that
        screen, not the popup that may be on top while the terminal is resized)."""
        host = self.host
        width = host.size.width if width is None else width
        narrow = width < NARROW_WIDTH
        main = host.main_screen
        main.set_class(narrow, "-narrow")
        main.set_class(self.list_only, "-list-only")
        host.search_bar.compact = narrow
        detail = host.detail
        if main.maximized is detail and not self.paper_full_screen:
            main.minimize()  # the full-screen paper: side by side again
        detail.display = not self.list_only or main.maximized is detail
        # The split is the list's share of the width side by side; stacked or alone, the
        # stylesheet decides (an inline width would win over it).
        host.paper_list.styles.width = None if narrow or self.list_only else f"{self.list_width}%"
        host.paper_list.set_row_height(2 if self.two_line else 1)

    # ---- the keys -----------------------------------------------------------------------

    def resize_list(self, step: int) -> None:
        """`<` / `>`: give the list less or more of the width."""
        host = self.host
        if self.list_only:
            host.notify(
                f"The list is alone on screen: {host.keys_for('app.toggle_layout')} puts the "
                "paper beside it again.",
                timeout=3,
            )
            return
        if self.narrow:
            host.notify(
                f"The panes are stacked below {NARROW_WIDTH} columns: "
                f"{host.keys_for('app.toggle_layout')} shows the list alone.",
                timeout=3,
            )
            return
        width = max(MIN_LIST_WIDTH, min(self.list_width + step * WIDTH_STEP, MAX_LIST_WIDTH))
        if width == self.list_width:
            edge = "wide" if step > 0 else "narrow"
            host.notify(f"The list is as {edge} as it goes ({width}% of the width).", timeout=2)
            return
        self._set("list_width", width)

    def toggle_list_only(self) -> None:
        """`z`: the list alone, the paper full screen on Enter; or side by side again."""
        host = self.host
        detail_had_focus = host.detail.has_focus
        self._set("layout", "split" if self.list_only else "list")
        if self.list_only:
            if host.main_screen.maximized is host.detail:
                host.main_screen.minimize()
                host.detail.display = False
            if detail_had_focus:
                host.paper_list.focus()
            host.notify(
                f"List only: {host.keys_for('list.open')} opens the paper full screen, "
                f"{host.keys_for('detail.back')} returns.",
                timeout=3,
            )

    def toggle_rows(self) -> None:
        """`W`: rows of two lines (title wrapped, authors beneath) or of one."""
        self._set("two_line_rows", not self.two_line)

    # ---- opening and closing a paper ------------------------------------------------------

    def open_paper(self) -> None:
        """Where the panes are small or the list is alone, the paper takes the whole screen."""
        host = self.host
        if self.paper_full_screen:
            host.detail.display = True
            host.main_screen.maximize(host.detail, container=False)

    def paper_closed(self) -> None:
        if self.list_only:
            self.host.detail.display = False

    # ---- remembering --------------------------------------------------------------------

    def _set(self, key: str, value: int | str | bool) -> None:
        host = self.host
        host.config = host.config.model_copy(update={key: value})
        self.apply()
        self._unsaved[key] = value
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = host.set_timer(SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write the changed settings to config.toml (also when the reader closes)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        unsaved, self._unsaved = self._unsaved, {}
        try:
            for key, value in unsaved.items():
                save_setting(key, value, self.host.config_path)
        except (OSError, PapertuiError) as exc:
            self.host.notify(f"Layout not saved: {exc}", severity="warning", timeout=8)
