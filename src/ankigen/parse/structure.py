"""The outline tree -> questions, concepts and the author's to-do list.

The notes mix styles inside one file, so nothing here picks a "dialect". Headings split the
file into sections; inside any body (a section, a labelled blockquote) the same small rules
apply, in this order:

- a blockquote that starts with a bold line (``> **Topic**``) is a labelled sub-body;
- a blockquote holding such structure but no label is transparent (seed 002's ``>>`` lists);
- a list whose items mostly read as questions (``1. …？``, ``- 1、…``) is a Q&A list: each
  item's first paragraph is the question, the rest of the item the answer;
- a bold-only paragraph is a question if it reads as one, else a label if it is short;
  either ends the previous item; long bold sentences stay in the answer they are in;
- a plain paragraph that reads as a question opens one (three or more short lines in a row
  are an outline of topics instead, and only their questions count, as to-dos);
- anything else is content of the open item, or of the body's owner.

A question heading's whole body is its answer. A label or non-question heading with
content of its own becomes a concept card.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from markdown_it.token import Token

from ..model import Flag
from . import recognise as rx
from .outline import Block, remainder

_LIST_KINDS = ("bullet_list", "ordered_list")
# A heading that names a set of problems ("场景题", "概率题", "Exercises"): its plain lines are
# problems even without a question mark.
_PROBLEM_SET = re.compile(r"(?:题|习题|练习题|exercises|problems)$", re.I)
# GitHub interview repositories fold answers into <details><summary>Answer</summary>…;
# the card's back is already hidden until flipped, so the wrappers go.
_DISCLOSURE = re.compile(
    r"(?:\s*(?:<details[^>]*>|</details\s*>|<summary[^>]*>.*?</summary\s*>))+\s*", re.I | re.S
)
_LINK_ONLY = re.compile(r"^\s*(?:<?https?://\S+>?|\[[^\]]*\]\([^)]*\))\s*$")


@dataclass(slots=True)
class Title:
    """The words that name an item: a heading, a bold line or a list item's first line."""

    children: list[Token]  # cleaned inline children (markers and <font> removed)
    text: str  # plain text
    flags: frozenset[Flag]
    line: int
    rest: Block | None = None  # the paragraph's text after a first-line label, if any


def asks(title: Title) -> bool:
    """A title is a question if it reads as one, or if the author marked it as asked in an
    interview (⚡️, red font) or as one they could not answer (❌)."""
    return rx.is_question(title.text) or bool(title.flags & {Flag.ASKED, Flag.UNKNOWN})


@dataclass(slots=True)
class Entry:
    """A recognised item before rendering: a question, a concept, or an unanswered question."""

    kind: str  # "question" | "concept"
    title: Title
    path: tuple[str, ...]
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    entry: Entry
    child_path: tuple[str, ...]  # context for Q&A lists and labelled blocks nested under it


