"""Settings and paths: where the user's data lives and how the scheduler behaves.

Paths follow the platform's conventions (platformdirs) unless `MLSD_FLASH_HOME` or `--data-dir`
names one folder for everything, which is also how tests keep away from the real home.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

APP = "mlsd-flash"
HOME_ENV = "MLSD_FLASH_HOME"


class ConfigError(Exception):
    """A setting with a value we cannot use; the message names the setting and the file."""


class Paths(NamedTuple):
    data_dir: Path
    config_file: Path
    cache_dir: Path

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def personal_dir(self) -> Path:
        return self.data_dir / "cards"

    @property
    def personal_file(self) -> Path:
        return self.personal_dir / "personal.yaml"


def resolve_paths(data_dir: str | os.PathLike | None = None, source: str | None = None) -> Paths:
    """The paths under `data_dir` (from `source`: MLSD_FLASH_HOME or --data-dir), else the platform's.

    A data folder that cannot be one (a file, or inside a file) is a ConfigError naming where it came
    from, since that is what the user has to change."""
    base = data_dir or os.environ.get(HOME_ENV)
    if base:
        base = Path(base).expanduser()
        check_data_dir(base, source or ("--data-dir" if data_dir else HOME_ENV))
        return Paths(base, base / "config.yaml", base / "cache")
    import platformdirs

    return Paths(
        Path(platformdirs.user_data_dir(APP, appauthor=False)),
        Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.yaml",
        Path(platformdirs.user_cache_dir(APP, appauthor=False)),
    )


def named_by(source: str, folder: Path) -> str:
    """How the user wrote the data folder: `MLSD_FLASH_HOME=/x` or `--data-dir /x`."""
    return f"{source}={folder}" if source == HOME_ENV else f"{source} {folder}"


def check_data_dir(base: Path, source: str) -> None:
    """Refuse a data folder that is a file or lies inside one; a missing folder is made when needed."""
    for folder in (base, *base.parents):
        if folder.is_dir():
            return
        if os.path.lexists(folder):
            what = "a file" if folder.is_file() else "not a folder"
            where = "it is" if folder == base else f"{folder} is"
            raise ConfigError(f"{named_by(source, base)} cannot be the data folder: {where} {what}; "
                              "point it at a folder")


_STEP = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_steps(value) -> tuple[str, ...]:
    """Learning steps as Anki writes them: '1m 10m', each a number and a unit (s, m, h, d)."""
    items = value.split() if isinstance(value, str) else list(value or [])
    steps = []
    for item in items:
        item = str(item).strip()
        if not _STEP.match(item) or float(_STEP.match(item).group(1)) <= 0:
            raise ValueError(f"'{item}' is not a step such as 1m, 10m, 1h or 1d")
        steps.append(item)
    return tuple(steps)


def step_seconds(step: str) -> float:
    number, unit = _STEP.match(step).groups()
    return float(number) * _UNIT_SECONDS[unit]


class Settings(NamedTuple):
    """The scheduler's and the daily queue's settings (see DESCRIPTIONS), immutable."""

    desired_retention: float = 0.9
    learning_steps: tuple[str, ...] = ("1m", "10m")
    relearning_steps: tuple[str, ...] = ("10m",)
    maximum_interval: int = 36500
    new_per_day: int = 20
    reviews_per_day: int = 200
    day_starts_at: int = 4
    fuzz: bool = True
    new_order: str = "deck"
    card_dirs: tuple[str, ...] = ()
    interview_date: str = ""
    mock_minutes: tuple[int, ...] = (5, 4, 3, 5, 8, 4, 4, 6, 6)
    target_cases: tuple[str, ...] = ()
    interview_final_days: int = 3
    fsrs_parameters: tuple[float, ...] = ()  # empty: FSRS-6's defaults
    leech_threshold: int = 8
    leech_action: str = "suspend"

    def to_dict(self) -> dict:
        d = self._asdict()
        for k in ("learning_steps", "relearning_steps", "card_dirs", "mock_minutes", "target_cases",
                  "fsrs_parameters"):
            d[k] = list(d[k])
        return d


DESCRIPTIONS = {
    "desired_retention": "share of cards you want to recall when they come due (0.70-0.99)",
    "learning_steps": "waits between the first answers of a new card, e.g. '1m 10m'",
    "relearning_steps": "waits after a forgotten review card, e.g. '10m'",
    "maximum_interval": "longest interval in days",
    "new_per_day": "new cards introduced per day",
    "reviews_per_day": "most review cards shown per day",
    "day_starts_at": "local hour at which a new day starts (0-23)",
    "fuzz": "spread due dates a little so cards learned together don't stay together (true/false)",
    "new_order": "order of new cards: deck or random",
    "card_dirs": "extra folders of your own YAML notes",
    "interview_date": "date of your interview (YYYY-MM-DD) for `mlsd-flash stats` readiness, or empty",
    "mock_minutes": "minutes per stage of a mock interview, nine numbers in framework order",
    "target_cases": "interview cases whose cards you meet first, e.g. 'case-instagram-feed case-rag-assistant'",
    "interview_final_days": "days before the interview in which the weakest cards are brought forward (0-30)",
    "fsrs_parameters": "your 21 FSRS parameters (set by `mlsd-flash optimize`); empty for the defaults",
    "leech_threshold": "lapses after which a card is a leech (1-99)",
    "leech_action": "what happens to a leech: suspend or tag",
}


def _coerce(name: str, value):
    """Turn a value from the file or the command line into the setting's type, or say why not."""
    try:
        if name == "desired_retention":
            v = float(value)
            if not 0.7 <= v <= 0.99:
                raise ValueError("must be between 0.70 and 0.99")
            return v
        if name in ("learning_steps", "relearning_steps"):
            steps = parse_steps(value)
            if name == "learning_steps" and not steps:
                raise ValueError("needs at least one step, e.g. '1m 10m'")
            return steps
        if name in ("maximum_interval", "new_per_day", "reviews_per_day", "day_starts_at", "interview_final_days",
                    "leech_threshold"):
            low, high = {"maximum_interval": (1, 36500), "day_starts_at": (0, 23),
                         "interview_final_days": (0, 30), "leech_threshold": (1, 99)}.get(name, (0, 100000))
            v = _whole_number(value)
            if v is None:
                raise ValueError(f"must be a whole number from {low} to {high}")
            if not low <= v <= high:
                raise ValueError(f"must be between {low} and {high}")
            return v
        if name == "fuzz":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "on", "1"):
                return True
            if text in ("false", "no", "off", "0"):
                return False
            raise ValueError("must be true or false")
        if name == "leech_action":
            if value not in ("suspend", "tag"):
                raise ValueError("must be 'suspend' or 'tag'")
            return value
        if name == "new_order":
            if value not in ("deck", "random"):
                raise ValueError("must be 'deck' or 'random'")
            return value
        if name == "interview_date":
            text = "" if value is None else str(value).strip()
            if not text:
                return ""
            from datetime import date

            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValueError("must be a date such as 2026-12-15, or empty") from None
        if name == "target_cases":
            items = value.split() if isinstance(value, str) else list(value or [])
            for item in items:
                if not re.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", str(item)):
                    raise ValueError(f"'{item}' is not a case id such as case-instagram-feed")
            return tuple(str(i) for i in items)
        if name == "fsrs_parameters":
            items = value.split() if isinstance(value, str) else list(value or [])
            if items and len(items) != 21:
                raise ValueError("needs the 21 FSRS-6 parameters, or nothing for the defaults")
            return tuple(float(i) for i in items)
        if name == "mock_minutes":
            items = value.split() if isinstance(value, str) else list(value or [])
            if len(items) != 9:
                raise ValueError("needs nine whole numbers of minutes, one per stage (framing ... pitfalls)")
            minutes = []
            for item in items:
                if isinstance(item, bool) or not str(item).strip().isdigit() or not 1 <= int(item) <= 60:
                    raise ValueError(f"'{item}' is not a whole number of minutes from 1 to 60")
                minutes.append(int(item))
            return tuple(minutes)
        if name == "card_dirs":  # an empty item is no folder at all, never "." (the current folder)
            items = [value] if isinstance(value, str) else list(value or [])
            return tuple(str(Path(str(v).strip()).expanduser()) for v in items if v is not None and str(v).strip())
    except ValueError as exc:
        msg = str(exc)
        if msg.startswith(("could not convert", "invalid literal")):
            msg = "must be a number"
        raise ConfigError(f"{name} {msg} (got {value!r})") from None
    raise ConfigError(f"unknown setting '{name}' (known: {', '.join(DESCRIPTIONS)})")


