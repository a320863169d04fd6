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

Two things keep a no-op rebuild of a big vault at a few percent of a full build: the cache
remembers a summary of each lock it was made against (the file's digest and each topic's
entries' digest), so the lock is parsed only when its bytes changed; and a skipped topic's
note rows stay encoded until a report lists them (``--json``), since the summary table
only needs their number.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, overload

from .identity import Lock, LockEntry
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
CACHE_VERSION = 2
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "genanki", "pygments", "pylatexenc")

Stat = tuple[int, int]  # (size, mtime_ns): a file rewritten since is not the one we recorded


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedTopic:
    key: str  # digest of every input (see input_key)
    package: str | None  # path of the package written, None when the topic had no notes
    package_stat: Stat | None
    media: tuple[tuple[str, Stat], ...]  # bundled images and their stats
    cards: int
    concepts: int
    rows: str  # JSON: per note [guid, mod, prompt, deck, tags, line, [[name, path], ...]]
    unanswered: tuple[dict[str, Any], ...]  # prompt, path, flags, line


@dataclass(frozen=True, slots=True)
class LockSummary:
    """What a topic's cache key needs from a lock, without the lock's 20,000 entries."""

    digest: str  # sha256 of the lock file's bytes; "" when there is no file
    note_type: tuple[str | None, int | None]  # the lock's note type digest and mod
    topics: Mapping[str, str]  # topic -> lock_digest of its entries
    # The file is ankigen's own encoding of the lock (dump_lock), sorted, one entry a line.
    # Only such a summary is cached: load_lock_topics relies on that layout.
    sound: bool = True


def bytes_digest(data: bytes) -> str:
    """A lock file's digest; "" for no file (or an empty one, which reads the same)."""
    return hashlib.sha256(data).hexdigest() if data else ""


def summarise(
    lock: Lock, digest: str, before: LockSummary | None = None, *, sound: bool = True
) -> LockSummary:
    """``lock``'s summary; the digests of topics it kept unread (``lock.others``, verbatim
    lines) are ``before``'s: those of the lock it was read from."""
    by_topic: dict[str, list[LockEntry]] = defaultdict(list)
    for entry in lock.entries:
        by_topic[entry.topic].append(entry)
    topics = {topic: lock_digest(entries) for topic, entries in by_topic.items()}
    if lock.others is not None:
        if before is None:
            raise ValueError("a partly read lock needs the summary of the lock it came from")
        topics.update({topic: before.topics[topic] for topic in lock.others.topics})
    return LockSummary(
        digest=digest,
        note_type=(lock.note_type_digest, lock.note_type_mod),
        topics=topics,
        sound=sound,
    )


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
    lock: LockSummary,
    note_type_digest: str,
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
        "note_type": [note_type_digest, *lock.note_type],  # templates now; digest, mod in lock
        "lock": lock.topics.get(source.topic, _NO_ENTRIES),
        "options": options,
    }
    h.update(json.dumps(header, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(b"\0")
    h.update(source.text.encode())
    return h.hexdigest()


_NO_ENTRIES = lock_digest(())


def load_cache(out_dir: Path) -> tuple[dict[str, CachedTopic], dict[str, LockSummary]]:
    """Topic name -> record, and lock path -> summary; a missing or unreadable cache is empty."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}, {}
        records = {
            name: CachedTopic(
                key=item["key"],
                package=item["package"],
                package_stat=tuple(item["package_stat"]) if item["package_stat"] else None,
                media=tuple((path, (stat[0], stat[1])) for path, stat in item["media"]),
                cards=item["cards"],
                concepts=item["concepts"],
                rows=item["rows"],
                unanswered=tuple(item["unanswered"]),
            )
            for name, item in data["topics"].items()
        }
        locks = {
            path: LockSummary(
                digest=item["digest"],
                note_type=(item["note_type"][0], item["note_type"][1]),
                topics=item["topics"],
            )
            for path, item in data["locks"].items()
        }
        return records, locks
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return {}, {}  # any doubt: rebuild everything


def save_cache(
    out_dir: Path, records: Mapping[str, CachedTopic], locks: Mapping[str, LockSummary]
) -> None:
    payload = {
        "version": CACHE_VERSION,
        "locks": {
            path: {"digest": s.digest, "note_type": list(s.note_type), "topics": dict(s.topics)}
            for path, s in sorted(locks.items())
            if s.sound
        },
        "topics": {
            name: {
                "key": r.key,
                "package": r.package,
                "package_stat": list(r.package_stat) if r.package_stat else None,
                "media": [[path, list(stat)] for path, stat in r.media],
                "cards": r.cards,
                "concepts": r.concepts,
                "rows": r.rows,
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
    rows = [
        [
            item.guid,
            item.mod,
            item.note.prompt,
            item.note.deck,
            list(item.note.tags),
            item.note.origin.line,
            [[ref.name, ref.source.as_posix()] for ref in item.note.media],
        ]
        for item in notes
    ]
    return CachedTopic(
        key=key,
        package=package.as_posix() if package is not None else None,
        package_stat=package_stat,
        media=tuple(sorted(media.items())),
        cards=len(notes),
        concepts=sum(1 for item in notes if "concept" in item.note.tags),
        rows=json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
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


class CachedNotes(Sequence[IdentifiedNote]):
    """A skipped topic's notes, decoded from the cache only if a report lists them: the
    summary table needs only how many there are (every one unchanged) and how many are
    concept cards. The notes carry identity, deck, tags and location but no fields:
    nothing reads a skipped topic's card HTML (preview and check build without the cache).
    """

    def __init__(self, source: SourceFile, record: CachedTopic) -> None:
        self.concepts = record.concepts
        self._count = record.cards
        self._source = source
        self._rows = record.rows
        self._notes: tuple[IdentifiedNote, ...] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> IdentifiedNote: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[IdentifiedNote]: ...
    def __getitem__(self, index: int | slice) -> IdentifiedNote | Sequence[IdentifiedNote]:
        return self._decoded()[index]

    def __iter__(self) -> Iterator[IdentifiedNote]:
        return iter(self._decoded())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def _decoded(self) -> tuple[IdentifiedNote, ...]:
        if self._notes is None:
            topic, where = self._source.topic, self._source.path
            self._notes = tuple(
                IdentifiedNote(
                    note=Note(
                        topic=topic,
                        deck=deck,
                        prompt=prompt,
                        fields=(),
                        tags=tuple(tags),
                        origin=SourceLocation(where, line),
                        media=tuple(MediaRef(name, Path(path)) for name, path in media),
                    ),
                    guid=guid,
                    mod=mod,
                    change=Change.UNCHANGED,
                )
                for guid, mod, prompt, deck, tags, line, media in json.loads(self._rows)
            )
        return self._notes


def skipped_result(source: SourceFile, record: CachedTopic) -> TopicResult:
    """The report's view of a topic left as it was: every note unchanged, no problems."""
    where = source.path
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
    return TopicResult(
        topic=topic, notes=CachedNotes(source, record), package=package, skipped=True
    )
