"""Note identity: GUIDs, mod times and the lock file that remembers them.

Anki matches an imported note to the learner's copy by GUID alone and updates it only when
the package's mod is newer (ANKI.md, "Import" 1-2). So a GUID must survive every edit the
author thinks of as "the same question", and a mod must rise exactly when content changes.

Keys and GUIDs
    A note's key is its ``explicit_id`` (as ``id:<id>``) if the author wrote one, else its
    normalised prompt: NFKC (full-width = half-width), casefolded, with whitespace,
    punctuation, control and format characters and emoji variation selectors removed. The
    key never includes the answer or the section path, so answer edits and moving a question
    to another section keep the GUID. The n-th copy of a key inside one topic gets the key
    ``<key>#<n>`` (a warning names both places); ``#`` and ``:`` cannot occur in a normalised
    prompt, so these keys cannot collide with real ones. A new GUID is a base91 hash of
    (topic, key): a first build without a lock is reproducible, the same question in two
    topics is two notes, and a question deleted and later restored word for word gets its
    old GUID (and so its old reviews) back. A new GUID that is already taken in the lock is
    re-hashed with a counter.

Matching against the lock, per topic, in this order
    1. Exact: the lock has an entry with the same (topic, key).
    2. Rename: a lock topic that has no notes in this build (and is in ``topics_built``)
       is taken over by a new topic (not in the lock) when at least half of the smaller of
       the two topics' keys match exactly, and it is the only such pairing for both topics.
       Its entries then count as the new topic's, so renaming a file keeps every GUID.
    3. Similar: a note left unmatched is paired with an entry of its topic left unclaimed
       (a question whose text changed in this build) when their similarity is at least
       ``THRESHOLD`` = 0.8, where similarity is ``difflib.SequenceMatcher`` ratio on the
       normalised texts, raised to 0.9 when one text is a prefix of the other and the
       shorter has at least 4 characters (a clause appended or dropped). A pair is taken
       only if each is the other's best candidate and every runner-up, on either side, is
       at least ``MARGIN`` = 0.05 behind; otherwise the note is new and a warning names the
       competing candidates. Explicit ids never match by similarity.

Mods
    Unchanged content hash (fields, sorted tags, deck): the lock's mod, so Anki skips the
    note and the learner's own edits survive. Changed: ``max(now, old + 1)``, always above
    every earlier release even within one second. New: ``now``. The note type's mod follows
    the same rule on ``NoteType.digest``.

Removed notes
    An entry of a built topic that no note claims is reported as a ``RemovedNote`` and
    dropped from the new lock (Anki keeps the note; only the learner can delete it).

Lock format (``ankigen.lock``, UTF-8 JSON lines, diff-friendly)
    Line 1 is a header ``{"ankigen_lock": 1, "note_type": {"digest": ..., "mod": ...}}``;
    then one entry per note, sorted by (topic, key), each with the keys
    ``topic, key, guid, mod, hash, deck, prompt``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import json
import operator
import os
import re
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ankigen.model import (
    LOCK_NAME,
    Change,
    Diagnostic,
    Diagnostics,
    IdentifiedNote,
    Note,
    RemovedNote,
    quick_pickle,
)
from ankigen.notetype import FIELD_NAMES, NoteType

# parse/ writes a short question or a concept as "Section › Name"; see _moved.
SECTION_SEPARATOR = " › "
LOCK_VERSION = 1
THRESHOLD = 0.8
MARGIN = 0.05
PREFIX_SCORE = 0.9
PREFIX_MIN_CHARS = 4

_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
_DROPPED_CATEGORIES = ("P", "Z", "C")  # punctuation, separators, control/format/unassigned
_VARIATION_SELECTORS = {chr(c) for c in range(0xFE00, 0xFE10)}


class LockError(Exception):
    """The lock file cannot be read; the message starts with ``path:line:``."""


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class LockEntry:
    topic: str
    key: str
    guid: str
    mod: int
    content_hash: str
    deck: str
    prompt: str


# Enum member lookups cost a microsecond each on Python 3.11; assign makes 20,000 of them.
_NEW, _CHANGED, _UNCHANGED, _REMATCHED = (
    Change.NEW,
    Change.CHANGED,
    Change.UNCHANGED,
    Change.REMATCHED,
)
_LOCK_ORDER = operator.attrgetter("topic", "key")  # the lock file's line order
_LOCK_LINE = (  # json.dumps of an entry's record, given its values already encoded
    '{"topic": %s, "key": %s, "guid": %s, "mod": %d, "hash": %s, "deck": %s, "prompt": %s}'
)


class OtherTopics:
    """The lock lines of topics a build does not touch, kept verbatim (``load_lock_topics``).

    A one-file edit in a 20,000-note vault would otherwise spend most of its time parsing
    and re-encoding 20,000 lines it does not change.
    """

    __slots__ = ("_guids", "blocks")

    def __init__(self, blocks: Sequence[tuple[str, str]]) -> None:
        self.blocks = tuple(blocks)  # (topic, its lines, each ending in "\n"), topics sorted
        self._guids: frozenset[str] | None = None

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(topic for topic, _ in self.blocks)

    def guids(self) -> frozenset[str]:
        """Every GUID in these lines: what a new GUID must not be (read when one is needed).

        A pattern is exact here: the lines are ankigen's own encoding, in which a quote
        inside a value is always escaped, so ``"guid": "`` occurs only as the field itself.
        """
        if self._guids is None:
            self._guids = frozenset(
                json.loads(f'"{raw}"')
                for _, text in self.blocks
                for raw in _GUID_FIELD.findall(text)
            )
        return self._guids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OtherTopics) and self.blocks == other.blocks

    def __hash__(self) -> int:
        return hash(self.blocks)

    def __repr__(self) -> str:
        return f"OtherTopics({len(self.blocks)} topics)"


_GUID_FIELD = re.compile(r'"guid": "((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    entries: tuple[LockEntry, ...] = ()
    note_type_digest: str | None = None
    note_type_mod: int | None = None
    others: OtherTopics | None = None  # topics not read (load_lock_topics), kept verbatim


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    notes: tuple[IdentifiedNote, ...]  # in input order
    removed: tuple[RemovedNote, ...]
    diagnostics: tuple[Diagnostic, ...]
    lock: Lock  # what to save next to the notes
    note_type_mod: int
    renamed: tuple[tuple[str, str], ...] = ()  # (old topic, new topic) pairs carried over


# --- keys, hashes, GUIDs -------------------------------------------------------------------


def normalise(text: str) -> str:
    """The identity form of a prompt: what survives typing it again slightly differently."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        # Exact: the only ASCII characters outside P/Z/C are letters, digits and the
        # symbols that translate() keeps; the per-character loop below is 20x slower.
        kept = folded.translate(_ASCII_DROPPED)
    elif max(folded) < "\U00010000":
        kept = folded.translate(_bmp_dropped())
    else:
        kept = "".join(ch for ch in folded if not _dropped(ch))
    # A prompt of nothing but punctuation still needs a key of its own.
    return kept or "".join(folded.split())


