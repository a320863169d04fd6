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
from dataclasses import dataclass, field

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
_FRAMING = re.compile(
    r"\s*(?:table of contents|contents|toc|contributing|contributors?|license|licence"
    r"|acknowledge?ments?|credits|changelog|about|目录|贡献|致谢|许可|许可证|关于)\s*",
    re.I,
)
# "#todo #attention": Obsidian tags on a line of their own file the note; they are not content.
_TAGS_ONLY = re.compile(r"^\s*(?:#[^\s#]+\s*)+$")
# "[⬆ Back to top](#table-of-contents)": navigation inside the page, never content.
_ANCHOR_ONLY = re.compile(r"^\s*\[[^\]]*\]\(#[^)]*\)\s*$")
# <details><summary>What is the GIL?</summary>: the summary asks, the folded part answers.
_SUMMARY = re.compile(r"^\s*<details[^>]*>\s*<summary[^>]*>(?P<text>.*?)</summary\s*>", re.I | re.S)
_CLOSE_DETAILS = re.compile(r"</details\s*>\s*$", re.I)
_TAG = re.compile(r"<[^>]+>")
# Obsidian callouts: "> [!question]- Why …?" (a type, an optional fold sign, a title)
_CALLOUT = re.compile(r"^\s*\[!(?P<type>[A-Za-z-]+)\][+-]?\s*")
_ASKING_CALLOUTS = {"question", "faq", "help", "quiz", "q"}
_SHOW = re.compile(r"show|click|expand|answer|solution|展开|点击|答案|解析|查看", re.I)
_NOTHING = re.compile(r"^\s*")  # strip_leading with this only trims leading space


@dataclass(slots=True)
class Title:
    """The words that name an item: a heading, a bold line or a list item's first line."""

    children: list[Token]  # cleaned inline children (markers and <font> removed)
    text: str  # plain text
    flags: frozenset[Flag]
    line: int
    rest: Block | None = None  # the paragraph's text after a first-line label, if any
    answered_inline: bool = False  # "Q: …⏎A: …", "Q :: A": the paragraph holds its answer
    asked: bool = False  # a question by its place (a [!question] callout), whatever its words

    def at(self, line: int) -> Title:
        """The same title, said to be on ``line`` (a list item's line, not its paragraph's)."""
        if line == self.line:
            return self
        return Title(
            self.children, self.text, self.flags, line, self.rest, self.answered_inline, self.asked
        )


def asks(title: Title) -> bool:
    """A title is a question if it reads as one, or if the author marked it as asked in an
    interview (⚡️, red font) or as one they could not answer (❌)."""
    return (
        title.asked or rx.is_question(title.text) or bool(title.flags & {Flag.ASKED, Flag.UNKNOWN})
    )


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
    style: str = ""  # how its title was written: "plain", "details", "bold", …


