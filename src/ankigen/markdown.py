"""The one configured markdown-it-py instance, and token -> card HTML rendering.

The parser (parse/) tokenises each note file once and hands slices of the token stream here,
so rendering never re-parses Markdown. Everything that makes a card right in Anki happens in
render rules on those tokens:

- math arrives as ``math_*`` tokens (dollarmath runs before emphasis and escapes, so ``_``,
  ``*`` and ``\\\\`` survive) and leaves as ``\\(…\\)``/``\\[…\\]``, the only delimiters Anki's
  MathJax knows, translated and checked by mathjax.py, HTML-escaped and cloze-safe;
- images (Markdown and raw ``<img>``) are bundled, kept remote, fetched, or replaced by a visible
  placeholder (media.py); zhihu formula images become real math;
- fenced code is highlighted by Pygments (highlight.py);
- HTML comments and Typora's ``[TOC]`` are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.renderer import RendererHTML, RendererProtocol
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import getLine
from markdown_it.rules_block.table import table as gfm_table
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from . import mathjax
from .highlight import info_language, render_code
from .media import resolve_image
from .model import Diagnostics, MediaRef, SourceFile, SourceLocation
from .obsidian import obsidian_plugin

_KEY = "ankigen"


@dataclass(slots=True)
class RenderEnv:
    """Per-file state the render rules read and append to."""

    source: SourceFile
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    media: list[MediaRef] = field(default_factory=list)
    line: int = 1  # 1-based line of the block being rendered, for messages
    # Lines of source.text before the text given to md.parse (e.g. stripped front matter).
    line_offset: int = 0
    fetch_media: bool = False  # download http(s) images into media_cache and bundle them
    media_cache: Path | None = None

    def location(self, delta: int = 0) -> SourceLocation:
        return SourceLocation(self.source.path, self.line + delta)

    def at(self, token: Token) -> None:
        """Point ``line`` at a block token (call before render_inline on its children)."""
        if token.map is not None:
            self.line = token.map[0] + 1 + self.line_offset

    def warn(
        self, message: str, hint: str | None = None, delta: int = 0, *, code: str | None = None
    ) -> None:
        self.diagnostics.warn(message, self.location(delta), hint, code=code)

    def add_media(self, ref: MediaRef) -> None:
        if ref not in self.media:
            self.media.append(ref)


Rule = Callable[
    [RendererProtocol, Sequence[Token], int, OptionsDict, MutableMapping[str, Any]], str
]


def _render_env(env: Mapping[str, Any]) -> RenderEnv:
    found = env.get(_KEY)
    if not isinstance(found, RenderEnv):
        raise TypeError("render card HTML through render_blocks()/render_inline()")
    return found


# --- math -----------------------------------------------------------------------------------


def _short(tex: str) -> str:
    flat = " ".join(tex.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def math_html(tex: str, display: bool, env: RenderEnv) -> str:
    """TeX -> Anki math HTML, reporting each problem at its own line of the note."""
    prepared = mathjax.prepare(tex, display)
    for problem in prepared.problems:
        where = f"{'$$' if display else '$'}{_short(tex)}{'$$' if display else '$'}"
        env.warn(f"{problem.message} in {where}", problem.hint, problem.line, code="tex")
    return mathjax.to_card_html(prepared.tex, display)


def _math_inline(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return math_html(tokens[idx].content, False, _render_env(env))


def _math_display_inline(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return math_html(tokens[idx].content, True, _render_env(env))


def _math_block(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return f'<div class="math">{math_html(tokens[idx].content, True, _render_env(env))}</div>\n'


# --- zhihu formula images -------------------------------------------------------------------


def zhihu_tex(src: str) -> str | None:
    """The TeX of a zhihu formula image URL (``…zhihu.com/equation?tex=…``), else None.

    The formula is in the URL itself (form-encoded, ``+`` for space), so it becomes real
    MathJax without any network access.
    """
    if "zhihu.com/equation" not in src:
        return None
    parts = urlsplit(src if "://" in src else "https://" + src.lstrip("/"))
    if not parts.netloc.endswith("zhihu.com") or parts.path.rstrip("/") != "/equation":
        return None
    values = parse_qs(parts.query).get("tex")
    return values[0] if values and values[0].strip() else None


# --- images ---------------------------------------------------------------------------------


def _placeholder(src: str) -> str:
    return f'<span class="ankigen-missing-media">[image not available: {escape(src)}]</span>'


def _image_src(src: str, env: RenderEnv, delta: int = 0) -> str | None:
    """The card's ``src`` for an image, bundling or fetching it; None after a warning."""
    resolved = resolve_image(
        src, env.source, fetch=env.fetch_media, cache=env.media_cache if env.fetch_media else None
    )
    if resolved.problem is not None:
        env.warn(resolved.problem, resolved.hint, delta, code=resolved.code)
    if resolved.media is not None:
        env.add_media(resolved.media)
        return resolved.media.name
    return resolved.src


