"""``[tool.ankigen]``: found in the nearest pyproject.toml, typed, unknown keys refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ankigen.config import KEYS, ConfigError, Settings, load_settings

ROOT = Path(__file__).parents[1]


def project(tmp_path: Path, section: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.ankigen]\n{section}", encoding="utf-8")
    return tmp_path


def test_no_pyproject_or_no_section_is_empty_settings(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert load_settings(tmp_path) == Settings(file=tmp_path.resolve() / "pyproject.toml")


def test_every_key_is_read_and_typed(tmp_path: Path) -> None:
    found = load_settings(
        project(
            tmp_path,
            'sources = ["notes", "more/x.md"]\nout = "decks"\ndeck_prefix = "面试"\n'
            'extra_tags = ["ml", "2026"]\nfetch_media = true\nmedia_cache = ".cache"\n'
            'topics = { ml = "Machine Learning" }\nstrict = false\n',
        )
    )
    assert found.sources == (Path("notes"), Path("more/x.md"))
    assert found.out == Path("decks")
    assert found.deck_prefix == "面试"
    assert found.extra_tags == ("ml", "2026")
    assert found.fetch_media is True
    assert found.media_cache == Path(".cache")
    assert found.topics == {"ml": "Machine Learning"}
    assert found.strict is False


def test_paths_are_relative_to_the_file_seen_from_a_subdirectory(tmp_path: Path) -> None:
    project(tmp_path, 'sources = ["notes"]\nout = "dist"\n')
    below = tmp_path / "notes" / "deep"
    below.mkdir(parents=True)
    found = load_settings(below)
    assert found.sources == (Path(".."),)
    assert found.out == Path("../../dist")


def test_unknown_keys_name_the_file_and_the_valid_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(project(tmp_path, 'source = ["notes"]\nouts = "x"\n'))
    assert str(error.value) == (
        "pyproject.toml: [tool.ankigen]: unknown key(s) outs, source; valid keys: "
        + ", ".join(KEYS)
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('sources = "notes"', "'sources' must be a list of note files or directories (strings)"),
        ("out = 3", "'out' must be the output directory (a string)"),
        ('strict = "yes"', "'strict' must be true or false"),
        ("topics = { ml = 1 }", "'topics' must be a table mapping a file stem to a topic name"),
        ("deck_prefix = []", "'deck_prefix' must be a parent deck name for every topic"),
    ],
)
def test_wrong_types_are_errors(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: \[tool\.ankigen\]: ") as error:
        load_settings(project(tmp_path, line + "\n"))
    assert message in str(error.value)


def test_broken_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ankigen\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: cannot read: "):
        load_settings(tmp_path)


def test_the_projects_own_section_holds_the_defaults() -> None:
    found = load_settings(ROOT)
    assert found.sources == (Path("seeds"),)
    assert found.out == Path("dist")
