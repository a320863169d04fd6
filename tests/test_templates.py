"""The note type's templates, render_card's Anki template semantics, and the preview page."""

from __future__ import annotations

import re
from pathlib import Path

import genanki
import pytest

from ankigen.model import MediaRef, Note, SourceLocation
from ankigen.notetype import (
    FIELD_NAMES,
    MODEL_ID,
    MODEL_NAME,
    TEMPLATE_FILES,
    TEMPLATE_NAME,
    NoteType,
    load_note_type,
)
from ankigen.preview import TemplateError, render_card, render_template, write_preview

NOTE_TYPE = load_note_type()
TEMPLATES = {"front.html": NOTE_TYPE.front, "back.html": NOTE_TYPE.back, "style.css": NOTE_TYPE.css}
FULL = {
    "Question": "<b>Q</b>",
    "Answer": "<p>A</p>",
    "Summary": "S",
    "Context": "C1 › C2",
    "Source": "notes/dl.md:12",
}


# --- the schema stays frozen (ANKI.md, "Import" 5) ---------------------------------------


def test_field_names_and_template_files_are_unchanged() -> None:
    assert FIELD_NAMES == (
        "Question",
        "Answer",
        "Summary",
        "Context",
        "Source",
        "Extra",
        "Reserved1",
        "Reserved2",
    )
    assert TEMPLATE_FILES == ("front.html", "back.html", "style.css")
    assert (MODEL_ID, TEMPLATE_NAME) == (1_607_392_417, "Recall")


def test_templates_use_only_fields_of_the_note_type() -> None:
    for name in ("front.html", "back.html"):
        used = {m.strip().lstrip("#^/") for m in re.findall(r"\{\{(.*?)\}\}", TEMPLATES[name])}
        assert used <= {*FIELD_NAMES, "FrontSide"}, name


# --- what each side shows -----------------------------------------------------------------


def test_front_shows_context_and_question_only() -> None:
    front, _ = render_card(NOTE_TYPE, FULL)
    assert "C1 › C2" in front and "<b>Q</b>" in front
    assert front.index("C1 › C2") < front.index("<b>Q</b>")
    for hidden in ("<p>A</p>", "notes/dl.md:12", ">S<"):
        assert hidden not in front


def test_back_shows_front_then_summary_then_answer_then_source() -> None:
    front, back = render_card(NOTE_TYPE, FULL)
    assert back.startswith(front)
    order = [
        back.index(s) for s in ('id="answer"', 'class="ag-summary">S<', "<p>A</p>", "dl.md:12")
    ]
    assert order == sorted(order)


def test_empty_optional_fields_leave_no_wrappers() -> None:
    front, back = render_card(NOTE_TYPE, {"Question": "Q", "Answer": "A", "Summary": "<br>"})
    assert "ag-context" not in front
    assert "ag-summary" not in back and "ag-source" not in back


def test_summary_is_styled_as_a_callout_not_as_code() -> None:
    css = NOTE_TYPE.css
    rule = re.search(r"\.ag-summary pre,[^{]*\{([^}]*)\}", css)
    assert rule is not None
    for decl in ("font: inherit", "white-space: pre-wrap", "background: none"):
        assert decl in rule.group(1)
    # …in night mode too: the selector list outranks `.nightMode pre`.
    assert ".nightMode .ag-summary pre" in rule.group(0)


# --- nothing from the network, no MathJax of our own, phone and night friendly -------------


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_templates_load_nothing_from_the_network(name: str) -> None:
    text = TEMPLATES[name]
    assert not re.search(r"<script[^>]*\bsrc", text, re.IGNORECASE)
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert "@import" not in text
    # Anki loads its own MathJax; a second copy (or config) from the card fights it.
    assert not re.search(r"MathJax\s*=|MathJax\.|tex-(?:chtml|svg|mml)", text, re.IGNORECASE)
    # Shared assets, if any are ever added, must be _-prefixed and versioned (ANKI.md, Media).
    for ref in re.findall(r"""(?:src=|url\()\s*["']?([^"')\s>]+)""", text):
        assert re.fullmatch(r"_[\w.-]*\d[\w.-]*", ref), ref


