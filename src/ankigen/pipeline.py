"""build(config) -> Report: the one call the CLI makes.

Gather everything first, write last (as MkDocs does): every file is read and parsed and every
note identified before any package is written, so a problem found anywhere is reported
while ``dist/`` still holds the last good decks. A topic with an error keeps its old package
and its lock entries; the other topics still build.

Incremental builds (cache.py): a topic whose inputs are unchanged since its package was
written is neither parsed nor written, and its lock entries are carried over untouched.
Parsing is independent per file, so a big vault is parsed in worker processes (parse_all).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import cache, media
from .identity import (
    LOCK_NAME,
    Keyed,
    Lock,
    LockError,
    assign,
    build_time,
    dump_lock,
    keyed,
    load_lock,
    load_lock_topics,
    save_lock,
)
from .markdown import new_markdown
from .model import (
    Diagnostic,
    IdentifiedNote,
    Level,
    RemovedNote,
    Report,
    SourceFile,
    SourceLocation,
    Topic,
    TopicResult,
    quick_pickle,
)
from .notetype import NoteType, load_note_type
from .package import write_package
from .parse import parse_source
from .read import file_topic, find_sources, read_source
from .render import to_note

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

# Below these, starting worker processes costs more than it saves (measured with bench/).
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 512 * 1024
PARALLEL_MIN_NOTES = 2000  # below this, starting worker processes costs more than it saves
GC_THRESHOLD = (50_000, 20, 20)  # see few_collections


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
    incremental: bool = True  # skip topics whose package is up to date (only when writing)
    jobs: int | None = None  # parse processes; None: all cores for a big vault, else 1
    accept: frozenset[str] = frozenset()  # warning codes the project accepts: reported as notes


def package_path(out_dir: Path, topic: str) -> Path:
    return out_dir / f"{_UNSAFE_FILENAME.sub('_', topic).strip() or 'topic'}.apkg"


def build(config: BuildConfig, progress: Progress | None = None) -> Report:
    with few_collections():
        return _build(config, progress)


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while a build allocates its millions of
    short-lived objects (tokens, strings, notes), nearly all freed by reference counting.
    At Python's default (a collection every 700 allocations, each walking every young
    object) a one-core build of the benchmark vault spent ~19% of its time collecting."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _build(config: BuildConfig, progress: Progress | None) -> Report:
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    media.new_build()
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
    sources, clashing = _drop_duplicate_topics(sources, diagnostics, config.out_dir)

    # One lock per notes root; the cache decides which topics need parsing at all.
    use_cache = config.write and config.incremental
    records, summaries = cache.load_cache(config.out_dir) if use_cache else ({}, {})
    roots = _Roots(config, note_type, diagnostics, summaries)
    skipped: dict[Path, TopicResult] = {}
    for source in sources:
        cached = records.get(source.topic)
        if cached is None:
            continue
        summary = roots.summary(source.root)
        if summary is not None and cache.still_valid(
            cached, _key(source, summary, config, note_type)
        ):
            skipped[source.path] = cache.skipped_result(source, cached)

    to_parse = [s for s in sources if s.path not in skipped]
    parsed = dict(zip((s.path for s in to_parse), parse_all(to_parse, config, report), strict=True))

    by_root: dict[Path, list[SourceFile]] = defaultdict(list)
    for source in sources:
        by_root[source.root].append(source)
    now = config.now if config.now is not None else build_time()
    results: list[TopicResult] = []
    new_records = dict(records) if use_cache else {}
    for root, members in sorted(by_root.items()):
        built = _build_root(
            root,
            members,
            parsed=parsed,
            skipped=skipped,
            protected=clashing,
            roots=roots,
            now=now,
        )
        results.extend(built)
        if use_cache:
            _remember(built, members, skipped, roots, new_records, config, note_type)
    if use_cache:
        present = {source.topic for source in sources}
        kept = {t: r for t, r in new_records.items() if t in present}
        locks = {**summaries, **roots.summaries_after()}
        if kept != records or locks != summaries:  # a no-op build writes nothing at all
            cache.save_cache(config.out_dir, kept, locks)

    if config.accept:
        results = [_accepted(result, config.accept) for result in results]
        diagnostics = list(_notes_for(diagnostics, config.accept))
    return Report(
        topics=tuple(results),
        diagnostics=tuple(diagnostics),
        seconds=time.perf_counter() - started,
        wrote=config.write,
    )


def _notes_for(found: Sequence[Diagnostic], accept: frozenset[str]) -> tuple[Diagnostic, ...]:
    """Warnings of an accepted kind stay visible but no longer count (nor fail --strict)."""
    return tuple(
        replace(d, level=Level.NOTE) if d.level is Level.WARNING and d.code in accept else d
        for d in found
    )


def _accepted(result: TopicResult, accept: frozenset[str]) -> TopicResult:
    topic = replace(result.topic, diagnostics=_notes_for(result.topic.diagnostics, accept))
    return replace(result, topic=topic, diagnostics=_notes_for(result.diagnostics, accept))


def _key(
    source: SourceFile, lock: cache.LockSummary, config: BuildConfig, note_type: NoteType
) -> str:
    """The cache key of a topic's package, given the lock it would be built against."""
    options = {
        "deck_prefix": config.deck_prefix,
        "extra_tags": list(config.extra_tags),
        "fetch_media": config.fetch_media,
        "media_cache": str(config.media_cache) if config.media_cache else None,
        "template_dir": str(config.template_dir) if config.template_dir else None,
        "out_dir": str(config.out_dir),
    }
    return cache.input_key(source, lock=lock, note_type_digest=note_type.digest, options=options)


