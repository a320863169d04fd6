"""Typora math -> \\(…\\)/\\[…\\] that Anki's MathJax typesets; problems reported with lines."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ankigen import mathjax
from ankigen.markdown import RenderEnv, new_markdown, render_blocks, render_inline, zhihu_tex
from ankigen.mathjax import MATHJAX_MACROS, prepare, to_card_html
from ankigen.model import SourceFile

try:  # tests/ as a package (tests/__init__.py) or as a plain directory on sys.path
    from .typeset import typeset_check
except ImportError:
    from typeset import typeset_check  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
SEED_002 = REPO / "seeds" / "ml-qa-outline.md"
MD = new_markdown()


def render(text: str, **options: object) -> tuple[str, RenderEnv]:
    root = Path("/nonexistent-notes")
    env = RenderEnv(SourceFile(root / "note.md", root, "t", text), **options)  # type: ignore[arg-type]
    return render_blocks(MD, MD.parse(text, {}), env), env


def warnings(env: RenderEnv) -> list[tuple[int, str]]:
    return [(d.location.line if d.location else 0, d.message) for d in env.diagnostics.items]


# --- Markdown never touches TeX ---------------------------------------------------------------


def test_underscores_asterisks_and_backslashes_survive() -> None:
    html, env = render(r"$a_i*b_j*c_k$ 和 $\{x\}_1 \\ y^*$ and _not math_")
    assert r"\(a_i*b_j*c_k\)" in html
    assert r"\(\{x\}_1 \\ y^*\)" in html
    assert "<em>not math</em>" in html
    assert not env.diagnostics.items


def test_display_block_keeps_row_breaks_and_underscores() -> None:
    html, _ = render("$$\n\\begin{matrix} a_1 & b_2 \\\\\n c_3 & d_4 \\end{matrix}\n$$\n")
    assert "a_1 &amp; b_2 \\\\\n c_3" in html
    assert html.count("\\[") == 1


def test_a_norm_in_a_table_cell_keeps_its_backslashes() -> None:
    # GFM reads \| in a cell as an escaped pipe; inside a formula it is TeX's double bar.
    table = (
        "| 正则 | 惩罚项 |\n|---|---|\n"
        "| L2 | $\\lambda\\|w\\|_2^2$ 或 `a\\|b` |\n"
        "| L1 | a \\| b, $\\|w\\|_1$ |\n"
    )
    for text in (table, "".join(f"> {line}\n" for line in table.splitlines())):
        html, env = render(text)
        assert r"\(\lambda\|w\|_2^2\)" in html and r"\(\|w\|_1\)" in html
        assert "<code>a|b</code>" in html and "a | b," in html  # outside math: GFM's pipe
        assert html.count("<td>") == 4 and not env.diagnostics.items


def test_dollar_in_code_stays_a_dollar() -> None:
    html, _ = render("`$HOME` and `a$b$c`\n\n```bash\necho $PATH $x$\n```\n\n    $y$ indented\n")
    assert "\\(" not in html and "\\[" not in html
    assert "<code>$HOME</code>" in html and "<code>a$b$c</code>" in html
    assert "$PATH" in html and "$y$ indented" in html


@pytest.mark.parametrize(
    "text",
    ["costs $5 and $6", "$ 5 and 6 $", r"\$x\$ is escaped", "a lone $ sign", "an open $$ only"],
)
def test_dollars_that_are_not_math_stay_text(text: str) -> None:
    html, _ = render(text)
    assert "\\(" not in html and "\\[" not in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("向量$x_i$的模", r"向量\(x_i\)的模"),
        # dollarmath's own rule read src[-1] here and left seed 001's line as text
        ("$\\alpha$通常取0.01", r"\(\alpha\)通常取0.01"),
        ("（$\\beta$和$1-\\beta$ 的应用）", r"（\(\beta\)和\(1-\beta\) 的应用）"),
        ("price $5 then $x$ later", r"price $5 then \(x\) later"),
        ("inline $$\\sum_i x_i$$ display", r"inline \[\sum_i x_i\] display"),
    ],
)
def test_inline_math_like_typora(text: str, expected: str) -> None:
    html, _ = render(text)
    assert expected in html


def test_less_than_and_ampersand_are_escaped() -> None:
    html, env = render("$a<b$ and $p(x_t|\\chi_{<t})$\n\n$$\nx<y>z\n$$\n")
    assert r"\(a&lt;b\)" in html
    assert r"\chi_{&lt;t}" in html
    assert r"x&lt;y&gt;z" in html
    assert "<b" not in html.replace("<blockquote", "")
    assert not env.diagnostics.items


def test_double_closing_brace_cannot_end_a_cloze() -> None:
    html, _ = render(r"$\frac{1}{\sqrt{x}}$ and $a::b$")
    assert "}}" not in html
    assert r"\(\frac{1}{\sqrt{x} }\)" in html
    assert "::" not in html


# --- $$ blocks pair as Typora pairs them ------------------------------------------------------


def test_block_in_nested_blockquote_list_item_after_text() -> None:
    text = (
        "> > > 1. question？\n"
        "> > >\n"
        "> > >    在对某一层参数做更新的时候\n"
        "> > >    $$\n"
        "> > >    f(Z)=f(\\sum x_iw_i)\n"
        "> > >    \\\\\n"
        "> > >    $$\n"
    )
    html, env = render(text)
    assert html.count("\\[") == 1
    assert "f(Z)=f(\\sum x_iw_i)" in html
    assert "&gt;" not in html  # no blockquote marker leaked into the TeX
    assert "<li>" in html
    assert not env.diagnostics.items


def test_block_in_indented_list_item() -> None:
    text = (
        "1. LSTM？\n\n    公式如下：\n    $$\n    \\Gamma_u = \\sigma(W_u) \\\\\n"
        "    c = d\n    $$\n\n2. next\n"
    )
    html, _ = render(text)
    assert html.count("\\[") == 1
    assert "<li>" in html and "next" in html


def test_single_line_block() -> None:
    html, _ = render("> > $$ \\begin{matrix} A&—&D\\\\ |&&|\\\\ \\end{matrix} $$ \n")
    assert html.count("\\[") == 1
    assert "\\begin{matrix} A&amp;—&amp;D" in html


def _seed_block() -> tuple[str, int]:
    lines = SEED_002.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line == "> **RNN/LSTM/GRU**")
    end = next(i for i, line in enumerate(lines) if line.startswith("> **Gradient Exploding &"))
    return "\n".join(lines[start:end]) + "\n", start


def test_seed_002_rnn_lstm_gru_block() -> None:
    text, start = _seed_block()
    html, env = render(text, line_offset=start)
    assert html.count("\\[") == 3  # RNN, LSTM, GRU
    assert "<h1>" not in html and "<h2>" not in html  # "= " lines were setext headings once
    assert "\\mathbf U" in html and "\\bold" not in html
    # text right after the closing $$ is its own paragraph with its inline math
    assert "<p>通过一个门z控制调节信息\\(h_{t-1}\\)的保留和遗忘</p>" in html
    # LSTM/GRU stack equations with a top-level \\: wrapped so MathJax 3 breaks the lines
    assert html.count("\\begin{gathered}") == 2
    assert not env.diagnostics.items


# --- translations and checks ------------------------------------------------------------------


def test_bold_is_translated() -> None:
    prepared = prepare(r"\bold U + \boldsymbol{x} + \bold{W}", False)
    assert prepared.tex == r"\mathbf U + \boldsymbol{x} + \mathbf{W}"
    assert prepared.problems == ()


def test_double_backslash_then_letters_is_not_bold() -> None:
    assert prepare(r"\begin{matrix}a\\bold\end{matrix}", True).tex.count("mathbf") == 0


def test_top_level_breaks_wrapped_and_trailing_break_dropped() -> None:
    assert prepare("a = b \\\\\nc = d \\\\\n", True).tex == (
        "\\begin{gathered}\na = b \\\\\nc = d\n\\end{gathered}"
    )
    assert prepare(r"x &= 1 \\ y &= 2", True).tex.startswith("\\begin{aligned}")
    assert prepare(r"\begin{cases} a \\ b \end{cases}", True).tex == (
        r"\begin{cases} a \\ b \end{cases}"
    )
    assert prepare("a \\\\", True).tex == "a"


@pytest.mark.parametrize(
    ("tex", "display", "message"),
    [
        (r"\frac{a}{b", True, "TeX does not parse"),
        (r"a}", False, "TeX does not parse"),
        (r"\begin{matrix} a \end{pmatrix}", True, "TeX does not parse"),
        (r"\begin{align} a \end{align}", False, "in inline math"),
        (r"\begin{foo} a \end{foo}", True, "unknown environment {foo}"),
        (r"\abs{x}", False, "unknown TeX command \\abs"),
        (r"\left( x", True, "\\left without a matching \\right"),
        (r"x \tag{1}", False, "\\tag is only allowed in display math"),
        (r"a & b", False, "& outside an environment"),
    ],
)
def test_invalid_tex_is_reported(tex: str, display: bool, message: str) -> None:
    problems = prepare(tex, display).problems
    assert any(message in p.message for p in problems), problems


def test_defined_and_required_macros_are_not_unknown() -> None:
    assert prepare(r"\newcommand{\R}{\mathbb{R}} x \in \R", True).problems == ()
    assert prepare(r"\require{physics} \abs{x}", True).problems == ()
    assert prepare(r"\operatorname*{argmax}_\theta \mathcal{L}", True).problems == ()


def test_problems_carry_the_note_line() -> None:
    text = "intro\n\n$$\na = 1\n\\foo{b}\n$$\n\nfirst line\nsecond $\\frac{a}{b$ here\n"
    _, env = render(text)
    found = warnings(env)
    assert (5, "unknown TeX command \\foo in $$a = 1 \\foo{b}$$") in found
    assert any(line == 9 and "does not parse" in msg for line, msg in found), found


def test_line_offset_is_added() -> None:
    _, env = render("x\n\n$\\nope$\n", line_offset=10)
    assert [line for line, _ in warnings(env)] == [13]


def test_render_inline_uses_env_line() -> None:
    tokens = MD.parse("a\n\nQ: $\\nope$\nand $\\nada$", {})
    inline = tokens[4]
    _, env = render("")
    env.at(inline)
    html = render_inline(MD, inline.children or [], env)
    assert html.startswith("Q: \\(\\nope\\)")
    assert [line for line, _ in warnings(env)] == [3, 4]


def test_to_card_html_escapes() -> None:
    assert to_card_html("a<b & c}}", False) == r"\(a&lt;b &amp; c} }\)"
    assert to_card_html("x", True) == r"\[x\]"


# --- zhihu formula images ---------------------------------------------------------------------

ZHIHU = "https://www.zhihu.com/equation?tex=w_%7Bj%7D%5Cin%5Cleft%5C%7B+w_%7BO%7D+%5Cright%5C%7D"


def test_zhihu_tex_decoding() -> None:
    assert zhihu_tex(ZHIHU) == r"w_{j}\in\left\{ w_{O} \right\}"
    assert zhihu_tex("https://example.com/equation?tex=x") is None
    assert zhihu_tex("https://www.zhihu.com/equation") is None


def test_zhihu_markdown_image_becomes_inline_math() -> None:
    html, env = render(f"只需要将此公式作用于 ![[公式]]({ZHIHU}) 而不用更新")
    assert r"作用于 \(w_{j}\in\left\{ w_{O} \right\}\) 而不用" in html
    assert "<img" not in html and not env.media and not env.diagnostics.items


def test_zhihu_image_alone_is_display_math() -> None:
    html, _ = render(
        "![[公式]](https://www.zhihu.com/equation?tex=P++%3D+%5Cfrac%7BTP%7D%7BTP%2BFP%7D)"
    )
    assert html == r"<p>\[P  = \frac{TP}{TP+FP}\]</p>"


def test_zhihu_html_image_becomes_math() -> None:
    tag = (
        '<img src="https://www.zhihu.com/equation?tex=O%28logV%29&amp;x=1" alt="[公式]" eeimg="1"/>'
    )
    html, _ = render(f"降至 {tag} ，\n\n{tag}\n")
    assert html.count(r"\(O(logV)\)") == 2
    assert "<img" not in html


def test_html_comments_and_toc_do_not_show() -> None:
    html, _ = render("[TOC]\n\n<!--hidden **x**-->\n\ntext <!-- inline --> more\n\n<!--a\nb-->\n")
    assert html == "<p>text  more</p>"


# --- against Anki's MathJax itself (node + tools/mathjax) -------------------------------------

_DUMP = r"""
import { createRequire } from 'node:module';
const require = createRequire(process.argv[1]);
const MathJax = await require('mathjax-full/es5/node-main.js').init({
  loader: { load: ['input/tex-full'] },
  tex: { packages: { '[+]': ['noerrors', 'mathtools'], '[-]': ['textmacros', 'noundefined'] } },
  startup: { typeset: false },
});
const jax = MathJax.startup.getDocument('<p></p>').inputJax[0];
const names = new Set();
for (const kind of ['macro', 'delimiter']) {
  for (const item of jax.parseOptions.handlers.get(kind)._configuration) {
    if (item.item.map) for (const k of item.item.map.keys()) names.add(k.replace(/^\\/, ''));
  }
}
process.stdout.write(JSON.stringify([...names].filter((n) => /^[A-Za-z]+$/.test(n))));
"""


@pytest.mark.node
def test_macro_list_matches_anki_mathjax(tmp_path: Path) -> None:
    mathjax_dir = REPO / "tools" / "mathjax"
    node = shutil.which("node")
    if node is None or not (mathjax_dir / "node_modules" / "mathjax-full").is_dir():
        pytest.skip("needs node and `npm ci --prefix tools/mathjax`")
    script = mathjax_dir / f".dump-{tmp_path.name}.mjs"  # resolve modules from tools/mathjax
    script.write_text(_DUMP, encoding="utf-8")
    try:
        out = subprocess.run(
            [node, str(script), str(script)], capture_output=True, text=True, check=True
        )
    finally:
        script.unlink()
    assert set(json.loads(out.stdout)) == MATHJAX_MACROS


@pytest.mark.node
def test_translations_typeset_without_errors() -> None:
    text, _ = _seed_block()
    html, _ = render(text)
    cases = [html, to_card_html(prepare(r"\bold U \cdot x", False).tex, False)]
    results = typeset_check(cases)
    assert [r.errors for r in results] == [(), ()]
    assert results[0].formulas == 4


@pytest.mark.node
def test_all_seeds_typeset_without_errors() -> None:
    pages = []
    for seed in sorted((REPO / "seeds").glob("*.md")):
        html, env = render(seed.read_text(encoding="utf-8"))
        assert not [d for d in env.diagnostics.items if "image" not in d.message], seed
        pages.append(html)
    results = typeset_check(pages)
    assert sum(r.formulas for r in results) > 100
    assert [e for r in results for e in r.errors] == []


def test_card_html_has_no_dollar_math_left() -> None:
    for seed in sorted((REPO / "seeds").glob("*.md")):
        html, _ = render(seed.read_text(encoding="utf-8"))
        text = re.sub(r"<(pre|code)\b.*?</\1>", "", html, flags=re.S)
        assert "$" not in text, seed


_PIECES = [
    *("\\", "{", "}", "\\{", "\\}", "\\\\", "a", " ", "\n", "_", "^", "é", "\\é", "\\,"),
    *("\\alpha", "\\frac", "\\foo", "\\bold", "\\boldsymbol", "\\mathbf", "%", "&", "$"),
    *("\\begin{aligned}", "\\end{aligned}", "\\begin{align}", "\\end{ align }", "\\beginx"),
    *("\\left(", "\\right)", "\\leftarrow", "\\newline", "\\tag{1}", "\\require{physics}"),
    *("\\newcommand{\\foo}{x}", "\\def\\bar{y}", "\\abs", "\\ket"),
]


def test_formula_fast_paths_agree_with_the_token_passes():
    """_plainly_balanced and _scan answer most formulas from substrings and C-level regexes;
    on random formulas they must agree with the token-by-token passes they stand in for."""
    rng = random.Random(7)
    for _ in range(20000):
        tex = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8)))
        assert mathjax._plainly_balanced(tex) == mathjax._structure_balanced(tex), tex
        for display in (False, True):
            assert mathjax._scan(tex, display) == mathjax._scan_tokens(tex, display), tex
