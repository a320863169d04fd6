"""Question -> Note: the card's fields, deck and tags.

The HTML of the question, answer and summary was rendered in parse/ from the tokens; this
stage decides where a card lives (deck), what it is filed under (tags) and what the learner
sees around it (context line, source location).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from .model import Kind, Note, Question
from .notetype import FIELD_NAMES

_TAG_UNSAFE = re.compile(r"[\s\"]+")
CONTEXT_SEPARATOR = " › "


def deck_name(topic: str, path: Sequence[str], prefix: str | None = None) -> str:
    """``Prefix::Topic::Section::Subsection``; a ``::`` inside a title would nest: not kept."""
    parts = [p for p in (prefix, topic, *path) if p]
    return "::".join(part.replace("::", ":").strip() for part in parts)


def tag(text: str) -> str:
    """Anki tags are space-separated: keep them one word each."""
    return _TAG_UNSAFE.sub("_", text.strip())


def to_note(
    question: Question, *, deck_prefix: str | None = None, extra_tags: Sequence[str] = ()
) -> Note:
    context = CONTEXT_SEPARATOR.join(question.path) or question.topic
    values = {
        "Question": question.prompt_html,
        "Answer": question.answer_html,
        "Summary": question.summary_html or "",
        "Context": escape(context, quote=False),
        # the file's name, not its path: packages must not depend on where notes are checked out
        "Source": escape(f"{question.origin.path.name}:{question.origin.line}", quote=False),
    }
    tags = {flag.value for flag in question.flags} | {tag(t) for t in extra_tags if t.strip()}
    if question.kind is Kind.CONCEPT:
        tags.add("concept")
    return Note(
        topic=question.topic,
        deck=deck_name(question.topic, question.path, deck_prefix),
        prompt=question.prompt,
        fields=tuple(values.get(name, "") for name in FIELD_NAMES),
        tags=tuple(sorted(tags)),
        origin=question.origin,
        media=question.media,
    )
