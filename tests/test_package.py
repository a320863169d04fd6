"""The package writer, checked by importing its output into a real Anki collection."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import ankigen.package as package
from ankigen.model import Change, IdentifiedNote, MediaRef, Note, SourceLocation
from ankigen.notetype import FIELD_NAMES, MODEL_ID, MODEL_NAME, TEMPLATE_NAME, load_note_type
from ankigen.package import deck_id, write_package
from ankiutil import desktop_defaults, fresh_collection, import_apkg, notes_by_guid

NOTE_TYPE = load_note_type()
T0 = 1_790_000_000


def fields(question: str, answer: str) -> tuple[str, ...]:
    rest = ("",) * (len(FIELD_NAMES) - 2)
    return (question, answer, *rest)


def identified(
    guid: str, deck: str, question: str, answer: str, *, mod: int = T0, tags: tuple[str, ...] = ()
) -> IdentifiedNote:
    note = Note(
        topic=deck.split("::")[0],
        deck=deck,
        prompt=question,
        fields=fields(question, answer),
        tags=tags,
        origin=SourceLocation(Path("ml.md"), 1),
    )
    return IdentifiedNote(note=note, guid=guid, mod=mod, change=Change.NEW)


NOTES = (
    identified("guid-a", "ml", "什么是过拟合？", "<p>训练好，测试差</p>", tags=("frequent",)),
    identified("guid-b", "ml::正则化", r"L1 和 L2 的区别？", r"<p>\(\|w\|_1\)</p>", mod=T0 + 5),
    identified("guid-c", "ml::正则化::深入", "为什么 L1 稀疏？", "<p>角点</p>", mod=T0 + 9),
)


def test_import_restores_notes_fields_tags_decks_and_note_type(tmp_path: Path) -> None:
    apkg = tmp_path / "ml.apkg"
    write_package(apkg, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0)

    col = fresh_collection(tmp_path)
    counts = import_apkg(col, apkg)

    assert (counts.new, counts.updated, counts.duplicate, counts.conflicting) == (3, 0, 0, 0)
    found = notes_by_guid(col)
    assert sorted(found) == ["guid-a", "guid-b", "guid-c"]
    for item in NOTES:
        note = found[item.guid]
        assert tuple(note.fields) == item.note.fields
        assert tuple(note.tags) == item.note.tags
        assert note.mod == item.mod  # Anki keeps the package's mod: "if newer" compares it
        (card,) = note.cards()
        assert col.decks.name(card.did) == item.note.deck
    assert {d.name for d in col.decks.all_names_and_ids()} >= {
        "ml",
        "ml::正则化",
        "ml::正则化::深入",
    }
    (model,) = [m for m in col.models.all() if m["name"] == MODEL_NAME]
    assert model["id"] == MODEL_ID
    assert [f["name"] for f in model["flds"]] == list(FIELD_NAMES)
    assert [t["name"] for t in model["tmpls"]] == [TEMPLATE_NAME]
    assert model["css"] == NOTE_TYPE.css
    assert model["mod"] == T0
    assert "什么是过拟合？" in found["guid-a"].cards()[0].question()


def test_same_input_gives_byte_identical_packages(tmp_path: Path) -> None:
    first, second = tmp_path / "1.apkg", tmp_path / "2.apkg"
    write_package(first, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0)
    write_package(second, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0)
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as archive:
        assert [i.filename for i in archive.infolist()] == ["collection.anki2", "media"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_any_mod_change_changes_the_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "1.apkg", tmp_path / "2.apkg"
    write_package(first, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0)
    write_package(second, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0 + 1)
    assert first.read_bytes() != second.read_bytes()


def test_deck_ids_are_a_stable_function_of_the_name() -> None:
    # Pinned: a release that changes these values would move nothing but is a design breach.
    assert deck_id("ml") == deck_id("ml")
    assert deck_id("ml") != deck_id("ml::正则化")
    assert deck_id("ml") == 3_435_114_965_863_264


def test_media_are_bundled_once_sorted_and_reach_the_collection(tmp_path: Path) -> None:
    png, gif = tmp_path / "b.png", tmp_path / "a.gif"
    png.write_bytes(b"\x89PNG fake")
    gif.write_bytes(b"GIF89a fake")
    refs = (MediaRef("img-b.png", png), MediaRef("img-a.gif", gif))
    with_media = [
        IdentifiedNote(
            note=Note(
                topic="ml",
                deck="ml",
                prompt=f"q{i}",
                fields=fields(f'q{i} <img src="img-b.png"><img src="img-a.gif">', "a"),
                tags=(),
                origin=SourceLocation(Path("ml.md"), i),
                media=refs,
            ),
            guid=f"g{i}",
            mod=T0,
            change=Change.NEW,
        )
        for i in range(2)
    ]
    apkg = tmp_path / "ml.apkg"
    write_package(apkg, notes=with_media, note_type=NOTE_TYPE, note_type_mod=T0)

    with zipfile.ZipFile(apkg) as archive:
        assert archive.namelist() == ["collection.anki2", "media", "0", "1"]
        assert archive.read("media") == b'{"0": "img-a.gif", "1": "img-b.png"}'
        assert archive.read("1") == png.read_bytes()
    col = fresh_collection(tmp_path / "anki")
    import_apkg(col, apkg)
    media_dir = Path(col.media.dir())
    assert (media_dir / "img-a.gif").read_bytes() == gif.read_bytes()
    assert (media_dir / "img-b.png").read_bytes() == png.read_bytes()


def test_failed_write_keeps_the_previous_package_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apkg = tmp_path / "ml.apkg"
    write_package(apkg, notes=NOTES, note_type=NOTE_TYPE, note_type_mod=T0)
    before = apkg.read_bytes()

    def half_written(out: object, *args: object) -> None:
        out.write(b"PK half a zip")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(package, "_write_zip", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_package(apkg, notes=NOTES[:1], note_type=NOTE_TYPE, note_type_mod=T0 + 1)

    assert apkg.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml.apkg"]


def test_duplicate_guids_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    apkg = tmp_path / "ml.apkg"
    twins = (NOTES[0], identified("guid-a", "ml", "另一个问题？", "a"))
    with pytest.raises(ValueError, match="share a GUID"):
        write_package(apkg, notes=twins, note_type=NOTE_TYPE, note_type_mod=T0)
    assert not apkg.exists()


def test_import_helper_uses_the_desktop_dialogs_defaults(tmp_path: Path) -> None:
    # A fresh collection's presets are what the import dialog shows a learner the first time.
    col = fresh_collection(tmp_path)
    assert col._backend.get_import_anki_package_presets() == desktop_defaults()
