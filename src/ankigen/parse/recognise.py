"""Small, separately tested decisions about one piece of text or one inline token.

Each function answers one question a reader of the notes answers at a glance: is this a
question, is this a label, is this answer only a placeholder, which markers does it carry.
They know nothing about files or structure; structure.py combines them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from markdown_it.token import Token

from ..model import Flag

# Emoji markers as the seeds write them (with or without the VS16 variation selector).
MARKERS: dict[str, Flag] = {
    "⭐": Flag.FREQUENT,
    "🌟": Flag.FREQUENT,
    "⚠": Flag.INCOMPLETE,
    "❌": Flag.UNKNOWN,
    "❎": Flag.UNKNOWN,
    "⚡": Flag.ASKED,
}
_MARKER_RE = re.compile("[" + "".join(MARKERS) + "]\ufe0f?")
_NO_FLAGS: frozenset[Flag] = frozenset()
# All clean_inline removes or flags shows in a paragraph's source as "<" (a <font> tag), "&"
# (an entity may spell a marker) or a marker: a source without any has nothing to clean.
_CLEANABLE = re.compile("[<&" + "".join(MARKERS) + "]")
_FONT_OPEN = re.compile(r"<font\b[^>]*>", re.I)
_RED_FONT = re.compile(r"<font\b[^>]*color\s*=\s*['\"]?(?:red|#f00\b|#ff0000)", re.I)
_FONT_CLOSE = re.compile(r"</font\s*>", re.I)

_URL = re.compile(r"https?://\S+")
_QUESTION_MARK = re.compile(r"[?？]")
QA_PREFIX = re.compile(
    r"^\s*(?:Q\d{0,3}\s*[:：.]|问\s*[:：]|问题\s*\d{0,3}\s*[:：]|Question\s*\d{0,3}\s*[-:：.])",
    re.I,
)
# An English request ("Explain the difference between L1 and L2.") asks however it ends.
_EN_REQUEST = re.compile(
    r"^\s*(?:explain|describe|compare|contrast|define|discuss|derive|prove|summari[sz]e"
    r"|implement|design|walk me through|tell me|how would you|list the|name the)\b",
    re.I,
)
# A request ("简单讲一下…。") is a question however it ends.
_ZH_REQUEST = re.compile(
    "介绍一下|介绍下|讲一下|讲讲|说一下|说说|谈谈|聊聊|简述|描述一下|解释一下|阐述|推导一下|证明一下"
    "|[，,]\\s*问(?!题)"  # "…，问另一个孩子也是男孩的概率。"
)
# Interrogative words make a line a question unless it ends as a statement ("…是什么。").
_ZH_ASK = re.compile(
    "为什么|为何|为啥|如何|怎么|怎样|什么|哪|吗|嘛|区别|差别|差异|异同|优缺点|优点|缺点|优势|劣势"
    "|对比|比较一下|是否|能否|有没有|多少|几种|作用|原理|意义|好处"
)
_EN_ASK = re.compile(
    r"^\s*(?:why|how|what|when|which|who|where|explain|describe|compare|define|list|name"
    r"|is|are|does|do|can|could|should|would|will)\b|\b(?:difference|pros and cons|vs\.?)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"[。．！!；;]\s*$|(?<![.\w])\.\s*$|(?<=[^\W\d_]{2})\.\s*$")
# A numbered item as people type it: "1、", "1.", "1)", "（1）", "Q1:"
NUMBERING = re.compile(
    r"^\s*(?:\d{1,3}\s*[、.．)）](?!\d)|[（(]\d{1,3}[)）]|Q\d{0,3}\s*[:：.]|问\s*[:：]"
    r"|问题\s*\d{0,3}\s*[:：]|Question\s*\d{0,3}\s*[-:：.])\s*",
    re.I,
)
# "A:" / "答：" opening an answer labels it; the card's back is the answer already.
ANSWER_LABEL = re.compile(
    # not "A." alone: "A. Adam  B. SGD" lists choices
    r"^\s*(?:A\d{0,3}\s*[:：]|(?:Ans|Answer|答|答案|回答|解答|解析|参考答案)\s*[:：.])\s*",
    re.I,
)
LEADING_COLON = re.compile(r"^\s*[:：]\s*")
# A line that only announces the answer ("**Answer:**", "**答案**"): not a label of its own.
_ANSWER_HEAD = re.compile(
    r"(?:A|Ans|Answer|Solution|答|答案|回答|解答|解析|参考答案)\s*[:：.]?", re.I
)
# Reference sections under an answer ("**参考资料**", "References:") are not the answer.
_REFERENCE_WORDS: tuple[str, ...] = ("参考资料", "参考链接", "相关链接", "参考", "references")
_REFERENCE_WORDS += ("reference", "see also", "links", "link")
_REFERENCES = re.compile("|".join(_REFERENCE_WORDS), re.I)

PLACEHOLDERS = frozenset(
    s.casefold()
    for s in (
        "TBD",
        "TODO",
        "TBA",
        "WIP",
        "FIXME",
        "待补充",
        "待完善",
        "待续",
        "未完待续",
        "待整理",
        "暂无",
        "无",
        "略",
        "不知道",
        "不会",
        "不清楚",
        "?",
        "？",
        "...",
        "…",
        "……",
    )
)
_STRIPPED = r"[\s*_`>#\-:：。.!！~]"
_PLACEHOLDER_STRIP = re.compile(_STRIPPED + "+")
# The longest answer is_placeholder can accept: a placeholder, a space, a reference word.
# (casefold never shortens a string, and re.I matches one character with one character.)
_PLACEHOLDER_MAX = max(map(len, PLACEHOLDERS)) + 1 + max(map(len, _REFERENCE_WORDS))
# Matches when a text keeps more characters than that once _PLACEHOLDER_STRIP has run: it stops
# after a few words, where the substitution would copy a whole long answer.
_TOO_LONG_FOR_PLACEHOLDER = re.compile(
    f"{_STRIPPED}*(?:[^{_STRIPPED[1:-1]}]{_STRIPPED}*){{{_PLACEHOLDER_MAX + 1}}}"
)
# What mentions_placeholder looks for, and words each of its matches contains.
_INCOMPLETE = re.compile(r"\b(?:TODO|TBD|FIXME)\b|待补充|待完善")
_INCOMPLETE_WORDS = ("TODO", "TBD", "FIXME", "待补充", "待完善")


def strip_markers(text: str) -> tuple[str, frozenset[Flag]]:
    """Remove emoji markers from text; return the text and the flags they meant."""
    if _MARKER_RE.search(text) is None:  # most text has none: one scan, nothing built
        return text, _NO_FLAGS
    flags = {MARKERS[m.group(0)[0]] for m in _MARKER_RE.finditer(text)}
    return _MARKER_RE.sub("", text), frozenset(flags)


def clean_inline(
    children: Sequence[Token], source: str | None = None
) -> tuple[list[Token], frozenset[Flag]]:
    """Copies of an inline token's children with markers removed, and the markers' flags.

    ``<font color=red>`` wrappers mean "asked in a real interview": they become a flag and
    the tags themselves go, so the question reads as plain text on the card. ``source``, the
    inline token's content, lets a paragraph with nothing to clean skip the children.
    """
    if source is not None and _CLEANABLE.search(source) is None:
        return _trim_start(list(children)), _NO_FLAGS
    flags: set[Flag] = set()
    cleaned: list[Token] = []
    for child in children:
        if child.type == "html_inline":
            if _RED_FONT.match(child.content):
                flags.add(Flag.ASKED)
            if _FONT_OPEN.match(child.content) or _FONT_CLOSE.match(child.content):
                continue
        if child.type == "text":
            text, found = strip_markers(child.content)
            flags |= found
            if not text:
                continue
            if text != child.content:
                child = child.copy(content=text)
        cleaned.append(child)
    return _trim_start(cleaned), frozenset(flags)


def _trim_start(cleaned: list[Token]) -> list[Token]:
    """Leading blank text dropped, leading space trimmed (changes ``cleaned``)."""
    # markers often sit before the text with a space: "⭐️ Transformer"
    while cleaned and cleaned[0].type == "text" and not cleaned[0].content.strip():
        cleaned.pop(0)
    if cleaned and cleaned[0].type == "text":
        text = cleaned[0].content.lstrip()
        if text != cleaned[0].content:  # a copy only when it differs: copies are costly
            cleaned[0] = cleaned[0].copy(content=text)
    return cleaned


def _may_open_bold(children: Sequence[Token]) -> bool:
    """Can the first child that is not blank text be ``strong_open``? Most titles start with
    words, so one look at the first child spares bold_only and leading_bold their copies."""
    if not children:
        return False
    first = children[0]
    return first.type == "strong_open" or (first.type == "text" and not first.content.strip())


def bold_only(children: Sequence[Token]) -> list[Token] | None:
    """The children inside ``**…**`` if the whole inline content is one bold span."""
    if not _may_open_bold(children):
        return None
    items = [c for c in children if not (c.type == "text" and not c.content.strip())]
    if len(items) < 3 or items[0].type != "strong_open" or items[-1].type != "strong_close":
        return None
    depth = 0
    for i, child in enumerate(items):
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
            if depth == 0 and i != len(items) - 1:
                return None  # "**a** and **b**": two spans, not one label
    return items[1:-1]


_LOOSE_BOLD = re.compile(r"^\s*\*\*(\S.*?)\s*\*\*\s*$")


def loose_bold(children: Sequence[Token]) -> list[Token] | None:
    """``**Topic **``: CommonMark refuses a closing ``**`` after a space; Typora still bolds it."""
    if len(children) == 1 and children[0].type == "text":
        found = _LOOSE_BOLD.match(children[0].content)
        if found:
            return [children[0].copy(content=found.group(1))]
    return None


def split_first_line(children: Sequence[Token]) -> tuple[list[Token], list[Token]]:
    """Children before and after the first line break of a paragraph."""
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            return list(children[:index]), list(children[index + 1 :])
    return list(children), []


def split_lines(children: Sequence[Token]) -> list[list[Token]]:
    """A paragraph's children, one list per source line."""
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        else:
            lines[-1].append(child)
    return [line for line in lines if line]