# --- parsing, serial or in worker processes ---------------------------------------------------


@quick_pickle
@dataclass(frozen=True, slots=True)
class Parsed:
    """One file, parsed, rendered to notes and keyed: all the per-file work of a build."""

    topic: Topic  # its questions are in ``notes`` (sent back from a worker once, not twice)
    notes: tuple[Keyed, ...]


def parse_one(md: Any, source: SourceFile, options: dict[str, Any]) -> Parsed:
    tags = (*options["extra_tags"], *source.tags)
    topic = parse_source(
        md, source, fetch_media=options["fetch_media"], media_cache=options["media_cache"]
    )
    notes = tuple(
        keyed(to_note(q, deck_prefix=options["deck_prefix"], extra_tags=tags))
        for q in topic.questions
    )
    return Parsed(replace(topic, questions=()), notes)


def parse_all(
    sources: Sequence[SourceFile], config: BuildConfig, progress: Progress
) -> list[Parsed]:
    """Parse every file, in input order; the result does not depend on ``jobs``."""
    jobs = _jobs(sources, config.jobs)
    options = _parse_options(config)
    if jobs <= 1:
        md = new_markdown()
        parsed = []
        for index, source in enumerate(sources):
            parsed.append(parse_one(md, source, options))
            progress("parse", index + 1, len(sources))
        return parsed
    # Largest files first so no worker is left with a big file at the end; results are put
    # back in input order.
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i].text))
    out: list[Parsed | None] = [None] * len(sources)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
        futures = {pool.submit(_worker_parse, sources[i], options): i for i in order}
        for done, future in enumerate(as_completed(futures), start=1):
            out[futures[future]] = future.result()
            progress("parse", done, len(sources))
    return [item for item in out if item is not None]


def _jobs(sources: Sequence[SourceFile], requested: int | None) -> int:
    if requested is None and (
        len(sources) < PARALLEL_MIN_FILES or sum(len(s.text) for s in sources) < PARALLEL_MIN_BYTES
    ):
        return 1
    return _cores(requested, len(sources))


def _cores(requested: int | None, tasks: int) -> int:
    """Worker processes for ``tasks`` independent pieces: as asked, else one per core."""
    if requested is None:
        try:
            requested = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            requested = os.cpu_count() or 1
    return max(1, min(requested, tasks))


_worker_md: Any = None


def _worker_init() -> None:
    global _worker_md
    _worker_md = new_markdown()
    gc.set_threshold(*GC_THRESHOLD)  # inherited on fork; not under spawn (macOS, Windows)


def _worker_parse(source: SourceFile, options: dict[str, Any]) -> Parsed:
    return parse_one(_worker_md, source, options)


