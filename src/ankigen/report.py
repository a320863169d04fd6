"""What a build did, for people (text) and machines (JSON); the Report owns the exit code.

The JSON shape is ``report.schema.json`` beside this file (JSON Schema 2020-12); the tests
validate every ``--json`` output against it. Bump ``JSON_VERSION`` on any change a consumer
could notice.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from importlib import resources
from typing import Any, TextIO

from .cache import CachedNotes
from .model import Change, Diagnostic, Level, Report, TopicResult

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
JSON_VERSION = 1
TOPIC_WIDTH = 32  # display columns; longer topic names are shortened in the table only


def exit_code(report: Report, *, strict: bool) -> int:
    """1 on errors, or on warnings when strict; unanswered questions never count."""
    if report.errors or (strict and report.warnings):
        return EXIT_ERRORS
    return EXIT_OK


def counts(result: TopicResult) -> Counter[str]:
    if isinstance(result.notes, CachedNotes):  # skipped: all unchanged, no need to decode
        found: Counter[str] = Counter(unchanged=len(result.notes), concepts=result.notes.concepts)
    else:
        found = Counter(item.change.value for item in result.notes)
        # From the tag, not topic.questions: the parse stage hands questions over as notes.
        found["concepts"] = sum(1 for item in result.notes if "concept" in item.note.tags)
    found["cards"] = len(result.notes)
    found["unanswered"] = len(result.topic.unanswered)
    found["removed"] = len(result.removed)
    for d in (*result.topic.diagnostics, *result.diagnostics):
        if d.level is not Level.NOTE:  # an accepted kind of warning is shown, not counted
            found["errors" if d.level is Level.ERROR else "warnings"] += 1
    return found


# --- text -----------------------------------------------------------------------------------

# (header, count keys summed into the cell)
_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cards", ("cards",)),
    ("new", ("new",)),
    ("changed", ("changed", "rematched")),
    ("same", ("unchanged",)),
    ("removed", ("removed",)),
    ("todo", ("unanswered",)),
    ("warn", ("warnings",)),
)


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def summary_table(report: Report) -> str:
    """One row per topic, aligned (CJK-aware), plus a total row when there are several."""
    rows: list[list[str]] = [["topic", *(header for header, _ in _TABLE)]]
    total: Counter[str] = Counter()
    for result in report.topics:
        found = counts(result)
        total.update(found)
        name = _fit(result.topic.name, TOPIC_WIDTH) + (" =" if result.skipped else "")
        rows.append([name, *(str(sum(found[k] for k in keys)) for _, keys in _TABLE)])
    if len(report.topics) != 1:
        rows.append(["total", *(str(sum(total[k] for k in keys)) for _, keys in _TABLE)])
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "  ".join("-" * w for w in widths)
    lines = []
    for n, row in enumerate(rows):
        cells = [_pad(row[0], widths[0])]
        cells += [_pad(v, w, right=True) for v, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or (n == len(rows) - 2 and len(report.topics) != 1):
            lines.append(rule)
    return "\n".join(lines)


def changes_text(report: Report, *, verbose: bool = False) -> str:
    """Re-matched and removed notes (what a learner needs to know before importing); with
    ``verbose``, every new and changed note too."""
    lines: list[str] = []
    for result in report.topics:
        for item in () if result.skipped else result.notes:  # a skipped topic changed nothing
            if item.change is Change.REMATCHED:
                lines.append(
                    f"{item.note.origin}: note: kept the note of {item.previous_prompt!r} "
                    f"for the edited question {item.note.prompt!r}"
                )
            elif verbose and item.change in (Change.NEW, Change.CHANGED):
                lines.append(f"{item.note.origin}: {item.change.value}: {item.note.prompt}")
        for gone in result.removed:
            lines.append(
                f"{result.topic.source.as_posix()}: removed: {gone.prompt!r} is no longer in the "
                f"notes; Anki keeps it (deck {gone.deck!r}, guid {gone.guid}): delete it there "
                "if you no longer want it"
            )
    return "\n".join(lines)


def todo_lines(report: Report) -> list[str]:
    """``path:line: prompt [flags]`` for every unanswered question, in file order."""
    lines = []
    for result in report.topics:
        for item in result.topic.unanswered:
            flags = f"  [{', '.join(sorted(f.value for f in item.flags))}]" if item.flags else ""
            lines.append(f"{item.origin}: {item.prompt}{flags}")
    return lines


def diagnostics_text(report: Report, *, notes: bool = True) -> str:
    """Problems in file order, as an editor's problem list would show them; ``notes``:
    also the warnings of kinds the project accepts."""
    shown = (d for d in report.all_diagnostics if notes or d.level is not Level.NOTE)
    return "\n".join(str(d) for d in sorted(shown, key=_where))


def _where(d: Diagnostic) -> tuple[str, int]:
    return (d.location.path.as_posix(), d.location.line) if d.location else ("", 0)


def summary_text(report: Report, *, verbose: bool = False) -> str:
    """Everything but the diagnostics: changes, the table, one closing line."""
    parts: list[str] = []
    if verbose:
        parts.extend(
            f"{item.origin}: todo: {item.prompt}"
            for result in report.topics
            for item in result.topic.unanswered
        )
    if changes := changes_text(report, verbose=verbose):
        parts.append(changes)
    if report.topics:
        parts.append(summary_table(report))
    parts.append(closing_line(report))
    return "\n".join(parts)


def closing_line(report: Report) -> str:
    packages = [r for r in report.topics if r.package is not None]
    if report.wrote:
        line = f"built {len(packages)} package(s) in {report.seconds:.2f}s"
    else:
        line = f"checked {len(report.topics)} topic(s) in {report.seconds:.2f}s"
    if report.wrote and (skipped := sum(1 for r in packages if r.skipped)):
        line += f" ({skipped} up to date, marked =)"
    line += f"; {report.errors} error(s), {report.warnings} warning(s)"
    todo = sum(len(r.topic.unanswered) for r in report.topics)
    if todo:
        line += f", {todo} unanswered (ankigen todo)"
    return line


# --- progress -------------------------------------------------------------------------------


class ProgressLine:
    """``parse 120/200`` rewritten in place on a terminal's stderr; silent otherwise.

    Only the stage's first line and every 1% are drawn, so a 20,000-step stage does not
    spend its time writing to the terminal.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._shown = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if done not in (1, total) and done % max(1, total // 100):
            return
        text = f"{stage} {done}/{total}"
        self.stream.write("\r" + text + " " * max(0, len(self._shown) - len(text)))
        self.stream.flush()
        self._shown = text

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * len(self._shown) + "\r")
            self.stream.flush()
            self._shown = ""


