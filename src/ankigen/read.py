"""Bytes on disk -> SourceFile: the only parse-side stage that touches the file system."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .model import Diagnostic, Level, SourceFile, SourceLocation

NOTE_SUFFIXES = (".md", ".markdown", ".txt")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_TOPIC_KEY = re.compile(r"^(?:topic|deck|title)[ \t]*:[ \t]*(.+?)[ \t]*$", re.M)


@dataclass(frozen=True, slots=True)
class ReadResult:
    source: SourceFile | None
    diagnostics: tuple[Diagnostic, ...] = ()


def find_sources(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (note file, its root) for files and directories, sorted, hidden entries skipped."""
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            for path in sorted(given.rglob("*")):
                rel = path.relative_to(given)
                if any(part.startswith((".", "_")) for part in rel.parts):
                    continue
                if path.is_file() and path.suffix.lower() in NOTE_SUFFIXES:
                    if path.name.lower() in {"readme.md", "readme.txt"}:
                        continue
                    yield path, root
        else:
            yield given, given.resolve().parent


def topic_from_name(path: Path) -> str:
    return path.stem.strip() or path.name


def read_source(path: Path, root: Path) -> ReadResult:
    """Decode one note file; every way it can fail is a diagnostic, never a traceback."""
    at = SourceLocation(path, 1)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ReadResult(None, (Diagnostic(Level.ERROR, f"cannot read file: {exc.strerror}", at),))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        hint = "save the file as UTF-8 (most editors: 'Save with encoding')"
        return ReadResult(
            None, (Diagnostic(Level.ERROR, message, SourceLocation(path, line), hint),)
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    topic = topic_from_name(path)
    front = _FRONT_MATTER.match(text)
    body = text[front.end() :] if front else text
    if front and (named := _TOPIC_KEY.search(front.group(1) or "")):
        topic = named.group(1).strip("'\"") or topic
    source = SourceFile(path=path, root=root, topic=topic, text=text)
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