def test_css_has_no_fixed_widths_and_scales_images() -> None:
    css = NOTE_TYPE.css
    assert not re.search(r"(?<![-\w])width:\s*\d+(?:\.\d+)?px", css)
    assert re.search(r"img \{[^}]*max-width: 100%", css)
    assert "Noto Sans CJK SC" in css and "PingFang SC" in css


def test_css_styles_both_night_mode_classes() -> None:
    css = NOTE_TYPE.css
    for cls in (".nightMode", ".night_mode"):
        assert re.search(re.escape(cls) + r"[^{]*\{[^}]*background-color: #1", css), cls
        assert re.search(re.escape(cls) + r" pre[^{]*\{[^}]*color: #e", css), cls


# --- render_card speaks Anki's template language -------------------------------------------


@pytest.mark.parametrize(
    ("template", "fields", "expected"),
    [
        ("a{{X}}b", {"X": "<i>1</i>"}, "a<i>1</i>b"),  # no HTML escaping, unlike Mustache
        ("{{ X }}", {"X": "1"}, "1"),
        ("{{#X}}[{{X}}]{{/X}}", {"X": "1"}, "[1]"),
        ("{{#X}}[{{X}}]{{/X}}", {"X": " <br> <div></div>\n"}, ""),  # Anki's "empty"
        ("{{#X}}[{{X}}]{{/X}}", {"X": "<p></p>"}, "[<p></p>]"),  # but not any tag
        ("{{^X}}none{{/X}}", {"X": ""}, "none"),
        ("{{^X}}none{{/X}}", {"X": "1"}, ""),
        ("{{#X}}{{#Y}}both{{/Y}}{{/X}}", {"X": "1", "Y": ""}, ""),
        ("{{#X}}{{#Y}}both{{/Y}}{{/X}}", {"X": "1", "Y": "1"}, "both"),
        ("a { b } {{", {}, "a { b } {{"),
    ],
)
def test_render_template(template: str, fields: dict[str, str], expected: str) -> None:
    assert render_template(template, fields) == expected


@pytest.mark.parametrize(
    "template",
    ["{{Nope}}", "{{#X}}open", "{{/X}}", "{{#X}}{{/Y}}", "{{text:X}}", "{{#Nope}}{{/Nope}}"],
)
def test_render_template_rejects_what_anki_would_not_render(template: str) -> None:
    with pytest.raises(TemplateError):
        render_template(template, {"X": "1", "Y": "1"})


def test_render_card_rejects_unknown_fields() -> None:
    with pytest.raises(TemplateError, match="Questoin"):
        render_card(NOTE_TYPE, {"Questoin": "typo"})


@pytest.mark.parametrize(
    "fields",
    [
        FULL,
        {"Question": "Q", "Answer": "A", "Summary": " <br> ", "Source": "s"},
        {"Question": "Q", "Answer": "A", "Context": "<div><br></div>"},
        {"Question": "Q", "Answer": "A", "Summary": "<BR/>\n\t", "Context": "&nbsp;"},
        {"Question": "Q", "Answer": "A", "Summary": "\u200b", "Source": "<span></span>"},
    ],
    ids=["full", "blank-summary", "blank-context", "case-and-nbsp", "zero-width-and-span"],
)
def test_render_card_matches_real_anki(tmp_path: Path, fields: dict[str, str]) -> None:
    """The oracle: Anki's own renderer, reached through a real import of a genanki package."""
    anki_collection = pytest.importorskip("anki.collection")
    model = genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELD_NAMES],
        templates=[{"name": TEMPLATE_NAME, "qfmt": NOTE_TYPE.front, "afmt": NOTE_TYPE.back}],
        css=NOTE_TYPE.css,
    )
    deck = genanki.Deck(2_059_400_111, "ankigen-test")
    deck.add_note(
        genanki.Note(model=model, fields=[fields.get(n, "") for n in FIELD_NAMES], guid="g1")
    )
    genanki.Package(deck).write_to_file(tmp_path / "t.apkg")
    col = anki_collection.Collection(str(tmp_path / "c.anki2"))
    try:
        col.import_anki_package(
            anki_collection.ImportAnkiPackageRequest(
                package_path=str(tmp_path / "t.apkg"),
                options=anki_collection.ImportAnkiPackageOptions(),
            )
        )
        [card] = [col.get_card(cid) for cid in col.find_cards("")]
        question, answer = card.question(), card.answer()
    finally:
        col.close()
    front, back = render_card(NOTE_TYPE, fields)
    style = f"<style>{NOTE_TYPE.css}</style>"
    assert (question, answer) == (style + front, style + back)


