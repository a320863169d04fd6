"""Bytes on disk -> SourceFile: the only parse-side stage that touches the file system."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .model import LOCK_NAME, Diagnostic, Level, SourceFile, SourceLocation

NOTE_SUFFIXES = (".md", ".markdown", ".txt")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"^([A-Za-z_]+)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
_TOPIC_KEYS = ("topic", "deck")  # front matter that names the package; `title:` does not


@dataclass(frozen=True, slots=True)
class ReadResult:
    source: SourceFile | None
    diagnostics: tuple[Diagnostic, ...] = ()


def notes_root(folder: Path) -> Path:
    """The folder whose ankigen.lock describes notes in ``folder``: the nearest one up that
    has a lock, so building one file or subfolder uses the same lock (and the same media
    boundary) as building everything; else ``folder`` itself. The search stops at a project
    boundary (a folder with .git or pyproject.toml)."""
    start = folder.resolve()
    for candidate in (start, *start.parents):
        if (candidate / LOCK_NAME).is_file():
            return candidate
        if (candidate / ".git").exists() or (candidate / "pyproject.toml").is_file():
            break
    return start


def find_sources(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (note file, its notes root) for files and directories, sorted, each once;
    hidden and ``_``-prefixed entries and READMEs are skipped, absent paths yield nothing."""
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            root = notes_root(given)
            found: Iterator[Path] = (
                path
                for path in sorted(given.rglob("*"))
                if path.is_file()
                and path.suffix.lower() in NOTE_SUFFIXES
                and path.name.lower() not in {"readme.md", "readme.txt"}
                and not any(part.startswith((".", "_")) for part in path.relative_to(given).parts)
            )
        elif given.is_file():
            root = notes_root(given.parent)
            found = iter((given,))
        else:
            continue
        for path in found:
            if (key := path.resolve()) not in seen:
                seen.add(key)
                yield path, root


def declared_topic(text: str) -> str | None:
    """``topic:`` (or ``deck:``) in the front matter, if the file names its topic."""
    front = _FRONT_MATTER.match(text)
    if not front:
        return None
    fields: dict[str, str] = dict(_FIELD.findall(front.group(1) or ""))
    for key in _TOPIC_KEYS:
        if value := fields.get(key, "").strip().strip("'\""):
            return value
    return None


_TAGS_FIELD = re.compile(r"^tags?[ \t]*:[ \t]*(.*?)[ \t]*$", re.M | re.I)
_LIST_ITEM = re.compile(r"^[ \t]*-[ \t]+(.+?)[ \t]*$")


def declared_tags(text: str) -> tuple[str, ...]:
    """``tags:`` in the front matter, as Obsidian and static-site notes write it: a list
    ``[a, b]``, a string ``a, b`` or ``a b``, or ``- a`` lines below. A leading ``#`` goes, and
    Obsidian's nested ``ml/nlp`` becomes Anki's ``ml::nlp``. (Front matter is YAML, but these
    forms are all notes use, and pyyaml is not worth a dependency for them.)"""
    front = _FRONT_MATTER.match(text)
    field = _TAGS_FIELD.search(front.group(1) or "") if front else None
    if front is None or field is None:
        return ()
    value = field.group(1)
    if value.startswith("[") and value.endswith("]"):
        items = value[1:-1].split(",")
    elif value:
        items = value.split(",") if "," in value else value.split()
    else:  # a block list on the lines below
        items = []
        for line in (front.group(1) or "")[field.end() :].split("\n")[1:]:
            if not (item := _LIST_ITEM.match(line)):
                break
            items.append(item.group(1))
    tags = (item.strip().strip("'\"").lstrip("#").strip().replace("/", "::") for item in items)
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def topic_from_name(path: Path) -> str:
    return path.stem.strip() or path.name


def _decoded(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def file_topic(path: Path) -> str:
    """The topic a note file names, read exactly as ``read_source`` reads it (BOM, CRLF), but
    never failing: an unreadable or undecodable file still names the topic of its file name."""
    try:
        text = _normalised(_decoded(path.read_bytes()).decode("utf-8", errors="replace"))
    except OSError:
        text = ""
    return declared_topic(text) or topic_from_name(path)


def read_source(path: Path, root: Path) -> ReadResult:
    """Decode one note file; every way it can fail is a diagnostic, never a traceback."""
    at = SourceLocation(path, 1)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ReadResult(None, (Diagnostic(Level.ERROR, f"cannot read file: {exc.strerror}", at),))
    data = _decoded(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        hint = "save the file as UTF-8 (most editors: 'Save with encoding')"
        return ReadResult(
            None, (Diagnostic(Level.ERROR, message, SourceLocation(path, line), hint),)
        )
    text = _normalised(text)
    topic = topic_from_name(path)
    front = _FRONT_MATTER.match(text)
    body = text[front.end() :] if front else text
    topic = declared_topic(text) or topic
    source = SourceFile(path=path, root=root, topic=topic, text=text, tags=declared_tags(text))
    if not body.strip():
        what = "has only front matter" if front else "is empty"
        return ReadResult(
            None,
            (
                Diagnostic(
                    Level.WARNING,
                    f"note file {what}: no questions to build",
                    at,
                    code="empty-file",
                ),
            ),
        )
    return ReadResult(source)
