"""Settings from the command line, outputs that are not files, local dates, errors caused by
MLSD_FLASH_HOME, what `add` refuses, and decks or tags that match nothing."""

from __future__ import annotations

import json

from conftest import run


def settings_file(home):
    return home / "config.yaml"


# ---------------------------------------------------------------------------------------------
# 1. card_dirs and --unset


def test_card_dirs_take_several_absolute_folders_and_an_empty_value_clears_them(private_home, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two words").mkdir()
    result = run("config", "card_dirs", "one", "two words", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(run("config", "card_dirs", "--json").stdout)["card_dirs"]
    assert shown == [str(tmp_path / "one"), str(tmp_path / "two words")]

    missing = run("config", "card_dirs", "one", "nope", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == ["Error: card_dirs: nope: no such folder; nothing changed"]
    assert json.loads(run("config", "card_dirs", "--json").stdout)["card_dirs"] == shown

    cleared = run("config", "card_dirs", "", cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    assert json.loads(run("config", "card_dirs", "--json").stdout)["card_dirs"] == []  # never "."


def test_an_empty_card_dir_in_the_file_is_no_folder(private_home):
    settings_file(private_home).parent.mkdir(parents=True)
    settings_file(private_home).write_text('card_dirs: ""\n')
    assert json.loads(run("config", "card_dirs", "--json").stdout)["card_dirs"] == []


def test_unset_restores_the_default(private_home):
    assert run("config", "new_per_day", "7").returncode == 0
    result = run("config", "--unset", "new_per_day")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("new_per_day = 20")
    assert json.loads(run("config", "--json").stdout)["new_per_day"] == 20
    assert "new_per_day" not in settings_file(private_home).read_text()
    unknown = run("config", "--unset", "new_per_dya")
    assert unknown.returncode == 1 and unknown.stderr.startswith("Error: unknown setting 'new_per_dya'")


# ---------------------------------------------------------------------------------------------
# 2. Numbers


def test_a_negative_or_fractional_number_names_the_allowed_values(private_home):
    negative = run("config", "new_per_day", "-5")
    assert negative.returncode == 1
    assert negative.stderr == "Error: new_per_day must be between 0 and 100000 (got '-5')\n"
    fraction = run("config", "new_per_day", "2.5")
    assert fraction.returncode == 1
    assert fraction.stderr == "Error: new_per_day must be a whole number from 0 to 100000 (got '2.5')\n"
    assert not settings_file(private_home).exists()
    settings_file(private_home).parent.mkdir(parents=True)
    settings_file(private_home).write_text("maximum_interval: 30.0\n")  # a whole number written as a float
    assert json.loads(run("config", "--json").stdout)["maximum_interval"] == 30
