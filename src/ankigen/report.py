"""What a build did, for people (text) and machines (JSON); the Report owns the exit code."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .model import Change, Level, Report, TopicResult

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


def exit_code(report: Report, *, strict: bool) -> int:
    if report.errors or (strict and report.warnings):
        return EXIT_ERRORS
    return EXIT_OK


def _counts(result: TopicResult) -> Counter[str]:
    counts: Counter[str] = Counter(item.change.value for item in result.notes)
    counts["cards"] = len(result.notes)
    counts["concepts"] = sum(1 for q in result.topic.questions if q.kind.value == "concept")
    counts["unanswered"] = len(result.topic.unanswered)
    counts["removed"] = len(result.removed)
    counts["warnings"] = sum(
        1
        for d in (*result.topic.diagnostics, *result.diagnostics)
        if d.level is Level.WARNING
    )
    return counts


_COLUMNS = ("cards", "concepts", "new", "changed", "unchanged", "rematched", "removed",
            "unanswered", "warnings")


def summary_table(report: Report) -> str:
    """One row per topic, aligned, plus a total row."""
    rows = [("topic", *_COLUMNS)]
    total: Counter[str] = Counter()
    for result in report.topics:
        counts = _counts(result)
        total.update(counts)
        rows.append((result.topic.name, *(str(counts[c]) for c in _COLUMNS)))
    rows.append(("total", *(str(total[c]) for c in _COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def changes_text(report: Report) -> str:
    """Re-matched and removed notes: what a learner needs to know before importing."""
    lines: list[str] = []
    for result in report.topics:
        for item in result.notes:
            if item.change is Change.REMATCHED:
                lines.append(
                    f"{item.note.origin}: note: kept the note of {item.previous_prompt!r} "
                    f"for the edited question {item.note.prompt!r}"
                )
        for gone in result.removed:
            lines.append(
                f"{result.topic.source.as_posix()}: removed: {gone.prompt!r} is no longer in the "
                f"notes; Anki keeps it (deck {gone.deck!r}, guid {gone.guid}): delete it there "
                "if you no longer want it"
            )
    return "\n".join(lines)


def text_report(report: Report, *, verbose: bool = False) -> str:
    parts = [str(d) for d in report.all_diagnostics]
    if verbose:
        for result in report.topics:
            parts.extend(f"{u.origin}: todo: {u.prompt}" for u in result.topic.unanswered)
    if changes := changes_text(report):
        parts.append(changes)
    parts.append(summary_table(report))
    verb = "built" if report.wrote else "checked"
    packages = sum(1 for r in report.topics if r.package is not None)
    tail = f"{verb} {packages} package(s) in {report.seconds:.2f}s"
    if report.wrote and packages:
        tail += " → " + ", ".join(
            r.package.as_posix() for r in report.topics if r.package is not None
        )
    parts.append(f"{tail}; {report.errors} error(s), {report.warnings} warning(s)")
    return "\n".join(parts)


def json_report(report: Report) -> dict[str, Any]:
    """The same facts as the text report; shape documented in the README."""
    topics = []
    for result in report.topics:
        counts = _counts(result)
        topics.append(
            {
                "topic": result.topic.name,
                "source": result.topic.source.as_posix(),
                "package": result.package.as_posix() if result.package else None,
                **{c: counts[c] for c in _COLUMNS},
                "notes": [
                    {
                        "guid": item.guid,
                        "prompt": item.note.prompt,
                        "deck": item.note.deck,
                        "change": item.change.value,
                        "location": str(item.note.origin),
                        **({"previous_prompt": item.previous_prompt} if item.previous_prompt else {}),
                    }
                    for item in result.notes
                ],
                "removed": [
                    {"guid": r.guid, "prompt": r.prompt, "deck": r.deck} for r in result.removed
                ],
                "unanswered": [
                    {"prompt": u.prompt, "location": str(u.origin)} for u in result.topic.unanswered
                ],
            }
        )
    return {
        "version": 1,
        "wrote": report.wrote,
        "seconds": round(report.seconds, 4),
        "errors": report.errors,
        "warnings": report.warnings,
        "diagnostics": [
            {
                "level": d.level.value,
                "message": d.message,
                "location": str(d.location) if d.location else None,
                "hint": d.hint,
            }
            for d in report.all_diagnostics
        ],
        "topics": topics,
    }