def plain_text(children: Sequence[Token]) -> str:
    """The text a reader sees, with math kept as ``$…$``: for identity keys and reports."""
    if len(children) == 1 and children[0].type == "text":  # most titles: one text token
        return " ".join(children[0].content.split())
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type.startswith("math_inline"):
            fence = "$$" if child.type == "math_inline_double" else "$"
            parts.append(f"{fence}{child.content}{fence}")
        elif child.type == "image":
            parts.append(child.content or "")
        elif child.children:
            parts.append(plain_text(child.children))
    # str.split() and re's \s agree on what whitespace is (both Py_UNICODE_ISSPACE): the same
    # as re.sub(r"\s+", " ", text).strip(), without the regex
    return " ".join("".join(parts).split())


@lru_cache(maxsize=4096)  # a pure function of a string, asked of one title by several rules
def is_question(text: str) -> bool:
    """Does this line ask something? ``？``/``?``, ``Q:``, or an interrogative phrase."""
    bare = _URL.sub("", text).strip()
    if not bare:
        return False
    unnumbered = NUMBERING.sub("", bare)
    if QA_PREFIX.match(bare) or _EN_REQUEST.match(unnumbered):
        return True
    bare = unnumbered
    if not bare or (bare[0] in "（(" and bare[-1] in "）)"):
        return False  # a parenthetical aside: "（这样的好处就是：…）"
    if _QUESTION_MARK.search(bare) or QA_PREFIX.match(bare) or _ZH_REQUEST.search(bare):
        return True
    if _SENTENCE_END.search(bare):
        return False  # a statement that merely mentions "什么"
    return bool(_ZH_ASK.search(bare) or _EN_ASK.search(bare))