def _parse_options(config: BuildConfig) -> dict[str, Any]:
    """What rendering needs besides the file: media bundling (``--fetch-media``), deck prefix
    and extra tags."""
    return {
        "fetch_media": config.fetch_media,
        "media_cache": config.media_cache or config.out_dir / ".media-cache",
        "deck_prefix": config.deck_prefix,
        "extra_tags": config.extra_tags,
    }


# --- per root: identify, write ----------------------------------------------------------------


class _Roots:
    """Each notes root's lock, read once and only as far as needed; a damaged lock is one
    error, not one per topic.

    The build cache remembers a summary of each lock (cache.LockSummary). While a lock's
    bytes still match it, the summary answers what keys and vanished topics need, and a
    build reads only the entries of the topics it rebuilds (load_lock_topics).
    """

    def __init__(
        self,
        config: BuildConfig,
        note_type: NoteType,
        diagnostics: list[Diagnostic],
        cached: dict[str, cache.LockSummary],
    ) -> None:
        self.config = config
        self.note_type = note_type
        self.diagnostics = diagnostics
        self._cached = cached
        self._locks: dict[Path, Lock | None] = {}
        self._summaries: dict[Path, cache.LockSummary | None] = {}
        self._after: dict[Path, cache.LockSummary | None] = {}
        self.note_type_mods: dict[Path, int] = {}
        self.saved: dict[Path, Lock] = {}  # the lock each built root has now
        self.untouched: set[Path] = set()  # roots whose every topic was up to date
        self.written: dict[Path, str] = {}  # roots whose lock this build saved: its digest

    @staticmethod
    def lock_path(root: Path) -> Path:
        return root / LOCK_NAME if root.is_dir() else root.parent / LOCK_NAME

    def _read(self, root: Path, load: Callable[[Path], Lock]) -> Lock | None:
        if root not in self._locks:
            try:
                self._locks[root] = load(self.lock_path(root))
            except LockError as exc:
                self.diagnostics.append(
                    Diagnostic(Level.ERROR, str(exc), hint="restore it from git")
                )
                self._locks[root] = None
        return self._locks[root]

    def summary(self, root: Path) -> cache.LockSummary | None:
        """The lock's summary: the cached one while the file's bytes are unchanged (nothing
        parsed), else made from the whole lock; None if the lock is damaged."""
        if root not in self._summaries:
            path = self.lock_path(root)
            try:
                data: bytes | None = path.read_bytes()
            except FileNotFoundError:
                data = b""
            except OSError:
                data = None  # reading it again below reports why
            digest = None if data is None else cache.bytes_digest(data)
            known = self._cached.get(path.as_posix())
            if known is not None and digest is not None and known.digest == digest:
                self._summaries[root] = known
            else:
                lock = self._read(root, load_lock)
                self._summaries[root] = (
                    None
                    if lock is None or data is None or digest is None
                    else cache.summarise(
                        lock, digest, sound=not data or dump_lock(lock).encode() == data
                    )
                )
        return self._summaries[root]

    def lock(self, root: Path, wanted: Collection[str]) -> Lock | None:
        """The lock, with the entries of at least the ``wanted`` topics."""
        summary = self.summary(root)
        if root in self._locks or summary is None:
            return self._read(root, load_lock)
        every = summary.topics.keys()
        return self._read(root, lambda path: load_lock_topics(path, wanted, every))

    def summary_after(self, root: Path) -> cache.LockSummary | None:
        """The summary of the lock a build left in place (for the next build's keys)."""
        if root not in self._after:
            self._after[root] = self._summary_after(root)
        return self._after[root]

    def _summary_after(self, root: Path) -> cache.LockSummary | None:
        before = self._summaries.get(root)
        if root in self.written:  # saved by this build: ankigen's own encoding
            return cache.summarise(self.saved[root], self.written[root], before)
        if root in self.untouched or root in self.saved:
            return before  # left as it was
        return None

    def summaries_after(self) -> dict[str, cache.LockSummary]:
        """Lock path -> summary, for every root this build saw a sound lock of."""
        found = {}
        for root in {*self.saved, *self.untouched}:
            if (summary := self.summary_after(root)) is not None:
                found[self.lock_path(root).as_posix()] = summary
        return found


def _present_topics(root: Path, config: BuildConfig) -> set[str]:
    """The topics of every note file under ``root`` now, named as a build would name them."""
    return {
        config.topic_names.get(path.stem) or file_topic(path) for path, _ in find_sources([root])
    }


