"""Which lock a build uses, and which notes it may call removed: the ways to lose reviews
that come from how a build is invoked rather than from what the notes say."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ankigen.identity import LOCK_NAME, load_lock
from ankigen.model import Level
from ankigen.pipeline import BuildConfig, build


def guids(notes: Path) -> dict[str, str]:
    return {e.prompt: e.guid for e in load_lock(notes / LOCK_NAME).entries}


def make(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "img").mkdir()
    (notes / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (notes / "sub" / "x.md").write_text(
        "**什么是过拟合？**\n\n训练好、测试差。\n\n![](../img/a.png)\n\n**什么是欠拟合？**\n\n都差。\n",
        encoding="utf-8",
    )
    (notes / "y.md").write_text("**What is bias?**\n\nWrong assumptions.\n", encoding="utf-8")
    return notes


def test_building_one_file_in_a_subfolder_uses_the_notes_lock(tmp_path: Path) -> None:
    notes = make(tmp_path)
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    note = notes / "sub" / "x.md"
    note.write_text(note.read_text(encoding="utf-8").replace("过拟合？", "过拟合呢？"), "utf-8")

    report = build(BuildConfig(sources=(note,), out_dir=tmp_path / "dist", now=2000))

    assert not (notes / "sub" / LOCK_NAME).exists()
    after = guids(notes)
    assert after["什么是过拟合呢？"] == before["什么是过拟合？"]  # re-matched, not duplicated
    assert after["What is bias?"] == before["What is bias?"]
    (result,) = report.topics
    untouched = [n for n in result.notes if n.note.prompt == "什么是欠拟合？"]
    assert untouched[0].mod == 1000  # unchanged: its mod (and the learner's edits) stay
    assert result.notes[0].note.media  # ../img is inside the notes: bundled, not refused
    assert [d for d in report.all_diagnostics if d.level is Level.WARNING] == []


def test_a_file_renamed_and_built_alone_keeps_its_guids(tmp_path: Path) -> None:
    notes = make(tmp_path)
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    renamed = notes / "sub" / "overfitting.md"
    (notes / "sub" / "x.md").rename(renamed)

    report = build(BuildConfig(sources=(renamed,), out_dir=tmp_path / "dist", now=2000))

    assert guids(notes) == before
    assert all(r.removed == () for r in report.topics)


def test_a_rename_next_to_an_unreadable_file_keeps_its_guids(tmp_path: Path) -> None:
    notes = make(tmp_path)
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    (notes / "y.md").write_bytes(b"**What is bias?**\n\n\xff\n")
    (notes / "sub" / "x.md").rename(notes / "sub" / "fitting.md")

    report = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=2000))

    assert report.errors == 1
    assert guids(notes) == before  # y's entries kept, x's carried over to its new name


def test_an_emptied_file_keeps_its_notes_until_it_has_content_again(tmp_path: Path) -> None:
    notes = make(tmp_path)
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    text = (notes / "y.md").read_text(encoding="utf-8")
    (notes / "y.md").write_text("", encoding="utf-8")  # an editor's truncate-then-write

    emptied = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=2000))
    assert all(r.removed == () for r in emptied.topics)
    (notes / "y.md").write_text(text, encoding="utf-8")
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=3000))

    assert guids(notes) == before


def test_a_deleted_file_is_reported_removed(tmp_path: Path) -> None:
    notes = make(tmp_path)
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    (notes / "y.md").unlink()

    report = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=2000))

    removed = [gone.prompt for r in report.topics for gone in r.removed]
    assert removed == ["What is bias?"]


def test_topics_that_would_share_a_package_file_are_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntopic: ML/DL\n---\n**What is a?**\n\nA.\n", "utf-8")
    (notes / "b.md").write_text("---\ntopic: ML:DL\n---\n**What is b?**\n\nB.\n", "utf-8")

    report = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist"))

    assert report.errors == 2
    assert "would share ML_DL.apkg" in str(report.all_diagnostics[0])
    assert not (tmp_path / "dist" / "ML_DL.apkg").exists()


def test_front_matter_title_does_not_rename_the_topic(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ml.md").write_text(
        "---\ntitle: My ML interview notes\n---\n**What is ML?**\n\nLearning from data.\n", "utf-8"
    )
    (notes / "cv.md").write_text(
        "---\ntitle: Vision\ntopic: computer-vision\n---\n**What is CV?**\n\nSeeing.\n", "utf-8"
    )

    report = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist"))

    assert sorted(r.topic.name for r in report.topics) == ["computer-vision", "ml"]


def test_naming_a_folder_and_a_file_in_it_builds_the_file_once(tmp_path: Path) -> None:
    notes = make(tmp_path)

    report = build(
        BuildConfig(sources=(notes, notes / "y.md"), out_dir=tmp_path / "dist", now=1000)
    )

    assert report.errors == 0
    assert sorted(r.topic.name for r in report.topics) == ["x", "y"]


def test_a_short_question_moved_to_another_section_keeps_its_guid(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "ml.md"
    note.write_text(
        "## Regularisation\n\n**Why L2?**\n\nSmooth shrinkage.\n\n## Optimisers\n\n"
        "**What is Adam?**\n\nMomentum plus RMSprop.\n",
        encoding="utf-8",
    )
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    note.write_text(
        "## Regularisation\n\n## Optimisers\n\n**What is Adam?**\n\nMomentum plus RMSprop.\n\n"
        "**Why L2?**\n\nSmooth shrinkage.\n",
        encoding="utf-8",
    )

    report = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=2000))

    assert guids(notes)["Optimisers › Why L2?"] == before["Regularisation › Why L2?"]
    assert all(r.removed == () for r in report.topics)


def test_renaming_a_section_keeps_its_concept_cards(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "ml.md"
    note.write_text("## Models\n\n### Transformer\n\nAttention only.\n", encoding="utf-8")
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    note.write_text("## Architectures\n\n### Transformer\n\nAttention only.\n", encoding="utf-8")

    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=2000))

    assert guids(notes)["Architectures › Transformer"] == before["Models › Transformer"]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="bom"),
        pytest.param(
            lambda text: text.replace("---\n\n", "summary: " + "x" * 5000 + "\n---\n\n").encode(),
            id="long-front-matter",
        ),
    ],
)
def test_building_one_file_keeps_a_sibling_named_by_front_matter(
    tmp_path: Path, encode: Callable[[str], bytes]
) -> None:
    # Building y.md alone must see that dl.md (topic "Deep Learning") is still there, however
    # its bytes are laid out, or it reports the sibling's notes removed and drops their GUIDs.
    notes = make(tmp_path)
    text = "---\ntopic: Deep Learning\n---\n\n**什么是残差连接？**\n\n跳连。\n"
    (notes / "dl.md").write_bytes(encode(text))
    build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", now=1000))
    before = guids(notes)
    assert "什么是残差连接？" in before

    report = build(BuildConfig(sources=(notes / "y.md",), out_dir=tmp_path / "dist", now=2000))

    assert all(r.removed == () for r in report.topics)
    assert guids(notes) == before
