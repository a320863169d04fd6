"""The MathJax checker (tools/mathjax/typeset.mjs via tests/typeset.py) and real Anki card HTML.

The first tests prove the checker can fail: a checker that reports nothing would pass every
deck. The last one imports a genanki package into a real collection with the ``anki`` package
and typesets exactly the HTML Anki's reviewer would hand to MathJax.
"""

from __future__ import annotations

import re
from pathlib import Path

import genanki
import pytest

from ankigen.notetype import FIELD_NAMES, MODEL_ID, MODEL_NAME, TEMPLATE_NAME, load_note_type

try:  # tests/ as a package (tests/__init__.py) or as a plain directory on sys.path
    from .typeset import typeset_check
except ImportError:
    from typeset import typeset_check  # type: ignore[no-redef]

pytestmark = pytest.mark.node


@pytest.mark.parametrize(
    ("html", "tex", "message"),
    [
        (r"<p>\(\frac{a}\)</p>", r"\frac{a}", r"Missing argument for \frac"),
        (r"<p>\[\foo + 1\]</p>", r"\foo + 1", r"Undefined control sequence \foo"),
        # The known trap: MathJax 2 had \bold, MathJax 3 (and so Anki) does not.
        (r"<p>\(\bold{U}\)</p>", r"\bold{U}", r"Undefined control sequence \bold"),
        (r"\(\left( x \)", r"\left( x ", r"Extra \left or missing \right"),
    ],
)
def test_bad_formula_is_reported(html: str, tex: str, message: str) -> None:
    [result] = typeset_check([html])
    assert result.formulas == 1
    assert [(e.tex, e.message) for e in result.errors] == [(tex, message)]


def test_good_formulas_pass_and_are_counted() -> None:
    html = (
        r"<p>由 \(x^2 &lt; y\) 得 \[\mathbb{E}[X] = \int x\,p(x)\,\mathrm{d}x\]</p>"
        r"<p>\(a \coloneqq \boldsymbol{U}\mathbf{V}^\top\)</p>"  # mathtools, boldsymbol
        r"<p>\(\ce{H2O}\) \(\cancel{x}\)</p>"  # mhchem, cancel: part of tex-chtml-full
    )
    [result] = typeset_check([html])
    assert result.formulas == 5
    assert result.errors == ()


def test_only_anki_delimiters_count_as_math() -> None:
    # $…$ is plain text to Anki, and MathJax never looks inside <code>/<pre>.
    html = r"<p>$\foo$ $$\frac{a}$$</p><pre><code>\(\foo\)</code></pre>"
    [result] = typeset_check([html])
    assert result.formulas == 0
    assert result.errors == ()


def test_results_keep_input_order_and_isolate_cards() -> None:
    results = typeset_check([r"\(x\)", "no math", r"\(\foo\)", r"\(y\) \(z\)"])
    assert [r.formulas for r in results] == [1, 0, 1, 2]
    assert [len(r.errors) for r in results] == [0, 0, 1, 0]


def test_cards_imported_by_real_anki_typeset_without_errors(tmp_path: Path) -> None:
    anki_collection = pytest.importorskip("anki.collection")
    note_type = load_note_type()
    model = genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELD_NAMES],
        templates=[{"name": TEMPLATE_NAME, "qfmt": note_type.front, "afmt": note_type.back}],
        css=note_type.css,
    )
    values = {
        "Question": r"为什么 \(\operatorname{softmax}(z)_i = e^{z_i}/\sum_j e^{z_j}\) 要减最大值？",
        "Answer": r"<p>数值稳定：\[\frac{e^{z_i - m}}{\sum_j e^{z_j - m}},\quad m = \max_j z_j\]"
        r"且 \(0 &lt; p_i &lt; 1\)。</p>",
        "Summary": "防止 \\(e^{z}\\) 溢出",
        "Context": "深度学习 › 激活函数",
        "Source": "dl.md:12",
    }
    note = genanki.Note(
        model=model, fields=[values.get(name, "") for name in FIELD_NAMES], guid="ag-test-1"
    )
    deck = genanki.Deck(2_059_400_110, "ankigen-test")
    deck.add_note(note)
    package = tmp_path / "t.apkg"
    genanki.Package(deck).write_to_file(package)

    col = anki_collection.Collection(str(tmp_path / "collection.anki2"))
    try:
        col.import_anki_package(
            anki_collection.ImportAnkiPackageRequest(
                package_path=str(package),
                options=anki_collection.ImportAnkiPackageOptions(with_scheduling=False),
            )
        )
        cards = [col.get_card(cid) for cid in col.find_cards("")]
        assert len(cards) == 1
        htmls = [html for card in cards for html in (card.question(), card.answer())]
    finally:
        col.close()

    question, answer = typeset_check(htmls)
    assert question.formulas == 1
    assert answer.formulas == 4  # FrontSide's formula, the summary's, and two in the answer
    assert question.errors == () and answer.errors == ()


def test_checker_and_preview_configure_mathjax_alike() -> None:
    """typeset.mjs must check what the preview (and Anki) shows; only noundefined differs."""
    from ankigen.preview import MATHJAX_CONFIG

    script = (Path(__file__).resolve().parents[1] / "tools/mathjax/typeset.mjs").read_text()
    tex = MATHJAX_CONFIG["tex"]
    assert isinstance(tex, dict)
    for key in ("processEscapes", "processEnvironments", "processRefs"):
        assert f"{key}: {str(tex[key]).lower()}," in script
    assert r"inlineMath: [['\\(', '\\)']]," in script
    assert r"displayMath: [['\\[', '\\]']]," in script
    packages = re.search(r"packages: \{ '\[\+\]': \[([^\]]*)\], '\[-\]': \[([^\]]*)\] \}", script)
    assert packages is not None
    added, removed = (re.findall(r"'(\w+)'", group) for group in packages.groups())
    assert added == tex["packages"]["[+]"]
    assert removed == [*tex["packages"]["[-]"], "noundefined"]
    assert "input/tex-full" in script and "output/chtml" in script  # = tex-chtml-full
