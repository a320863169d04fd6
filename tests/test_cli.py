"""The ``ankigen`` command through Click's runner: exact exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from ankigen.cli import main
from ankigen.report import json_schema

CLEAN = (
    "# 机器学习\n\n**什么是过拟合？**\n\n模型在训练集上好、测试集上差。\n\n"
    "**什么是正则化？**\n\nTBD\n"
)
WARNS = "# 图\n\n**什么是卷积？**\n\n![核](missing.png)\n"
NOT_UTF8 = b"# Bad\n\n**Q?**\n\nA \xff\n"


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory (the current one) with a notes/ folder and no pyproject.toml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folder = tmp_path / "notes"
    folder.mkdir()
    return folder


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_clean_notes_build_with_exit_0_and_a_summary_table(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    result = run("build", "notes")
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "topic",
        "cards",
        "new",
        "changed",
        "same",
        "removed",
        "todo",
        "warn",
    ]
    assert lines[2].split() == ["ml", "1", "1", "0", "0", "0", "1", "0"]
    assert lines[-1].startswith("built 1 package(s) in ")
    assert lines[-1].endswith("s; 0 error(s), 0 warning(s), 1 unanswered (ankigen todo)")
    assert Path("dist/ml.apkg").is_file()
    assert Path("notes/ankigen.lock").is_file()


def test_warnings_fail_only_with_strict(notes: Path) -> None:
    write(notes, "cv.md", WARNS)
    plain = run("build", "notes")
    assert plain.exit_code == 0
    assert plain.stderr == "notes/cv.md:5: warning: image not found: missing.png [missing-image]\n"
    strict = run("build", "--strict", "notes")
    assert strict.exit_code == 1
    assert strict.stderr == "notes/cv.md:5: warning: image not found: missing.png [missing-image]\n"
    assert run("check", "--strict", "notes").exit_code == 1
    assert run("check", "notes").exit_code == 0


def test_an_accepted_kind_of_warning_is_a_note_and_passes_strict(notes: Path) -> None:
    write(notes, "cv.md", WARNS)
    accepted = run("check", "--strict", "--accept", "missing-image", "notes")
    assert accepted.exit_code == 0
    assert accepted.stderr == "notes/cv.md:5: note: image not found: missing.png [missing-image]\n"
    assert accepted.stdout.rstrip().endswith("; 0 error(s), 0 warning(s)")
    assert accepted.stdout.splitlines()[2].split()[-1] == "0"  # the topic's warn column
    assert run("check", "--strict", "--accept", "tex", "notes").exit_code == 1
    quiet = run("check", "-q", "--accept", "missing-image", "notes")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert run("check", "--accept", "no-such-code", "notes").exit_code == 2


def test_accept_in_pyproject_is_checked_against_the_known_codes(notes: Path) -> None:
    write(notes, "cv.md", WARNS)
    Path("pyproject.toml").write_text('[tool.ankigen]\naccept = ["missing-image"]\n')
    assert run("check", "--strict", "notes").exit_code == 0
    Path("pyproject.toml").write_text('[tool.ankigen]\naccept = ["missing-images"]\n')
    typo = run("check", "notes")
    assert typo.exit_code == 2
    assert "unknown code(s) missing-images; valid codes: missing-image" in typo.stderr


def test_strict_is_the_default_under_ci_and_no_strict_overrides_it(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(notes, "cv.md", WARNS)
    monkeypatch.setenv("CI", "true")
    assert run("check", "notes").exit_code == 1
    assert run("check", "--no-strict", "notes").exit_code == 0


def test_unanswered_questions_are_never_warnings(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)  # holds one unanswered question
    result = run("check", "--strict", "notes")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1].startswith("checked 1 topic(s) in ")


def test_a_file_that_is_not_utf8_is_an_error_and_the_others_still_build(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    write(notes, "bad.md", NOT_UTF8)
    result = run("build", "notes")
    assert result.exit_code == 1
    assert result.stderr == (
        "notes/bad.md:5: error: not UTF-8 text (byte 0xff at offset 17)\n"
        "  hint: save the file as UTF-8 (most editors: 'Save with encoding')\n"
    )
    assert Path("dist/ml.apkg").is_file()
    assert not Path("dist/bad.apkg").exists()
    assert "1 error(s)" in result.stdout.splitlines()[-1]


def test_empty_and_front_matter_only_files_say_so_without_a_traceback(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    write(notes, "empty.md", "")
    write(notes, "front.md", "---\ntopic: x\n---\n")
    result = run("build", "notes")
    assert result.exit_code == 0
    assert result.stderr == (
        "notes/empty.md:1: warning: note file is empty: no questions to build [empty-file]\n"
        "notes/front.md:1: warning: note file has only front matter: no questions to build"
        " [empty-file]\n"
    )
    assert run("build", "--strict", "notes").exit_code == 1


def test_a_missing_source_is_a_usage_error(notes: Path) -> None:
    result = run("build", "nowhere")
    assert result.exit_code == 2
    assert "Path 'nowhere' does not exist." in result.stderr
    assert not Path("dist").exists()


def test_a_directory_without_notes_is_an_error(notes: Path) -> None:
    result = run("check", "notes")
    assert result.exit_code == 1
    assert result.stderr == "error: no note files found in notes\n"


def test_quiet_prints_only_problems(notes: Path) -> None:
    write(notes, "cv.md", WARNS)
    result = run("build", "-q", "notes")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "notes/cv.md:5: warning: image not found: missing.png [missing-image]\n"


def test_verbose_lists_the_todo_and_each_new_note(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    result = run("build", "-v", "notes")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        "notes/ml.md:7: todo: 什么是正则化？",
        "notes/ml.md:3: new: 什么是过拟合？",
    ]


def test_todo_lists_unanswered_questions_with_file_and_line(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    write(notes, "nlp.md", "# NLP\n\n**⭐️ 什么是 BERT？**\n\n**什么是 GPT？**\n\n生成式预训练。\n")
    result = run("todo", "notes")
    assert result.exit_code == 0
    assert (
        result.stdout
        == "notes/ml.md:7: 什么是正则化？\nnotes/nlp.md:3: 什么是 BERT？  [frequent]\n"
    )
    assert result.stderr == "2 unanswered question(s)\n"
    assert not Path("dist").exists()  # todo writes nothing


def test_check_writes_nothing(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    assert run("check", "notes").exit_code == 0
    assert not Path("dist").exists()
    assert not (notes / "ankigen.lock").exists()


def test_json_report_matches_the_documented_schema(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    write(notes, "cv.md", WARNS)
    write(notes, "bad.md", NOT_UTF8)
    result = run("build", "--json", "report.json", "notes")
    assert result.exit_code == 1
    data = json.loads(Path("report.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, json_schema())
    assert (data["errors"], data["warnings"], data["unanswered"], data["wrote"]) == (1, 1, 1, True)
    by_topic = {t["topic"]: t for t in data["topics"]}
    assert sorted(by_topic) == ["cv", "ml"]
    assert by_topic["ml"]["todo"] == [{"prompt": "什么是正则化？", "location": "notes/ml.md:7"}]
    assert by_topic["ml"]["notes"][0]["change"] == "new"
    assert by_topic["cv"]["warnings"] == 1
    assert data["diagnostics"][0]["location"] == "notes/bad.md:5"

    # The second build: same facts, every note unchanged, the clean topic skipped.
    again = run("build", "--json", "-", "notes")
    data = json.loads(again.stdout)
    jsonschema.validate(data, json_schema())
    by_topic = {t["topic"]: t for t in data["topics"]}
    assert by_topic["ml"]["skipped"] is True
    assert by_topic["ml"]["unchanged"] == 1
    assert by_topic["ml"]["todo"] == [{"prompt": "什么是正则化？", "location": "notes/ml.md:7"}]
    assert by_topic["cv"]["skipped"] is False  # a topic with warnings is always rebuilt
    assert again.stderr.startswith("notes/bad.md:5: error:")  # the table went to stderr


def test_the_schema_rejects_a_report_of_another_shape() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "wrote": True}, json_schema())


def test_preview_writes_a_page_and_prints_its_path(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    write(notes, "cv.md", WARNS)
    result = run("preview", "--topic", "ml", "--out", "out/p.html", "notes")
    assert result.exit_code == 0
    assert result.stdout == "out/p.html\n"
    page = Path("out/p.html").read_text(encoding="utf-8")
    assert "什么是过拟合" in page and "什么是卷积" not in page
    assert not Path("dist").exists()  # no packages


def test_preview_of_an_unknown_topic_is_a_usage_error(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    result = run("preview", "--topic", "nope", "notes")
    assert result.exit_code == 2
    assert "Error: no topic 'nope'; topics: ml" in result.stderr


def test_pyproject_settings_apply_and_flags_override_them(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    Path("pyproject.toml").write_text(
        '[tool.ankigen]\nsources = ["notes"]\nout = "decks"\ndeck_prefix = "面试"\n'
        'topics = { ml = "Machine Learning" }\nstrict = true\n',
        encoding="utf-8",
    )
    result = run("build", "--json", "r.json")
    assert result.exit_code == 0
    assert Path("decks/Machine Learning.apkg").is_file()
    data = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert data["topics"][0]["notes"][0]["deck"] == "面试::Machine Learning::机器学习"
    assert run("build", "--out", "elsewhere").exit_code == 0
    assert Path("elsewhere/Machine Learning.apkg").is_file()
    write(notes, "cv.md", WARNS)
    assert run("check").exit_code == 1  # strict = true
    assert run("check", "--no-strict").exit_code == 0


def test_an_unknown_pyproject_key_is_a_usage_error_naming_the_file_and_valid_keys(
    notes: Path,
) -> None:
    Path("pyproject.toml").write_text('[tool.ankigen]\ndeck-prefix = "x"\n', encoding="utf-8")
    result = run("check", "notes")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: pyproject.toml: [tool.ankigen]: unknown key(s) deck-prefix; valid keys: "
        "sources, out, deck_prefix, extra_tags, fetch_media, media_cache, topics, strict, accept\n"
    )


def test_a_missing_configured_source_is_a_usage_error(notes: Path) -> None:
    Path("pyproject.toml").write_text('[tool.ankigen]\nsources = ["gone"]\n', encoding="utf-8")
    result = run("build")
    assert result.exit_code == 2
    assert result.stderr == "Error: pyproject.toml: [tool.ankigen] sources: gone does not exist\n"


def test_bad_invocations_are_usage_errors_not_tracebacks(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(notes, "ml.md", CLEAN)
    bad_json = run("build", "notes", "--json", "nowhere/report.json")
    assert bad_json.exit_code == 2 and "folder nowhere does not exist" in bad_json.stderr
    assert not Path("dist").exists()  # refused before anything was built

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    epoch = run("build", "notes")
    assert epoch.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be whole seconds since 1970, not 'yesterday'" in epoch.stderr
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    nothing = run("build")  # no seeds/ here and no configuration
    assert nothing.exit_code == 2 and "no notes to build" in nothing.stderr

    Path("pyproject.toml").write_text("tool = 3\n")
    assert run("check", "notes").exit_code == 0  # not ours to judge: no [tool.ankigen]
    Path("pyproject.toml").write_text("[tool.ankigen]\nsources = []\n")
    empty = run("check")
    assert empty.exit_code == 2 and "'sources' is empty" in empty.stderr


def test_a_lock_that_cannot_be_read_is_an_error_with_its_path(notes: Path) -> None:
    write(notes, "ml.md", CLEAN)
    (notes / "ankigen.lock").mkdir()
    result = run("build", "notes")
    assert result.exit_code == 1
    assert "notes/ankigen.lock:1: cannot read the lock file" in result.stderr