def _package_key(out_dir: Path, topic: str) -> str:
    return package_path(out_dir, topic).name.casefold()


def _drop_duplicate_topics(
    sources: list[SourceFile], diagnostics: list[Diagnostic], out_dir: Path
) -> tuple[list[SourceFile], set[str]]:
    """Two files naming the same topic, or topics whose packages would have the same file
    name (``ML/DL`` and ``ML:DL``; ``ML`` and ``ml`` on macOS), would overwrite one package:
    refuse both."""
    seen: dict[str, list[SourceFile]] = defaultdict(list)
    for source in sources:
        seen[_package_key(out_dir, source.topic)].append(source)
    kept = []
    for source in sources:
        clash = seen[_package_key(out_dir, source.topic)]
        if len(clash) > 1:
            others = ", ".join(
                str(s.path) if s.topic == source.topic else f"{s.path} (topic {s.topic!r})"
                for s in clash
                if s is not source
            )
            target = package_path(out_dir, source.topic).name
            diagnostics.append(
                Diagnostic(
                    Level.ERROR,
                    f"topic {source.topic!r} would share {target} with {others}",
                    SourceLocation(source.path, 1),
                    "rename one file, or give it `topic: …` front matter",
                )
            )
            continue
        kept.append(source)
    return kept, {s.topic for files in seen.values() if len(files) > 1 for s in files}


def _build_root(
    root: Path,
    members: Sequence[SourceFile],
    *,
    parsed: dict[Path, Parsed],
    skipped: dict[Path, TopicResult],
    protected: set[str],
    roots: _Roots,
    now: int,
) -> list[TopicResult]:
    config, note_type = roots.config, roots.note_type
    summary = roots.summary(root)  # the lock is parsed here only if it changed
    if summary is None:  # damaged (reported) or unreadable
        return [
            skipped[s.path] if s.path in skipped else TopicResult(topic=parsed[s.path].topic)
            for s in members
        ]
    # A topic whose file has errors is not rebuilt: its package and lock entries stay.
    healthy = [
        parsed[s.path]
        for s in members
        if s.path in parsed
        and not any(d.level is Level.ERROR for d in parsed[s.path].topic.diagnostics)
    ]
    healthy_names = {item.topic.name for item in healthy}
    held = {s.topic for s in members if s.path not in parsed or s.topic not in healthy_names}
    held |= protected
    # A lock topic whose file is gone was removed or renamed (assign carries a renamed
    # topic's GUIDs over): it is built too. One whose file is still there but was not built
    # (not named, unreadable, empty, up to date) keeps its entries as they are.
    unbuilt = set(summary.topics) - healthy_names - held
    vanished = unbuilt - _present_topics(root, config) if unbuilt else set()
    topics_built = (healthy_names | vanished) - held
    if not topics_built and summary.note_type[0] == note_type.digest:
        # Every topic was skipped or held back, none vanished: the lock stays as it is, but
        # in ankigen's own layout (sorted, one entry a line), which incremental reads need.
        if summary.sound or not config.write:
            roots.untouched.add(root)
        elif (lock := roots.lock(root, wanted=())) is not None:
            _save_lock(roots, root, lock)
        return [
            skipped[s.path] if s.path in skipped else TopicResult(topic=parsed[s.path].topic)
            for s in members
        ]
    lock = roots.lock(root, wanted=topics_built | healthy_names)
    if lock is None:
        return [TopicResult(topic=parsed[s.path].topic) for s in members if s.path in parsed]
    notes = [note for item in healthy for note in item.notes]
    assignment = assign(notes, lock, now=now, note_type=note_type, topics_built=topics_built)
    roots.diagnostics.extend(assignment.diagnostics)
    roots.note_type_mods[root] = assignment.note_type_mod
    by_topic: dict[str, list[IdentifiedNote]] = defaultdict(list)
    for identified in assignment.notes:
        by_topic[identified.note.topic].append(identified)
    removed: dict[str, list[RemovedNote]] = defaultdict(list)
    for gone in assignment.removed:
        removed[gone.topic].append(gone)

    results = []
    writes: list[tuple[Path, tuple[IdentifiedNote, ...]]] = []
    for source in members:
        if source.path in skipped:
            # Its key holds the note type and its mod: a template change rebuilds every topic.
            results.append(skipped[source.path])
            continue
        topic = parsed[source.path].topic
        if topic.name not in healthy_names:
            results.append(TopicResult(topic=topic))
            continue
        package = package_path(config.out_dir, topic.name)
        topic_notes = tuple(by_topic[topic.name])
        if config.write and topic_notes:
            writes.append((package, topic_notes))
        results.append(
            TopicResult(
                topic=topic,
                notes=topic_notes,
                removed=tuple(removed[topic.name]),
                package=package if topic_notes else None,
            )
        )
    _write_packages(writes, note_type, assignment.note_type_mod, config.jobs)
    # A topic whose file is gone: its removed notes are reported against the lock file.
    for name in sorted(removed.keys() - {r.topic.name for r in results}):
        topic = Topic(name=name, source=roots.lock_path(root))
        results.append(TopicResult(topic=topic, removed=tuple(removed[name])))
    if config.write and (assignment.lock != lock or not summary.sound):
        _save_lock(roots, root, assignment.lock)
    roots.saved[root] = assignment.lock
    return results


