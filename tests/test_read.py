"""read.py: bytes -> SourceFile; every way a file can be unusable is a located diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ankigen.model import Level
from ankigen.pipeline import BuildConfig, build
from ankigen.read import declared_tags, find_sources, read_source


def read(tmp_path: Path, data: bytes, name: str = "n.md"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    return read_source(path, tmp_path)


def test_bom_and_crlf_are_normalised(tmp_path: Path) -> None:
    result = read(tmp_path, b"\xef\xbb\xbf# T\r\n\r\n**Q?**\r\nA\r")
    assert result.source is not None
    assert result.source.text == "# T\n\n**Q?**\nA\n"
    assert result.diagnostics == ()


def test_not_utf8_is_an_error_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    result = read(tmp_path, b"# T\n\nok\n\xe9t\xe9\n")
    assert result.source is None
    (problem,) = result.diagnostics
    assert problem.level is Level.ERROR
    assert str(problem) == (
        f"{tmp_path.as_posix()}/n.md:4: error: not UTF-8 text (byte 0xe9 at offset 8)\n"
        "  hint: save the file as UTF-8 (most editors: 'Save with encoding')"
    )


def test_empty_and_front_matter_only_files_are_warnings(tmp_path: Path) -> None:
    for data, what in [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"---\ntopic: x\n---\n", "has only front matter"),
        (b"---\n---\n\n", "has only front matter"),
    ]:
        result = read(tmp_path, data)
        assert result.source is None
        (problem,) = result.diagnostics
        assert problem.level is Level.WARNING
        assert problem.message == f"note file {what}: no questions to build"
        assert problem.location is not None and problem.location.line == 1


def test_front_matter_names_the_topic(tmp_path: Path) -> None:
    result = read(tmp_path, "---\ntopic: '机器学习'\n---\n**Q?**\n\nA\n".encode(), "ml.md")
    assert result.source is not None
    assert result.source.topic == "机器学习"
    plain = read(tmp_path, b"**Q?**\n\nA\n", "nlp-notes.md")
    assert plain.source is not None and plain.source.topic == "nlp-notes"


@pytest.mark.parametrize(
    "front",
    [
        "tags: [ml, 'deep learning', \"#面试\"]",
        "tags: ml, deep learning, #面试",
        "tags:\n  - ml\n  - deep learning\n  - '#面试'\ntopic: x",
        "Tags: [ml, deep learning, 面试, ml]",
    ],
)
def test_front_matter_tags_in_the_forms_notes_use(front: str) -> None:
    assert declared_tags(f"---\n{front}\n---\n**Q?**\n") == ("ml", "deep learning", "面试")


def test_front_matter_tags_edge_cases() -> None:
    assert declared_tags("---\ntags: ml nlp\n---\n") == ("ml", "nlp")
    assert declared_tags("---\ntags: [ai/nlp]\n---\n") == ("ai::nlp",)  # Obsidian nesting
    assert declared_tags("---\ntags: []\n---\n") == ()
    assert declared_tags("**Q?**\n\ntags: not front matter\n") == ()


def test_every_note_of_a_file_carries_its_front_matter_tags(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "dl.md").write_text(
        "---\ntags: [deep learning, ai/nlp]\n---\n\n**什么是残差？**\n\n跳连。\n\n"
        "**什么是 BN？**\n\n批归一化。\n",
        encoding="utf-8",
    )
    config = BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", extra_tags=("2026",))
    (result,) = build(config).topics
    assert [n.note.tags for n in result.notes] == [("2026", "ai::nlp", "deep_learning")] * 2


def test_an_unreadable_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = read_source(tmp_path / "missing.md", tmp_path)
    assert result.source is None
    assert result.diagnostics[0].message.startswith("cannot read file: ")


def test_find_sources_skips_hidden_underscored_and_readme_files(tmp_path: Path) -> None:
    for name in ["b.md", "a.markdown", "c.txt", "README.md", "x.png", ".hidden.md"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    for folder in ["_drafts", ".git", "sub"]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "n.md").write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p, _ in find_sources([tmp_path])]
    assert found == ["a.markdown", "b.md", "c.txt", "sub/n.md"]
    assert {root for _, root in find_sources([tmp_path])} == {tmp_path.resolve()}
    (single,) = find_sources([tmp_path / "b.md"])
    assert single == (tmp_path / "b.md", tmp_path.resolve())