def _image(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    token = tokens[idx]
    renv = _render_env(env)
    src = str(token.attrGet("src") or "")
    if (tex := zhihu_tex(src)) is not None:
        alone = len(tokens) == 1  # a formula image that is the whole paragraph is display math
        return math_html(tex, alone, renv)
    card_src = _image_src(src, renv)
    if card_src is None:
        return _placeholder(src)
    title = token.attrGet("title")
    extra = f' title="{escape(str(title))}"' if title else ""
    return f'<img src="{escape(card_src)}" alt="{escape(token.content)}"{extra}>'


# --- raw HTML: comments, <img> --------------------------------------------------------------

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_IMG = re.compile(r"<img\b(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>", re.I)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _rewrite_img(tag: re.Match[str], env: RenderEnv, delta: int) -> str:
    """One raw ``<img>`` tag with its ``src`` made card-ready; other attributes kept as written.

    Hand-written over html.parser: only the ``src`` of an image changes and everything else,
    Typora's ``style="zoom:50%"`` included, must come out as written, which a parser that
    re-serialises the whole fragment would not guarantee. Anki's webviews (Chromium on desktop
    and Android, WebKit on iOS) honour CSS ``zoom``, so Typora's sizing keeps working as is.
    """
    attrs: list[tuple[str, str | None]] = []
    src = ""
    for m in _ATTR.finditer(tag["attrs"]):
        name = m[1].lower()
        value = next((v for v in m.groups()[1:] if v is not None), None)
        if name == "src":
            src = unescape(value or "")
        else:
            attrs.append((name, None if value is None else unescape(value)))
    if (tex := zhihu_tex(src)) is not None:
        return math_html(tex, False, env)
    card_src = _image_src(src, env, delta)
    if card_src is None:
        return _placeholder(src)
    out = [f'<img src="{escape(card_src)}"']
    out += [f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in attrs]
    return "".join(out) + ">"


def rewrite_html(html: str, env: RenderEnv) -> str:
    """Raw HTML from the notes: comments removed, images rewritten."""
    if "<!--" in html:
        html = _COMMENT.sub("", html)
    if "<img" in html or "<IMG" in html:
        html = _IMG.sub(lambda m: _rewrite_img(m, env, html.count("\n", 0, m.start())), html)
    return html


def _html_block(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    html = rewrite_html(tokens[idx].content, _render_env(env))
    return html if html.strip() else ""


def _html_inline(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return rewrite_html(tokens[idx].content, _render_env(env))


# --- code -----------------------------------------------------------------------------------


def _fence(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    token = tokens[idx]
    return render_code(token.content, info_language(unescape(token.info)))


def _code_block(
    self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    return render_code(tokens[idx].content, "")


# --- the instance ---------------------------------------------------------------------------


def _interrupting_math_block(md: MarkdownIt) -> None:
    """Let a ``$$`` line start a math block right after a line of text, as Typora does.

    dollarmath registers its block rule without "alt", so a paragraph would swallow the block
    (seed 002's LSTM block) and a ``= `` line inside it would become a setext heading.
    """
    block_rule = next(r for r in md.block.ruler.__rules__ if r.name == "math_block").fn

    def math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        # dollarmath's own first test, before its setup: a block opens with "$$" (it refuses
        # every other line, code-indented or not); asked at nearly every line of every file
        if not state.src.startswith("$$", state.bMarks[start] + state.tShift[start]):
            return False
        if not silent:
            return bool(block_rule(state, start, end, False))
        # dollarmath ignores `silent` and would push tokens while only being probed
        count, line = len(state.tokens), state.line
        found = bool(block_rule(state, start, end, False))
        del state.tokens[count:]
        state.line = line
        return found

    md.block.ruler.at("math_block", math_block, {"alt": ["paragraph", "reference", "blockquote"]})


def _escaped(src: str, pos: int) -> bool:
    """An odd run of backslashes before ``pos`` escapes it (``\\$`` is a dollar sign)."""
    run = 0
    while pos - run - 1 >= 0 and src[pos - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _dollar_inline(state: StateInline, silent: bool) -> bool:
    """Typora's (and pandoc's) inline ``$…$`` and ``$$…$$``.

    Hand-written in place of dollarmath's inline rule, which reads ``src[pos - 1]`` at the start
    of a paragraph (Python wraps that to the paragraph's last character: seed 001's
    "$\\alpha$通常取0.01" stayed text). ``$`` opens only before a non-space; the next unescaped
    ``$`` closes it only with a non-space before it and no digit after it, so "costs $5 and $6"
    stays text while "向量$x_i$的" is math.
    """
    src, start = state.src, state.pos
    if src[start] != "$" or _escaped(src, start):
        return False
    if src.startswith("$$", start):
        end = start + 2
        while (end := src.find("$$", end)) >= 0 and _escaped(src, end):
            end += 1
        if end < 0 or not src[start + 2 : end].strip():
            return False
        kind, content, after = "math_inline_double", src[start + 2 : end], end + 2
    else:
        if start + 1 >= state.posMax or src[start + 1].isspace():
            return False
        end = start
        while (end := src.find("$", end + 1)) >= 0 and _escaped(src, end):
            pass
        if end < 0 or end >= state.posMax or src[end - 1].isspace():
            return False
        if end + 1 < len(src) and src[end + 1].isdigit():
            return False
        kind, content, after = "math_inline", src[start + 1 : end], end + 1
    if not silent:
        token = state.push(kind, "math", 0)
        token.content = content
        token.markup = "$$" if kind == "math_inline_double" else "$"
    state.pos = after
    return True


# markdown-it-py's optional switches, at the values they have when absent. Its rules read them
# with options.get(name, default), and OptionsDict (a Mapping, not a dict) answers a missing
# key by raising KeyError inside get(): 0.2 us more per inline run, list item and blockquote,
# about 3% of the parse of a big vault.
_DEFAULT_SWITCHES = {
    "tasklists": False,
    "tasklists_editable": False,
    "alerts": False,
    "store_labels": False,
    "strikethrough_single_tilde": False,
}


def new_markdown() -> MarkdownIt:
    options = {"html": True, **_DEFAULT_SWITCHES}
    md = MarkdownIt("commonmark", options).enable(["table", "strikethrough"])
    front_matter_plugin(md)
    deflist_plugin(md)  # "Term⏎: definition", as Obsidian and pandoc write glossaries
    dollarmath_plugin(md, double_inline=True)  # its block rule; the inline rule is ours
    md.inline.ruler.at("math_inline", _dollar_inline)
    _interrupting_math_block(md)
    _table_keeping_math_pipes(md)
    obsidian_plugin(md)
    rules: dict[str, Rule] = {
        "math_inline": _math_inline,
        "math_inline_double": _math_display_inline,
        "math_block": _math_block,
        "math_block_label": _math_block,
        "image": _image,
        "html_block": _html_block,
        "html_inline": _html_inline,
        "fence": _fence,
        "code_block": _code_block,
    }
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    return md


def _table_keeping_math_pipes(md: MarkdownIt) -> None:
    """GFM reads ``\\|`` in a table cell as an escaped pipe and drops the backslash, so the
    norm ``$\\|x\\|_2$`` reached MathJax as ``|x|_2``, silently. After markdown-it's table
    rule, a cell whose line holds ``\\|`` inside ``$…$`` gets its text again from the line,
    the backslash kept inside the math only; everything else reads as the table rule left it
    (checked: the two differ only in those backslashes, else the cell is left alone)."""

    def rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        first = len(state.tokens)
        if not gfm_table(state, start, end, silent):
            return False
        if not silent:
            _restore_math_pipes(state, first)
        return True

    md.block.ruler.at("table", rule, {"alt": ["paragraph", "reference"]})


def _restore_math_pipes(state: StateBlock, first: int) -> None:
    cells: list[str] = []
    index = 0
    for token in state.tokens[first:]:
        if token.type == "tr_open" and token.map:
            line = getLine(state, token.map[0])
            cells = _raw_cells(line) if "\\|" in line and "$" in line else []
            index = 0
        elif token.type == "inline":
            raw = cells[index] if index < len(cells) else ""
            index += 1
            if "\\|" not in raw:
                continue
            kept = "".join(
                part if n % 2 else part.replace("\\|", "|")
                for n, part in enumerate(_MATH_SPAN.split(mdTrim(raw)))
            )
            if kept != token.content and kept.replace("\\|", "|") == token.content:
                token.content = kept


_MATH_SPAN = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)")


def _raw_cells(line: str) -> list[str]:
    """A table row split as markdown-it's table rule splits it (``escapedSplit``, with its
    leading and trailing empty cells dropped), but with escaped pipes left escaped."""
    cells: list[str] = []
    start = 0
    escaped = False
    for pos, ch in enumerate(line):
        if ch == "|" and not escaped:
            cells.append(line[start:pos])
            start = pos + 1
        escaped = ch == "\\"
    cells.append(line[start:])
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


# --- rendering ------------------------------------------------------------------------------

_BREAKS = frozenset({"softbreak", "hardbreak"})


def _is_toc(tokens: Sequence[Token], i: int) -> bool:
    return (
        tokens[i].type == "paragraph_open"
        and i + 2 < len(tokens)
        and tokens[i + 1].type == "inline"
        and tokens[i + 1].content.strip().upper() == "[TOC]"
    )


def _renderer(md: MarkdownIt) -> RendererHTML:
    if not isinstance(md.renderer, RendererHTML):
        raise TypeError("new_markdown() instances render HTML")
    return md.renderer


def _bare_tag(tokens: Sequence[Token], idx: int) -> str:
    """``RendererHTML.renderToken`` for an opening or closing token without attributes (its
    generic attribute and xhtml handling is most of its time): the same newlines, in the same
    places."""
    token = tokens[idx]
    if token.hidden:  # a tight list's paragraph
        return ""
    if token.nesting == -1:
        return f"</{token.tag}>\n" if token.block else f"</{token.tag}>"
    if not token.block:
        return f"<{token.tag}>"
    before = "\n" if idx and tokens[idx - 1].hidden else ""
    after = "\n"
    if idx + 1 < len(tokens):
        after_token = tokens[idx + 1]
        if (
            after_token.type == "inline"
            or after_token.hidden
            or (after_token.nesting == -1 and after_token.tag == token.tag)
        ):
            after = ""
    return f"{before}<{token.tag}>{after}"


def _inline(md: MarkdownIt, children: Sequence[Token], env: RenderEnv) -> str:
    renderer = _renderer(md)
    return _render_children(renderer, renderer.rules, md.options, {_KEY: env}, children, env)


def _render_children(
    renderer: RendererHTML,
    rules: Mapping[str, Any],
    options: OptionsDict,
    ctx: MutableMapping[str, Any],
    children: Sequence[Token],
    env: RenderEnv,
) -> str:
    start = env.line
    out: list[str] = []
    for i, token in enumerate(children):
        if (rule := rules.get(token.type)) is not None:
            out.append(rule(children, i, options, ctx))
        elif token.nesting and not token.attrs:
            out.append(_bare_tag(children, i))
        else:
            out.append(renderer.renderToken(children, i, options, ctx))
        # keep env.line on the line being rendered, so a formula's warning names its own line
        if token.type in _BREAKS:
            env.line += 1
        elif "\n" in token.content and token.type != "text":
            env.line += token.content.count("\n")
    env.line = start
    return "".join(out)


def render_blocks(md: MarkdownIt, tokens: Sequence[Token], env: RenderEnv) -> str:
    """Render a slice of block tokens (balanced open/close pairs) to HTML.

    Keeps ``env.line`` on the block being rendered (token.map + ``env.line_offset``).
    """
    renderer = _renderer(md)
    rules = renderer.rules
    options = md.options
    ctx = {_KEY: env}
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.map is not None:  # env.at(token), inline: this loop runs for every token
            env.line = token.map[0] + 1 + env.line_offset
        if token.type == "paragraph_open" and _is_toc(tokens, i):
            i += 3  # Typora's [TOC] means nothing on a card
            continue
        if token.type == "inline":
            out.append(_render_children(renderer, rules, options, ctx, token.children or (), env))
        elif (rule := rules.get(token.type)) is not None:
            out.append(rule(tokens, i, options, ctx))
        elif token.nesting and not token.attrs:  # most tokens: <p>, </p>, <li>, <strong>…
            out.append(_bare_tag(tokens, i))
        else:
            out.append(renderer.renderToken(tokens, i, options, ctx))
        i += 1
    return "".join(out).strip()


def render_inline(md: MarkdownIt, children: Sequence[Token], env: RenderEnv) -> str:
    """Render the children of one inline token (a question's text) to HTML.

    Messages use ``env.line`` as the line of the first child: call ``env.at(inline_token)``
    first when the line is not already current.
    """
    return _inline(md, children, env).strip()
