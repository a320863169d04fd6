"""Markdown -> Topic: one markdown-it parse per file, then small recognisers.

``parse_source`` is the stage's only entry point. Tokens never leave this package: questions
leave it already rendered to card HTML (see model.Question for why).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..markdown import RenderEnv, render_blocks, render_inline
from ..model import Flag, Kind, Question, SourceFile, SourceLocation, Topic, Unanswered
from . import recognise as rx
from .outline import Block, build_outline, remainder
from .structure import Entry, Walker

__all__ = ["parse_source"]

_BARE_TITLE = 12  # display columns: a question this short needs its section to make sense


def parse_source(
    md: MarkdownIt,
    source: SourceFile,
    *,
    fetch_media: bool = False,
    media_cache: Path | None = None,
) -> Topic:
    """Recognise and render every question of one note file."""
    env = RenderEnv(source=source, fetch_media=fetch_media, media_cache=media_cache)
    tokens = md.parse(source.text, {})
    walker = Walker(tokens)
    walker.walk_document(build_outline(tokens))
    questions: list[Question] = []
    unanswered: list[Unanswered] = []
    # A section's concept is recognised after its children; cards keep the notes' order.
    for entry in sorted(walker.entries, key=lambda e: e.title.line):
        made = _make(md, tokens, walker, entry, env)
        if isinstance(made, Question):
            questions.append(made)
        elif made is not None:
            unanswered.append(made)
    return Topic(
        name=source.topic,
        source=source.path,
        questions=tuple(questions),
        unanswered=tuple(unanswered),
        diagnostics=tuple(env.diagnostics.items),
    )


def _make(
    md: MarkdownIt, tokens: Sequence[Token], walker: Walker, entry: Entry, env: RenderEnv
) -> Question | Unanswered | None:
    source = env.source
    title = entry.title  # shared with the walker's other readers: not changed here
    text = rx.strip_numbering(title.text) or title.text
    origin = SourceLocation(source.path, title.line)
    blocks = [b for b in entry.blocks if not walker.is_noise(b)]
    while len(blocks) == 1 and blocks[0].kind == "blockquote":
        # an answer quoted as a whole reads better unquoted
        blocks = [b for b in blocks[0].children if not walker.is_noise(b)]
    blocks = _unlabel_answer(tokens, blocks)
    summary, blocks = _split_summary(tokens, walker, blocks)
    flags = set(title.flags)
    answer_text = _text(tokens, blocks) + (summary or "")
    if entry.kind == "concept":
        if not _substantive(tokens, walker, blocks) and not summary:
            return None
    elif not summary and (
        not any(not _aside(walker, b) for b in blocks)
        or (not _rich(blocks) and rx.is_placeholder(answer_text))
    ):
        return _todo(source.topic, entry, text, origin)
    if rx.mentions_placeholder(answer_text):
        flags.add(Flag.INCOMPLETE)
    media_before = len(env.media)
    env.line = title.line
    children = rx.strip_leading(title.children, rx.NUMBERING) or title.children
    prompt, prompt_html = text, render_inline(md, children, env)
    if entry.path and (entry.kind == "concept" or rx.fits(prompt, _BARE_TITLE)):
        # "缺点", "简介", "为什么？" mean nothing alone and repeat across sections
        parent = entry.path[-1]
        prompt = f"{parent} › {prompt}"
        prompt_html = f"{html.escape(parent, quote=False)} › {prompt_html}"
    if prompt_html == prompt:
        # the same string object, not an equal copy: pickle (the Topic's way back from a
        # worker process) then writes the text once
        prompt_html = prompt
    parts = []
    for block in blocks:
        env.line = block.line
        parts.append(render_blocks(md, block.tokens(tokens), env))
    answer_html = "\n".join(p for p in parts if p)
    summary_html = _summary_html(summary) if summary else None
    if not answer_html and summary_html:
        answer_html, summary_html = summary_html, None
    if not answer_html:  # everything under it renders to nothing (comments, [TOC], …)
        return None if entry.kind == "concept" else _todo(source.topic, entry, text, origin)
    return Question(
        topic=source.topic,
        path=entry.path,
        prompt=prompt,
        prompt_html=prompt_html,
        answer_html=answer_html,
        summary_html=summary_html,
        flags=frozenset(flags),
        kind=Kind.QUESTION if entry.kind == "question" else Kind.CONCEPT,
        origin=origin,
        media=tuple(env.media[media_before:]),
    )


def _todo(topic: str, entry: Entry, prompt: str, origin: SourceLocation) -> Unanswered:
    """The to-do list's line for a question without an answer (built only when needed)."""
    flags = entry.title.flags
    return Unanswered(topic=topic, path=entry.path, prompt=prompt, flags=flags, origin=origin)


def _split_summary(
    tokens: Sequence[Token], walker: Walker, blocks: list[Block]
) -> tuple[str | None, list[Block]]:
    """A language-less fenced block right under the question is the author's spoken summary.

    Reference links may sit between the question and the summary (seed 001's Transformer).
    """
    for index, block in enumerate(blocks):
        if walker.is_link_only(block):
            continue
        token = block.first(tokens)
        if block.kind == "fence" and not token.info.strip():
            return token.content.strip("\n"), blocks[:index] + blocks[index + 1 :]
        break
    return None, blocks


def _summary_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _text(tokens: Sequence[Token], blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        for token in block.tokens(tokens):
            if (
                token.type == "inline"
                or token.type in ("fence", "code_block", "math_block")
                or (token.type == "html_block" and not token.content.lstrip().startswith("<!--"))
            ):
                parts.append(token.content)
    return "\n".join(parts)


def _rich(blocks: Sequence[Block]) -> bool:
    return any(b.kind in ("math_block", "fence", "code_block", "table") for b in blocks)


def _substantive(tokens: Sequence[Token], walker: Walker, blocks: Sequence[Block]) -> bool:
    """Explanatory content: something beyond bare reference links and placeholders."""
    kept = [b for b in blocks if not walker.is_link_only(b)]
    if not kept:
        return False
    text = _text(tokens, kept)
    return _rich(kept) or not rx.is_placeholder(text) or "<img" in text


def _aside(walker: Walker, block: Block) -> bool:
    """``（2022.02.28 字节二面）``: a note about the question, not an answer to it."""
    text = walker.text_of(block).strip() if block.kind == "paragraph" else ""
    return len(text) > 1 and text[0] in "（(" and text[-1] in "）)"


def _unlabel_answer(tokens: Sequence[Token], blocks: list[Block]) -> list[Block]:
    """``A: …`` / ``**A:** …`` / ``答：…``: the label goes, the answer stays."""
    if not blocks or blocks[0].kind != "paragraph":
        return blocks
    first = blocks[0]
    inline = first.inline(tokens)
    if inline is None or not inline.children:
        return blocks
    children = rx.strip_leading(inline.children, rx.ANSWER_LABEL)
    bold = rx.leading_bold(children)
    if bold is not None and rx.is_answer_head(bold[0]):  # "**Answer**: …"
        children = rx.strip_leading(bold[1], rx.LEADING_COLON)
    if len(children) == len(inline.children) and children[:1] == inline.children[:1]:
        return blocks
    if not children:
        return blocks[1:]
    rest = remainder(first, tokens, children, rx.plain_text(children), first.line)
    return [rest, *blocks[1:]]