def is_label(text: str, *, heads_block: bool = False) -> bool:
    """A short bold line that names what follows (``**简介**``), not an emphasised sentence.

    A bold line opening a blockquote (``> **事件抽取，关系抽取**``) heads that block by its
    position, so there only a full sentence disqualifies it.
    """
    bare = text.strip().rstrip("：:").strip()
    if not bare or _URL.search(bare):
        return False
    if heads_block:
        return fits(bare, 80) and not _SENTENCE_END.search(bare)
    if re.search(r"[。，,；;！!]", bare) or bare.endswith("."):
        return False
    return fits(bare, 48)


def is_outline_line(text: str) -> bool:
    """A short line in a run of topic names (``孪生网络``, ``分词，POS``): an outline entry."""
    text = text.strip()
    return (
        text != "" and fits(text, 40) and not _SENTENCE_END.search(text) and text[-1] not in ":："
    )


def is_plain_question(text: str) -> bool:
    """An unformatted paragraph that reads as a question on its own."""
    return fits(text, 120) and is_question(text) and not _URL.fullmatch(text.strip())


def is_placeholder(text: str) -> bool:
    """An answer that only says the answer is missing (TBD, 待补充, 不知道, …), perhaps
    followed by links to read (``答：待补充`` then ``**参考资料**`` and URLs)."""
    bare, links = _URL.subn(" ", text)
    unlabelled = ANSWER_LABEL.sub("", bare.strip())
    if _TOO_LONG_FOR_PLACEHOLDER.match(unlabelled):
        return False  # an answer of any length: whatever follows could not accept it
    if links and not _PLACEHOLDER_STRIP.sub("", bare):
        return False  # only a link: the author's answer is to read that page
    bare = _PLACEHOLDER_STRIP.sub(" ", unlabelled).strip()
    if not bare or bare.casefold() in PLACEHOLDERS:
        return True
    head, _, rest = bare.partition(" ")
    return head.casefold() in PLACEHOLDERS and (not rest or bool(_REFERENCES.fullmatch(rest)))


