"""Identity rules: which edits keep a note's GUID, and when its mod rises.

Each test is one sentence of the specification in ``ankigen.identity``'s docstring.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.identity import (
    Assignment,
    Lock,
    LockEntry,
    LockError,
    assign,
    build_time,
    dump_lock,
    load_lock,
    load_lock_topics,
    normalise,
    save_lock,
)
from ankigen.model import Change, Level, Note, SourceLocation
from ankigen.notetype import FIELD_NAMES, NoteType, load_note_type

NOTE_TYPE = load_note_type()
T0 = 1_790_000_000


def note(
    prompt: str,
    answer: str = "答案",
    *,
    topic: str = "ml",
    section: str = "",
    tags: tuple[str, ...] = (),
    line: int = 1,
    explicit_id: str | None = None,
) -> Note:
    deck = f"{topic}::{section}" if section else topic
    rest = ("",) * (len(FIELD_NAMES) - 2)
    return Note(
        topic=topic,
        deck=deck,
        prompt=prompt,
        fields=(prompt, answer, *rest),
        tags=tags,
        origin=SourceLocation(Path(f"{topic}.md"), line),
        explicit_id=explicit_id,
    )


EMPTY = Lock()


def build(
    notes: list[Note], lock: Lock = EMPTY, now: int = T0, topics_built: set[str] | None = None
) -> Assignment:
    return assign(notes, lock, now=now, note_type=NOTE_TYPE, topics_built=topics_built)


def guids(result: Assignment) -> list[str]:
    return [n.guid for n in result.notes]


BASE = [
    note("什么是过拟合？", "训练好测试差", line=1),
    note("L1 和 L2 正则化的区别是什么？", "L1 稀疏", line=5),
    note("Why does batch normalization help training?", "smoother loss", line=9),
]


# --- keys -----------------------------------------------------------------------------------


def test_normalise_ignores_width_case_whitespace_and_punctuation() -> None:
    assert normalise("ＢＮ 有什么用？") == normalise("bn有什么用?") == "bn有什么用"
    assert normalise("What  is\tBias?") == "whatisbias"
    assert normalise("？？") == "??"  # nothing left: fall back to the folded text


def _normalise_by_the_letter(text: str) -> str:
    """The key rule of the identity docstring, one character at a time."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        ch
        for ch in folded
        if unicodedata.category(ch)[0] not in "PZC" and not 0xFE00 <= ord(ch) <= 0xFE0F
    )
    return kept or "".join(folded.split())


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"))
    | st.text(alphabet=st.characters(max_codepoint=127))
)
def test_normalise_fast_paths_agree_with_the_rule(text: str) -> None:
    assert normalise(text) == _normalise_by_the_letter(text)


def test_first_build_is_reproducible_without_a_lock() -> None:
    first, second = build(BASE), build(BASE, now=T0 + 100)
    assert guids(first) == guids(second)
    assert len(set(guids(first))) == 3
    assert {n.change for n in first.notes} == {Change.NEW}
    assert [n.mod for n in first.notes] == [T0] * 3


# --- mods -----------------------------------------------------------------------------------


def test_unchanged_note_keeps_its_mod_so_anki_skips_it() -> None:
    first = build(BASE)
    second = build(BASE, first.lock, now=T0 + 500)
    assert guids(second) == guids(first)
    assert [n.mod for n in second.notes] == [T0] * 3
    assert {n.change for n in second.notes} == {Change.UNCHANGED}
    assert second.lock == first.lock


def test_answer_edit_keeps_the_guid_and_raises_the_mod() -> None:
    first = build(BASE)
    edited = [
        BASE[0],
        replace(BASE[1], fields=(BASE[1].prompt, "L1 稀疏，L2 平滑", *BASE[1].fields[2:])),
        BASE[2],
    ]
    second = build(edited, first.lock, now=T0 + 60)
    assert guids(second) == guids(first)
    assert [n.change for n in second.notes] == [Change.UNCHANGED, Change.CHANGED, Change.UNCHANGED]
    assert [n.mod for n in second.notes] == [T0, T0 + 60, T0]


