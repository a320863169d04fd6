"""Question -> Note: the card's fields, deck and tags.

The HTML of the question, answer and summary was rendered in parse/ from the tokens; this
stage decides where a card lives (deck), what it is filed under (tags) and what the learner
sees around it (context line, source location).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from operator import itemgetter

from .model import Kind, Note, Question
from .notetype import FIELD_NAMES

_TAG_UNSAFE = re.compile(r"[\s\"]+")
CONTEXT_SEPARATOR = " › "
# The fields to_note fills, in this order; every other field of the note type stays empty.
_FILLED = ("Question", "Answer", "Summary", "Context", "Source")
# The filled values, plus a trailing "", -> the note type's fields in FIELD_NAMES order.
_IN_FIELD_ORDER = itemgetter(
    *(_FILLED.index(name) if name in _FILLED else len(_FILLED) for name in FIELD_NAMES)
)


def deck_name(topic: str, path: Sequence[str], prefix: str | None = None) -> str:
    """``Prefix::Topic::Section::Subsection``; a ``::`` inside a title would nest: not kept."""
    return _deck_name(topic, tuple(path), prefix)


@lru_cache(maxsize=4096)
def _deck_name(topic: str, path: tuple[str, ...], prefix: str | None) -> str:
    # a section's every card asks again; a pure function, so the cache cannot go stale
    parts = [p for p in (prefix, topic, *path) if p]
    return "::".join(part.replace("::", ":").strip() for part in parts)


@lru_cache(maxsize=4096)
def _context_html(topic: str, path: tuple[str, ...]) -> str:
    """The Context field: where in the notes the card is (pure, so cached)."""
    return escape(CONTEXT_SEPARATOR.join(path) or topic, quote=False)


def tag(text: str) -> str:
    """Anki tags are space-separated: keep them one word each."""
    return _TAG_UNSAFE.sub("_", text.strip())


def to_note(
    question: Question, *, deck_prefix: str | None = None, extra_tags: Sequence[str] = ()
) -> Note:
    # the file's name, not its path: packages must not depend on where notes are checked out
    source = escape(f"{question.origin.path.name}:{question.origin.line}", quote=False)
    values = (
        question.prompt_html,
        question.answer_html,
        question.summary_html or "",
        _context_html(question.topic, question.path),
        source,
        "",
    )
    if question.flags or extra_tags or question.kind is Kind.CONCEPT:
        tags = {flag.value for flag in question.flags} | {tag(t) for t in extra_tags if t.strip()}
        if question.kind is Kind.CONCEPT:
            tags.add("concept")
        sorted_tags = tuple(sorted(tags))
    else:
        sorted_tags = ()  # what the set above sorts to when it is empty
    return Note(
        topic=question.topic,
        deck=_deck_name(question.topic, question.path, deck_prefix),
        prompt=question.prompt,
        fields=_IN_FIELD_ORDER(values),
        tags=sorted_tags,
        origin=question.origin,
        media=question.media,
    )
