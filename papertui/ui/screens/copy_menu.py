"""The `Y` copy menu: pick which link (or citation) of the paper goes to the clipboard."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...latex import shown

REFUSED = "  (refused: not an http(s) link)"


class CopyMenu(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (label, text to copy), or None. An empty text marks a refused link."""

    BINDINGS = [Binding("escape,q", "dismiss_none", "Close", id="copy.close")]

    def __init__(self, title: str, choices: list[tuple[str, str, str]], verb: str = "Copy"):
        """choices: (key, label, text)."""
        super().__init__()
        self.paper_title = title
        self.verb = verb  # the same menu opens links too (`O`)
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-box"):
            yield Static(
                Text(
                    f"{self.verb} — " + shown(self.paper_title), no_wrap=True, overflow="ellipsis"
                ),
                id="copy-title",
            )
            yield OptionList(
                *[
                    Option(Text(f"{key}  {label}" + ("" if text else REFUSED)), id=str(i))
                    for i, (key, label, text) in enumerate(self.choices)
                ],
                id="copy-options",
            )

    def relabel(self, labels: dict[str, str]) -> None:
        """New labels for choices, by key: what the menu shows before they are known (counts)
        replaced once they are."""
        found = self.query("#copy-options")  # composed, if not yet mounted: then it too
        options = found.first(OptionList) if found else None
        for i, (key, _, text) in enumerate(self.choices):
            if key in labels:
                self.choices[i] = (key, labels[key], text)
                if options is not None:
                    prompt = Text(f"{key}  {labels[key]}" + ("" if text else REFUSED))
                    options.replace_option_prompt(str(i), prompt)

    def on_key(self, event) -> None:
        for key, label, text in self.choices:
            if event.character == key:
                event.stop()
                self.dismiss((label, text))
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        _, label, text = self.choices[int(event.option.id or 0)]
        self.dismiss((label, text))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
