"""markdown-it's flat token stream -> a tree of blocks.

markdown-it-py gives a flat list with ``*_open``/``*_close`` pairs; the recognisers need to
ask "what are this blockquote's children?", so we nest the stream once, keeping token index
ranges (never copies) so any block can be rendered later from the original tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token


@dataclass(slots=True)
class Block:
    kind: str  # token type without _open: paragraph, heading, blockquote, bullet_list, fence...
    start: int  # index of the first token
    end: int  # index after the last token
    line: int  # 1-based first line
    end_line: int  # 1-based line after the block
    children: list[Block] = field(default_factory=list)
    # Tokens made by the parser rather than found in the file: the rest of a paragraph whose
    # first line was a label ("> **Topic**⏎text" is one paragraph in Markdown).
    synthetic: list[Token] | None = None

    def tokens(self, tokens: Sequence[Token]) -> Sequence[Token]:
        return self.synthetic if self.synthetic is not None else tokens[self.start : self.end]

    # first() and inline() index instead of slicing: the walker asks them of every block, often.

    def first(self, tokens: Sequence[Token]) -> Token:
        """The block's opening token (its only one for a fence, an html_block, …)."""
        return self.synthetic[0] if self.synthetic is not None else tokens[self.start]

    def inline(self, tokens: Sequence[Token]) -> Token | None:
        """The inline token of a paragraph, a heading or a definition list's term."""
        if self.kind not in ("paragraph", "heading", "dt"):
            return None
        if self.synthetic is not None:
            return self.synthetic[1] if len(self.synthetic) == 3 else None
        return tokens[self.start + 1] if self.end - self.start == 3 else None


def remainder(
    block: Block, tokens: Sequence[Token], children: list[Token], text: str, line: int
) -> Block:
    """A paragraph holding ``children``: what follows a label on the label's own paragraph."""
    opening, inline, closing = block.tokens(tokens)
    rest = inline.copy(children=children, content=text)
    return Block(
        "paragraph",
        block.start,
        block.end,
        line,
        block.end_line,
        synthetic=[opening, rest, closing],
    )


def build_outline(tokens: Sequence[Token]) -> list[Block]:
    """Nest the block tokens; returns the top-level blocks."""
    root: list[Block] = []
    stack: list[Block] = []
    for index, token in enumerate(tokens):
        if token.nesting == -1:  # a third of the tokens: nothing to read but the index
            stack.pop().end = index + 1
            continue
        if token.type == "inline":
            continue
        siblings = stack[-1].children if stack else root
        first, last = token.map if token.map else (0, 0)
        if token.nesting == 1:
            block = Block(token.type.removesuffix("_open"), index, index, first + 1, last + 1)
            siblings.append(block)
            stack.append(block)
        else:
            siblings.append(Block(token.type, index, index + 1, first + 1, last + 1))
    return root
