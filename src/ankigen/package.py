"""Write identified notes to an ``.apkg``: the only module that imports genanki.

Two properties matter more than anything genanki does by default (ANKI.md):

* **Deterministic bytes.** The same notes, note type and mods give the same file, byte for
  byte: genanki's time-derived values (note, card and note type ``mod``; note and card ids
  from ``time.time()``) are replaced by values derived from the input, the collection is
  built in memory and serialised by SQLite, and the zip entries have a fixed order, a fixed
  date and fixed attributes.
* **Atomic replacement.** The package is written to a temporary file beside the target and
  moved over it with ``os.replace``; a failure leaves the previous package untouched and no
  temporary file behind.

Ids: Anki matches notes by GUID and decks by name, so package ids only need to be
deterministic and unique. Note ids are Anki's "created" timestamps (milliseconds), so they
are derived from the note's mod plus a GUID hash; deck ids from a hash of the deck name,
which must never change between releases.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import sqlite3
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import genanki

from ankigen.model import IdentifiedNote, MediaRef
from ankigen.notetype import FIELD_NAMES, MODEL_ID, MODEL_NAME, SORT_FIELD, TEMPLATE_NAME, NoteType

# DOS zip timestamps start in 1980; any fixed value works, this one is the conventional one.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = 0o644 << 16  # a regular file, rw-r--r--, whatever the umask of the builder
_COLLECTION = "collection.anki2"
# Deflate level 1, not zlib's default 6: 3x faster, and the seeds' packages 10% larger
# (65 KB instead of 59 KB for the biggest); compression was a third of packaging time.
_ZIP_LEVEL = 1


def _hash_int(*parts: str) -> int:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def deck_id(name: str) -> int:
    """The deck id for a full deck name: a hash of the name, stable across releases.

    Kept in [2**40, 2**52): clear of Anki's default deck (1), far from ids a learner's
    collection allocates from the clock, and exact in JavaScript numbers.
    """
    return (1 << 40) + _hash_int("ankigen deck", name) % ((1 << 52) - (1 << 40))


def _deck_names(notes: Sequence[IdentifiedNote]) -> list[str]:
    """Every deck the notes use, with all their parents, so ``A::B::C`` nests in Anki."""
    names: set[str] = set()
    for deck in {item.note.deck for item in notes}:
        parts = deck.split("::")
        names.update("::".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(names)


def _note_ids(notes: Sequence[IdentifiedNote]) -> dict[str, int]:
    """Unique millisecond ids near each note's mod, probing upwards on a collision."""
    taken: set[int] = set()
    ids: dict[str, int] = {}
    for item in sorted(notes, key=lambda n: n.guid):
        candidate = item.mod * 1000 + _hash_int("ankigen note", item.guid) % 1000
        while candidate in taken:
            candidate += 1
        taken.add(candidate)
        ids[item.guid] = candidate
    return ids


def _media(notes: Sequence[IdentifiedNote]) -> list[MediaRef]:
    """Media of all notes, one per name, sorted; names are content-hashed upstream."""
    by_name: dict[str, MediaRef] = {}
    for ref in sorted(ref for item in notes for ref in item.note.media):
        by_name.setdefault(ref.name, ref)
    return [by_name[name] for name in sorted(by_name)]


