"""``[tool.ankigen]`` in pyproject.toml: the project's defaults, which flags override.

The nearest pyproject.toml (the current directory, then its parents) is read. Relative paths
in it are relative to that file's directory, and are re-expressed relative to the current
directory so messages and the cards' Source field read as the user would type them. A key
this module does not know is an error naming the file and the valid keys: a typo such as
``deck-prefix`` must not be silently ignored.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import CODES

PYPROJECT = "pyproject.toml"
SECTION = "tool.ankigen"

# key -> what it holds, for error messages
KEYS: Mapping[str, str] = {
    "sources": "a list of note files or directories",
    "out": "the output directory",
    "deck_prefix": "a parent deck name for every topic",
    "extra_tags": "a list of tags added to every note",
    "fetch_media": "true to download remote images and bundle them",
    "media_cache": "the directory fetched images are kept in",
    "topics": "a table mapping a file stem to a topic name",
    "strict": "true to fail on warnings too",
    "accept": 'a list of warning codes reported as notes, e.g. ["missing-image"]',
}


class ConfigError(Exception):
    """pyproject.toml's ``[tool.ankigen]`` cannot be used; the message names the file."""


def _no_topics() -> dict[str, str]:
    return {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What ``[tool.ankigen]`` says; None means the key is absent (use the built-in default)."""

    file: Path | None = None
    sources: tuple[Path, ...] | None = None
    out: Path | None = None
    deck_prefix: str | None = None
    extra_tags: tuple[str, ...] | None = None
    fetch_media: bool | None = None
    media_cache: Path | None = None
    topics: dict[str, str] = field(default_factory=_no_topics)
    strict: bool | None = None
    accept: tuple[str, ...] = ()


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def load_settings(start: Path | None = None) -> Settings:
    """Settings from the nearest pyproject.toml; none found, or no section: empty Settings."""
    cwd = (Path.cwd() if start is None else start).resolve()
    file = find_pyproject(cwd)
    if file is None:
        return Settings()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{_shown(file, cwd)}: cannot read: {exc}") from None
    tool = data.get("tool", {})
    section = tool.get("ankigen") if isinstance(tool, dict) else None
    if section is None:
        return Settings(file=file)
    return parse_settings(section, file=file, cwd=cwd)


def parse_settings(section: Any, *, file: Path, cwd: Path) -> Settings:
    where = f"{_shown(file, cwd)}: [{SECTION}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        names = ", ".join(unknown)
        valid = ", ".join(KEYS)
        raise ConfigError(f"{where}: unknown key(s) {names}; valid keys: {valid}")
    base = file.parent

    def path(key: str) -> Path | None:
        value = section.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: '{key}' must be {KEYS[key]} (a string)")
        return _relative(base / value, cwd)

    def strings(key: str) -> tuple[str, ...] | None:
        value = section.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: '{key}' must be {KEYS[key]} (strings)")
        return tuple(value)

    def flag(key: str) -> bool | None:
        value = section.get(key)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false")
        return value

    deck_prefix = section.get("deck_prefix")
    if deck_prefix is not None and not isinstance(deck_prefix, str):
        raise ConfigError(f"{where}: 'deck_prefix' must be {KEYS['deck_prefix']} (a string)")
    topics = section.get("topics", {})
    if not isinstance(topics, dict) or not all(
        isinstance(v, str) and v.strip() for v in topics.values()
    ):
        raise ConfigError(f"{where}: 'topics' must be {KEYS['topics']}, e.g. {{ml = \"ML\"}}")
    sources = strings("sources")
    if sources == ():
        raise ConfigError(f"{where}: 'sources' is empty; name at least one folder or file")
    accept = strings("accept") or ()
    if unknown_codes := sorted(set(accept) - set(CODES)):
        raise ConfigError(
            f"{where}: 'accept' has unknown code(s) {', '.join(unknown_codes)}; "
            f"valid codes: {', '.join(CODES)}"
        )
    return Settings(
        file=file,
        sources=None if sources is None else tuple(_relative(base / s, cwd) for s in sources),
        out=path("out"),
        deck_prefix=deck_prefix or None,
        extra_tags=strings("extra_tags"),
        fetch_media=flag("fetch_media"),
        media_cache=path("media_cache"),
        topics=dict(topics),
        strict=flag("strict"),
        accept=accept,
    )


def _relative(path: Path, cwd: Path) -> Path:
    """``path`` as seen from ``cwd``: unchanged below it, ``../x`` from a subdirectory."""
    try:
        return Path(os.path.relpath(path, cwd))
    except ValueError:  # another drive on Windows
        return path


def _shown(file: Path, cwd: Path) -> str:
    return _relative(file, cwd).as_posix()