# The packages being written, for forked workers to read instead of receiving a pickled copy.
_inherited_writes: Sequence[tuple[Path, tuple[IdentifiedNote, ...]]] = ()


def _save_lock(roots: _Roots, root: Path, lock: Lock) -> None:
    data = save_lock(roots.lock_path(root), lock)
    roots.saved[root] = lock
    roots.written[root] = cache.bytes_digest(data)


def _write_packages(
    writes: Sequence[tuple[Path, tuple[IdentifiedNote, ...]]],
    note_type: NoteType,
    note_type_mod: int,
    requested_jobs: int | None,
) -> None:
    """Write packages, on every core when there are many: each is independent work."""
    for path, _ in writes:
        path.parent.mkdir(parents=True, exist_ok=True)
    notes = sum(len(batch) for _, batch in writes)
    many = requested_jobs is not None or notes >= PARALLEL_MIN_NOTES
    jobs = _cores(requested_jobs, len(writes)) if many else 1
    if jobs <= 1:
        for path, batch in writes:
            write_package(path, notes=batch, note_type=note_type, note_type_mod=note_type_mod)
        return
    order = sorted(range(len(writes)), key=lambda i: -len(writes[i][1]))  # biggest first
    global _inherited_writes
    inherit = multiprocessing.get_start_method() == "fork"
    if inherit:  # forked workers see the notes already: nothing to pickle (~0.2 s at 20k)
        _inherited_writes = writes
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(
                    _worker_write, i, None if inherit else writes[i], note_type, note_type_mod
                )
                for i in order
            ]
            for future in futures:
                future.result()  # an OSError or a bug surfaces here, as in a serial build
    finally:
        _inherited_writes = ()


def _worker_write(
    index: int,
    write: tuple[Path, tuple[IdentifiedNote, ...]] | None,
    note_type: NoteType,
    note_type_mod: int,
) -> None:
    path, notes = write if write is not None else _inherited_writes[index]
    write_package(path, notes=notes, note_type=note_type, note_type_mod=note_type_mod)


def _remember(
    results: Sequence[TopicResult],
    members: Sequence[SourceFile],
    skipped: dict[Path, TopicResult],
    roots: _Roots,
    records: dict[str, cache.CachedTopic],
    config: BuildConfig,
    note_type: NoteType,
) -> None:
    """Record each topic just written; forget those that reported any problem."""
    by_path = {r.topic.source: r for r in results}
    troubled = {d.location.path for d in roots.diagnostics if d.location is not None}
    for source in members:
        result = by_path.get(source.path)
        if source.path in skipped and result is skipped.get(source.path):
            continue  # left as it was: its record stands
        records.pop(source.topic, None)
        lock = roots.summary_after(source.root)
        if result is None or lock is None or source.path in troubled:
            continue
        if result.topic.diagnostics or result.diagnostics:
            continue
        key = _key(source, lock, config, note_type)
        entry = cache.record(key, result.package, result.notes, result.topic)
        if entry is not None:
            records[source.topic] = entry