# --- the preview page ------------------------------------------------------------------------


def _note(n: int, *, media: tuple[MediaRef, ...] = ()) -> Note:
    values = {**FULL, "Question": f"问题 {n} \\(x_{n}\\)", "Answer": f'<img src="img-{n}.png">'}
    return Note(
        topic="dl",
        deck="dl::激活函数",
        prompt=f"问题 {n}",
        fields=tuple(values.get(name, "") for name in FIELD_NAMES),
        tags=("frequent",),
        origin=SourceLocation(Path("notes/dl.md"), 10 + n),
        media=media,
    )


def test_write_preview_shows_every_card_with_given_mathjax(tmp_path: Path) -> None:
    image = tmp_path / "src.png"
    image.write_bytes(b"\x89PNG fake")
    notes = [_note(1, media=(MediaRef("img-1.png", image),)), _note(2)]
    out = write_preview(notes, NOTE_TYPE, tmp_path / "site" / "index.html", mathjax_src="mj.js")
    page = out.read_text(encoding="utf-8")
    assert page.count('class="ag-question"') == 4  # front, and again in the back's FrontSide
    assert page.count('class="ag-summary"') == 2
    assert "问题 1 \\(x_1\\)" in page and "notes/dl.md:12" in page
    assert '<script id="MathJax-script" src="mj.js">' in page
    assert '"processEscapes": false' in page and '"[-]": ["textmacros"]' in page
    assert not re.search(r"https?://", page)
    assert (tmp_path / "site" / "img-1.png").read_bytes() == b"\x89PNG fake"


def test_write_preview_copies_local_mathjax_beside_the_page(tmp_path: Path) -> None:
    es5 = Path(__file__).resolve().parents[1] / "tools/mathjax/node_modules/mathjax-full/es5"
    if not (es5 / "tex-chtml-full.js").is_file():
        pytest.skip("tools/mathjax/node_modules missing: run `npm ci --prefix tools/mathjax`")
    out = write_preview([_note(1)], NOTE_TYPE, tmp_path / "p.html")
    page = out.read_text(encoding="utf-8")
    src = re.search(r'<script id="MathJax-script" src="([^"]+)"', page)
    assert src is not None and not src.group(1).startswith(("http", "//"))
    copied = tmp_path / src.group(1)
    assert copied.read_bytes() == (es5 / "tex-chtml-full.js").read_bytes()
    assert (copied.parent / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()


def test_write_preview_rejects_a_note_with_the_wrong_field_count(tmp_path: Path) -> None:
    bad = Note(
        topic="t",
        deck="t",
        prompt="p",
        fields=("only one",),
        tags=(),
        origin=SourceLocation(Path("t.md"), 1),
    )
    with pytest.raises(ValueError, match=r"t\.md:1"):
        write_preview([bad], NoteType(front="{{Question}}", back="", css=""), tmp_path / "x.html")


def test_write_preview_without_mathjax_says_so_and_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ankigen.preview._CHECKOUT_MATHJAX", tmp_path / "absent")
    page = write_preview([_note(1)], NOTE_TYPE, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "MathJax not found" in page and "npm ci --prefix tools/mathjax" in page
    assert '<script id="MathJax-script"' not in page and "window.MathJax" not in page
    assert not (tmp_path / "_mathjax-3.2.2").exists()
