"""build(config) -> Report: the one call the CLI makes.

Gather everything first, write last (as MkDocs does): every file is read and parsed and every
note identified before any package is written, so a problem found anywhere is reported
while ``dist/`` still holds the last good decks. A topic with an error keeps its old package
and its lock entries; the other topics still build.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .identity import LOCK_NAME, LockError, assign, build_time, load_lock, save_lock
from .markdown import new_markdown
from .model import (
    Diagnostic,
    IdentifiedNote,
    RemovedNote,
    Level,
    Note,
    Report,
    SourceFile,
    SourceLocation,
    Topic,
    TopicResult,
)
from .notetype import NoteType, load_note_type
from .package import write_package
from .parse import parse_source
from .read import find_sources, read_source
from .render import to_note

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildConfig:
    sources: tuple[Path, ...] = (Path("seeds"),)
    out_dir: Path = Path("dist")
    template_dir: Path | None = None
    deck_prefix: str | None = None
    extra_tags: tuple[str, ...] = ()
    write: bool = True  # False: ``check`` — everything but writing packages and the lock
    fetch_media: bool = False
    media_cache: Path | None = None
    now: int | None = None  # build time; default SOURCE_DATE_EPOCH or the clock
    topic_names: dict[str, str] = field(default_factory=dict)  # file stem -> topic


def package_path(out_dir: Path, topic: str) -> Path:
    return out_dir / f"{_UNSAFE_FILENAME.sub('_', topic).strip() or 'topic'}.apkg"


def build(config: BuildConfig, progress: Progress | None = None) -> Report:
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    diagnostics: list[Diagnostic] = []
    note_type = load_note_type(config.template_dir)

    # read
    found = list(find_sources(config.sources))
    sources: list[SourceFile] = []
    for index, (path, root) in enumerate(found):
        result = read_source(path, root)
        diagnostics.extend(result.diagnostics)
        if result.source is not None:
            topic = config.topic_names.get(path.stem)
            sources.append(replace(result.source, topic=topic) if topic else result.source)
        report("read", index + 1, len(found))
    if not found:
        where = ", ".join(str(p) for p in config.sources)
        diagnostics.append(Diagnostic(Level.ERROR, f"no note files found in {where}"))

    # parse
    md = new_markdown()
    topics: list[tuple[SourceFile, Topic]] = []
    for index, source in enumerate(sources):
        topics.append((source, parse_source(md, source)))
        report("parse", index + 1, len(sources))
    topics = _drop_duplicate_topics(topics, diagnostics)

    # render and identify, one lock per notes root
    by_root: dict[Path, list[tuple[SourceFile, Topic]]] = defaultdict(list)
    for source, topic in topics:
        by_root[source.root].append((source, topic))
    results: list[TopicResult] = []
    now = config.now if config.now is not None else build_time()
    for root, members in sorted(by_root.items()):
        results.extend(_build_root(root, members, config, note_type, now, diagnostics))

    return Report(
        topics=tuple(results),
        diagnostics=tuple(diagnostics),
        seconds=time.perf_counter() - started,
        wrote=config.write,
    )


def _drop_duplicate_topics(
    topics: list[tuple[SourceFile, Topic]], diagnostics: list[Diagnostic]
) -> list[tuple[SourceFile, Topic]]:
    """Two files naming the same topic would overwrite one package: refuse both."""
    seen: dict[str, list[SourceFile]] = defaultdict(list)
    for source, _ in topics:
        seen[source.topic].append(source)
    kept = []
    for source, topic in topics:
        clash = seen[source.topic]
        if len(clash) > 1:
            others = ", ".join(str(s.path) for s in clash if s is not source)
            diagnostics.append(
                Diagnostic(
                    Level.ERROR,
                    f"topic {source.topic!r} is also the topic of {others}",
                    SourceLocation(source.path, 1),
                    "rename one file, or give it `topic: …` front matter",
                )
            )
            continue
        kept.append((source, topic))
    return kept


def _build_root(
    root: Path,
    members: Sequence[tuple[SourceFile, Topic]],
    config: BuildConfig,
    note_type: NoteType,
    now: int,
    diagnostics: list[Diagnostic],
) -> list[TopicResult]:
    lock_path = root / LOCK_NAME if root.is_dir() else root.parent / LOCK_NAME
    try:
        lock = load_lock(lock_path)
    except LockError as exc:
        diagnostics.append(Diagnostic(Level.ERROR, str(exc), hint="restore it from git"))
        return [TopicResult(topic=topic) for _, topic in members]

    # A topic whose file has errors is not rebuilt: its package and lock entries stay.
    healthy = [
        (s, t) for s, t in members if not any(d.level is Level.ERROR for d in t.diagnostics)
    ]
    healthy_names = {topic.name for _, topic in healthy}
    notes: list[Note] = [
        to_note(q, deck_prefix=config.deck_prefix, extra_tags=config.extra_tags)
        for _, topic in healthy
        for q in topic.questions
    ]
    assignment = assign(
        notes, lock, now=now, note_type=note_type, topics_built=healthy_names
    )
    diagnostics.extend(assignment.diagnostics)
    by_topic: dict[str, list[IdentifiedNote]] = defaultdict(list)
    for identified in assignment.notes:
        by_topic[identified.note.topic].append(identified)
    removed: dict[str, list[RemovedNote]] = defaultdict(list)
    for gone in assignment.removed:
        removed[gone.topic].append(gone)

    results = []
    for _, topic in members:
        if topic.name not in healthy_names:
            results.append(TopicResult(topic=topic))
            continue
        package = package_path(config.out_dir, topic.name)
        topic_notes = tuple(by_topic[topic.name])
        if config.write and topic_notes:
            package.parent.mkdir(parents=True, exist_ok=True)
            write_package(
                package,
                notes=topic_notes,
                note_type=note_type,
                note_type_mod=assignment.note_type_mod,
            )
        results.append(
            TopicResult(
                topic=topic,
                notes=topic_notes,
                removed=tuple(removed[topic.name]),
                package=package if topic_notes else None,
            )
        )
    if config.write and assignment.lock != lock:
        save_lock(lock_path, assignment.lock)
    return results