class Walker:
    """Walks one file's outline; ``entries`` holds what it found, in document order."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.entries: list[Entry] = []
        # Several rules ask the same questions of one block (its title, its text, whether it is
        # noise); each is answered once. Keyed by id(): each entry keeps its block alive, so
        # no id is reused by a new block (a synthetic remainder) while the walker lives.
        self._titles: dict[tuple[int, bool], tuple[Block, Title | None]] = {}
        self._texts: dict[int, tuple[Block, str]] = {}
        self._noise: dict[int, tuple[Block, bool]] = {}
        self._cleaned: dict[int, tuple[Block, list[Token], frozenset[Flag]]] = {}

    # ---- reading single blocks -------------------------------------------------------

    def title_of(self, block: Block, *, need_bold: bool) -> Title | None:
        """The block's title, read once: shared by every caller, so never changed in place."""
        key = (id(block), need_bold)
        if (known := self._titles.get(key)) is None:
            known = self._titles[key] = (block, self._read_title(block, need_bold=need_bold))
        return known[1]

    def _clean(self, block: Block) -> tuple[list[Token], frozenset[Flag]] | None:
        """``rx.clean_inline`` of the block's inline children, once (the list is not changed)."""
        inline = block.inline(self.tokens)
        if inline is None or not inline.children:
            return None
        if (known := self._cleaned.get(id(block))) is None:
            # a synthetic remainder's content is plain text, not the source clean_inline needs
            source = inline.content if block.synthetic is None else None
            cleaned = rx.clean_inline(inline.children, source)
            known = self._cleaned[id(block)] = (block, *cleaned)
        return known[1], known[2]

    def _read_title(self, block: Block, *, need_bold: bool) -> Title | None:
        if (cleaned := self._clean(block)) is None:
            return None
        children, flags = cleaned
        rest: Block | None = None
        inner = rx.bold_only(children) or rx.loose_bold(children)
        if inner is None and need_bold:
            # "**Topic**⏎first line of content": Markdown makes it one paragraph
            first, after = rx.split_first_line(children)
            inner = rx.bold_only(first)
            if inner is not None and after:
                rest = remainder(block, self.tokens, after, rx.plain_text(after), block.line + 1)
        text: str | None = None
        if inner is not None:
            children = inner
        elif need_bold:
            return None
        else:
            text = rx.plain_text(children)
            asked, after, line = self._split_inline_answer(children, block.line, text)
            if after:
                children, text = asked, None
                rest = remainder(block, self.tokens, after, rx.plain_text(after), line)
        if text is None:
            text = rx.plain_text(children)
        answered = rest is not None and inner is None
        return Title(children, text, flags, block.line, rest, answered) if text else None

    @staticmethod
    def _split_inline_answer(
        children: list[Token], line: int, text: str
    ) -> tuple[list[Token], list[Token], int]:
        """A paragraph that holds its own answer: "Q: …⏎A: …", "**Q1.** … **A.** …",
        "**What is a CDN?** Servers near users.", "Question :: Answer".

        ``text`` is ``rx.plain_text(children)``, which every caller needs too.
        """
        if rx.QA_PREFIX.match(text):
            for index in range(1, len(children) - 2):
                opening, label, closing = children[index : index + 3]
                if (opening.type, closing.type) == ("strong_open", "strong_close") and (
                    rx.is_answer_head(label.content)
                ):
                    return children[:index], rx.strip_leading(children[index + 3 :], _NOTHING), line
            first, after = rx.split_first_line(children)
            if after:
                return first, after, line + 1
        bold = rx.leading_bold(children)
        if bold is not None and bold[1] and bold[0].rstrip().endswith(("?", "？")):
            asked = Token("text", "", 0, content=bold[0])
            return [asked], rx.strip_leading(bold[1], _NOTHING), line
        for index, child in enumerate(children):
            if child.type == "text" and " :: " in child.content:
                before, _, behind = child.content.partition(" :: ")
                question = [*children[:index], child.copy(content=before)]
                answer = [child.copy(content=behind), *children[index + 1 :]]
                if rx.plain_text(question) and rx.plain_text(answer):
                    return question, rx.strip_leading(answer, _NOTHING), line
        return children, [], line

    def text_of(self, block: Block) -> str:
        if (known := self._texts.get(id(block))) is None:
            inline = block.inline(self.tokens)
            text = rx.plain_text(inline.children) if inline and inline.children else ""
            known = self._texts[id(block)] = (block, text)
        return known[1]

    def is_noise(self, block: Block) -> bool:
        """Blocks no reader counts as content: comments, ``[TOC]``, rules."""
        if (known := self._noise.get(id(block))) is None:
            known = self._noise[id(block)] = (block, self._read_noise(block))
        return known[1]

    def _read_noise(self, block: Block) -> bool:
        token = block.first(self.tokens)
        if block.kind == "html_block":
            content = token.content.strip()
            return content.startswith("<!--") or bool(_DISCLOSURE.fullmatch(content))
        if block.kind == "paragraph":
            inline = block.inline(self.tokens)
            source = inline.content if inline else ""
            bare = source.strip()
            # upper() never shortens a text: only a short one can be "[TOC]"
            return (len(bare) <= 7 and bare.upper() in ("[TOC]", "[[TOC]]")) or bool(
                _ANCHOR_ONLY.match(source) or _TAGS_ONLY.match(source)
            )
        if block.kind in _LIST_KINDS:  # a table of contents: every item a link into the page
            return all(self._noise_item(item) for item in block.children)
        return block.kind in ("hr", "front_matter")

    def _noise_item(self, item: Block) -> bool:
        if not item.children:
            return False
        for child in item.children:
            if child.kind != "bullet_list" and not self.is_noise(child):
                return False
        return True

    def details_question(self, block: Block) -> Title | None:
        """``<details><summary>What is the GIL?</summary>``: a question folded over its answer."""
        if block.kind != "html_block":
            return None
        found = _SUMMARY.match(block.first(self.tokens).content)
        if found is None:
            return None
        text = " ".join(_TAG.sub("", found["text"]).split())
        text, flags = rx.strip_markers(text)
        if not text or rx.is_answer_head(text) or _SHOW.search(text):
            return None  # "Answer", "Show answer", "点击展开": the question is elsewhere
        token = block.first(self.tokens)
        inside = _CLOSE_DETAILS.sub("", token.content[found.end() :]).strip()
        rest = None
        if inside:  # the answer written inside the same HTML block
            raw = token.copy(content=inside + "\n")
            rest = Block(
                "html_block", block.start, block.end, block.line, block.end_line, synthetic=[raw]
            )
        return Title([Token("text", "", 0, content=text)], text, flags, block.line, rest)

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
        if (callout := self.callout(first)) is not None:
            return callout
        title = self.title_of(first, need_bold=True)
        if title and rx.is_answer_head(title.text):
            return None  # "> **Answer**: …" is the answer, quoted
        if title and (rx.is_question(title.text) or rx.is_label(title.text, heads_block=True)):
            return title
        # "> 激活函数怎么选？⏎> $$…$$": a plain question heading a quoted answer
        plain = self.title_of(first, need_bold=False)
        if plain and len(block.children) > 1 and rx.is_plain_question(plain.text):
            return plain if first.end_line - first.line == 1 else None
        return None

    def callout(self, first: Block) -> Title | None:
        """Obsidian's ``> [!question]- Why …?`` (title on the marker's line, answer below)."""
        if (cleaned := self._clean(first)) is None:
            return None
        children, flags = cleaned
        head, after = rx.split_first_line(children)
        marker = _CALLOUT.match(rx.plain_text(head))
        if marker is None:
            return None
        head = rx.strip_leading(head, _CALLOUT)
        inner = rx.bold_only(head)
        head = inner if inner is not None else head
        text = rx.plain_text(head)
        asking = marker["type"].lower() in _ASKING_CALLOUTS
        if not text or not (asking or rx.is_question(text) or rx.is_label(text)):
            return None
        rest = (
            remainder(first, self.tokens, after, rx.plain_text(after), first.line + 1)
            if after
            else None
        )
        return Title(head, text, flags, first.line, rest, asked=asking)

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
        heading: tuple[Title, tuple[str, ...], bool] | None = None
        first_heading = True

        def flush() -> None:
            if heading is None:
                self.walk_body(body, (), problem_set=False)
            else:
                self.walk_section(heading[0], heading[1], body, explains=heading[2])

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
            # A file's opening "# Title" and a repository's "## Contributing" frame the
            # notes: their own text (an introduction, a how-to-help) is not a card.
            framing = (level == 1 and first_heading) or bool(_FRAMING.fullmatch(title.text))
            heading = (title, parent, not framing)
            first_heading = False
            stack.append((level, (*parent, title.text)))
        flush()

    def walk_section(
        self, title: Title, parent: tuple[str, ...], body: list[Block], *, explains: bool = True
    ) -> None:
        if asks(title):
            # The body is the answer; only a bold question further down starts another card.
            opened = Entry("question", title, parent)
            self.walk_body(body, parent, problem_set=False, answering=opened)
            return
        problem_set = bool(_PROBLEM_SET.search(title.text))
        own = self.walk_body(body, (*parent, title.text), problem_set=problem_set)
        if explains:
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

        def open_item(kind: str, title: Title, item_path: tuple[str, ...], style: str) -> None:
            nonlocal current
            close()
            current = _Open(Entry(kind, title, item_path), (*item_path, title.text), style)
            if title.rest is not None:
                current.entry.blocks.append(title.rest)

        def context() -> tuple[str, ...]:
            # a label with nothing under it yet names the group that follows it
            if current and current.entry.kind == "concept" and not current.entry.blocks:
                return current.child_path
            return path

        for index, block in enumerate(expanded):
            gap = block.line - last_end
            last_end = block.end_line
            if (folded := self.details_question(block)) is not None:
                open_item("question", folded, path, "details")
                if _CLOSE_DETAILS.search(block.first(self.tokens).content):
                    close()
                continue
            if block.kind == "paragraph" and (pairs := self.colon_cards(block)):
                close()
                self.entries.extend(
                    Entry("question", title, path, [answer]) for title, answer in pairs
                )
                continue
            if (
                block.kind == "html_block"
                and current is not None
                and current.style == "details"
                and _CLOSE_DETAILS.search(block.first(self.tokens).content)
            ):
                close()
                continue
            if self.is_noise(block):
                if block.kind == "hr":
                    close()
                continue
            if answering is not None and not (
                self.bold_question(block) or self.sibling_question(block, current)
            ):
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
            free = current is None or current.child_path == context()
            if free and self.qa_list(block):
                self.walk_qa_list(block, context())
                continue
            if free and block.kind == "dl":
                self.walk_definitions(block, context())
                continue
            if block.kind in ("paragraph", "heading"):
                bold = self.title_of(block, need_bold=True)
                heading = block.kind == "heading"
                if heading:
                    bold = self.title_of(block, need_bold=False)
                if bold is not None and rx.is_answer_head(bold.text):
                    pass  # "**Answer:**" announces the answer below: content
                elif bold is not None and (asks(bold) or heading or rx.is_label(bold.text)):
                    open_item("question" if asks(bold) else "concept", bold, path, "bold")
                    continue
                plain = None if bold else self.title_of(block, need_bold=False)
                if (
                    plain is not None
                    and not self.is_link_only(block)
                    and self.opens_plain_question(plain, current, gap, problem_set)
                ):
                    open_item("question", plain, path, "plain")
                    continue
            (current.entry.blocks if current else own).append(block)
        close()
        return own

    def colon_cards(self, block: Block) -> list[tuple[Title, Block]]:
        """``Question :: Answer`` lines (Obsidian spaced-repetition style), one card a line."""
        inline = block.inline(self.tokens)
        if inline is None or " :: " not in inline.content:
            return []
        children, flags = rx.clean_inline(inline.children or [])
        pairs = []
        for offset, line in enumerate(rx.split_lines(children)):
            plain = rx.plain_text(line)
            asked, answer, _ = self._split_inline_answer(line, block.line, plain)
            if not answer or " :: " not in plain:
                return []  # every line must be a pair, or this is prose with a "::" in it
            text = rx.plain_text(asked)
            rest = remainder(block, self.tokens, answer, rx.plain_text(answer), block.line + offset)
            pairs.append((Title(asked, text, flags, block.line + offset), rest))
        return pairs

    def sibling_question(self, block: Block, current: _Open | None) -> bool:
        """After a plain question, a plain line ending in "？" asks the next one."""
        if block.kind != "paragraph" or current is None or current.style != "plain":
            return False
        title = self.title_of(block, need_bold=False)
        return (
            title is not None
            and title.text.rstrip().endswith(("?", "？"))
            and (rx.is_plain_question(title.text))
        )

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
        self, title: Title, current: _Open | None, gap: int, problem_set: bool
    ) -> bool:
        """Does an unformatted paragraph start a new question here?"""
        if title.answered_inline or rx.QA_PREFIX.match(title.text):
            return True
        if "\n" in title.text or title.text.rstrip().endswith((":", "：")):
            return False
        in_item = current is not None
        # After a plain question, the next line that ends in "？" is its sibling, not its answer.
        sibling = (
            current is not None
            and current.style == "plain"
            and title.text.rstrip().endswith(("?", "？"))
        )
        # the cheap test first: inside an item most paragraphs are its answer's, right below it
        if (sibling or not (in_item and gap < 2)) and rx.is_plain_question(title.text):
            return True
        # In a problem set ("## 场景题") a new problem follows a clear gap.
        return problem_set and (not in_item or gap >= 3) and rx.fits(title.text, 120)

    def walk_qa_list(self, block: Block, path: tuple[str, ...]) -> None:
        asking: Entry | None = None  # the last question, for a "- A: …" item after it
        for item in block.children:
            if not item.children:
                continue
            head, rest = item.children[0], item.children[1:]
            if head.kind != "paragraph":
                continue
            if (
                asking is not None
                and not asking.blocks
                and rx.ANSWER_LABEL.match(self.text_of(head))
            ):
                asking.blocks.extend(item.children)  # "- Q: …" then "- A: …"
                continue
            title = self.title_of(head, need_bold=True) or self.title_of(head, need_bold=False)
            if title is None:
                continue
            if title.rest is not None:
                rest = [title.rest, *rest]
            title = title.at(item.line)
            # a lone blockquote under the item is the answer itself (seed 002's "> > >")
            if len(rest) == 1 and rest[0].kind == "blockquote":
                rest = rest[0].children
            if not rest and not rx.is_question(title.text) and not rx.is_outline_line(title.text):
                continue  # an unanswered remark among the questions, not a question itself
            asking = Entry("question", title, path, list(rest))
            self.entries.append(asking)

    def walk_definitions(self, block: Block, path: tuple[str, ...]) -> None:
        """``Term⏎: definition``: a question if the term asks, else a concept card."""
        term: Title | None = None
        for child in block.children:
            if child.kind == "dt":
                term = self.title_of(child, need_bold=False)
            elif child.kind == "dd" and term is not None:
                kind = "question" if asks(term) else "concept"
                self.entries.append(Entry(kind, term, path, list(child.children)))
                term = None

    def outline_runs(self, blocks: Sequence[Block]) -> set[int]:
        """Indexes of paragraphs in runs of three or more short one-line paragraphs."""
        found: set[int] = set()
        run: list[int] = []
        for index, block in enumerate([*blocks, None]):
            if block is not None and block.kind == "paragraph":
                inline = block.inline(self.tokens)
                plain = inline is not None and not any(
                    c.type in ("strong_open", "image", "math_inline") for c in inline.children or ()
                )
                # the text last: an answer's paragraphs are rarely plain one-liners
                if (
                    plain
                    and block.end_line - block.line == 1
                    and rx.is_outline_line(self.text_of(block))
                ):
                    run.append(index)
                    continue
            if len(run) >= 3:
                found.update(run)
            run = []
        return found