# --- JSON -----------------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    text = resources.files("ankigen").joinpath("report.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _location(value: object) -> str | None:
    return None if value is None else str(value)


def _diagnostics(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "level": d.level.value,
            "message": d.message,
            "location": _location(d.location),
            "hint": d.hint,
            "code": d.code,
        }
        for d in items
    ]


def json_report(report: Report) -> dict[str, Any]:
    """The same facts as the text report, in the shape of report.schema.json."""
    topics = []
    for result in report.topics:
        found = counts(result)
        topics.append(
            {
                "topic": result.topic.name,
                "source": result.topic.source.as_posix(),
                "package": result.package.as_posix() if result.package else None,
                "skipped": result.skipped,
                **{
                    key: found[key]
                    for key in (
                        "cards",
                        "concepts",
                        "new",
                        "changed",
                        "unchanged",
                        "rematched",
                        "removed",
                        "unanswered",
                        "warnings",
                        "errors",
                    )
                },
                "notes": [
                    {
                        "guid": item.guid,
                        "prompt": item.note.prompt,
                        "deck": item.note.deck,
                        "change": item.change.value,
                        "location": str(item.note.origin),
                        "previous_prompt": item.previous_prompt,
                    }
                    for item in result.notes
                ],
                "removed_notes": [
                    {"guid": r.guid, "prompt": r.prompt, "deck": r.deck} for r in result.removed
                ],
                "todo": [
                    {"prompt": u.prompt, "location": str(u.origin)} for u in result.topic.unanswered
                ],
            }
        )
    return {
        "version": JSON_VERSION,
        "wrote": report.wrote,
        "seconds": round(report.seconds, 4),
        "errors": report.errors,
        "warnings": report.warnings,
        "unanswered": sum(len(r.topic.unanswered) for r in report.topics),
        "diagnostics": _diagnostics(report.all_diagnostics),
        "topics": topics,
    }
