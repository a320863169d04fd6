"""Golden files: tests/golden/<case>.md rendered to card HTML must equal <case>.html.

The .html file holds the rendered fragment followed by one ``<!-- diagnostic -->`` line per
warning, so a change in what the author is told shows up in review as well.
Regenerate after an intended change with
``ANKIGEN_REGEN_GOLDEN=1 pytest tests/test_golden_render.py`` and read the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ankigen.markdown import RenderEnv, new_markdown, render_blocks
from ankigen.model import SourceFile

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(GOLDEN.glob("*.md"))
REGENERATE = os.environ.get("ANKIGEN_REGEN_GOLDEN") == "1"
MD = new_markdown()


def rendered(case: Path) -> str:
    text = case.read_text(encoding="utf-8")
    env = RenderEnv(SourceFile(case, GOLDEN, case.stem, text))
    html = render_blocks(MD, MD.parse(text, {}), env)
    notes = [
        f"<!-- {str(d).replace(str(GOLDEN) + os.sep, '').replace(str(GOLDEN), '<root>')} -->"
        for d in env.diagnostics.items
    ]
    media = [f"<!-- media: {m.name} <- {m.source.relative_to(GOLDEN)} -->" for m in env.media]
    return "\n".join([html, *notes, *media]) + "\n"


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 4


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    expected_file = case.with_suffix(".html")
    actual = rendered(case)
    if REGENERATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}: run with ANKIGEN_REGEN_GOLDEN=1"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_bare_tags_render_as_markdown_it_does() -> None:
    """render_blocks' shortcut for attribute-less tags gives renderToken's every byte."""
    from ankigen.markdown import _bare_tag

    seeds = sorted((GOLDEN.parent.parent / "seeds").glob("*.md"))
    tight = "- a\n  > quote\n- b\n\n1. x\n\n   y\n2. z\n\n- \n- [ ] t\n\n> - q\n>\n> p\n"
    texts = [tight, *(p.read_text(encoding="utf-8") for p in [*CASES, *seeds])]
    checked = 0
    for text in texts:
        tokens = MD.parse(text, {})
        runs = [tokens, *(t.children for t in tokens if t.children)]
        for run in runs:
            for i, token in enumerate(run):
                if token.nesting and not token.attrs:
                    assert _bare_tag(run, i) == MD.renderer.renderToken(run, i, MD.options, {})
                    checked += 1
    assert checked > 1000
