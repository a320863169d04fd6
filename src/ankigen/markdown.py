"""The one configured markdown-it-py instance, and token -> card HTML rendering.

The parser (parse/) tokenises each note file once and hands slices of the token stream here,
so rendering never re-parses Markdown. Math arrives as ``math_*`` tokens from the dollarmath
plugin before emphasis can eat ``_`` or ``*``, and leaves as ``\\(…\\)``/``\\[…\\]``
(the only delimiters Anki's MathJax knows), HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .model import Diagnostics, MediaRef, SourceFile, SourceLocation


@dataclass(slots=True)
class RenderEnv:
    """Per-file state the render rules read and append to."""

    source: SourceFile
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    media: list[MediaRef] = field(default_factory=list)
    line: int = 1  # 1-based line of the block being rendered, for messages

    def location(self) -> SourceLocation:
        return SourceLocation(self.source.path, self.line)


def _math(tex: str, display: bool) -> str:
    body = escape(tex.strip(), quote=False)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"


def new_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    front_matter_plugin(md)
    dollarmath_plugin(md, allow_space=True, allow_digits=True, double_inline=True)
    # Typora starts a $$ block even on the line right after text (seed 002's LSTM block);
    # dollarmath registers its block rule without "alt", so a paragraph would swallow the
    # block and a "= " line inside it would become a setext heading. Let it interrupt.
    rules = md.block.ruler.__rules__
    block_rule = next(r for r in rules if r.name == "math_block").fn

    def math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if not silent:
            return bool(block_rule(state, start, end, False))
        # dollarmath ignores `silent` and would push tokens while only being probed
        count, line = len(state.tokens), state.line
        found = bool(block_rule(state, start, end, False))
        del state.tokens[count:]
        state.line = line
        return found

    md.block.ruler.at("math_block", math_block, {"alt": ["paragraph", "reference", "blockquote"]})

    def inline_math(_self: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
        return _math(tokens[idx].content, display=False)

    def display_math(_self: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
        return _math(tokens[idx].content, display=True)

    md.add_render_rule("math_inline", inline_math)
    md.add_render_rule("math_inline_double", display_math)
    md.add_render_rule("math_block", display_math)
    md.add_render_rule("math_block_label", display_math)
    return md


def render_blocks(md: MarkdownIt, tokens: Sequence[Token], env: RenderEnv) -> str:
    """Render a slice of block tokens (balanced open/close pairs) to HTML."""
    return md.renderer.render(list(tokens), md.options, {"ankigen": env}).strip()


def render_inline(md: MarkdownIt, children: Sequence[Token], env: RenderEnv) -> str:
    """Render the children of one inline token (a question's text) to HTML."""
    return md.renderer.renderInline(list(children), md.options, {"ankigen": env}).strip()
