"""Build and run the reader: one factory (`create_app`) for the CLI, the tests and the screenshots."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..config import Config, load_config
from ..demo import build_demo_cache
from ..service import Service


def create_app(
    db_path: Path,
    *,
    api_url: str | None = None,
    offline: bool = False,
    config: Config | None = None,
    config_path: Path | None = None,
    autosync: bool = True,
    offline_reason: str = "--offline",
):
    from .app import PapertuiApp

    notices: list[str] = []
    if config is None:
        config, warning = load_config(config_path)
        if warning:
            notices.append(warning)
    service = Service(db_path, api_url=api_url, offline=offline).open()
    return PapertuiApp(
        service,
        config,
        config_path=config_path,
        notices=notices,
        autosync=autosync,
        offline_reason=offline_reason,
    )


def run_reader(settings, demo: bool = False) -> None:
    """Run the reader until the user quits; --demo works on a throwaway copy of the sample."""
    if demo:
        with tempfile.TemporaryDirectory(prefix="papertui-demo-") as tmp:
            db = build_demo_cache(Path(tmp) / "demo.db")
            app = create_app(db, offline=True, offline_reason="--demo")
            app.notices.append(
                "Demo: a temporary copy of the bundled sample; nothing you do here is kept."
            )
            _run(app)
        return
    _run(create_app(settings.db, api_url=settings.api_url, offline=settings.offline))


def _run(app) -> None:
    try:
        app.run()
    finally:
        app.service.close()