def test_changed_mod_is_strictly_greater_even_within_the_same_second() -> None:
    first = build(BASE)
    edited = [replace(BASE[0], tags=("frequent",)), *BASE[1:]]
    second = build(edited, first.lock, now=T0)  # same second as the first build
    assert second.notes[0].mod == T0 + 1
    third = build([replace(edited[0], tags=())], second.lock, now=T0 - 3600)  # clock went back
    assert third.notes[0].mod == T0 + 2


def test_moving_a_question_to_another_section_keeps_the_guid_and_updates_the_deck() -> None:
    first = build(BASE)
    moved = [replace(BASE[0], deck="ml::基础"), *BASE[1:]]
    second = build(moved, first.lock, now=T0 + 1)
    assert guids(second) == guids(first)
    assert second.notes[0].change is Change.CHANGED
    assert second.notes[0].mod == T0 + 1


def test_note_type_mod_rises_exactly_when_its_digest_changes() -> None:
    first = build(BASE)
    assert first.note_type_mod == T0
    assert build(BASE, first.lock, now=T0 + 9).note_type_mod == T0
    restyled = NoteType(front=NOTE_TYPE.front, back=NOTE_TYPE.back, css=NOTE_TYPE.css + "\n")
    changed = assign(BASE, first.lock, now=T0, note_type=restyled)
    assert changed.note_type_mod == T0 + 1
    assert changed.lock.note_type_digest == restyled.digest


# --- edits to the question text -----------------------------------------------------------


@pytest.mark.parametrize(
    "edited",
    [
        "什么事过拟合？",  # a typo fix (or a typo made)
        "什么是过拟合?",  # half-width punctuation
        "什么是 过拟合 ？",  # whitespace
        "什么是过拟合？如何缓解过拟合？",  # a clause appended
    ],
)
def test_small_edit_to_the_question_keeps_the_guid(edited: str) -> None:
    first = build(BASE)
    second = build([replace(BASE[0], prompt=edited), *BASE[1:]], first.lock, now=T0 + 1)
    assert guids(second) == guids(first)
    assert second.removed == ()
    head = second.notes[0]
    if normalise(edited) == normalise(BASE[0].prompt):
        assert head.change in {Change.UNCHANGED, Change.CHANGED}
    else:
        assert head.change is Change.REMATCHED
        assert head.previous_prompt == "什么是过拟合？"
        assert edited in {e.prompt for e in second.lock.entries}


def test_english_typo_and_full_width_letters_keep_the_guid() -> None:
    first = build(BASE)
    edits = [
        BASE[0],
        BASE[1],
        replace(BASE[2], prompt="Why does batch normalisation help training"),
    ]
    assert guids(build(edits, first.lock)) == guids(first)
    edits = [BASE[0], replace(BASE[1], prompt="Ｌ１ 和 Ｌ２ 正则化的区别是什么？"), BASE[2]]
    assert guids(build(edits, first.lock)) == guids(first)


def test_a_rewritten_question_is_a_new_note_and_the_old_one_is_reported_removed() -> None:
    first = build(BASE)
    rewritten = [replace(BASE[0], prompt="模型在训练集上表现很好但泛化差，原因和对策？"), *BASE[1:]]
    second = build(rewritten, first.lock, now=T0 + 1)
    assert second.notes[0].change is Change.NEW
    assert second.notes[0].guid != first.notes[0].guid
    (gone,) = second.removed
    assert (gone.guid, gone.prompt, gone.topic, gone.deck) == (
        first.notes[0].guid,
        "什么是过拟合？",
        "ml",
        "ml",
    )
    assert first.notes[0].guid not in {e.guid for e in second.lock.entries}


