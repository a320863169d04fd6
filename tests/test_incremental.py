"""Incremental builds skip exactly the topics whose package would come out the same, and
parallel parsing gives the same result as serial parsing."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from ankigen.cache import CACHE_NAME
from ankigen.identity import LOCK_NAME, load_lock
from ankigen.markdown import new_markdown
from ankigen.model import Change
from ankigen.notetype import default_template_dir
from ankigen.parse import parse_source
from ankigen.pipeline import BuildConfig, build, parse_all
from ankigen.read import find_sources, read_source
from ankigen.render import to_note

T0 = 1_700_000_000
SEEDS = Path(__file__).parents[1] / "seeds"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")

ML = "# ML\n\n**什么是过拟合？**\n\n训练好、测试差。\n\n**什么是正则化？**\n\n给参数加惩罚。\n"
NLP = "# NLP\n\n**什么是 BERT？**\n\n双向 Transformer 编码器。\n\n![图](fig.png)\n"
CV = "# CV\n\n**什么是卷积？**\n\n局部加权求和。\n"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ml.md").write_text(ML, encoding="utf-8")
    (notes / "nlp.md").write_text(NLP, encoding="utf-8")
    (notes / "cv.md").write_text(CV, encoding="utf-8")
    (notes / "fig.png").write_bytes(PNG)
    return tmp_path


def config(vault: Path, **changes: object) -> BuildConfig:
    values: dict[str, object] = {
        "sources": (vault / "notes",),
        "out_dir": vault / "dist",
        "now": T0,
    }
    values.update(changes)
    return BuildConfig(**values)  # type: ignore[arg-type]


def snapshot(dist: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(dist.glob("*.apkg"))}


def skipped(vault: Path, **changes: object) -> dict[str, bool]:
    return {r.topic.name: r.skipped for r in build(config(vault, **changes)).topics}


def test_an_untouched_topic_is_left_alone_and_an_edited_one_rebuilt(vault: Path) -> None:
    first = build(config(vault))
    assert not any(r.skipped for r in first.topics)
    before = snapshot(vault / "dist")
    lock_before = (vault / "notes" / LOCK_NAME).read_bytes()

    (vault / "notes" / "ml.md").write_text(ML.replace("给参数加惩罚", "给权重加惩罚"), "utf-8")
    second = build(config(vault, now=T0 + 100))
    assert {r.topic.name: r.skipped for r in second.topics} == {
        "cv": True,
        "ml": False,
        "nlp": True,
    }
    after = snapshot(vault / "dist")
    assert after["cv.apkg"] == before["cv.apkg"]  # bytes and mtime: not even rewritten
    assert after["nlp.apkg"] == before["nlp.apkg"]
    assert after["ml.apkg"][0] != before["ml.apkg"][0]
    ml = next(r for r in second.topics if r.topic.name == "ml")
    assert sorted(n.change for n in ml.notes) == [Change.CHANGED, Change.UNCHANGED]
    # The skipped topics' lock entries are carried over untouched.
    old = {e.guid: e for e in load_lock_bytes(lock_before, vault)}
    new = {e.guid: e for e in load_lock(vault / "notes" / LOCK_NAME).entries}
    assert {g: e for g, e in new.items() if e.topic != "ml"} == {
        g: e for g, e in old.items() if e.topic != "ml"
    }
    # A skipped topic reports what a rebuild would: its notes, all unchanged, no problems.
    cv = next(r for r in second.topics if r.topic.name == "cv")
    assert [n.change for n in cv.notes] == [Change.UNCHANGED]
    assert cv.package == vault / "dist" / "cv.apkg"


def load_lock_bytes(data: bytes, vault: Path) -> tuple:  # type: ignore[type-arg]
    copy = vault / "lock-copy"
    copy.write_bytes(data)
    return load_lock(copy).entries


def test_an_incremental_build_writes_what_a_full_build_writes(vault: Path) -> None:
    build(config(vault))
    (vault / "notes" / "cv.md").write_text(CV + "\n**什么是池化？**\n\n降采样。\n", "utf-8")
    build(config(vault, now=T0 + 5))
    incremental = {name: data for name, (data, _) in snapshot(vault / "dist").items()}
    lock = (vault / "notes" / LOCK_NAME).read_bytes()

    shutil.rmtree(vault / "dist")
    build(config(vault, now=T0 + 5, incremental=False))
    full = {name: data for name, (data, _) in snapshot(vault / "dist").items()}
    assert incremental == full
    assert (vault / "notes" / LOCK_NAME).read_bytes() == lock


def test_a_no_op_rebuild_skips_every_clean_topic(vault: Path) -> None:
    build(config(vault))
    before = snapshot(vault / "dist")
    assert skipped(vault) == {"cv": True, "ml": True, "nlp": True}
    assert snapshot(vault / "dist") == before


def test_changed_templates_rebuild_every_topic(vault: Path) -> None:
    templates = vault / "templates"
    shutil.copytree(default_template_dir(), templates)
    build(config(vault, template_dir=templates))
    assert skipped(vault, template_dir=templates) == {"cv": True, "ml": True, "nlp": True}
    with (templates / "style.css").open("a", encoding="utf-8") as css:
        css.write("\n.card { letter-spacing: 0.01em; }\n")
    assert skipped(vault, template_dir=templates) == {"cv": False, "ml": False, "nlp": False}


def test_a_changed_image_rebuilds_the_topic_that_bundles_it(vault: Path) -> None:
    build(config(vault))
    (vault / "notes" / "fig.png").write_bytes(PNG + b"\0")
    assert skipped(vault) == {"cv": True, "ml": True, "nlp": False}


def test_a_changed_lock_deleted_package_or_other_options_rebuild(vault: Path) -> None:
    build(config(vault))
    (vault / "dist" / "cv.apkg").unlink()
    assert skipped(vault) == {"cv": False, "ml": True, "nlp": True}
    assert (vault / "dist" / "cv.apkg").is_file()

    (vault / "notes" / LOCK_NAME).unlink()  # e.g. a git checkout of an older lock
    assert skipped(vault) == {"cv": False, "ml": False, "nlp": False}

    assert skipped(vault, deck_prefix="面试") == {"cv": False, "ml": False, "nlp": False}


def test_a_no_op_rebuild_does_not_parse_the_lock(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache remembers a summary of the lock it was made against; while the lock file's
    # bytes are the same, its entries are not read (they are most of a no-op's work).
    build(config(vault))

    def fail(path: Path) -> None:
        raise AssertionError(f"{path} was parsed")

    monkeypatch.setattr("ankigen.pipeline.load_lock", fail)
    assert skipped(vault) == {"cv": True, "ml": True, "nlp": True}


def test_a_lock_changed_for_one_topic_rebuilds_that_topic_only(vault: Path) -> None:
    build(config(vault))
    lock_file = vault / "notes" / LOCK_NAME
    lines = lock_file.read_text(encoding="utf-8").split("\n")
    # e.g. a merge that brought another machine's mod for one ml note
    edited = [
        line.replace('"mod": 1700000000', '"mod": 1700000001') if '"topic": "ml"' in line else line
        for line in lines
    ]
    lock_file.write_text("\n".join(edited), encoding="utf-8")
    assert skipped(vault) == {"cv": True, "ml": False, "nlp": True}
    assert skipped(vault) == {"cv": True, "ml": True, "nlp": True}


def _reordered(lines: list[str]) -> list[str]:
    header, *entries = lines
    return [header, entries[0], entries[-1], *entries[1:-1]]  # one line moved out of order


def _compact(lines: list[str]) -> list[str]:
    header, first, *rest = lines
    return [header, json.dumps(json.loads(first), separators=(",", ":")), *rest]


@pytest.mark.parametrize("hand_edit", [_reordered, _compact], ids=["reordered", "compact"])
def test_a_hand_edited_lock_is_written_back_in_order_and_keeps_every_guid(
    vault: Path, hand_edit: Callable[[list[str]], list[str]]
) -> None:
    # A lock edited by hand (or by a merge) reads fine but is not laid out as ankigen writes
    # it; incremental builds only read part of a lock in that layout, so the next build must
    # write it back in order rather than remember it as it is.
    build(config(vault))
    lock_file = vault / "notes" / LOCK_NAME
    canonical = lock_file.read_text(encoding="utf-8")
    before = {e.guid for e in load_lock(lock_file).entries}
    lock_file.write_text("\n".join(hand_edit(canonical.split("\n")[:-1])) + "\n", "utf-8")

    build(config(vault, now=T0 + 1))  # nothing changed in the notes
    assert lock_file.read_text(encoding="utf-8") == canonical

    (vault / "notes" / "ml.md").write_text(ML.replace("训练好", "训练集好"), "utf-8")
    report = build(config(vault, now=T0 + 2))
    after = load_lock(lock_file).entries
    assert {e.guid for e in after} == before and len(after) == len(before)
    changes = sorted(n.change for r in report.topics for n in r.notes)
    assert changes.count(Change.CHANGED) == 1 and Change.NEW not in changes


def test_a_lock_with_no_entries_yet_is_read_incrementally(vault: Path) -> None:
    empty = vault / "empty"
    empty.mkdir()
    (empty / "a.md").write_text("# A\n\nNo questions yet.\n", encoding="utf-8")
    build(config(vault, sources=(empty,)))  # writes a lock with a header only
    (empty / "a.md").write_text("**What is A1?**\n\nx\n", encoding="utf-8")
    report = build(config(vault, sources=(empty,), now=T0 + 1))
    assert [n.change for r in report.topics for n in r.notes] == [Change.NEW]


def test_a_skipped_topic_lists_its_notes_when_asked(vault: Path) -> None:
    first = build(config(vault))
    again = build(config(vault))
    for before, after in zip(first.topics, again.topics, strict=True):
        assert after.skipped
        assert [
            (n.guid, n.mod, n.note.prompt, n.note.deck, n.note.origin) for n in after.notes
        ] == [(n.guid, n.mod, n.note.prompt, n.note.deck, n.note.origin) for n in before.notes]
        assert {n.change for n in after.notes} == {Change.UNCHANGED}


def test_a_damaged_cache_means_a_full_build(vault: Path) -> None:
    build(config(vault))
    (vault / "dist" / CACHE_NAME).write_text("{not json", encoding="utf-8")
    assert skipped(vault) == {"cv": False, "ml": False, "nlp": False}
    assert skipped(vault) == {"cv": True, "ml": True, "nlp": True}


def test_a_topic_with_warnings_is_never_skipped_so_its_warnings_are_shown(vault: Path) -> None:
    (vault / "notes" / "cv.md").write_text(CV + "\n![x](missing.png)\n", "utf-8")
    first = build(config(vault))
    assert first.warnings == 1
    second = build(config(vault))
    assert second.warnings == 1
    assert {r.topic.name: r.skipped for r in second.topics}["cv"] is False


def test_check_never_uses_or_writes_the_cache(vault: Path) -> None:
    build(config(vault))
    cache = (vault / "dist" / CACHE_NAME).read_bytes()
    report = build(config(vault, write=False))
    assert not any(r.skipped for r in report.topics)
    assert (vault / "dist" / CACHE_NAME).read_bytes() == cache


def test_a_renamed_file_keeps_its_guids(vault: Path) -> None:
    first = build(config(vault))
    guids = {n.guid for r in first.topics if r.topic.name == "ml" for n in r.notes}
    (vault / "notes" / "ml.md").rename(vault / "notes" / "machine-learning.md")
    second = build(config(vault, now=T0 + 1))
    renamed = next(r for r in second.topics if r.topic.name == "machine-learning")
    assert {n.guid for n in renamed.notes} == guids
    assert not any(r.removed for r in second.topics)
    topics = {e.topic for e in load_lock(vault / "notes" / LOCK_NAME).entries}
    assert topics == {"cv", "machine-learning", "nlp"}


def test_a_deleted_file_reports_its_notes_as_removed(vault: Path) -> None:
    build(config(vault))
    (vault / "notes" / "cv.md").unlink()
    report = build(config(vault, now=T0 + 1))
    removed = [gone.prompt for r in report.topics for gone in r.removed]
    assert removed == ["CV › 什么是卷积？"]
    assert "cv" not in {e.topic for e in load_lock(vault / "notes" / LOCK_NAME).entries}


def test_building_one_file_leaves_the_other_topics_in_the_lock(vault: Path) -> None:
    build(config(vault))
    report = build(config(vault, sources=(vault / "notes" / "ml.md",), now=T0 + 1))
    assert not any(r.removed for r in report.topics)
    assert {e.topic for e in load_lock(vault / "notes" / LOCK_NAME).entries} == {
        "cv",
        "ml",
        "nlp",
    }


def test_an_unreadable_file_keeps_its_lock_entries(vault: Path) -> None:
    build(config(vault))
    (vault / "notes" / "cv.md").write_bytes(b"# CV\n\xff\n")
    report = build(config(vault, now=T0 + 1))
    assert report.errors == 1
    assert not any(r.removed for r in report.topics)
    assert "cv" in {e.topic for e in load_lock(vault / "notes" / LOCK_NAME).entries}


# --- parallel parsing -------------------------------------------------------------------------


def seed_sources(tmp_path: Path) -> list:  # type: ignore[type-arg]
    notes = tmp_path / "seeds"
    shutil.copytree(SEEDS, notes, ignore=shutil.ignore_patterns(LOCK_NAME))
    found = [read_source(path, root).source for path, root in find_sources([notes])]
    return [s for s in found if s is not None]


def test_parallel_parsing_gives_the_serial_result_in_input_order(tmp_path: Path) -> None:
    sources = seed_sources(tmp_path)
    assert len(sources) >= 4
    serial = parse_all(sources, config(tmp_path, jobs=1), lambda *_: None)
    parallel = parse_all(sources, config(tmp_path, jobs=2), lambda *_: None)
    assert parallel == serial
    md = new_markdown()
    topics = [parse_source(md, s) for s in sources]
    assert [p.topic for p in serial] == [replace(t, questions=()) for t in topics]
    assert [k.note for p in serial for k in p.notes] == [
        to_note(q) for t in topics for q in t.questions
    ]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_parallel_build_writes_the_same_packages(
    tmp_path: Path, start_method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forked package writers read the notes they inherit; under spawn (macOS, Windows) the
    # notes are sent to them. The workers here are forked either way; only the hand-over
    # differs.
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda: start_method)
    for jobs in (1, 2):
        vault = tmp_path / f"jobs{jobs}"
        shutil.copytree(SEEDS, vault / "notes", ignore=shutil.ignore_patterns(LOCK_NAME))
        build(config(vault, jobs=jobs))
    one = {n: d for n, (d, _) in snapshot(tmp_path / "jobs1" / "dist").items()}
    two = {n: d for n, (d, _) in snapshot(tmp_path / "jobs2" / "dist").items()}
    assert one == two and len(one) == 4
    lock1 = (tmp_path / "jobs1" / "notes" / LOCK_NAME).read_bytes()
    assert (tmp_path / "jobs2" / "notes" / LOCK_NAME).read_bytes() == lock1
