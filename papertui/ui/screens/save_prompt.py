"""The file prompt of "Save BibTeX / Markdown…": a path to type, with a default to accept.

Enter checks the path (`files.save_target`) and says in the prompt why it can't be saved to;
a file that exists is replaced only after a second Enter. Tab completes the path's last part.
Dismisses with the SaveTarget, or None (Esc).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...files import SavePathError, SaveTarget, complete_path, save_target, tilde
from ..literal import plain

HINT = "Enter saves · Esc cancels · Tab completes · ~ is your home folder"


class PathInput(Input):
    BINDINGS = [Binding("tab", "complete", "Complete", show=False, id="save.complete")]

    def action_complete(self) -> None:
        completed = complete_path(self.value)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)


class SavePrompt(ModalScreen[SaveTarget | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save.cancel")]

    def __init__(self, title: str, detail: str, default: str, file_name: str):
        """title: what is saved ("Save BibTeX: bookmarks (12 papers)"); detail: which papers;
        default: the path offered; file_name: suggested to someone who types a folder."""
        super().__init__()
        self.title_text = title
        self.detail_text = detail
        self.default = default
        self.file_name = file_name
        self._replace: SaveTarget | None = None  # an existing file Enter was pressed on once
        self._saying = ""  # what the line under the path says besides the hint

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(
                Text(plain(self.title_text), no_wrap=True, overflow="ellipsis"), id="save-title"
            )
            yield Static(
                Text(plain(self.detail_text), no_wrap=True, overflow="ellipsis"), id="save-detail"
            )
            yield PathInput(value=self.default, id="save-path", select_on_focus=False)
            yield Static(Text(HINT), id="save-message")

    def on_mount(self) -> None:
        path = self.query_one(PathInput)
        path.focus()
        path.cursor_position = len(path.value)

    def say(self, text: str, kind: str = "") -> None:
        """A line under the path: the hint, a warning (`-warning`) or why not (`-error`)."""
        message = self.query_one("#save-message", Static)
        message.update(Text(plain(text)))
        message.set_class(kind == "error", "-error")
        message.set_class(kind == "warning", "-warning")
        self._saying = kind

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._replace is not None or self._saying:
            self._replace = None
            self.say(HINT)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            target = save_target(event.value, self.file_name)
        except SavePathError as exc:
            self._replace = None
            self.say(str(exc), "error")
            return
        if target.exists and self._replace != target:
            self._replace = target
            self.say(
                f"{tilde(target.path)} exists. Enter again replaces it; edit the name to keep it.",
                "warning",
            )
            return
        self.dismiss(target)

    def action_cancel(self) -> None:
        self.dismiss(None)