def _whole_number(value) -> int | None:
    """An integer from the file (2, 2.0) or the command line ('2', '-5'); None for 2.5, 'abc' or true."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def load_settings(config_file: Path) -> Settings:
    """Read the settings file; a missing file means the defaults."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_file}: cannot read settings: {exc}") from None
    import yaml  # only now: most users never write a settings file

    from .plainyaml import load

    try:
        data = load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{config_file}:{mark.line + 1}:{mark.column + 1}" if mark else str(config_file)
        reason = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{where}: settings are not valid YAML ({reason})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{config_file}: settings must be a mapping of names to values")
    values = {}
    for name, value in data.items():
        try:
            values[name] = _coerce(str(name), value)
        except ConfigError as exc:
            raise ConfigError(f"{config_file}: {exc}") from None
    return Settings(**values)


def with_setting(settings: Settings, name: str, value) -> Settings:
    if name not in Settings._fields:
        raise ConfigError(f"unknown setting '{name}' (known: {', '.join(DESCRIPTIONS)})")
    return settings._replace(**{name: _coerce(name, value)})


def without_setting(settings: Settings, name: str) -> Settings:
    """`name` back at its default value."""
    if name not in Settings._fields:
        raise ConfigError(f"unknown setting '{name}' (known: {', '.join(DESCRIPTIONS)})")
    return settings._replace(**{name: Settings._field_defaults[name]})


def save_settings(config_file: Path, settings: Settings) -> None:
    """Write only the settings that differ from the defaults, atomically."""
    import yaml

    defaults = Settings().to_dict()
    changed = {k: v for k, v in settings.to_dict().items() if defaults[k] != v}
    config_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = config_file.with_suffix(".tmp")
    tmp.write_text("# mlsd-flash settings (see `mlsd-flash config`)\n" + yaml.safe_dump(changed, sort_keys=False),
                   encoding="utf-8")
    os.replace(tmp, config_file)
