"""Issue 3: regenerating after note edits keeps every review.

The learner's side is a real Anki collection: build, import with the desktop defaults,
study every card, edit the notes, rebuild with the saved lock *in the same second*, import
again. Anki must update in place: no duplicates, no conflicts, no lost card or review.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from anki.collection import Collection

from ankigen.identity import Assignment, Lock, assign, load_lock, save_lock
from ankigen.model import Change, Note, SourceLocation
from ankigen.notetype import FIELD_NAMES, MODEL_NAME, NoteType, load_note_type
from ankigen.package import write_package
from ankiutil import (
    ImportCounts,
    answer_all_cards,
    card_snapshot,
    fresh_collection,
    import_apkg,
    notes_by_guid,
)

NOTE_TYPE = load_note_type()
T0 = 1_790_000_000  # both builds run "in the same second"


def note(prompt: str, answer: str, *, section: str = "", tags: tuple[str, ...] = ()) -> Note:
    rest = ("",) * (len(FIELD_NAMES) - 2)
    return Note(
        topic="ml",
        deck=f"ml::{section}" if section else "ml",
        prompt=prompt,
        fields=(prompt, answer, *rest),
        tags=tags,
        origin=SourceLocation(Path("ml.md"), 1),
    )


def with_answer(item: Note, answer: str) -> Note:
    return replace(item, fields=(item.fields[0], answer, *item.fields[2:]))


def retitled(item: Note, prompt: str) -> Note:
    return replace(item, prompt=prompt, fields=(prompt, *item.fields[1:]))


REV1 = [
    note("什么是过拟合？", "训练好，测试差", section="基础"),
    note("L1 和 L2 正则化的区别？", "L1 稀疏", section="正则化"),
    note("为什么 L1 会产生稀疏解？", "菱形的角", section="正则化"),
    note("BN 的作用？", "加速收敛", section="深度学习"),
    note("Dropout 为什么有效？", "集成", section="深度学习"),
    note("梯度消失的原因？", "连乘", section="深度学习"),
]


def release(
    tmp_path: Path,
    name: str,
    notes: list[Note],
    lock: Lock,
    note_type: NoteType = NOTE_TYPE,
) -> tuple[Path, Assignment]:
    """One build: assign identities with the lock, write the package, save the new lock."""
    result = assign(notes, lock, now=T0, note_type=note_type)
    apkg = tmp_path / f"{name}.apkg"
    write_package(apkg, notes=result.notes, note_type=note_type, note_type_mod=result.note_type_mod)
    save_lock(tmp_path / "ankigen.lock", result.lock)
    return apkg, result


def studied_collection(tmp_path: Path) -> tuple[Collection, Assignment]:
    apkg, first = release(tmp_path, "rev1", REV1, Lock())
    col = fresh_collection(tmp_path / "learner")
    counts = import_apkg(col, apkg)
    assert (counts.new, counts.updated, counts.duplicate, counts.conflicting) == (6, 0, 0, 0)
    assert answer_all_cards(col) == 6
    return col, first


def revlog_rows(col: Collection) -> list[tuple[int, int]]:
    return col.db.all("select id, cid from revlog order by id")  # type: ignore[no-any-return]


def summary(counts: ImportCounts) -> tuple[int, int, int, int]:
    return (counts.new, counts.updated, counts.duplicate, counts.conflicting)


def test_edited_notes_update_in_place_and_every_review_survives(tmp_path: Path) -> None:
    col, first = studied_collection(tmp_path)
    cards_before = card_snapshot(col)
    reviews_before = revlog_rows(col)
    guid_of = {item.note.prompt: item.guid for item in first.notes}

    rev2 = [
        REV1[0],  # unchanged
        with_answer(REV1[1], "L1 稀疏，L2 平滑"),  # answer edited
        retitled(REV1[2], "为什么 L1 正则会产生稀疏解？"),  # question text edited
        replace(REV1[3], deck="ml::基础"),  # moved to another section
        replace(REV1[4], tags=("frequent",)),  # a marker became a tag
        # REV1[5] deleted from the notes
        note("什么是 Adam？", "动量 + 自适应学习率", section="优化"),
        note("学习率太大会怎样？", "发散", section="优化"),
    ]
    apkg, second = release(tmp_path, "rev2", rev2, load_lock(tmp_path / "ankigen.lock"))
    assert [n.change for n in second.notes] == [
        Change.UNCHANGED,
        Change.CHANGED,
        Change.REMATCHED,
        Change.CHANGED,
        Change.CHANGED,
        Change.NEW,
        Change.NEW,
    ]
    assert [r.prompt for r in second.removed] == ["梯度消失的原因？"]

    counts = import_apkg(col, apkg)
    print("re-import:", counts.as_dict())
    # new, updated, skipped as up to date ("duplicate" in Anki's log), conflicting
    assert summary(counts) == (2, 4, 1, 0)
    assert counts.first_field_match == 0

    found = notes_by_guid(col)
    assert len(found) == 8  # 6 + 2 new; Anki keeps the deleted one (a package cannot delete)
    questions = [n["Question"] for n in found.values()]
    assert len(set(questions)) == len(questions)  # no note came in twice
    assert found[guid_of["L1 和 L2 正则化的区别？"]]["Answer"] == "L1 稀疏，L2 平滑"
    assert found[guid_of["为什么 L1 会产生稀疏解？"]]["Question"] == "为什么 L1 正则会产生稀疏解？"
    assert found[guid_of["Dropout 为什么有效？"]].tags == ["frequent"]
    # ANKI.md 4: an update never moves cards; the moved question's card stays where it was.
    (moved,) = found[guid_of["BN 的作用？"]].cards()
    assert col.decks.name(moved.did) == "ml::深度学习"
    # Every card studied before is still there with its schedule, and so is every review.
    cards_after = card_snapshot(col)
    assert {cid: cards_after[cid] for cid in cards_before} == cards_before
    assert revlog_rows(col) == reviews_before
    assert len(cards_after) == 8


def test_a_learners_edit_in_anki_to_an_unchanged_note_survives_a_reimport(
    tmp_path: Path,
) -> None:
    col, first = studied_collection(tmp_path)
    mine = notes_by_guid(col)[first.notes[0].guid]
    mine["Answer"] = "my own words"
    col.update_note(mine)

    rev2 = [REV1[0], with_answer(REV1[1], "L1 稀疏，L2 平滑"), *REV1[2:]]
    apkg, _ = release(tmp_path, "rev2", rev2, load_lock(tmp_path / "ankigen.lock"))
    counts = import_apkg(col, apkg)

    assert summary(counts) == (0, 1, 5, 0)  # the learner's note is among the 5 skipped
    assert col.get_note(mine.id)["Answer"] == "my own words"


def test_reimporting_the_same_release_changes_nothing(tmp_path: Path) -> None:
    col, _ = studied_collection(tmp_path)
    before = card_snapshot(col)
    apkg, again = release(tmp_path, "rev1-again", REV1, load_lock(tmp_path / "ankigen.lock"))
    assert {n.change for n in again.notes} == {Change.UNCHANGED}
    assert apkg.read_bytes() == (tmp_path / "rev1.apkg").read_bytes()
    counts = import_apkg(col, apkg)
    assert summary(counts) == (0, 0, 6, 0)
    assert card_snapshot(col) == before


def test_a_template_or_css_change_updates_the_note_type_in_place(tmp_path: Path) -> None:
    col, _ = studied_collection(tmp_path)
    before = card_snapshot(col)
    restyled = NoteType(
        front=NOTE_TYPE.front, back=NOTE_TYPE.back + "\n<!-- v2 -->", css=NOTE_TYPE.css + "\n.x{}"
    )
    apkg, second = release(
        tmp_path, "rev2", REV1, load_lock(tmp_path / "ankigen.lock"), note_type=restyled
    )
    assert second.note_type_mod == T0 + 1
    counts = import_apkg(col, apkg)

    assert summary(counts) == (0, 0, 6, 0)
    ours = [m for m in col.models.all() if m["name"].startswith(MODEL_NAME)]
    assert [m["name"] for m in ours] == [MODEL_NAME]  # no "ankigen Q&A+" fork
    assert ours[0]["css"] == restyled.css
    assert ours[0]["tmpls"][0]["afmt"] == restyled.back
    assert card_snapshot(col) == before


# --- end to end: the user's own notes, revision 0 then today's --------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).parents[1] / "seeds"


def test_acceptance_rewriting_a_real_note_file_keeps_every_review(tmp_path: Path) -> None:
    """Seed 000 (an early revision of ml-qa-outline.md), studied, then the file as it is
    today (seed 002) written over it: Anki must do exactly what the build report says."""
    from ankigen.pipeline import BuildConfig, build

    notes_dir, dist = tmp_path / "notes", tmp_path / "dist"
    notes_dir.mkdir()
    note_file = notes_dir / "ml-qa-outline.md"
    config = BuildConfig(sources=(notes_dir,), out_dir=dist, now=T0)

    note_file.write_bytes((FIXTURES / "ml-qa-outline.rev0.md").read_bytes())
    (first,) = build(config).topics
    assert first.package is not None
    col = fresh_collection(tmp_path / "learner")
    counts = import_apkg(col, first.package)
    assert summary(counts) == (len(first.notes), 0, 0, 0)
    assert answer_all_cards(col) == len(first.notes)
    cards_before, reviews_before = card_snapshot(col), revlog_rows(col)

    note_file.write_bytes((SEEDS / "ml-qa-outline.md").read_bytes())
    (second,) = build(config).topics  # the same second as the first build
    assert second.package is not None
    changes = {c: sum(1 for n in second.notes if n.change is c) for c in Change}
    counts = import_apkg(col, second.package)
    print(
        f"\nrev0: {len(first.notes)} notes; today: {len(second.notes)} notes "
        f"({', '.join(f'{c.value} {k}' for c, k in changes.items())}), "
        f"{len(second.removed)} removed; re-import: {counts.as_dict()}"
    )

    assert counts.new == changes[Change.NEW]
    assert counts.updated == changes[Change.CHANGED] + changes[Change.REMATCHED]
    assert counts.duplicate == changes[Change.UNCHANGED]  # skipped: up to date
    assert (counts.conflicting, counts.first_field_match) == (0, 0)
    assert len(notes_by_guid(col)) == len(first.notes) + changes[Change.NEW]
    cards_after = card_snapshot(col)
    assert {cid: cards_after[cid] for cid in cards_before} == cards_before
    assert revlog_rows(col) == reviews_before


def test_adding_a_question_at_the_top_of_a_file_leaves_the_other_notes_unchanged(
    tmp_path: Path,
) -> None:
    from ankigen.pipeline import BuildConfig, build

    notes_dir = tmp_path / "notes"
    notes_dir.mkdir()
    note_file = notes_dir / "ml.md"
    config = BuildConfig(sources=(notes_dir,), out_dir=tmp_path / "dist", now=T0)
    text = (FIXTURES / "ml-qa-outline.rev0.md").read_text(encoding="utf-8")
    note_file.write_text(text, encoding="utf-8")
    (first,) = build(config).topics
    note_file.write_text(
        "**什么是偏差-方差权衡？**\n\n偏差与方差此消彼长。\n\n" + text, encoding="utf-8"
    )
    (second,) = build(config).topics
    kept = [n for n in second.notes if n.change is not Change.NEW]
    assert len(kept) == len(first.notes)
    assert {n.change for n in kept} == {Change.UNCHANGED}
