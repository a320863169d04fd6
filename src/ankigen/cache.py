"""The incremental-build cache: which topics' packages are already what a build would write.

A package is a pure function of its topic's text (and path and root, which appear on cards and
locate images), the images it bundles, its lock entries, the note type and its mod, the build
options, and ankigen's own code and libraries. ``dist/.ankigen-cache.json`` records a digest of
all of these per topic, taken after the topic was last written, plus the package's size and
mtime. A topic whose digest, package and images all still match is skipped: neither parsed nor
written. Anything unexpected (no cache, a damaged one, another version, a moved package, a
changed image) means "build it": the cache can only make a build skip work, never change its
output. Topics that reported any problem are never cached, so every warning is shown again on
every build, and a skipped topic's report can honestly say "no problems, nothing changed".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .identity import LockEntry
from .model import (
    Change,
    Flag,
    IdentifiedNote,
    MediaRef,
    Note,
    SourceFile,
    SourceLocation,
    Topic,
    TopicResult,
    Unanswered,
)

CACHE_NAME = ".ankigen-cache.json"
CACHE_VERSION = 1
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "genanki", "pygments", "pylatexenc")

Stat = tuple[int, int]  # (size, mtime_ns): a file rewritten since is not the one we recorded


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedTopic:
    key: str  # digest of every input (see input_key)
    package: str | None  # path of the package written, None when the topic had no notes
    package_stat: Stat | None
    media: tuple[tuple[str, Stat], ...]  # bundled images and their stats
    notes: tuple[dict[str, Any], ...]  # guid, prompt, deck, tags, line: enough for the report
    unanswered: tuple[dict[str, Any], ...]  # prompt, path, flags, line


def _stat(path: Path) -> Stat | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


@cache
def code_digest() -> str:
    """ankigen's own source files (name, size, mtime) and its libraries' versions.

    An editable install changes code without changing the version: a stat of each module
    catches that for the price of a few dozen stat calls.
    """
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(f"{path.relative_to(package)}\0{_stat(path)}\0".encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "?"
        h.update(f"{name}={version}\0".encode())
    return h.hexdigest()


def lock_digest(entries: Iterable[LockEntry]) -> str:
    # Unit and record separators cannot occur in a lock's values: joining is unambiguous,
    # and much cheaper than JSON for a vault's tens of thousands of entries.
    rows = sorted(
        "\x1f".join((e.topic, e.key, e.guid, str(e.mod), e.content_hash, e.deck, e.prompt))
        for e in entries
    )
    return hashlib.sha256("\x1e".join(rows).encode()).hexdigest()


def input_key(
    source: SourceFile,
    *,
    lock_entries: Iterable[LockEntry],
    note_type: tuple[str, str | None, int | None],
    options: Mapping[str, Any],
) -> str:
    """Digest of everything a topic's package depends on, except its images' bytes."""
    h = hashlib.sha256()
    header = {
        "cache": CACHE_VERSION,
        "code": code_digest(),
        "path": source.path.as_posix(),
        "root": source.root.as_posix(),
        "topic": source.topic,
        "note_type": list(note_type),  # templates now; digest and mod in the lock
        "lock": lock_digest(lock_entries),
        "options": options,
    }
    h.update(json.dumps(header, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(b"\0")
    h.update(source.text.encode())
    return h.hexdigest()


def load_cache(out_dir: Path) -> dict[str, CachedTopic]:
    """Topic name -> record; a missing or unreadable cache is an empty one."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {
            name: CachedTopic(
                key=item["key"],
                package=item["package"],
                package_stat=tuple(item["package_stat"]) if item["package_stat"] else None,
                media=tuple((path, (stat[0], stat[1])) for path, stat in item["media"]),
                notes=tuple(item["notes"]),
                unanswered=tuple(item["unanswered"]),
            )
            for name, item in data["topics"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return {}  # any doubt: rebuild everything


def save_cache(out_dir: Path, records: Mapping[str, CachedTopic]) -> None:
    payload = {
        "version": CACHE_VERSION,
        "topics": {
            name: {
                "key": r.key,
                "package": r.package,
                "package_stat": list(r.package_stat) if r.package_stat else None,
                "media": [[path, list(stat)] for path, stat in r.media],
                "notes": list(r.notes),
                "unanswered": list(r.unanswered),
            }
            for name, r in sorted(records.items())
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f"{CACHE_NAME}.", suffix=".tmp")
    try:
        # One json.dumps, not json.dump: only the one-shot call uses the C encoder (5x faster).
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_dir / CACHE_NAME)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def still_valid(record: CachedTopic, key: str) -> bool:
    """The recorded package is exactly what building the topic now would write."""
    if record.key != key:
        return False
    if record.package is not None and _stat(Path(record.package)) != record.package_stat:
        return False
    return all(_stat(Path(path)) == stat for path, stat in record.media)


def record(
    key: str, package: Path | None, notes: Sequence[IdentifiedNote], topic: Topic
) -> CachedTopic | None:
    """What to remember of a topic just written; None if it cannot be trusted to stay so."""
    package_stat = _stat(package) if package is not None else None
    if package is not None and package_stat is None:
        return None
    media: dict[str, Stat] = {}
    for ref in sorted({ref for item in notes for ref in item.note.media}):
        stat = _stat(ref.source)
        if stat is None:
            return None
        media[ref.source.as_posix()] = stat
    return CachedTopic(
        key=key,
        package=package.as_posix() if package is not None else None,
        package_stat=package_stat,
        media=tuple(sorted(media.items())),
        notes=tuple(
            {
                "guid": item.guid,
                "mod": item.mod,
                "prompt": item.note.prompt,
                "deck": item.note.deck,
                "tags": list(item.note.tags),
                "line": item.note.origin.line,
                "media": [[ref.name, ref.source.as_posix()] for ref in item.note.media],
            }
            for item in notes
        ),
        unanswered=tuple(
            {
                "prompt": u.prompt,
                "path": list(u.path),
                "flags": sorted(f.value for f in u.flags),
                "line": u.origin.line,
            }
            for u in topic.unanswered
        ),
    )


def skipped_result(source: SourceFile, record: CachedTopic) -> TopicResult:
    """The report's view of a topic left as it was: every note unchanged, no problems.

    The notes carry identity, deck, tags and location but no fields: nothing reads a
    skipped topic's card HTML (a preview or check builds without the cache).
    """
    where = source.path
    notes = tuple(
        IdentifiedNote(
            note=Note(
                topic=source.topic,
                deck=item["deck"],
                prompt=item["prompt"],
                fields=(),
                tags=tuple(item["tags"]),
                origin=SourceLocation(where, item["line"]),
                media=tuple(MediaRef(name, Path(path)) for name, path in item["media"]),
            ),
            guid=item["guid"],
            mod=item["mod"],
            change=Change.UNCHANGED,
        )
        for item in record.notes
    )
    unanswered = tuple(
        Unanswered(
            topic=source.topic,
            path=tuple(item["path"]),
            prompt=item["prompt"],
            flags=frozenset(Flag(f) for f in item["flags"]),
            origin=SourceLocation(where, item["line"]),
        )
        for item in record.unanswered
    )
    topic = Topic(name=source.topic, source=where, unanswered=unanswered)
    package = Path(record.package) if record.package is not None else None
    return TopicResult(topic=topic, notes=notes, package=package, skipped=True)