def is_answer_head(text: str) -> bool:
    """``Answer:`` / ``答案`` alone on a line: the answer starts here."""
    return bool(_ANSWER_HEAD.fullmatch(text.strip()))


def mentions_placeholder(text: str) -> bool:
    """An answer with a TODO/TBD inside: a card, but flagged incomplete."""
    # a substring test first: most answers contain none of the words, and it is 5x quicker
    return any(word in text for word in _INCOMPLETE_WORDS) and bool(_INCOMPLETE.search(text))


def display_width(text: str) -> int:
    """Columns on screen: a CJK character is as wide as two Latin ones."""
    if text.isascii():  # no ASCII character is East Asian wide or fullwidth
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fits(text: str, columns: int) -> bool:
    """``display_width(text) <= columns``, mostly without measuring: every character takes one
    or two columns, so only a text between ``columns / 2`` and ``columns`` long is counted."""
    if len(text) > columns:
        return False
    return 2 * len(text) <= columns or display_width(text) <= columns


def strip_numbering(text: str) -> str:
    """``12、``, ``3.``, ``(2)``, ``Q7:``, ``Q:``, ``问：`` before a question are not its words."""
    return NUMBERING.sub("", text, count=1)


def leading_bold(children: Sequence[Token]) -> tuple[str, list[Token]] | None:
    """``**label** rest…``: the bold words at the very start and the children after them."""
    if not _may_open_bold(children):
        return None
    items = [c for c in children if not (c.type == "text" and not c.content.strip())]
    if len(items) >= 3 and (items[0].type, items[1].type, items[2].type) == (
        "strong_open",
        "text",
        "strong_close",
    ):
        return items[1].content, items[3:]
    return None


def strip_leading(children: list[Token], pattern: re.Pattern[str]) -> list[Token]:
    """Children with ``pattern`` removed from the start of the text, even when the prefix is
    bold on its own (``**Q:** What…``, ``**A:** …``)."""
    first = children[0] if children else None
    if first is not None and first.type == "text" and first.content[:1].strip():
        # Words come first and nothing (or only "") matches in them: no step below would
        # change anything (most prompts and answers).
        found = pattern.search(first.content)
        if found is None or found.start() == found.end():
            return list(children)
    items = list(children)
    while items and items[0].type == "text" and not items[0].content.strip():
        items.pop(0)
    if (bold := leading_bold(items)) is not None and pattern.fullmatch(bold[0] + " "):
        items = bold[1]
    if items and items[0].type == "text":
        stripped = pattern.sub("", items[0].content, count=1)
        if stripped != items[0].content:
            items[0] = items[0].copy(content=stripped)
            if not stripped:
                items.pop(0)
    while items and items[0].type == "text" and not items[0].content.strip():
        items.pop(0)
    if items and items[0].type == "text" and items[0].content != items[0].content.lstrip():
        items[0] = items[0].copy(content=items[0].content.lstrip())
    return items
