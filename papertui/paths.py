"""Where papertui keeps its files: the platform's user data and config dirs (platformdirs)."""

from pathlib import Path

import platformdirs

APP_NAME = "papertui"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "papers.db"


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_export_dir() -> Path:
    """Where the reader suggests saving exports: the Downloads folder when there is one, else home."""
    downloads = Path(platformdirs.user_downloads_dir())
    return downloads if downloads.is_dir() else Path.home()
