"""Parse a Markdown string as a note file: the fixture every recognition test starts from."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ankigen.markdown import new_markdown
from ankigen.model import Question, SourceFile, Topic
from ankigen.parse import parse_source

_MD = new_markdown()


def parse(text: str, *, topic: str = "notes", root: Path | None = None) -> Topic:
    base = root or Path("/nonexistent-notes-root")
    path = Path(f"{topic}.md") if root is None else root / f"{topic}.md"
    source = SourceFile(path=path, root=base, topic=topic, text=textwrap.dedent(text).lstrip("\n"))
    return parse_source(_MD, source)


def prompts(topic: Topic) -> list[str]:
    return [q.prompt for q in topic.questions]


def todo(topic: Topic) -> list[str]:
    return [u.prompt for u in topic.unanswered]


def card(topic: Topic, prompt: str) -> Question:
    found = [q for q in topic.questions if q.prompt == prompt]
    assert len(found) == 1, f"{prompt!r} not exactly once in {prompts(topic)}"
    return found[0]
