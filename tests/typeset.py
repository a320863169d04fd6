"""Typeset card HTML with Anki's MathJax (3.2.2, Anki's TeX config) and return every TeX error.

Usage from any test (``from .typeset import …`` if ``tests/`` is a package)::

    from typeset import typeset_check

    @pytest.mark.node
    def test_deck_math(...):
        results = typeset_check([card.question(), card.answer(), ...])
        assert not [e for r in results for e in r.errors]

One node process checks the whole list (about a second for ~600 cards), so pass every card at
once rather than calling this per card. Results are in input order. Nothing is installed here:
``.ci/run`` runs ``npm ci --prefix tools/mathjax``; without ``node_modules`` the calling test is
skipped with the command to run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

MATHJAX_DIR = Path(__file__).resolve().parents[1] / "tools" / "mathjax"
SCRIPT = MATHJAX_DIR / "typeset.mjs"
NODE_MODULES = MATHJAX_DIR / "node_modules" / "mathjax-full"


@dataclass(frozen=True, slots=True)
class FormulaError:
    tex: str  # the formula's source between the delimiters, as MathJax saw it
    message: str  # MathJax's message, e.g. "Undefined control sequence \\bold"


@dataclass(frozen=True, slots=True)
class TypesetResult:
    html: str
    formulas: int  # how many \(…\) / \[…\] MathJax found (0 when the card has no math)
    errors: tuple[FormulaError, ...]


def require_mathjax() -> None:
    """Skip the calling test when the npm packages are absent (never the case in CI)."""
    if not NODE_MODULES.is_dir():
        pytest.skip(
            f"{NODE_MODULES} missing: run `npm ci --prefix {MATHJAX_DIR}` to check math "
            "with Anki's MathJax"
        )


def typeset_check(htmls: Iterable[str], *, timeout: float = 120.0) -> list[TypesetResult]:
    """Find and compile every formula in each HTML string exactly as Anki's MathJax would."""
    require_mathjax()
    node = shutil.which("node")
    if node is None:  # node_modules exists, so node must too: a broken setup, not a skip
        raise RuntimeError("node is not on PATH but tools/mathjax/node_modules exists")
    pages = list(htmls)
    payload = json.dumps([{"id": i, "html": html} for i, html in enumerate(pages)])
    proc = subprocess.run(
        [node, str(SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"typeset.mjs failed ({proc.returncode}): {proc.stderr.strip()}")
    raw = json.loads(proc.stdout)
    if [r["id"] for r in raw] != list(range(len(pages))):
        raise RuntimeError("typeset.mjs returned results out of order")
    return [
        TypesetResult(
            html=html,
            formulas=r["formulas"],
            errors=tuple(FormulaError(e["tex"], e["message"]) for e in r["errors"]),
        )
        for html, r in zip(pages, raw, strict=True)
    ]
