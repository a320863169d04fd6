"""Real-Anki helpers for tests: the official ``anki`` package is the oracle (ANKI.md).

Nothing here is mocked: a collection is a real SQLite collection in a temp dir, imports go
through ``Collection.import_anki_package`` (the call Anki desktop's import dialog makes),
and reviews through the v3 scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anki.collection  # noqa: F401  (before anki.cards: importing that first is circular)
from anki.cards import Card
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.decks import DeckConfigId, DeckId
from anki.import_export_pb2 import (
    IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER as IF_NEWER,
)
from anki.notes import Note
from anki.scheduler.v3 import CardAnswer, Scheduler

__all__ = [
    "IF_NEWER",
    "ImportCounts",
    "answer_all_cards",
    "card_snapshot",
    "cards",
    "desktop_defaults",
    "fresh_collection",
    "import_apkg",
    "notes_by_guid",
    "open_collection",
]


def fresh_collection(tmp_path: Path, name: str = "collection.anki2") -> Collection:
    """A new, empty collection (with its media folder) under ``tmp_path``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    return Collection(str(tmp_path / name))


@contextmanager
def open_collection(tmp_path: Path) -> Iterator[Collection]:
    col = fresh_collection(tmp_path)
    try:
        yield col
    finally:
        col.close()


def desktop_defaults() -> ImportAnkiPackageOptions:
    """The import dialog's defaults for a learner who never changed them.

    Update notes and note types "if newer", merge note types off, no scheduling and no deck
    options from the package: what a fresh collection's presets say (checked in a test).
    """
    return ImportAnkiPackageOptions(
        merge_notetypes=False,
        update_notes=IF_NEWER,
        update_notetypes=IF_NEWER,
        with_scheduling=False,
        with_deck_configs=False,
    )


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """The import log, as counts: what Anki's import summary tells the learner.

    Beware the name ``duplicate``: Anki logs there every incoming note whose GUID it already
    has and that it did *not* update (an up-to-date copy is already in the collection), so
    for a re-import it counts the unchanged notes. A duplicated note would be logged ``new``.
    """

    new: int
    updated: int
    duplicate: int
    conflicting: int
    first_field_match: int
    missing_notetype: int
    missing_deck: int
    empty_first_field: int
    found_notes: int
    log: Any  # the raw ImportResponse.Log, for fields of the notes

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "duplicate": self.duplicate,
            "conflicting": self.conflicting,
            "first_field_match": self.first_field_match,
            "found_notes": self.found_notes,
        }


def import_apkg(col: Collection, path: Path, **options: Any) -> ImportCounts:
    """Import ``path`` like the desktop dialog does; ``options`` override the defaults."""
    chosen = desktop_defaults()
    for key, value in options.items():
        setattr(chosen, key, value)
    response = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(path), options=chosen)
    )
    # The backend updated the note type, but pylib's ModelManager keeps a Python-side cache
    # that only undo/redo clear; Anki desktop reloads after an import. Without this, a test
    # would read the pre-import templates and CSS and wrongly conclude nothing was updated.
    col.models._clear_cache()
    log = response.log
    return ImportCounts(
        new=len(log.new),
        updated=len(log.updated),
        duplicate=len(log.duplicate),
        conflicting=len(log.conflicting),
        first_field_match=len(log.first_field_match),
        missing_notetype=len(log.missing_notetype),
        missing_deck=len(log.missing_deck),
        empty_first_field=len(log.empty_first_field),
        found_notes=log.found_notes,
        log=log,
    )


def notes_by_guid(col: Collection) -> dict[str, Note]:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


def cards(col: Collection) -> list[Card]:
    return [col.get_card(cid) for cid in sorted(col.find_cards(""))]


def card_snapshot(col: Collection) -> dict[int, tuple[str, int, int, int, int]]:
    """Card id -> (note guid, ivl, due, reps, type): what a re-import must never disturb."""
    found: dict[int, tuple[str, int, int, int, int]] = {}
    for card in cards(col):
        found[card.id] = (card.note().guid, card.ivl, card.due, card.reps, card.type)
    return found


def answer_all_cards(col: Collection, rating: Any = CardAnswer.EASY) -> int:
    """Study every new card once with the v3 scheduler; returns how many were answered.

    Lifts the daily limits and studies each top-level deck in turn (the queue covers only
    the selected deck and its children). "Easy" graduates a new card at once, so each card
    is answered exactly once and leaves with an interval of days.
    """
    config = col.decks.get_config(
        DeckConfigId(1)
    )  # the default options group every imported deck uses
    assert config is not None
    config["new"]["perDay"] = 9999  # the most the options screen allows
    config["rev"]["perDay"] = 9999
    col.decks.update_config(config)
    sched = col.sched
    assert isinstance(sched, Scheduler)  # the v3 scheduler, as in every current Anki
    answered = 0
    for deck in col.decks.all_names_and_ids():
        if "::" in deck.name:
            continue
        col.decks.select(DeckId(deck.id))
        while True:
            queued = sched.get_queued_cards(fetch_limit=1)
            if not queued.cards:
                break
            top = queued.cards[0]
            card = Card(col, backend_card=top.card)
            card.start_timer()
            sched.answer_card(sched.build_answer(card=card, states=top.states, rating=rating))
            answered += 1
    # A daily limit the loop did not lift would silently leave cards unstudied.
    assert not col.find_cards("is:new"), "answer_all_cards left new cards unstudied"
    return answered