def test_an_edit_equally_close_to_two_old_questions_is_reported_and_treated_as_new() -> None:
    old = [note("什么是L1正则？", line=1), note("什么是L2正则？", line=2), BASE[2]]
    first = build(old)
    second = build([note("什么是L正则？", line=1), BASE[2]], first.lock)
    assert second.notes[0].change is Change.NEW
    assert second.notes[0].guid not in guids(first)
    (warning,) = second.diagnostics
    assert warning.level is Level.WARNING
    assert str(warning).startswith("ml.md:1: warning: edited question is as close")
    assert len(second.removed) == 2


def test_each_of_two_edited_questions_finds_its_own_old_text() -> None:
    old = [note("什么是L1正则化？"), note("什么是L2正则化，它有什么作用？")]
    first = build(old)
    new = [note("什么是L1正则化"), note("什么是L2正则化，它有什么用？")]
    second = build(new, first.lock)
    assert guids(second) == guids(first)
    assert second.diagnostics == ()


# --- duplicates, topics, renames -------------------------------------------------------------


def test_identical_questions_in_one_topic_get_distinct_stable_guids_and_a_warning() -> None:
    twins = [note("什么是过拟合？", "一", line=3), note("什么是过拟合?", "二", line=30)]
    first = build(twins)
    assert len(set(guids(first))) == 2
    (warning,) = first.diagnostics
    assert str(warning).startswith("ml.md:30: warning: duplicate question in topic 'ml'")
    assert "first at ml.md:3" in str(warning)
    assert guids(build(twins, first.lock)) == guids(first)


def test_the_same_question_in_two_topics_is_two_notes() -> None:
    result = build([note("什么是过拟合？", topic="ml"), note("什么是过拟合？", topic="dl")])
    assert len(set(guids(result))) == 2
    assert result.diagnostics == ()


def test_renaming_a_note_file_carries_its_guids_over() -> None:
    first = build(BASE)
    renamed = [replace(n, topic="machine-learning", deck="machine-learning") for n in BASE[:2]]
    renamed.append(note("新问题：什么是 dropout？", topic="machine-learning"))
    second = build(renamed, first.lock, now=T0 + 1)
    assert guids(second)[:2] == guids(first)[:2]
    assert [n.change for n in second.notes] == [Change.CHANGED, Change.CHANGED, Change.NEW]
    assert second.renamed == (("ml", "machine-learning"),)
    assert [r.prompt for r in second.removed] == [BASE[2].prompt]
    assert {e.topic for e in second.lock.entries} == {"machine-learning"}


def test_incremental_build_carries_unbuilt_topics_over_untouched() -> None:
    first = build([*BASE, note("什么是 attention？", topic="dl")])
    second = build([BASE[0]], first.lock, now=T0 + 5, topics_built={"ml"})
    dl = [e for e in second.lock.entries if e.topic == "dl"]
    assert dl == [e for e in first.lock.entries if e.topic == "dl"]
    assert {r.prompt for r in second.removed} == {BASE[1].prompt, BASE[2].prompt}


def test_explicit_id_beats_the_prompt() -> None:
    first = build([note("什么是过拟合？", explicit_id="overfit")])
    second = build([note("模型泛化差是怎么回事？", explicit_id="overfit")], first.lock)
    assert guids(second) == guids(first)
    assert second.notes[0].change is Change.CHANGED


def test_a_restored_question_gets_its_old_guid_back() -> None:
    first = build(BASE)
    without = build(BASE[1:], first.lock, now=T0 + 1)
    restored = build(BASE, without.lock, now=T0 + 2)
    assert guids(restored) == guids(first)


# --- the lock file -------------------------------------------------------------------------


