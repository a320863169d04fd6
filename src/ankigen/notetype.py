"""The one Anki note type every ankigen deck uses.

Anki matches note types by id and then by schema (ANKI.md, "Import" 5): renaming or adding a
field or template later forks the note type and strands every existing note as "conflicting".
So the id, the field names and the template name below are frozen forever; the spare fields
give the design room to grow without a schema change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MODEL_ID = 1_607_392_417  # never change: Anki would treat a new id as a new note type
MODEL_NAME = "ankigen Q&A"
TEMPLATE_NAME = "Recall"
FIELD_NAMES: tuple[str, ...] = (
    "Question",
    "Answer",
    "Summary",
    "Context",
    "Source",
    "Extra",  # spare: reserved so a future field is not a schema change
    "Reserved1",
    "Reserved2",
)
SORT_FIELD = 0
TEMPLATE_FILES = ("front.html", "back.html", "style.css")


@dataclass(frozen=True, slots=True)
class NoteType:
    front: str
    back: str
    css: str

    @property
    def digest(self) -> str:
        """Content hash: the note type's own mod must rise exactly when this changes."""
        h = hashlib.sha256()
        for part in (self.front, self.back, self.css):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()


def default_template_dir() -> Path:
    """``templates/`` next to the sources in a checkout, else the copy inside the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "front.html").is_file():
        return checkout
    return Path(str(resources.files("ankigen") / "templates"))


def load_note_type(template_dir: Path | None = None) -> NoteType:
    """The templates as written, with the code-highlighting CSS appended.

    Highlighting CSS is generated from Pygments, so it lives in code, not in style.css; it is
    part of the note type's CSS (and so of its digest and mod) like any hand-written rule.
    """
    from .highlight import code_css  # pygments is only needed once a note type is built

    folder = template_dir or default_template_dir()
    front, back, css = ((folder / name).read_text(encoding="utf-8") for name in TEMPLATE_FILES)
    return NoteType(front=front, back=back, css=f"{css.rstrip()}\n\n{code_css()}")