def _dropped(ch: str) -> bool:
    return unicodedata.category(ch).startswith(_DROPPED_CATEGORIES) or ch in _VARIATION_SELECTORS


_ASCII_DROPPED = {cp: None for cp in range(128) if _dropped(chr(cp))}


@functools.cache
def _bmp_dropped() -> dict[int, None]:
    """The same test as a translate() table for the Basic Multilingual Plane, where nearly
    every note lives; built on first use (65,536 lookups, ~15 ms), not on import."""
    return {cp: None for cp in range(0x10000) if _dropped(chr(cp))}


def _base_key(note: Note) -> str:
    return f"id:{note.explicit_id}" if note.explicit_id else normalise(note.prompt)


def _text_of_key(key: str) -> str:
    """The normalised prompt a key was made from (without a duplicate's ``#n``)."""
    return key.split("#", 1)[0]


def content_hash(note: Note) -> str:
    """What Anki would show differently: fields, tags, deck. Not the media bytes: their
    names are content hashes and appear in the fields. Not the Source field either: it
    holds a line number, and an edit above a note must not re-send (and so overwrite the
    learner's own edits to) every note below it; Source is refreshed with real changes."""
    fields = tuple(
        "" if name == "Source" else value
        for name, value in zip(FIELD_NAMES, note.fields, strict=False)
    )
    payload = json.dumps([fields, sorted(note.tags), note.deck], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@quick_pickle
@dataclass(frozen=True, slots=True)
class Keyed:
    """A note with the inputs of its identity worked out: its key and content hash depend on
    the note alone, so a big build computes them in the parse workers, in parallel."""

    note: Note
    key: str  # before a duplicate's ``#n``
    digest: str  # content_hash(note)
    guid: str  # new_guid(topic, key): its GUID if it is new and not a duplicate


def keyed(note: Note) -> Keyed:
    key = _base_key(note)
    return Keyed(note, key, content_hash(note), new_guid(note.topic, key))


def new_guid(topic: str, key: str, salt: int = 0) -> str:
    """A deterministic Anki-style GUID: base91 of 64 bits of SHA-256 over (topic, key)."""
    material = f"ankigen\0{topic}\0{key}" + (f"\0{salt}" if salt else "")
    number = int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")
    digits: list[str] = []
    while True:
        number, rest = divmod(number, len(_BASE91))
        digits.append(_BASE91[rest])
        if number == 0:
            return "".join(reversed(digits))


def similarity(old: str, new: str) -> float:
    """How alike two normalised prompts are, 0..1; see the module docstring."""
    ratio = difflib.SequenceMatcher(None, old, new, autojunk=False).ratio()
    shorter, longer = sorted((old, new), key=len)
    if len(shorter) >= PREFIX_MIN_CHARS and longer.startswith(shorter):
        return max(ratio, PREFIX_SCORE)
    return ratio


def build_time() -> int:
    """``SOURCE_DATE_EPOCH`` if set (reproducible builds), else the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return int(time.time())
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer, not {value!r}") from None


def _next_mod(old: int | None, now: int) -> int:
    return now if old is None else max(now, old + 1)


# --- the lock file -------------------------------------------------------------------------

_ENTRY_FIELDS: Mapping[str, type] = {
    "topic": str,
    "key": str,
    "guid": str,
    "mod": int,
    "hash": str,
    "deck": str,
    "prompt": str,
}


def _parse_entry(data: Any, where: str) -> LockEntry:
    if not isinstance(data, dict):
        raise LockError(f"{where}: expected a JSON object")
    for name, kind in _ENTRY_FIELDS.items():
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise LockError(f"{where}: '{name}' must be a {kind.__name__}, not {value!r}")
    return LockEntry(
        topic=data["topic"],
        key=data["key"],
        guid=data["guid"],
        mod=data["mod"],
        content_hash=data["hash"],
        deck=data["deck"],
        prompt=data["prompt"],
    )


def _load_well_formed(lines: list[str]) -> Lock | None:
    """The common case, a lock as ankigen wrote it, in one JSON parse; None if in doubt.

    A no-op rebuild of a 20,000-note vault spent most of its time parsing the lock line by
    line; the careful reader below runs only when this one finds anything unexpected.
    """
    try:
        rows = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:
        return None
    if len(rows) != len(lines):  # two objects on one line: let the careful reader say where
        return None
    if not rows or not isinstance(rows[0], dict) or rows[0].get("ankigen_lock") != LOCK_VERSION:
        return None
    note_type = rows[0].get("note_type")
    if note_type is not None and not (
        isinstance(note_type, dict)
        and type(note_type.get("digest")) is str
        and type(note_type.get("mod")) is int
    ):
        return None
    entries = []
    try:
        for row in rows[1:]:
            values = (
                row["topic"],
                row["key"],
                row["guid"],
                row["hash"],
                row["deck"],
                row["prompt"],
            )
            if type(row["mod"]) is not int or any(type(v) is not str for v in values):
                return None
            topic, key, guid, content_hash, deck, prompt = values
            entries.append(
                LockEntry(
                    topic=topic,
                    key=key,
                    guid=guid,
                    mod=row["mod"],
                    content_hash=content_hash,
                    deck=deck,
                    prompt=prompt,
                )
            )
    except (KeyError, TypeError):
        return None
    if len({e.guid for e in entries}) != len(entries):
        return None
    if len({(e.topic, e.key) for e in entries}) != len(entries):
        return None
    return Lock(
        entries=tuple(entries),
        note_type_digest=note_type["digest"] if note_type else None,
        note_type_mod=note_type["mod"] if note_type else None,
    )


def load_lock(path: Path) -> Lock:
    """Read a lock file; a missing file is an empty lock, a damaged one a ``LockError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock()
    except UnicodeDecodeError as error:
        raise LockError(f"{path}:1: not UTF-8 ({error.reason})") from None
    except OSError as error:  # a folder of that name, no permission, …
        raise LockError(f"{path}:1: cannot read the lock file: {error.strerror}") from None
    # Lines end at "\n" only: str.splitlines() also splits at U+2028 and U+0085, which
    # json.dumps(ensure_ascii=False) leaves as they are inside a prompt.
    lines = [line for line in text.split("\n") if line.strip()]
    if (fast := _load_well_formed(lines)) is not None:
        return fast
    # Something is wrong: read line by line to say where.
    entries: list[LockEntry] = []
    header: dict[str, Any] | None = None
    seen_guids: dict[str, int] = {}
    seen_keys: dict[tuple[str, str], int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            hint = (
                " (an unresolved merge conflict?)" if line.startswith(("<<<", "===", ">>>")) else ""
            )
            raise LockError(f"{where}: not a JSON line: {error.msg}{hint}") from None
        if header is None:
            if not isinstance(data, dict) or data.get("ankigen_lock") != LOCK_VERSION:
                raise LockError(
                    f'{where}: expected the header {{"ankigen_lock": {LOCK_VERSION}, ...}}'
                )
            header = data
            continue
        entry = _parse_entry(data, where)
        if entry.guid in seen_guids:
            raise LockError(
                f"{where}: GUID {entry.guid!r} already used on line {seen_guids[entry.guid]}"
            )
        if (entry.topic, entry.key) in seen_keys:
            line_before = seen_keys[entry.topic, entry.key]
            raise LockError(
                f"{where}: key {entry.key!r} of topic {entry.topic!r} already on line {line_before}"
            )
        seen_guids[entry.guid] = number
        seen_keys[entry.topic, entry.key] = number
        entries.append(entry)
    if header is None:
        return Lock()
    note_type = header.get("note_type")
    digest: str | None = None
    mod: int | None = None
    if note_type is not None:
        if (
            not isinstance(note_type, dict)
            or not isinstance(note_type.get("digest"), str)
            or not isinstance(note_type.get("mod"), int)
        ):
            raise LockError(f'{path}:1: \'note_type\' must be {{"digest": str, "mod": int}}')
        digest, mod = note_type["digest"], note_type["mod"]
    return Lock(entries=tuple(entries), note_type_digest=digest, note_type_mod=mod)


def _prefix(topic: str) -> str:
    """How each line of a topic starts in a lock ankigen wrote."""
    return '{"topic": ' + json.dumps(topic, ensure_ascii=False) + ', "key": '


def load_lock_topics(path: Path, wanted: Collection[str], every: Collection[str]) -> Lock:
    """Read the entries of the ``wanted`` topics only, keeping the other topics' lines verbatim.

    Only for a lock known to be sound: byte for byte one an earlier build parsed, which
    found ``every`` topic in it (the build cache records its digest and topics). Its lines
    are sorted by topic, so each topic's lines are one block that starts with the topic's
    prefix at a line start (a quote inside a value is always escaped, so no value can
    contain one). If the blocks do not tile the file exactly, or a line is not its block's
    topic's, the whole lock is read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return load_lock(path)  # says what is wrong
    header, _, body = text.partition("\n")
    order = sorted(every)
    prefixes = [_prefix(topic) for topic in order]
    starts: list[int] = []
    for prefix in prefixes:
        found = body.find(prefix, starts[-1] + 1 if starts else 0)
        if found == -1 or (found > 0 and body[found - 1] != "\n"):
            return load_lock(path)
        starts.append(found)
    if (starts[:1] or [0]) != [0] or (not order and body.strip()):
        return load_lock(path)
    ends = [*starts[1:], len(body)] if starts else []
    blocks = [
        (topic, body[start:end]) for topic, start, end in zip(order, starts, ends, strict=True)
    ]
    # Every line of each block must be its topic's: cheap insurance that the file is laid
    # out as this function assumes (the cache vouches for it; this does not trust the cache).
    picked: list[str] = []
    for (topic, block), prefix in zip(blocks, prefixes, strict=True):
        lines = block.split("\n")
        if lines[-1] != "" or not all(line.startswith(prefix) for line in lines[:-1]):
            return load_lock(path)
        if topic in wanted:
            picked += lines[:-1]
    parsed = _load_well_formed([header, *picked])
    if parsed is None:
        return load_lock(path)
    others = [(topic, block) for topic, block in blocks if topic not in wanted]
    return replace(parsed, others=OtherTopics(others) if others else None)


def dump_lock(lock: Lock) -> str:
    """The lock file's text: a header, then one sorted line per note."""
    note_type = (
        None
        if lock.note_type_digest is None
        else {"digest": lock.note_type_digest, "mod": lock.note_type_mod}
    )
    lines = [json.dumps({"ankigen_lock": LOCK_VERSION, "note_type": note_type})]
    entries = sorted(lock.entries, key=_LOCK_ORDER)
    if lock.others is not None:
        return _merged(lines[0], _entry_lines(entries), entries, lock.others)
    return "\n".join([*lines, *_entry_lines(entries)]) + "\n"


def _merged(header: str, lines: list[str], entries: list[LockEntry], others: OtherTopics) -> str:
    """Parsed topics' lines and the verbatim blocks of the others, in topic order."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for entry, line in zip(entries, lines, strict=True):
        blocks[entry.topic].append(line + "\n")
    every = [(topic, "".join(block)) for topic, block in blocks.items()]
    every += others.blocks
    every.sort(key=operator.itemgetter(0))
    return header + "\n" + "".join(block for _, block in every)


def _entry_lines(entries: list[LockEntry]) -> list[str]:
    lines = []
    # One json.dumps for every string of every entry, not one per entry (3x faster for a
    # vault's 20,000 lines). The "\n" separator cannot occur inside an encoded string, so
    # splitting on it gives each value back; the lines are exactly what json.dumps(record,
    # ensure_ascii=False) writes (a test compares them).
    strings = [
        v for e in entries for v in (e.topic, e.key, e.guid, e.content_hash, e.deck, e.prompt)
    ]
    encoded = json.dumps(strings, ensure_ascii=False, separators=("\n", ":"))[1:-1].split("\n")
    for n, entry in enumerate(entries):
        topic, key, guid, content_hash, deck, prompt = encoded[6 * n : 6 * n + 6]
        lines.append(_LOCK_LINE % (topic, key, guid, entry.mod, content_hash, deck, prompt))
    return lines


def save_lock(path: Path, lock: Lock) -> bytes:
    """Write the lock atomically: a crash leaves the old lock or the new one, never half.
    Returns the bytes written (the build cache records their digest)."""
    data = dump_lock(lock).encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return data


# --- assignment ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    """One input note while its identity is being decided."""

    index: int
    note: Note
    key: str
    digest: str
    fresh_guid: str | None  # new_guid(topic, key) when already known
    entry: LockEntry | None = None
    rematched: bool = False


def _keys(notes: Sequence[Note | Keyed], diagnostics: Diagnostics) -> list[_Pending]:
    """Keys per note; duplicates within a topic get ``#n`` and a warning."""
    first_seen: dict[tuple[str, str], Note] = {}
    count: dict[tuple[str, str], int] = defaultdict(int)
    pending: list[_Pending] = []
    for index, item in enumerate(notes):
        known = item if isinstance(item, Keyed) else keyed(item)
        note, base = known.note, known.key
        count[note.topic, base] += 1
        n = count[note.topic, base]
        if n == 1:
            first_seen[note.topic, base] = note
            key = base
        else:
            key = f"{base}#{n}"
            first = first_seen[note.topic, base]
            what = "id" if note.explicit_id else "question"
            diagnostics.warn(
                f"duplicate {what} in topic {note.topic!r} (first at {first.origin})",
                note.origin,
                hint="each copy is its own card; reordering the copies swaps their reviews",
                code="duplicate-question",
            )
        fresh = known.guid if key == base else None
        pending.append(_Pending(index, note, key, known.digest, fresh))
    return pending


def _renames(
    by_topic: Mapping[str, list[_Pending]],
    vanished: Mapping[str, list[LockEntry]],
) -> dict[str, str]:
    """New topic -> vanished lock topic it takes over (rule 2 of the module docstring)."""
    fresh = {topic: {p.key for p in items} for topic, items in by_topic.items()}
    candidates: list[tuple[str, str]] = []
    for new_topic, new_keys in fresh.items():
        for old_topic, entries in vanished.items():
            old_keys = {e.key for e in entries}
            overlap = len(new_keys & old_keys)
            if overlap and overlap * 2 >= min(len(new_keys), len(old_keys)):
                candidates.append((new_topic, old_topic))
    news = [new for new, _ in candidates]
    olds = [old for _, old in candidates]
    return {new: old for new, old in candidates if news.count(new) == 1 and olds.count(old) == 1}


def _bare(prompt: str) -> str | None:
    """The question without the section the parser put before it ("sigmoid › 缺点")."""
    head, separator, tail = prompt.rpartition(SECTION_SEPARATOR)
    return normalise(tail) if separator and head else None


def _moved(notes: list[_Pending], entries: list[LockEntry]) -> None:
    """Rule 2b: a short question or a concept moved to another section (or whose section was
    renamed) is the one lock entry left with the same words after the section name."""
    by_bare: dict[str, list[LockEntry]] = defaultdict(list)
    for entry in entries:
        if (bare := _bare(entry.prompt)) is not None and not entry.key.startswith("id:"):
            by_bare[bare].append(entry)
    wanted: dict[str, list[_Pending]] = defaultdict(list)
    for pending in notes:
        if (bare := _bare(pending.note.prompt)) is not None and not pending.note.explicit_id:
            wanted[bare].append(pending)
    for bare, candidates in wanted.items():
        found = by_bare.get(bare, [])
        if len(candidates) == 1 and len(found) == 1:  # never guess between two
            candidates[0].entry = found[0]
            candidates[0].rematched = True


def _similar(notes: list[_Pending], entries: list[LockEntry], diagnostics: Diagnostics) -> None:
    """Rule 3: pair edited questions with the entries that disappeared, or warn."""
    notes = [p for p in notes if not p.note.explicit_id]
    entries = [e for e in entries if not e.key.startswith("id:")]
    scores = [
        [similarity(_text_of_key(e.key), _text_of_key(p.key)) for e in entries] for p in notes
    ]
    for row, pending in enumerate(notes):
        if not entries:
            return
        best, col = max((s, c) for c, s in enumerate(scores[row]))
        if best < THRESHOLD:
            continue
        others = [(scores[r][col], r) for r in range(len(notes)) if r != row]
        if any(s >= best + MARGIN for s, _ in others):
            continue  # another edit is clearly closer to this old question; this one is new
        rivals = [
            entries[c].prompt for c, s in enumerate(scores[row]) if c != col and s > best - MARGIN
        ]
        rivals += [notes[r].note.prompt for s, r in others if s > best - MARGIN]
        if rivals:
            diagnostics.warn(
                f"edited question is as close to its old text {entries[col].prompt!r} as to "
                + ", ".join(repr(r) for r in rivals)
                + "; treated as a new note",
                pending.note.origin,
                hint="the old note's reviews are not carried over; edit one question at a "
                "time, or make the texts less alike",
                code="ambiguous-edit",
            )
            continue
        pending.entry = entries[col]
        pending.rematched = True


def assign(
    notes: Sequence[Note | Keyed],
    lock: Lock,
    *,
    now: int,
    note_type: NoteType,
    topics_built: Collection[str] | None = None,
) -> Assignment:
    """Give every note its GUID and mod, and compute the lock to save.

    ``topics_built`` names the topics this build covers (``None``: every topic in the lock).
    Topics of ``notes`` always count as built. Lock entries of other topics are carried over
    untouched (incremental builds). For a renamed file to keep its GUIDs in an incremental
    build, include the old topic name too.
    """
    if lock.others is not None:
        unread = lock.others.topics & {
            *(topics_built or ()),
            *(n.note.topic if isinstance(n, Keyed) else n.topic for n in notes),
        }
        if unread:
            raise ValueError(
                f"topics {sorted(unread)} are built but their lock entries were not read"
            )
    diagnostics = Diagnostics()
    pending = _keys(notes, diagnostics)
    by_topic: dict[str, list[_Pending]] = defaultdict(list)
    for p in pending:
        by_topic[p.note.topic].append(p)

    lock_by_topic: dict[str, list[LockEntry]] = defaultdict(list)
    for entry in lock.entries:
        lock_by_topic[entry.topic].append(entry)
    built = set(lock_by_topic) if topics_built is None else set(topics_built)
    built |= set(by_topic)

    vanished = {t: es for t, es in lock_by_topic.items() if t in built and t not in by_topic}
    new_topics = {t: ps for t, ps in by_topic.items() if t not in lock_by_topic}
    renamed = _renames(new_topics, vanished)
    # Entries each built topic may claim: its own, or those of the topic it was renamed from.
    claimable: dict[str, list[LockEntry]] = {t: list(lock_by_topic.get(t, ())) for t in by_topic}
    for new_topic, old_topic in renamed.items():
        claimable[new_topic] = list(lock_by_topic[old_topic])

    claimed: set[str] = set()  # GUIDs
    for topic, items in by_topic.items():
        exact = {e.key: e for e in claimable[topic]}
        for p in items:
            p.entry = exact.get(p.key)
            if p.entry is not None:
                claimed.add(p.entry.guid)
        left = [e for e in claimable[topic] if e.guid not in claimed]
        _moved([p for p in items if p.entry is None], left)
        claimed.update(p.entry.guid for p in items if p.entry is not None and p.rematched)
        left = [e for e in left if e.guid not in claimed]
        _similar([p for p in items if p.entry is None], left, diagnostics)
        claimed.update(p.entry.guid for p in items if p.entry is not None and p.rematched)

    # GUIDs a new note must not take: every GUID the lock or this build already uses.
    taken = {e.guid for e in lock.entries} | claimed
    if lock.others is not None and any(p.entry is None for p in pending):
        taken |= lock.others.guids()
    identified: list[IdentifiedNote] = []
    new_entries: list[LockEntry] = []
    for p in pending:
        digest = p.digest
        old = p.entry
        if old is None:
            salt = 0
            guid = p.fresh_guid or new_guid(p.note.topic, p.key)
            while guid in taken:
                salt += 1
                guid = new_guid(p.note.topic, p.key, salt)
            taken.add(guid)
            mod, change, previous = now, _NEW, None
        else:
            guid = old.guid
            mod = old.mod if old.content_hash == digest else _next_mod(old.mod, now)
            if p.rematched:
                change, previous = _REMATCHED, old.prompt
            elif old.content_hash == digest:
                change, previous = _UNCHANGED, None
            else:
                change, previous = _CHANGED, None
        identified.append(
            IdentifiedNote(note=p.note, guid=guid, mod=mod, change=change, previous_prompt=previous)
        )
        new_entries.append(
            LockEntry(
                topic=p.note.topic,
                key=p.key,
                guid=guid,
                mod=mod,
                content_hash=digest,
                deck=p.note.deck,
                prompt=p.note.prompt,
            )
        )

    # Renamed-from topics are in ``built`` too (only built topics can vanish).
    gone = [e for t in built for e in lock_by_topic.get(t, ()) if e.guid not in claimed]
    removed = tuple(
        RemovedNote(topic=e.topic, guid=e.guid, prompt=e.prompt, deck=e.deck)
        for e in sorted(gone, key=_LOCK_ORDER)
    )
    kept = [e for t, es in lock_by_topic.items() if t not in built for e in es]

    if lock.note_type_digest == note_type.digest and lock.note_type_mod is not None:
        note_type_mod = lock.note_type_mod
    else:
        note_type_mod = _next_mod(lock.note_type_mod, now)
    new_lock = Lock(
        entries=tuple(sorted([*kept, *new_entries], key=_LOCK_ORDER)),
        note_type_digest=note_type.digest,
        note_type_mod=note_type_mod,
        others=lock.others,
    )
    return Assignment(
        notes=tuple(identified),
        removed=removed,
        diagnostics=tuple(diagnostics.items),
        lock=new_lock,
        note_type_mod=note_type_mod,
        renamed=tuple(sorted((old, new) for new, old in renamed.items())),
    )


__all__ = [
    "LOCK_NAME",
    "MARGIN",
    "THRESHOLD",
    "Assignment",
    "Lock",
    "LockEntry",
    "LockError",
    "assign",
    "build_time",
    "content_hash",
    "dump_lock",
    "load_lock",
    "new_guid",
    "normalise",
    "save_lock",
    "similarity",
]
