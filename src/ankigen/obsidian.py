"""Obsidian's inline syntax as Obsidian shows it: ``[[links]]``, ``![[embeds]]``, ``==marks==``.

Hand-written markdown-it rules: mdit-py-plugins has no wikilink or highlight plugin (its
``wordcount``/``anchors`` and friends do other things), and each rule is a few lines.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from .media import IMAGE_SUFFIXES


def _wikilink(state: StateInline, silent: bool) -> bool:
    """``[[Note#Heading|alias]]`` shows its alias (or name); ``![[image.png|300]]`` an image."""
    src, pos = state.src, state.pos
    embed = src.startswith("![[", pos)
    if not (embed or src.startswith("[[", pos)):
        return False
    start = pos + (3 if embed else 2)
    end = src.find("]]", start)
    if end < 0 or "\n" in src[start:end] or src.startswith("(", end + 2):
        return False  # "![[公式]](https://…)" is a Markdown image whose alt text has brackets
    target, _, alias = src[start:end].partition("|")
    target, alias = target.strip(), alias.strip()
    if not target:
        return False
    if not silent:
        if embed and PurePosixPath(target).suffix.lower() in IMAGE_SUFFIXES:
            token = state.push("image", "img", 0)
            token.attrs = {"src": target, "alt": ""}
            token.children = []
            if alias.isdigit():  # "![[a.png|300]]": a width in pixels
                token.attrSet("width", alias)
        else:
            token = state.push("text", "", 0)
            token.content = alias if alias and not embed else target.split("#")[0] or target
    state.pos = end + 2
    return True


def _mark(state: StateInline, silent: bool) -> bool:
    """``==highlighted==`` (no space just inside the marks, as in Obsidian)."""
    src, pos = state.src, state.pos
    if not src.startswith("==", pos) or pos + 2 >= state.posMax or src[pos + 2].isspace():
        return False
    end = src.find("==", pos + 3)
    while end > 0 and src[end - 1].isspace():
        end = src.find("==", end + 2)
    if end < 0 or end > state.posMax or "\n\n" in src[pos:end]:
        return False
    if not silent:
        old_max = state.posMax
        state.push("mark_open", "mark", 1)
        state.pos, state.posMax = pos + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("mark_close", "mark", -1)
    state.pos = end + 2
    return True


def obsidian_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.inline.ruler.before("emphasis", "mark", _mark)