def test_lock_round_trips_and_is_sorted_text(tmp_path: Path) -> None:
    lock = build([*BASE, note("什么是 attention？", topic="dl")]).lock
    path = tmp_path / "ankigen.lock"
    save_lock(path, lock)
    assert load_lock(path) == lock
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith('{"ankigen_lock": 1, "note_type": {"digest": ')
    assert lines[1].startswith('{"topic": "dl", "key": "什么是attention", "guid": ')
    assert len(lines) == 5
    assert sorted(tmp_path.iterdir()) == [path]  # no temp file left


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8")), min_size=1, max_size=6))
def test_each_lock_line_is_the_json_of_its_entry(texts: list[str]) -> None:
    entries = [
        LockEntry(topic=t, key=f"{t}#{n}", guid=f"g{n}", mod=n, content_hash=t, deck=t, prompt=t)
        for n, t in enumerate(texts)
    ]
    lines = dump_lock(Lock(entries=tuple(entries))).split("\n")[1:-1]
    expected = sorted(
        (
            e.topic,
            e.key,
            json.dumps(
                {
                    "topic": e.topic,
                    "key": e.key,
                    "guid": e.guid,
                    "mod": e.mod,
                    "hash": e.content_hash,
                    "deck": e.deck,
                    "prompt": e.prompt,
                },
                ensure_ascii=False,
            ),
        )
        for e in entries
    )
    assert lines == [line for _, _, line in expected]


def test_a_prompt_with_a_unicode_line_separator_round_trips(tmp_path: Path) -> None:
    # json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 as they are; they are not line
    # ends of the lock (str.splitlines() thinks they are).
    lock = build([note("pasted\u2028text?"), note("next\x85line?")]).lock
    path = tmp_path / "ankigen.lock"
    save_lock(path, lock)
    assert load_lock(path) == lock


# --- reading only the topics a build touches ---------------------------------------------

VAULT = [
    *BASE,
    note("什么是 attention？", topic="dl"),
    note("什么是残差连接？", topic="dl"),
    note('What is a "token"?', topic='nlp \\ "quoted"'),
    note("什么是卷积？", topic="cv"),
]


def saved(tmp_path: Path, notes: list[Note]) -> tuple[Path, Lock]:
    lock = build(notes).lock
    path = tmp_path / "ankigen.lock"
    save_lock(path, lock)
    return path, lock


def topics_of(lock: Lock) -> set[str]:
    return {e.topic for e in lock.entries}


def test_reading_some_topics_keeps_the_other_lines_verbatim(tmp_path: Path) -> None:
    path, full = saved(tmp_path, VAULT)
    part = load_lock_topics(path, {"dl"}, topics_of(full))
    assert [e.topic for e in part.entries] == ["dl", "dl"]
    assert part.others is not None and part.others.topics == topics_of(full) - {"dl"}
    assert dump_lock(part) == path.read_text(encoding="utf-8")


def test_an_edit_gives_the_same_lock_whether_all_or_some_topics_were_read(
    tmp_path: Path,
) -> None:
    path, full = saved(tmp_path, VAULT)
    edited = [
        note("什么是 attention 机制？", "改过的答案", topic="dl"),  # appended clause
        note("什么是层归一化？", topic="dl"),  # new; the residual question is removed
    ]
    part = load_lock_topics(path, {"dl"}, topics_of(full))
    whole = build(edited, full, now=T0 + 9, topics_built={"dl"})
    some = build(edited, part, now=T0 + 9, topics_built={"dl"})
    assert some.notes == whole.notes and some.removed == whole.removed
    assert dump_lock(some.lock) == dump_lock(whole.lock)


def test_a_new_guid_avoids_the_guids_of_topics_not_read(tmp_path: Path) -> None:
    first = build([note("什么是 dropout？", topic="dl")]).lock
    taken = first.entries[0].guid  # what a new "dropout" note in topic dl would get...
    squatter = LockEntry(
        topic="zz", key="x", guid=taken, mod=T0, content_hash="h", deck="zz", prompt="x"
    )  # ...held by an unread topic's note
    path = tmp_path / "ankigen.lock"
    save_lock(path, Lock(entries=(squatter,), note_type_digest=NOTE_TYPE.digest, note_type_mod=T0))
    part = load_lock_topics(path, {"dl"}, {"zz"})
    assert part.entries == () and part.others is not None
    result = build([note("什么是 dropout？", topic="dl")], part, topics_built={"dl"})
    assert result.notes[0].guid != taken


