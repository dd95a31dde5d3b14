"""config.toml is the user's file: picking a theme changes the `theme` key and nothing else."""

from __future__ import annotations

import pytest

from papertui.config import ConfigNotSaved, load_config, save_theme

USER_FILE = """\
# my papertui settings
theme = "textual-dark"   # the default
sync_days = 14

[keymap]
# vim-ish
"app.toggle_bookmark" = "x"
"list.down" = "j,down,n"
"""


def test_picking_a_theme_keeps_comments_order_and_the_keymap(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    save_theme("nord", path)
    text = path.read_text()
    assert text == USER_FILE.replace('theme = "textual-dark"', 'theme = "nord"')
    config, warning = load_config(path)
    assert warning is None
    assert config.theme == "nord" and config.sync_days == 14
    assert config.keymap == {"app.toggle_bookmark": "x", "list.down": "j,down,n"}


def test_a_theme_is_added_to_a_file_without_one_and_a_missing_file_is_created(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# just a comment\nsync_days = 3\n")
    save_theme("nord", path)
    assert path.read_text() == 'theme = "nord"\n# just a comment\nsync_days = 3\n'
    assert load_config(path)[0].theme == "nord"
    fresh = tmp_path / "new" / "config.toml"
    save_theme("gruvbox", fresh)
    assert load_config(fresh)[0].theme == "gruvbox"


@pytest.mark.parametrize(
    "broken",
    ['default_view = "yearly"\n[keymap]\n"app.sync" = "x"\n', "theme = \n[keymap\n", "\xff\xfe"],
    ids=["invalid value", "not TOML", "not UTF-8"],
)
def test_a_file_that_cannot_be_read_or_validated_is_never_written(tmp_path, broken):
    path = tmp_path / "config.toml"
    path.write_bytes(broken.encode("latin-1"))
    before = path.read_bytes()
    with pytest.raises(ConfigNotSaved, match="left as it is"):
        save_theme("nord", path)
    assert path.read_bytes() == before


def test_a_theme_goes_first_and_the_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('sync_days = 3\n\n# keys I like\n[keymap]\n"app.sync" = "R"\n')
    path.chmod(0o644)
    save_theme("nord", path)
    assert path.read_text().startswith('theme = "nord"\nsync_days = 3\n\n# keys I like\n[keymap]')
    assert path.stat().st_mode & 0o777 == 0o644
    assert load_config(path)[0].keymap == {"app.sync": "R"}


def test_one_bad_value_costs_only_that_setting_and_every_problem_is_named(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "nord"\nsort = "bogus"\nsync_days = "lots"\n[keymap]\n"app.toggle_bookmark" = "x"\n'
    )
    config, warning = load_config(path)
    assert config.theme == "nord" and config.keymap == {"app.toggle_bookmark": "x"}
    assert config.sort == "upvotes" and config.sync_days == 7  # the defaults, for those two
    assert "sort = 'bogus': one of 'upvotes', 'rising', 'date' or 'title'" in warning
    assert "sync_days = 'lots': a whole number" in warning
    assert warning.endswith("(defaults used for those settings)")


def test_every_bad_setting_is_named_whole_in_words(tmp_path):
    """Eight bad settings: the warning was cut at 400 characters, mid-word, in pydantic's
    words ("Input should be less than or equal to 80; layout: Input sh")."""
    path = tmp_path / "config.toml"
    path.write_text(
        'default_view = "yesterday"\nsort = 5\nsync_days = 0\nauto_sync_minutes = "often"\n'
        'reading_width = 1000\nlist_width = 500\nlayout = "grid"\nfulltext = "all"\n'
    )
    _, warning = load_config(path)
    for said in (
        "default_view = 'yesterday': one of 'day', 'week', 'month' or 'all'",
        "sync_days = 0: at least 1",
        "list_width = 500: at most 80",
        "layout = 'grid': one of 'split' or 'list'",
        "fulltext = 'all': one of 'bookmarked' or 'none'",
    ):
        assert said in warning
    assert "Input should" not in warning


def test_the_cli_says_when_the_config_file_cannot_be_used(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from papertui.cli import cli

    config_dir = tmp_path / "cfg" / "papertui"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("sync_days = [\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "c.db"), "--offline", "sync"], catch_exceptions=False
    )
    assert "config file" in result.output and "ignored" in result.output