class _Note(genanki.Note):  # type: ignore[misc]
    """A genanki note whose id, card id and mod come from us, not from the clock."""

    def __init__(self, *, note_id: int, mod: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ankigen_id = note_id
        self._ankigen_mod = mod

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        # genanki stamps ``timestamp`` as note and card mod and draws ids from ``id_gen``:
        # hand it this note's own mod and an id sequence starting at this note's id (card ids
        # live in their own table, so the card may share the note's number).
        del timestamp, id_gen
        super().write_to_db(cursor, self._ankigen_mod, deck_id, itertools.count(self._ankigen_id))

    def _check_invalid_html_tags_in_fields(self) -> None:
        """Skipped: genanki's check is a heuristic that warns, and our fields come from our
        own renderer (a tenth of packaging time). The warnings filter below stays in case
        genanki renames this."""


@functools.lru_cache(maxsize=4)
def _model(note_type: NoteType) -> genanki.Model:
    """One genanki model per note type, shared by every package a process writes: genanki
    works out which fields each template requires by rendering it (per model, once)."""
    return genanki.Model(
        model_id=MODEL_ID,
        name=MODEL_NAME,
        fields=[{"name": name} for name in FIELD_NAMES],
        templates=[{"name": TEMPLATE_NAME, "qfmt": note_type.front, "afmt": note_type.back}],
        css=note_type.css,
        sort_field_index=SORT_FIELD,
    )


def _collection_bytes(
    notes: Sequence[IdentifiedNote], note_type: NoteType, note_type_mod: int
) -> bytes:
    model = _model(note_type)
    note_ids = _note_ids(notes)
    decks = {name: genanki.Deck(deck_id(name), name) for name in _deck_names(notes)}
    for due, item in enumerate(notes):
        if len(item.note.fields) != len(FIELD_NAMES):
            raise ValueError(
                f"{item.note.origin}: note has {len(item.note.fields)} fields, "
                f"the note type has {len(FIELD_NAMES)}"
            )
        decks[item.note.deck].add_note(
            _Note(
                note_id=note_ids[item.guid],
                mod=item.mod,
                model=model,
                fields=list(item.note.fields),
                tags=list(item.note.tags),
                guid=item.guid,
                due=due,  # new cards are studied in the order of the notes
            )
        )
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(_empty_collection())
        cursor = conn.cursor()
        with warnings.catch_warnings():
            # genanki's HTML check is a heuristic; fields are rendered by our own renderer.
            warnings.filterwarnings("ignore", message="^Field contained the following invalid")
            # The timestamp becomes the note type's mod; notes and cards use their own.
            _write_collection(cursor, list(decks.values()), model, note_type_mod)
        # genanki's collection row carries constants from 2015; stamp it from the input instead.
        epoch = max([note_type_mod, *(item.mod for item in notes)])
        cursor.execute(
            "UPDATE col SET crt = ?, mod = ?, scm = ?", (epoch, epoch * 1000, epoch * 1000)
        )
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


@functools.cache
def _empty_collection() -> bytes:
    """genanki's schema and collection row, made once per process and copied for each
    package: creating the schema took as long as writing a small topic's notes."""
    conn = sqlite3.connect(":memory:")
    try:
        genanki.Package([]).write_to_db(conn.cursor(), 0, itertools.count())
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def _write_collection(
    cursor: sqlite3.Cursor, decks: list[genanki.Deck], model: genanki.Model, model_mod: int
) -> None:
    """What ``genanki.Package.write_to_db`` does, with the deck and note type rows written once.

    genanki's ``Deck.write_to_db`` re-reads and re-writes the collection's deck and note-type
    JSON (templates and CSS included) for every deck; with a deck per section that was a third
    of packaging time. The rows are the same: the decks in order, and the note type stamped
    with the last deck's id, as genanki leaves it.
    """
    (decks_json,) = cursor.execute("SELECT decks FROM col").fetchone()
    all_decks = json.loads(decks_json)
    all_decks.update({str(deck.deck_id): deck.to_json() for deck in decks})
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    models[model.model_id] = model.to_json(model_mod, decks[-1].deck_id)
    cursor.execute(
        "UPDATE col SET decks = ?, models = ?", (json.dumps(all_decks), json.dumps(models))
    )
    for deck in decks:
        for note in deck.notes:
            note.write_to_db(cursor, model_mod, deck.deck_id, None)


def _write_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _ZIP_MODE
    info.create_system = 3  # Unix, so the mode above means what it says on every builder
    archive.writestr(info, data, compresslevel=_ZIP_LEVEL)


def _write_zip(out: Any, collection: bytes, media: list[MediaRef]) -> None:
    with zipfile.ZipFile(out, "w") as archive:
        _write_entry(archive, _COLLECTION, collection)
        index = {str(i): ref.name for i, ref in enumerate(media)}
        _write_entry(archive, "media", json.dumps(index, ensure_ascii=False).encode())
        for i, ref in enumerate(media):
            _write_entry(archive, str(i), ref.source.read_bytes())


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Any]:
    """An open binary file that replaces ``path`` only if the block completes."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a package is an ordinary shared file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_package(
    path: Path,
    *,
    notes: Sequence[IdentifiedNote],
    note_type: NoteType,
    note_type_mod: int,
) -> None:
    """Write ``notes`` to the package ``path``, deterministically and atomically.

    Each note lands in its own deck (``A::B::C`` nests); ``note_type_mod`` is the note
    type's own mod, which must rise exactly when its templates or CSS change (ANKI.md 5).
    """
    guids = [item.guid for item in notes]
    if len(set(guids)) != len(guids):
        raise ValueError("two notes share a GUID; identity assignment must keep them unique")
    collection = _collection_bytes(notes, note_type, note_type_mod)
    media = _media(notes)
    with _atomic(path) as out:
        _write_zip(out, collection, media)
