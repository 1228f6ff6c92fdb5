"""The real command on the built-in deck: check, list, show, config, version, and the built wheel."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import venv


from conftest import ROOT, run, write, SAMPLE


def test_builtin_deck_checks_clean_and_strict():
    result = run("check", "--strict")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "notes," in result.stdout and "cards in" in result.stdout


def test_version_and_module_entry_point():
    assert run("--version").stdout.startswith("mlsd-flash, version ")


def test_list_json_and_deck_filter(tmp_path, private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("list", "--deck", "toy::sampling", "--json")
    assert result.returncode == 0, result.stderr
    cards = json.loads(result.stdout)
    assert {c["deck"] for c in cards} >= {"Toy::Sampling"}
    assert any(c["id"] == "toy-reservoir/why" for c in cards)
    plain = run("list", "--tag", "data").stdout.splitlines()
    assert any(line.startswith("toy-reservoir/why\tToy::Sampling\tReservoir sampling: why does it matter?")
               for line in plain)


def test_show_prints_card_and_location(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("show", "toy-reservoir/why")
    assert result.returncode == 0
    assert "Reservoir sampling: why does it matter?\n" in result.stdout  # rendered as the review shows it
    assert "It needs O(k) memory" in result.stdout
    assert "Source: ML Design Primer: Sampling" in result.stdout
    assert "mine.yaml:9\n" in result.stdout  # the line of `why:`


def test_unknown_card_id_suggests_close_ids(private_home):
    write(private_home / "cards" / "mine.yaml", SAMPLE)
    result = run("show", "toy-reservoir/whyy")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: unknown card id 'toy-reservoir/whyy'; did you mean toy-reservoir/why, "
        + result.stderr.split("did you mean toy-reservoir/why, ")[1].strip()]
    assert "Traceback" not in result.stderr


def test_missing_path_is_one_clear_line(tmp_path):
    result = run("check", tmp_path / "nope.yaml")
    assert result.returncode == 1
    assert "nope.yaml:1:1: no such file or folder" in result.stderr


def test_config_shows_changes_and_refuses_bad_values(private_home):
    assert run("config", "new_per_day", "30").returncode == 0
    assert json.loads(run("config", "--json").stdout)["new_per_day"] == 30
    bad = run("config", "desired_retention", "1.5")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: desired_retention must be between 0.70 and 0.99 (got '1.5')"
    assert run("config", "learning_steps", "1m", "x").stderr.strip() == (
        "Error: learning_steps 'x' is not a step such as 1m, 10m, 1h or 1d (got '1m x')")
    assert run("config", "nope", "1").returncode == 1
    (private_home / "config.yaml").write_text("day_starts_at: 25\n")
    broken = run("due")
    assert broken.returncode == 1
    assert "config.yaml: day_starts_at must be between 0 and 23 (got 25)" in broken.stderr


def test_wheel_installed_outside_the_repository_has_the_deck(tmp_path):
    """Build the wheel, install it in a fresh virtual environment, run `check` away from the checkout."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    # Dependencies come from this test environment (a .pth file), so the test needs no network.
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(f"{purelib}/deps.pth", "w") as fh:
        fh.write("\n".join(site.getsitepackages()) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(env_dir / "bin" / "mlsd-flash"), "check"], cwd=elsewhere, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "site-packages" in subprocess.run(
        [str(py), "-c", "import mlsd_flash.deck as d; print(d.builtin_cards_dir())"], cwd=elsewhere,
        capture_output=True, text=True).stdout
    count = int(result.stdout.split(" notes, ")[1].split(" cards")[0])
    assert count > 100


def test_check_json_and_counts_that_read_right(tmp_path):
    import json

    f = write(tmp_path / "one.yaml", "deck: X\nsource: s\nnotes:\n  - id: a\n    concept: A\n    definition: D.\n")
    result = run("check", f)
    assert result.stdout.startswith("1 note, 1 card in 1 file\n")
    data = json.loads(run("check", f, "--json").stdout)
    assert (data["notes"], data["cards"], data["files"], data["decks"], data["problems"]) == (1, 1, 1, {"X": 1}, [])
    f.write_text("deck: X\nnotes:\n  - id: a\n    concept: A\n", encoding="utf-8")
    broken = run("check", f, "--json")
    assert broken.returncode == 1
    assert [p["line"] for p in json.loads(broken.stdout)["problems"]] == [3]


def test_personal_cards_in_a_deck_called_personal_are_not_doubled_in_anki(private_home, tmp_path):
    from mlsd_flash import export as ex
    from mlsd_flash.deck import load

    write(private_home / "cards" / "personal.yaml", "deck: Personal\nsource: s\nnotes:\n"
                                                    "  - id: mine\n    concept: Mine\n    definition: D.\n")
    cards = load([private_home / "cards"]).cards
    spec = ex.build_notes(cards, tmp_path / "no-builtin")[0]
    assert spec.deck == "MLSD::Personal"
