"""``ankigen watch``: build, then rebuild on every save until stopped.

Each rebuild is an ordinary incremental build, so only the topics whose files changed are
parsed and written. The build's own outputs (packages, the cache, the lock file and their
temporary files) are filtered out of the events, or every build would trigger the next.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from .identity import LOCK_NAME
from .model import Report
from .pipeline import BuildConfig, build

DEBOUNCE_MS = 300  # an editor's save is often several writes; one rebuild for all of them


def watched_paths(config: BuildConfig) -> list[Path]:
    """Directories to watch: each source directory, a named file's directory, the templates."""
    paths = {(p if p.is_dir() else p.parent).resolve() for p in config.sources}
    if config.template_dir is not None:
        paths.add(config.template_dir.resolve())
    return sorted(paths)


class OutputFilter:
    """Accept a change unless it is one of the build's own outputs or a hidden file."""

    def __init__(self, config: BuildConfig) -> None:
        self.ignored = [config.out_dir.resolve()]
        if config.media_cache is not None:
            self.ignored.append(config.media_cache.resolve())
        self.files = {p.resolve() for p in config.sources if not p.is_dir()}
        self.dirs = [p.resolve() for p in config.sources if p.is_dir()]
        if config.template_dir is not None:
            self.dirs.append(config.template_dir.resolve())

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        changed = Path(path).resolve()
        if changed.name == LOCK_NAME or changed.name.startswith((".", "_", "~")):
            return False  # our lock and temporary files, editors' swap and backup files
        if any(changed.is_relative_to(d) for d in self.ignored):
            return False
        if changed in self.files:
            return True
        # Images sit beside the notes: any other file below a source directory may be one.
        return any(changed.is_relative_to(d) for d in self.dirs)


def watch(
    config: BuildConfig,
    *,
    on_build: Callable[[Report], None],
    on_change: Callable[[list[Path]], None] | None = None,
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> None:
    """Build now and after each batch of changes, until ``stop`` is set (or Ctrl-C).

    A build that raises is a bug: its traceback is printed and watching goes on, so one
    bad save does not end the session.
    """
    _build(config, on_build)
    for changes in watchfiles.watch(
        *watched_paths(config),
        watch_filter=OutputFilter(config),
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
    ):
        if on_change is not None:
            on_change(_relative(sorted({Path(path) for _, path in changes})))
        _build(config, on_build)


def _build(config: BuildConfig, on_build: Callable[[Report], None]) -> None:
    try:
        report = build(config)
    except Exception:  # reported in full below, not swallowed
        traceback.print_exc(file=sys.stderr)
        print("ankigen: the build failed with a bug; still watching", file=sys.stderr)
        return
    on_build(report)


def _relative(paths: Iterable[Path]) -> list[Path]:
    cwd = Path.cwd()
    return [p.relative_to(cwd) if p.is_relative_to(cwd) else p for p in paths]
