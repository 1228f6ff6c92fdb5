"""Hostile and broken files: every one is a clear line with its place, never a hang, a traceback or
a blocked review; card text never reaches the terminal as control sequences; the editor never runs
through a shell. Ends with a fuzz test over mutated card files."""

from __future__ import annotations

import random
import stat
import sys
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from mlsd_flash.notes import parse_bytes
from conftest import SAMPLE, run, write

SELF_ALIAS = "deck: x\nsource: s\nnotes: &a [*a]\n"
LAUGHS = "deck: x\nsource: s\na0: &a0 [lol]\n" + "".join(
    f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)) + "notes: [*a9]\n"
DEEP = "deck: x\nsource: s\nnotes: " + "[" * 500 + "]" * 500 + "\n"


def one_line_error(result, where: str):
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if not line.startswith("Error: ")]
    assert len(problems) == 1 and problems[0].startswith(where), result.stderr
    return problems[0]


def test_self_referencing_and_exploding_aliases_are_problems_not_hangs(tmp_path):
    for name, text in (("self", SELF_ALIAS), ("laughs", LAUGHS)):
        f = write(tmp_path / f"{name}.yaml", text)
        started = time.monotonic()
        result = run("check", f, timeout=30)
        assert time.monotonic() - started < 30
        assert result.returncode == 1 and "Traceback" not in result.stderr


def test_deep_nesting_is_a_line_and_column_in_every_reader(private_home, tmp_path):
    f = write(tmp_path / "deep.yaml", DEEP)
    assert "nests more than" in one_line_error(run("check", f), f"{f}:3:")
    private_home.mkdir(parents=True, exist_ok=True)
    config = private_home / "config.yaml"
    config.write_text("new_per_day: " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    result = run("due")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: {config}:1:") and "nests more than" in result.stderr
    config.unlink()
    personal = write(private_home / "cards" / "personal.yaml", DEEP)
    result = run("add", "-q", "Q?", "-a", "A.")
    assert result.returncode == 1 and "Traceback" not in result.stderr and str(personal) in result.stderr


def test_size_limits_for_a_file_and_a_cloze(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("deck: x\nsource: s\nnotes: []\n# " + "x" * 5_000_000 + "\n", encoding="utf-8")
    assert "at most" in one_line_error(run("check", big), f"{big}:1:1")
    deletions = " ".join(f"{{{{c{i}::w{i}}}}}" for i in range(1, 60))
    cloze = write(tmp_path / "cloze.yaml", f"deck: x\nsource: s\nnotes:\n  - id: c\n    concept: C\n"
                                           f"    cloze:\n      - id: many\n        text: '{deletions}'\n")
    assert "more than 50 deletions" in one_line_error(run("check", cloze), f"{cloze}:8:")


def test_a_broken_personal_file_never_blocks_the_review(private_home):
    cards = private_home / "cards"
    for text in (b"\xff\xfe garbage \x00", SELF_ALIAS.encode(), LAUGHS.encode(), DEEP.encode(),
                 b"deck: [unclosed\n", b"notes:\n  - id: x\n    concept: !!python/object:os.system x\n"):
        cards.mkdir(parents=True, exist_ok=True)
        (cards / "personal.yaml").write_bytes(text)
        result = run("review", "--limit", "1", input="\n3\nq\n", timeout=60)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "warning:" in result.stderr
        assert "Reviewed 1 card" in result.stdout


def test_escape_sequences_in_card_text_never_reach_the_terminal(private_home):
    write(private_home / "cards" / "mine.yaml", r'''
        deck: Evil
        source: "s"
        notes:
          - id: evil
            concept: "Title \e]0;pwned\a"
            definition: "Copy \e]52;c;cHduZWQ=\a this \x9b31m red"
            why: "Because \e[2J cleared"
    ''')
    outputs = [run("show", "evil/definition").stdout, run("list", "--deck", "Evil").stdout,
               run("review", "--deck", "Evil", "--limit", "1", input="\n3\nq\n").stdout]
    for out in outputs:
        assert "\x1b]" not in out and "\x9b" not in out and "\x1b[2J" not in out and "\x07" not in out
    assert "␛]52;c;cHduZWQ=␇" in outputs[0]


def test_the_editor_runs_without_a_shell_and_a_bad_editor_is_one_line(private_home, tmp_path):
    marker = tmp_path / "pwned"
    home = tmp_path / f"data $(touch {marker}) ;touch {marker}"
    editor = tmp_path / "editor"
    editor.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[-1], 'a').close()\n", encoding="utf-8")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    write(home / "cards" / "personal.yaml", "deck: Mine\nsource: s\nnotes:\n  - id: n\n    concept: N\n"
                                            "    definition: D.\n    why: W.\n")
    result = run("edit", "n/definition", env={"MLSD_FLASH_HOME": str(home), "EDITOR": str(editor), "VISUAL": ""})
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    result = run("edit", "n/definition", env={"MLSD_FLASH_HOME": str(home), "EDITOR": 'vim "unclosed', "VISUAL": ""})
    assert result.returncode == 1 and result.stderr.startswith("Error: cannot read $EDITOR")
    assert len(result.stderr.strip().splitlines()) == 1


# -- fuzz: mutated card files --------------------------------------------------------------------
TOKENS = [b"&a ", b"*a", b"[", b"]", b"{", b"}", b": ", b"- ", b"\n", b"  ", b"\t", b"!!python/object:os.system ",
          b"<<: *a", b"'", b'"', b"\\", b"{{c1::", b"}}", b"#", b"|", b">-", b"%YAML 1.1\n", b"---\n", b"\x00",
          b"\xff", b"\xe2\x80\xae", b"id: ", b"notes:", b"cloze:", b"? ", b"&b [*b]", b"\x1b[31m"]


def mutate(data: bytes, rng: random.Random, edits: int) -> bytes:
    out = bytearray(data)
    for _ in range(edits):
        at = rng.randrange(len(out) + 1)
        kind = rng.random()
        if kind < 0.5:
            out[at:at] = rng.choice(TOKENS)
        elif kind < 0.8:
            del out[at:at + rng.randint(1, 12)]
        else:
            out[at:at] = out[rng.randrange(len(out)):][:rng.randint(1, 40)]
    return bytes(out)


SEED = SAMPLE.encode()


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=12))
def test_fuzz_the_parser_never_raises_or_hangs(seed, edits):
    data = mutate(SEED, random.Random(seed), edits)
    notes, problems = parse_bytes(data, "fuzz.yaml")
    for p in problems:
        assert p.line >= 1 and p.column >= 1 and "\n" not in p.message


def test_fuzz_the_real_command_ends_with_one_line_or_success(tmp_path):
    rng = random.Random(20261130)
    for i in range(12):
        f = tmp_path / f"fuzz{i}.yaml"
        f.write_bytes(mutate(SEED, rng, rng.randint(1, 10)))
        result = run("check", f, timeout=30)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr
        assert all(line.startswith((str(f), "Error: ")) for line in result.stderr.splitlines()), result.stderr


def test_a_symlink_loop_in_a_card_folder_is_reported_once(tmp_path):
    folder = tmp_path / "cards"
    write(folder / "a.yaml", SAMPLE)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    result = run("check", folder, timeout=30)
    loops = [line for line in result.stderr.splitlines() if "symbolic link loop" in line]
    assert len(loops) == 1 and result.returncode == 1
    assert "Traceback" not in result.stderr
