"""The quick structure pass never clears a formula that pylatexenc would reject."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc.latexwalker import LatexWalker, LatexWalkerError

from ankigen.mathjax import _CONTEXT, _plainly_balanced

PIECES = [
    "{",
    "}",
    "\\{",
    "\\}",
    "$",
    "\\$",
    "%",
    "\\%",
    "\\\\",
    "\\begin{matrix}",
    "\\end{matrix}",
    "\\begin{cases}",
    "\\end{cases}",
    "x",
    "_",
    "^",
    "\\frac",
    " ",
    "\n",
    "\\left(",
    "\\right)",
    "&",
    "\\",
    "a",
]


def _pylatexenc_accepts(tex: str) -> bool:
    try:
        LatexWalker(tex, tolerant_parsing=False, latex_context=_CONTEXT).get_latex_nodes()
    except LatexWalkerError:
        return False
    return True


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24).map("".join))
def test_cleared_formulas_parse_in_pylatexenc(tex):
    if _plainly_balanced(tex):
        assert _pylatexenc_accepts(tex), tex
