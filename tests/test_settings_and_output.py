"""Settings from the command line, outputs that are not files, local dates, errors caused by
MLSD_FLASH_HOME, what `add` refuses, and decks or tags that match nothing."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import SAMPLE, run, script, write


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


def snapshot_dev(dev: str = "/dev"):
    """What `restore_dev` needs to put `dev` back: its entries, and where its symbolic links point."""
    return {name: (os.lstat(f"{dev}/{name}"), os.readlink(f"{dev}/{name}") if os.path.islink(f"{dev}/{name}")
                   else None) for name in os.listdir(dev)}


def restore_dev(before, dev: str = "/dev") -> None:
    """Remove regular files made in `dev` and remake the devices and links replaced by one."""
    for name in os.listdir(dev):
        path = f"{dev}/{name}"
        if not stat.S_ISREG(os.lstat(path).st_mode):
            continue
        if name not in before:
            os.unlink(path)
        elif stat.S_ISCHR(before[name][0].st_mode):
            os.unlink(path)
            os.mknod(path, stat.S_IFCHR | stat.S_IMODE(before[name][0].st_mode), before[name][0].st_rdev)
            os.chmod(path, stat.S_IMODE(before[name][0].st_mode))
        elif before[name][1] is not None:
            os.unlink(path)
            os.symlink(before[name][1], path)


@pytest.fixture
def dev_kept():
    """As root, a regression would replace /dev/null or /dev/stdout with a regular file: the test
    fails, and /dev is put back so the machine keeps working."""
    before = snapshot_dev()
    yield
    restore_dev(before)


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
def test_report_refuses_what_is_not_a_regular_file(private_home, tmp_path, dev_kept, output, message):
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
def test_export_refuses_standard_output_and_devices(private_home, tmp_path, dev_kept, output, message):
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


# ---------------------------------------------------------------------------------------------
# 6. What `add` refuses, the draft's own lines, and `edit` offering the editor again


@pytest.mark.parametrize("args, message", [
    (["-q", "Q?", "-a", "A.", "--tag", "two words"],
     "tag 'two words' has a space; a tag is one word (use - or _, or repeat --tag); nothing added"),
    (["-q", "Q?", "-a", "A.", "--deck", "A::::B"],
     "'A::::B' is not a deck path: names joined by '::', none of them empty, e.g. Data::Sampling; nothing added"),
    (["-q", "Q?", "-a", "A.", "--deck", "::A"],
     "'::A' is not a deck path: names joined by '::', none of them empty, e.g. Data::Sampling; nothing added"),
    (["-q", "Q?", "-a", "A.", "--deck", "A::"],
     "'A::' is not a deck path: names joined by '::', none of them empty, e.g. Data::Sampling; nothing added"),
    (["--edit", "--deck", "A::"],
     "'A::' is not a deck path: names joined by '::', none of them empty, e.g. Data::Sampling; nothing added"),
    (["-q", "", "-a", "x"], "the question (-q) is empty; nothing added"),
    (["-q", "", "-a", ""], "the question (-q) is empty; nothing added"),
    (["-q", "  ", "-a", "x"], "the question (-q) is empty; nothing added"),
    (["-q", "Q?", "-a", " \t"], "the answer (-a) is empty; nothing added"),
    (["--cloze", ""], "the cloze text (--cloze) is empty; nothing added"),
])
def test_add_refuses_a_bad_tag_deck_or_empty_text_and_writes_nothing(private_home, args, message):
    result = run("add", *args, input="")
    assert (result.returncode, result.stderr) == (1, f"Error: {message}\n")
    assert not private_home.exists()


def test_add_prompts_again_for_a_blank_answer_or_a_malformed_deck(private_home):
    result = run("add", input="Q?\n  \nA.\nA::\nMine::Deck\n\n")
    assert result.returncode == 0, result.stderr
    assert "Answer is empty" in result.stderr and "'A::' is not a deck path" in result.stderr
    assert "(deck Mine::Deck)" in result.stdout


def test_an_unclosed_quote_in_a_draft_names_the_drafts_own_line(private_home, tmp_path):
    editor = script(tmp_path / "editor", """
        import sys, pathlib
        p = pathlib.Path(sys.argv[-1])
        t = p.read_text()
        t = t.replace("concept:\\n", "concept: Something\\n").replace("definition:\\n", 'definition: "unclosed\\n')
        p.write_text(t)
    """)
    result = run("add", "--edit", input="n\n", env={"EDITOR": str(editor)})
    assert result.returncode == 1
    draft = private_home / "add-draft.yaml"
    message = [line for line in result.stderr.splitlines() if "YAML syntax error" in line][0]
    assert message.startswith(f"{draft}:")
    where = int(message.split("add-draft.yaml:")[1].split(":")[0])
    assert draft.read_text().splitlines()[where - 1] == 'definition: "unclosed'
    assert "personal.yaml" not in result.stderr and not (private_home / "cards" / "personal.yaml").exists()


def test_edit_offers_the_editor_again_while_the_file_is_broken(private_home, tmp_path):
    added = run("add", "-q", "What is a canary release?", "-a", "A small share of traffic first.")
    assert added.returncode == 0, added.stderr
    counter = tmp_path / "count"
    editor = script(tmp_path / "bin" / "vi", f"""
        import sys, pathlib
        c = pathlib.Path({str(counter)!r})
        n = int(c.read_text()) if c.exists() else 0
        c.write_text(str(n + 1))
        p = pathlib.Path(sys.argv[-1])
        t = p.read_text()
        if n == 0:
            t = t.replace("a: A small", 'a: "A small')   # an unclosed quote
        else:
            assert sys.argv[1].startswith("+")          # reopened at the problem's line (`vi +LINE FILE`)
            t = t.replace('a: "A small', "a: A small")
        p.write_text(t)
    """)
    card_id = added.stdout.split()[2]
    result = run("edit", card_id, input="y\n", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.returncode == 0, result.stderr
    assert "YAML syntax error" in result.stderr and "Open the editor again to fix it? [Y/n]" in result.stdout
    assert counter.read_text() == "2" and run("check").returncode == 0

    counter.unlink()
    declined = run("edit", card_id, input="n\n", env={"EDITOR": str(editor), "VISUAL": ""})
    assert counter.read_text() == "1"
    assert "has 1 problem(s): review skips the broken notes" in declined.stderr


# ---------------------------------------------------------------------------------------------
# 4. orphans in local time


def test_orphans_prints_local_dates_and_json_keeps_iso(private_home):
    added = run("add", "-q", "What is a canary release?", "-a", "A small share of traffic first.")
    assert added.returncode == 0, added.stderr
    card_id = added.stdout.split()[2]
    assert run("review", "--deck", "Personal", input="\n3\nq\n").returncode == 0
    (private_home / "cards" / "personal.yaml").write_text("deck: Personal\nsource: s\nnotes:\n")  # the note is gone
    tokyo = run("orphans", env={"TZ": "Asia/Tokyo"})
    assert tokyo.returncode == 0, tokyo.stderr
    assert tokyo.stdout == f"{card_id}\t1 review\tlast 2026-11-23 19:00\n"  # 10:00 UTC
    rows = json.loads(run("orphans", "--json", env={"TZ": "Asia/Tokyo"}).stdout)
    assert [r["last_review"][:16] + r["last_review"][-6:] for r in rows] == ["2026-11-23T10:00+00:00"]
