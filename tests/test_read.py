"""read.py: bytes -> SourceFile; every way a file can be unusable is a located diagnostic."""

from __future__ import annotations

from pathlib import Path

from ankigen.model import Level
from ankigen.read import find_sources, read_source


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
