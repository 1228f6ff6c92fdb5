"""Settings from the command line, outputs that are not files, local dates, errors caused by
MLSD_FLASH_HOME, what `add` refuses, and decks or tags that match nothing."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import SAMPLE, run, write


def settings_file(home):
    return home / "config.yaml"


def workdir(tmp_path):
    """An empty working folder (tmp_path also holds the private home)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return work


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


# ---------------------------------------------------------------------------------------------
# 3. Outputs: '-' for the report, and never a device, a folder or an empty name


def test_report_to_standard_output(private_home, tmp_path):
    result = run("report", "-o", "-", cwd=workdir(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().lower().startswith("<!doctype html") and result.stdout.rstrip().endswith("</html>")
    assert "Wrote" not in result.stdout + result.stderr and not list(workdir(tmp_path).iterdir())


@pytest.mark.parametrize("output, message", [
    ("/dev/null", "Error: -o /dev/null is not a regular file; give the name of a file to write"),
    ("/dev/stdout", "Error: -o /dev/stdout is not a regular file; give the name of a file to write"),
    ("/dev/no-such-device", "Error: -o /dev/no-such-device is in /dev, the folder of devices; give the name of a "
                            "file to write"),
    ("", "Error: -o: give the name of a file to write"),
    ("a-folder", "Error: -o a-folder is a folder; give the name of a file to write"),
])
def test_report_refuses_what_is_not_a_regular_file(private_home, tmp_path, output, message):
    work = workdir(tmp_path)
    (work / "a-folder").mkdir()
    before = sorted(os.listdir("/dev"))
    result = run("report", "-o", output, cwd=work)
    assert (result.returncode, result.stderr) == (1, message + "\n")
    assert sorted(os.listdir("/dev")) == before and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list((work / "a-folder").iterdir()) and os.listdir(work) == ["a-folder"]


@pytest.mark.parametrize("output, message", [
    ("-", "Error: -o -: an Anki package is a zip file, not text for the terminal; give a file or folder name"),
    ("/dev/null", "Error: -o /dev/null is not a regular file; give the name of a file to write"),
    ("/dev/stdout", "Error: -o /dev/stdout is not a regular file; give the name of a file to write"),
    ("/dev", "Error: -o /dev/mlsd-flash.apkg is in /dev, the folder of devices; give the name of a file to write"),
    ("", "Error: -o: give the name of a file to write"),
])
def test_export_refuses_standard_output_and_devices(private_home, tmp_path, output, message):
    before = sorted(os.listdir("/dev"))
    result = run("export", "-o", output, cwd=workdir(tmp_path))
    assert (result.returncode, result.stderr) == (1, message + "\n")
    assert sorted(os.listdir("/dev")) == before and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list(workdir(tmp_path).iterdir())


# ---------------------------------------------------------------------------------------------
# 7. A deck or tag that matches nothing


TAGGED = """
deck: Toy::Tagged
tags: [toy-tag]
source: Toy notes
notes:
  - id: toy-tagged
    concept: A tagged thing
    definition: A thing with a tag of its own.
"""


@pytest.mark.parametrize("command", [["due"], ["review"], ["stats"], ["export", "-o", "out.apkg"]])
def test_a_deck_or_tag_that_matches_nothing_suggests_the_closest(private_home, tmp_path, command):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    write(private_home / "cards" / "tagged.yaml", TAGGED)
    deck = run(*command, "--deck", "toy::samplng", cwd=workdir(tmp_path))
    assert deck.returncode == 1
    assert deck.stderr.startswith("Error: no deck named 'toy::samplng'; did you mean Toy::Sampling")
    assert len(deck.stderr.splitlines()) == 1
    if "stats" in command:
        return  # no --tag
    tag = run(*command, "--tag", "Toy-Tagg", cwd=workdir(tmp_path))
    assert tag.returncode == 1
    assert tag.stderr.startswith("Error: no cards with tag 'Toy-Tagg'; did you mean toy-tag")
    both = run(*command, "--deck", "Toy::Cases", "--tag", "toy-tag", cwd=workdir(tmp_path))
    assert both.stderr == "Error: no cards with tag 'toy-tag' under deck 'Toy::Cases'\n"
    assert not list(workdir(tmp_path).iterdir())


# ---------------------------------------------------------------------------------------------
# 5. Errors caused by MLSD_FLASH_HOME name it


@pytest.mark.parametrize("command", [["due"], ["review"], ["config", "new_per_day", "3"], ["add", "-q", "Q?", "-a", "A."],
                                     ["add", "--edit"]])
def test_a_data_folder_inside_a_file_names_mlsd_flash_home(tmp_path, command):
    write(tmp_path / "a-file", "x")
    home = tmp_path / "a-file" / "data"
    result = run(*command, env={"MLSD_FLASH_HOME": str(home)})
    assert (result.returncode, result.stderr) == (
        1, f"Error: MLSD_FLASH_HOME={home} cannot be the data folder: {tmp_path / 'a-file'} is a file; "
           "point it at a folder\n")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc, where no folder can be made")
@pytest.mark.parametrize("command", [["review"], ["config", "new_per_day", "3"], ["add", "-q", "Q?", "-a", "A."]])
def test_a_data_folder_that_cannot_be_made_names_mlsd_flash_home(command):
    home = "/proc/self/no-such-data"
    result = run(*command, env={"MLSD_FLASH_HOME": home})
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: cannot create ") and f"it comes from MLSD_FLASH_HOME={home}" in result.stderr
    by_option = run("--data-dir", home, *command)
    assert f"it comes from --data-dir {home}: point it at a folder you can write" in by_option.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_data_folder_names_mlsd_flash_home(tmp_path):
    home = tmp_path / "locked"
    home.mkdir(mode=0o500)
    result = run("config", "new_per_day", "3", env={"MLSD_FLASH_HOME": str(home)})
    assert result.stderr == (f"Error: cannot write in the data folder {home}; it comes from MLSD_FLASH_HOME={home}: "
                             "point it at a folder you can write\n")


def test_a_data_folder_that_is_a_file_names_mlsd_flash_home(tmp_path, monkeypatch):
    from mlsd_flash.config import ConfigError, resolve_paths

    write(tmp_path / "a-file", "x")
    monkeypatch.setenv("MLSD_FLASH_HOME", str(tmp_path / "a-file"))
    with pytest.raises(ConfigError, match=r"^MLSD_FLASH_HOME=.*a-file cannot be the data folder: it is a file"):
        resolve_paths()
    with pytest.raises(ConfigError, match=r"^--data-dir .*a-file cannot be the data folder: it is a file"):
        resolve_paths(str(tmp_path / "a-file"), "--data-dir")