def test_a_lock_that_does_not_match_its_summary_is_read_whole(tmp_path: Path) -> None:
    path, full = saved(tmp_path, VAULT)
    # "every" misses a topic: the blocks do not tile the file, so nothing is trusted
    part = load_lock_topics(path, {"dl"}, topics_of(full) - {"cv"})
    assert part == load_lock(path) and part.others is None


def test_building_a_topic_whose_entries_were_not_read_is_refused(tmp_path: Path) -> None:
    path, full = saved(tmp_path, VAULT)
    part = load_lock_topics(path, {"dl"}, topics_of(full))
    with pytest.raises(ValueError, match="not read"):
        build([note("什么是卷积？", topic="cv")], part, topics_built={"cv"})


def test_missing_lock_is_empty(tmp_path: Path) -> None:
    assert load_lock(tmp_path / "ankigen.lock") == Lock()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("<<<<<<< HEAD", "not a JSON line: Expecting value (an unresolved merge conflict?)"),
        ('{"topic": "ml"}', "'key' must be a str, not None"),
        (
            '{"topic": "ml", "key": "k", "guid": "g", "mod": "1", "hash": "h", "deck": "ml", '
            '"prompt": "p"}',
            "'mod' must be a int, not '1'",
        ),
        (  # two entries joined on one line (a bad merge): read line by line, refused
            '{"topic": "ml", "key": "a", "guid": "ga", "mod": 1, "hash": "h", "deck": "ml", '
            '"prompt": "a"}, {"topic": "ml", "key": "b", "guid": "gb", "mod": 1, "hash": "h", '
            '"deck": "ml", "prompt": "b"}',
            "not a JSON line: Extra data",
        ),
    ],
)
def test_corrupt_lock_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "ankigen.lock"
    good = build(BASE).lock
    save_lock(path, good)
    text = path.read_text(encoding="utf-8").splitlines()
    text.insert(2, line)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(LockError) as caught:
        load_lock(path)
    assert str(caught.value) == f"{path}:3: {message}"


def test_lock_with_a_guid_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ankigen.lock"
    save_lock(path, build(BASE).lock)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1].replace('"key": "', '"key": "x')]) + "\n")
    with pytest.raises(LockError, match=r":5: GUID .* already used on line 2"):
        load_lock(path)


def test_build_time_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time() == 1_700_000_000
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_time() > 1_700_000_000


# --- properties ----------------------------------------------------------------------------

prompts = st.lists(
    st.text(alphabet="什么是过拟合正则化梯度消失爆炸如何为abcdefgxyz012", min_size=3, max_size=14),
    min_size=1,
    max_size=12,
    unique_by=normalise,
)


@settings(max_examples=60, deadline=None)
@given(prompts, st.randoms(use_true_random=False), st.data())
def test_answer_edits_and_reordering_never_change_a_guid(
    texts: list[str], rnd: random.Random, data: st.DataObject
) -> None:
    sections = ["", "基础", "进阶"]
    notes = [note(t, f"答案{i}", section=rnd.choice(sections)) for i, t in enumerate(texts)]
    first = build(notes)
    by_prompt = {n.note.prompt: n.guid for n in first.notes}

    answers = data.draw(st.lists(st.text(max_size=8), min_size=len(notes), max_size=len(notes)))
    edited = [
        replace(n, fields=(n.prompt, a, *n.fields[2:]), deck=f"ml::{rnd.choice(sections)}")
        for n, a in zip(notes, answers, strict=True)
    ]
    rnd.shuffle(edited)
    second = build(edited, first.lock, now=T0)
    assert {n.note.prompt: n.guid for n in second.notes} == by_prompt
    assert second.removed == ()
    for item in second.notes:
        assert item.change in {Change.UNCHANGED, Change.CHANGED}
        assert item.mod == (T0 if item.change is Change.UNCHANGED else T0 + 1)