class Walker:
    """Walks one file's outline; ``entries`` holds what it found, in document order."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.entries: list[Entry] = []
        # Several rules ask for the same block's title; reading it twice would copy tokens twice.
        self._titles: dict[tuple[int, bool], Title | None] = {}

    # ---- reading single blocks -------------------------------------------------------

    def title_of(self, block: Block, *, need_bold: bool) -> Title | None:
        key = (id(block), need_bold)
        if key not in self._titles:
            self._titles[key] = self._read_title(block, need_bold=need_bold)
        found = self._titles[key]
        # a copy: _make and walk_qa_list adjust a title's text for the card
        return None if found is None else replace(found, children=list(found.children))

    def _read_title(self, block: Block, *, need_bold: bool) -> Title | None:
        inline = block.inline(self.tokens)
        if inline is None or not inline.children:
            return None
        children, flags = rx.clean_inline(inline.children)
        rest: Block | None = None
        inner = rx.bold_only(children) or rx.loose_bold(children)
        if inner is None and need_bold:
            # "**Topic**⏎first line of content": Markdown makes it one paragraph
            first, after = rx.split_first_line(children)
            inner = rx.bold_only(first)
            if inner is not None and after:
                rest = remainder(block, self.tokens, after, rx.plain_text(after), block.line + 1)
        if inner is not None:
            children = inner
        elif need_bold:
            return None
        elif rx.QA_PREFIX.match(rx.plain_text(children)):
            # "Q: …⏎A: …" written as one paragraph: the first line asks, the rest answers
            first, after = rx.split_first_line(children)
            if after:
                children = first
                rest = remainder(block, self.tokens, after, rx.plain_text(after), block.line + 1)
        text = rx.plain_text(children)
        return Title(children, text, flags, block.line, rest) if text else None

    def text_of(self, block: Block) -> str:
        inline = block.inline(self.tokens)
        return rx.plain_text(inline.children) if inline and inline.children else ""

    def is_noise(self, block: Block) -> bool:
        """Blocks no reader counts as content: comments, ``[TOC]``, rules."""
        token = block.tokens(self.tokens)[0]
        if block.kind == "html_block":
            content = token.content.strip()
            return content.startswith("<!--") or bool(_DISCLOSURE.fullmatch(content))
        if block.kind == "paragraph":
            return self.text_of(block).strip().upper() in ("[TOC]", "[[TOC]]")
        return block.kind in ("hr", "front_matter")

    def is_link_only(self, block: Block) -> bool:
        inline = block.inline(self.tokens)
        return (
            block.kind == "paragraph"
            and inline is not None
            and bool(_LINK_ONLY.match(inline.content.strip("* ")))
        )

    def label_block(self, block: Block) -> Title | None:
        """``> **Topic**`` (a blockquote opening with a bold line) names a sub-body."""
        if block.kind != "blockquote" or not block.children:
            return None
        first = block.children[0]
        if first.kind != "paragraph":
            return None
        title = self.title_of(first, need_bold=True)
        if title and (rx.is_question(title.text) or rx.is_label(title.text, heads_block=True)):
            return title
        # "> 激活函数怎么选？⏎> $$…$$": a plain question heading a quoted answer
        plain = self.title_of(first, need_bold=False)
        if plain and len(block.children) > 1 and rx.is_plain_question(plain.text):
            return plain if first.end_line - first.line == 1 else None
        return None

    def qa_list(self, block: Block) -> bool:
        """A list whose items mostly read as questions, or are numbered and answered."""
        if block.kind not in _LIST_KINDS or not block.children:
            return False
        asks = 0
        for item in block.children:
            head = item.children[0] if item.children else None
            text = self.text_of(head) if head else ""
            if rx.is_question(text):
                asks += 1
        return asks * 2 >= len(block.children) and asks > 0

    def has_structure(self, block: Block) -> bool:
        """Does this unlabelled blockquote hold questions or labels, rather than prose?"""
        for child in block.children:
            if self.label_block(child) or self.qa_list(child):
                return True
            title = self.title_of(child, need_bold=True) if child.kind == "paragraph" else None
            if title is not None and rx.is_question(title.text):
                return True
            if child.kind == "blockquote" and self.has_structure(child):
                return True
        return False

    def expand(self, blocks: Sequence[Block]) -> Iterator[Block]:
        """Blocks of a body, with structural but unlabelled blockquotes opened up."""
        for block in blocks:
            if (
                block.kind == "blockquote"
                and not self.label_block(block)
                and self.has_structure(block)
            ):
                yield from self.expand(block.children)
            else:
                yield block

    # ---- walking --------------------------------------------------------------------

    def walk_document(self, blocks: Sequence[Block]) -> None:
        """Split the top level by headings, nest sections by level, walk each body."""
        stack: list[tuple[int, tuple[str, ...]]] = []  # (heading level, path below it)
        body: list[Block] = []
        heading: tuple[Title, tuple[str, ...]] | None = None

        def flush() -> None:
            if heading is None:
                self.walk_body(body, (), problem_set=False)
            else:
                self.walk_section(heading[0], heading[1], body)

        for block in blocks:
            if block.kind != "heading":
                body.append(block)
                continue
            title = self.title_of(block, need_bold=False)
            if title is None:
                body.append(block)
                continue
            flush()
            body = []
            level = int(self.tokens[block.start].tag[1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack else ()
            heading = (title, parent)
            stack.append((level, (*parent, title.text)))
        flush()

    def walk_section(self, title: Title, parent: tuple[str, ...], body: list[Block]) -> None:
        if asks(title):
            # The body is the answer; only a bold question further down starts another card.
            opened = Entry("question", title, parent)
            self.walk_body(body, parent, problem_set=False, answering=opened)
            return
        problem_set = bool(_PROBLEM_SET.search(title.text))
        own = self.walk_body(body, (*parent, title.text), problem_set=problem_set)
        self.entries.append(Entry("concept", title, parent, own))

    def walk_body(
        self,
        blocks: Sequence[Block],
        path: tuple[str, ...],
        *,
        problem_set: bool,
        answering: Entry | None = None,
    ) -> list[Block]:
        """Recognise the items of one body; return the blocks that belong to its owner.

        ``answering``: the body answers this question (a question heading), so labels and
        lists in it are part of the answer and only bold questions open new cards.
        """
        own: list[Block] = []
        current: _Open | None = None
        if answering is not None:
            current = _Open(answering, path)
        last_end = 0
        expanded = list(self.expand(blocks))
        outline = self.outline_runs(expanded)

        def close() -> None:
            nonlocal current
            if current is not None:
                self.entries.append(current.entry)
                current = None

        def open_item(kind: str, title: Title, item_path: tuple[str, ...]) -> None:
            nonlocal current
            close()
            current = _Open(Entry(kind, title, item_path), (*item_path, title.text))

        def context() -> tuple[str, ...]:
            # a label with nothing under it yet names the group that follows it
            if current and current.entry.kind == "concept" and not current.entry.blocks:
                return current.child_path
            return path

        for index, block in enumerate(expanded):
            gap = block.line - last_end
            last_end = block.end_line
            if self.is_noise(block):
                if block.kind == "hr":
                    close()
                continue
            if answering is not None and not self.bold_question(block):
                (current.entry.blocks if current else own).append(block)
                continue
            if index in outline and current is None:
                title = self.title_of(block, need_bold=False)
                if title and rx.is_question(title.text):
                    self.entries.append(Entry("question", title, path))
                continue
            if (label := self.label_block(block)) is not None:
                where = context()
                if current and current.entry.kind == "question":
                    close()
                kind = "question" if asks(label) else "concept"
                body = (
                    block.children[1:] if label.rest is None else [label.rest, *block.children[1:]]
                )
                inner = self.walk_body(body, (*where, label.text), problem_set=False)
                self.entries.append(Entry(kind, label, where, inner))
                continue
            # a list right under a question answers it, even when its items ask things
            if self.qa_list(block) and (current is None or current.child_path == context()):
                self.walk_qa_list(block, context())
                continue
            if block.kind in ("paragraph", "heading"):
                bold = self.title_of(block, need_bold=True)
                heading = block.kind == "heading"
                if heading:
                    bold = self.title_of(block, need_bold=False)
                if bold is not None and (asks(bold) or heading or rx.is_label(bold.text)):
                    open_item("question" if asks(bold) else "concept", bold, path)
                    if bold.rest is not None and current is not None:
                        current.entry.blocks.append(bold.rest)
                    continue
                plain = None if bold else self.title_of(block, need_bold=False)
                if (
                    plain is not None
                    and not self.is_link_only(block)
                    and self.opens_plain_question(plain, current is not None, gap, problem_set)
                ):
                    open_item("question", plain, path)
                    if plain.rest is not None and current is not None:
                        current.entry.blocks.append(plain.rest)
                    continue
            (current.entry.blocks if current else own).append(block)
        close()
        return own

    def bold_question(self, block: Block) -> bool:
        """A question that starts a new card even inside another's answer: bold, or ``Q:``."""
        if block.kind != "paragraph":
            return False
        title = self.title_of(block, need_bold=True)
        if title is not None and asks(title):
            return True
        inline = block.inline(self.tokens)
        return inline is not None and bool(rx.QA_PREFIX.match(rx.plain_text(inline.children or [])))

    def opens_plain_question(
        self, title: Title, in_item: bool, gap: int, problem_set: bool
    ) -> bool:
        """Does an unformatted paragraph start a new question here?"""
        if "\n" in title.text or title.text.rstrip().endswith((":", "：")):
            return False
        if rx.QA_PREFIX.match(title.text):
            return True
        if rx.is_plain_question(title.text) and not (in_item and gap < 2):
            return True
        # In a problem set ("## 场景题") a new problem follows a clear gap.
        return problem_set and (not in_item or gap >= 3) and rx.display_width(title.text) <= 120

    def walk_qa_list(self, block: Block, path: tuple[str, ...]) -> None:
        for item in block.children:
            if not item.children:
                continue
            head, rest = item.children[0], item.children[1:]
            title = self.title_of(head, need_bold=False) if head.kind == "paragraph" else None
            if title is None:
                continue
            title.line = item.line
            # a lone blockquote under the item is the answer itself (seed 002's "> > >")
            if len(rest) == 1 and rest[0].kind == "blockquote":
                rest = rest[0].children
            if not rest and not rx.is_question(title.text) and not rx.is_outline_line(title.text):
                continue  # an unanswered remark among the questions, not a question itself
            self.entries.append(Entry("question", title, path, list(rest)))

    def outline_runs(self, blocks: Sequence[Block]) -> set[int]:
        """Indexes of paragraphs in runs of three or more short one-line paragraphs."""
        found: set[int] = set()
        run: list[int] = []
        for index, block in enumerate([*blocks, None]):
            if block is not None and block.kind == "paragraph":
                text = self.text_of(block)
                inline = block.inline(self.tokens)
                plain = inline is not None and not any(
                    c.type in ("strong_open", "image", "math_inline") for c in inline.children or ()
                )
                if plain and block.end_line - block.line == 1 and rx.is_outline_line(text):
                    run.append(index)
                    continue
            if len(run) >= 3:
                found.update(run)
            run = []
        return found
