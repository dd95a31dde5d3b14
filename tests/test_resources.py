"""The stylesheet is found the way the installed app finds it, from a checkout and from a wheel."""

import shutil
from pathlib import Path

from papertui.ui import resources


def test_stylesheet_found_from_checkout():
    path = resources.stylesheet()
    assert path.is_file() and path.name == "papertui.tcss"
    assert "$accent" in path.read_text()


def test_stylesheet_found_inside_the_package_as_in_a_wheel(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "papertui"
    (package / "styles").mkdir(parents=True)
    shutil.copy(resources.stylesheet(), package / "styles" / "papertui.tcss")
    monkeypatch.setattr(resources, "PACKAGE", package)
    assert resources.stylesheet() == package / "styles" / "papertui.tcss"


def test_wheel_config_carries_styles_and_demo_data():
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"styles" = "papertui/styles"' in pyproject
    assert (Path(resources.PACKAGE) / "demo" / "sample.json").is_file()


def test_only_theme_variables_for_colours():
    import re

    css = resources.stylesheet().read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|\brgb\(", css)
