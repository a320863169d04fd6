"""The typed values that flow between the stages.

Frozen, slotted dataclasses with no behaviour beyond formatting: every stage is a function
from one of these to the next, so a value can be built in a test with one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import TypeVar


class Flag(StrEnum):
    """An author's marker, kept as data (a tag) and removed from the question text."""

    FREQUENT = "frequent"  # ⭐️ asked often
    INCOMPLETE = "incomplete"  # ⚠️ answer incomplete or uncertain
    UNKNOWN = "unknown"  # ❌ the author could not answer it
    ASKED = "asked"  # ⚡️ or <font color=red>: asked in a real interview


class Kind(StrEnum):
    QUESTION = "question"  # a question and its answer
    CONCEPT = "concept"  # "Topic › Name": a labelled explanation with no question form


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = (
        "note"  # a warning the project accepts (``accept`` in [tool.ankigen]): shown, not counted
    )


LOCK_NAME = "ankigen.lock"  # next to the notes it describes; see identity.py

# Every warning has a code, so a project can accept a kind it knows about (``accept = [...]``).
CODES: dict[str, str] = {
    "missing-image": "a local image that does not exist",
    "image-outside-root": "an image path that leaves the notes folder (never read)",
    "fetch-failed": "a remote image --fetch-media could not bundle",
    "tex": "a formula Anki's MathJax would not typeset as written",
    "duplicate-question": "the same question twice in one topic",
    "ambiguous-edit": "an edited question as close to two old ones",
    "empty-file": "a note file with no content",
}


_T = TypeVar("_T")


def quick_pickle(cls: type[_T]) -> type[_T]:
    """Pickle a slotted dataclass as a tuple of its values.

    Parse results travel back from worker processes by pickle, and dataclasses' own
    __getstate__/__setstate__ for slotted classes look up ``fields()`` for every object:
    that was 75% of unpickling a big vault's notes. The state is the same values, in
    field order, with the field names looked up once.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __getstate__(self: _T) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in names])

    def __setstate__(self: _T, state: tuple[object, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)  # the fields are frozen

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 (a class attribute, set once)
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010
    return cls


@quick_pickle
@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    path: Path  # as the user named it, so messages point where they looked
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


@quick_pickle
@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, printed as ``path:line: level: message`` with an optional hint line."""

    level: Level
    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    code: str | None = None  # one of CODES, for warnings

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        code = f" [{self.code}]" if self.code and self.level is not Level.ERROR else ""
        text = f"{where}{self.level.value}: {self.message}{code}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


@quick_pickle
@dataclass(frozen=True, slots=True)
class SourceFile:
    """A note file, decoded: UTF-8, BOM removed, newlines normalised to ``\\n``."""

    path: Path  # as given on the command line (or found under a given directory)
    root: Path  # absolute: the notes' root; no media outside it is ever read
    topic: str  # the package this file lands in
    text: str
    tags: tuple[str, ...] = ()  # front matter ``tags:``: every note of the file gets them


@quick_pickle
@dataclass(frozen=True, slots=True, order=True)
class MediaRef:
    """A local file bundled into a package under a content-hashed name."""

    name: str  # the name inside the package and in the card HTML, e.g. ``img-<sha1>.png``
    source: Path  # absolute path of the file that was read


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """One card's worth of content, already rendered to card HTML by the parse stage.

    Rendering happens while the parser still holds the markdown-it tokens (see parse/),
    so the notes are tokenised exactly once per build.
    """

    topic: str
    path: tuple[str, ...]  # section breadcrumb below the topic: subdeck and context line
    prompt: str  # plain text as written, markers removed; the identity key derives from it
    prompt_html: str
    answer_html: str
    summary_html: str | None  # the author's spoken short answer (a bare fenced block)
    flags: frozenset[Flag]
    kind: Kind
    origin: SourceLocation
    media: tuple[MediaRef, ...] = ()


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Unanswered:
    """A question with no answer yet (or a placeholder): the author's to-do list."""

    topic: str
    path: tuple[str, ...]
    prompt: str
    flags: frozenset[Flag]
    origin: SourceLocation


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    """Everything one note file yields."""

    name: str
    source: Path
    questions: tuple[Question, ...] = ()
    unanswered: tuple[Unanswered, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """A rendered Anki note, before identity (GUID, mod) is assigned."""

    topic: str
    deck: str  # full deck name, ``Topic::Section::Subsection``
    prompt: str  # plain question text: the identity key and the report derive from it
    fields: tuple[str, ...]  # in notetype.FIELD_NAMES order
    tags: tuple[str, ...]
    origin: SourceLocation
    media: tuple[MediaRef, ...] = ()
    explicit_id: str | None = None  # an id the author wrote, if any: it beats the prompt


class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMATCHED = "rematched"  # the question text was edited; the old GUID was kept


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class IdentifiedNote:
    note: Note
    guid: str
    mod: int  # seconds since the epoch; rises only when the note's content changes
    change: Change
    previous_prompt: str | None = None  # for REMATCHED: the text the lock knew


@quick_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedNote:
    """A note in the lock that no build produces any more: Anki keeps it; the learner may not."""

    topic: str
    guid: str
    prompt: str
    deck: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicResult:
    """What the build did with one topic, for the report."""

    topic: Topic
    notes: Sequence[IdentifiedNote] = ()  # a skipped topic's are decoded from the cache lazily
    removed: tuple[RemovedNote, ...] = ()
    package: Path | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    skipped: bool = False  # incremental build: inputs unchanged, package left as it was


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    topics: tuple[TopicResult, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # problems not tied to one topic
    seconds: float = 0.0
    wrote: bool = True  # False for ``check``

    @property
    def all_diagnostics(self) -> tuple[Diagnostic, ...]:
        found = list(self.diagnostics)
        for result in self.topics:
            found.extend(result.topic.diagnostics)
            found.extend(result.diagnostics)
        return tuple(found)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.all_diagnostics if d.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.all_diagnostics if d.level is Level.WARNING)


def _empty() -> list[Diagnostic]:
    return []


@dataclass(slots=True)
class Diagnostics:
    """A collector that stages append to; frozen into a tuple when the stage returns."""

    items: list[Diagnostic] = field(default_factory=_empty)

    def warn(
        self,
        message: str,
        location: SourceLocation | None,
        hint: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.items.append(Diagnostic(Level.WARNING, message, location, hint, code))

    def error(self, message: str, location: SourceLocation | None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(Level.ERROR, message, location, hint))
