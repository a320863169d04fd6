"""The ``ankigen`` command: thin Click commands over pipeline.build.

Output: problems (``path:line: level: message``) go to stderr, the summary to stdout, so
``ankigen build 2>/dev/null`` is just the table and a pipe never sees progress lines.
Exit status everywhere: 0 fine, 1 errors (or warnings with --strict), 2 usage error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from . import __version__
from .config import ConfigError, Settings, load_settings
from .model import CODES, Report
from .pipeline import BuildConfig, build
from .report import (
    EXIT_USAGE,
    ProgressLine,
    diagnostics_text,
    exit_code,
    json_report,
    summary_text,
    todo_lines,
)

F = TypeVar("F", bound=Callable[..., Any])


class UsageProblem(click.ClickException):
    """A mistake in how ankigen was asked to run (bad configuration, unknown topic): exit 2."""

    exit_code = EXIT_USAGE


# --- shared options -------------------------------------------------------------------------


def _sources(f: F) -> F:
    return click.argument(
        "sources",
        nargs=-1,
        type=click.Path(exists=True, path_type=Path),
        metavar="[SOURCES]...",
    )(f)


def _strict_option(f: F) -> F:
    return click.option(
        "--strict/--no-strict",
        default=None,
        help="Fail (exit 1) on warnings too.  [default: on when CI=true]",
    )(f)


def _accept_option(f: F) -> F:
    return click.option(
        "--accept",
        "accept",
        multiple=True,
        type=click.Choice(sorted(CODES)),
        metavar="CODE",
        help="Report warnings of this kind as notes: they no longer fail --strict. Repeatable; "
        "adds to `accept` in [tool.ankigen]. Codes: " + ", ".join(sorted(CODES)) + ".",
    )(f)


def _json_option(f: F) -> F:
    return click.option(
        "--json",
        "json_file",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        callback=_writable_target,
        help="Also write the report as JSON to FILE ('-' for stdout); "
        "shape: ankigen/report.schema.json.",
    )(f)


def _writable_target(
    _ctx: click.Context, _param: click.Parameter, value: Path | None
) -> Path | None:
    """Refuse a report path whose folder is missing before building, not after."""
    if value is not None and str(value) != "-" and not value.absolute().parent.is_dir():
        raise click.BadParameter(f"folder {value.parent} does not exist")
    return value


def _media_options(f: F) -> F:
    f = click.option(
        "--media-cache",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where fetched images are kept.  [default: OUT/.media-cache]",
    )(f)
    return click.option(
        "--fetch-media/--no-fetch-media",
        default=None,
        help="Download remote images into the media cache and bundle them.",
    )(f)


def _out_option(f: F) -> F:
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Directory for the packages.  [default: dist]",
    )(f)


def _verbosity(f: F) -> F:
    f = click.option(
        "-v", "--verbose", is_flag=True, help="Also list unanswered questions and every change."
    )(f)
    return click.option(
        "-q", "--quiet", is_flag=True, help="Print only problems (not accepted warnings)."
    )(f)


# --- configuration --------------------------------------------------------------------------


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None


def build_config(
    found: Settings,
    sources: tuple[Path, ...],
    *,
    out_dir: Path | None = None,
    fetch_media: bool | None = None,
    media_cache: Path | None = None,
    write: bool = True,
    incremental: bool = True,
    accept: tuple[str, ...] = (),
) -> BuildConfig:
    """Flags, then ``[tool.ankigen]``, then the built-in defaults."""
    if (epoch := os.environ.get("SOURCE_DATE_EPOCH", "")) and not epoch.strip().isdigit():
        raise UsageProblem(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {epoch!r}")
    if not sources and found.sources is None and not Path("seeds").exists():
        raise UsageProblem(
            "no notes to build: name note files or folders, or set sources in "
            "[tool.ankigen] (the default, seeds/, does not exist here)"
        )
    if not sources and found.sources is not None:
        missing = [p for p in found.sources if not p.exists()]
        if missing:
            where = found.file.name if found.file else "pyproject.toml"
            raise UsageProblem(
                f"{where}: [tool.ankigen] sources: {', '.join(map(str, missing))} does not exist"
            )
        sources = found.sources
    out = out_dir or found.out or Path("dist")
    fetch = fetch_media if fetch_media is not None else bool(found.fetch_media)
    cache = media_cache or found.media_cache or (out / ".media-cache" if fetch else None)
    return BuildConfig(
        sources=sources or (Path("seeds"),),
        out_dir=out,
        deck_prefix=found.deck_prefix,
        extra_tags=found.extra_tags or (),
        fetch_media=fetch,
        media_cache=cache,
        topic_names=dict(found.topics),
        write=write,
        incremental=incremental,
        accept=frozenset((*found.accept, *accept)),
    )


def is_strict(flag: bool | None, found: Settings) -> bool:
    """--strict/--no-strict, else ``strict`` in pyproject.toml, else on when CI=true."""
    if flag is not None:
        return flag
    if found.strict is not None:
        return found.strict
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run_build(config: BuildConfig, *, quiet: bool) -> Report:
    progress = ProgressLine(sys.stderr, enabled=False if quiet else None)
    try:
        return build(config, progress)
    finally:
        progress.clear()


def finish(
    report: Report, *, strict: bool, json_file: Path | None, quiet: bool, verbose: bool
) -> NoReturn:
    to_stdout_json = json_file is not None and str(json_file) == "-"
    if json_file is not None:
        payload = json.dumps(json_report(report), ensure_ascii=False, indent=2)
        if to_stdout_json:
            click.echo(payload)
        else:
            json_file.write_text(payload + "\n", encoding="utf-8")
    if problems := diagnostics_text(report, notes=not quiet):  # accepted kinds are no problem
        click.echo(problems, err=True)
    if not quiet:
        click.echo(summary_text(report, verbose=verbose), err=to_stdout_json)
    sys.exit(exit_code(report, strict=strict))


# --- commands -------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
def main() -> None:
    """Build Anki decks from Markdown study notes, read as written.

    Each note file is a topic and becomes one .apkg; questions keep their identity (and so
    your reviews) across edits through ankigen.lock, kept next to the notes. Defaults come
    from [tool.ankigen] in pyproject.toml; flags override them.
    """


@main.command("build")
@_sources
@_out_option
@_strict_option
@_accept_option
@_json_option
@_media_options
@click.option("--force", is_flag=True, help="Rebuild every topic, even those up to date.")
@_verbosity
def build_command(
    sources: tuple[Path, ...],
    out_dir: Path | None,
    strict: bool | None,
    accept: tuple[str, ...],
    json_file: Path | None,
    fetch_media: bool | None,
    media_cache: Path | None,
    force: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build one .apkg per topic from SOURCES (note files or directories; default: seeds/).

    Topics whose notes, lock entries and templates are unchanged since the last build are
    left as they are (marked = in the table).

    Exit status: 0 built, 1 errors were reported (or warnings with --strict), 2 usage error.
    """
    found = settings()
    config = build_config(
        found,
        sources,
        out_dir=out_dir,
        fetch_media=fetch_media,
        media_cache=media_cache,
        incremental=not force,
        accept=accept,
    )
    report = run_build(config, quiet=quiet)
    finish(
        report, strict=is_strict(strict, found), json_file=json_file, quiet=quiet, verbose=verbose
    )


@main.command("check")
@_sources
@_strict_option
@_accept_option
@_json_option
@_media_options
@_verbosity
def check_command(
    sources: tuple[Path, ...],
    strict: bool | None,
    accept: tuple[str, ...],
    json_file: Path | None,
    fetch_media: bool | None,
    media_cache: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Everything build does except writing packages and the lock file.

    Unanswered questions are the to-do list (ankigen todo), never warnings.

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage error.
    """
    found = settings()
    config = build_config(
        found,
        sources,
        fetch_media=fetch_media,
        media_cache=media_cache,
        write=False,
        accept=accept,
    )
    report = run_build(config, quiet=quiet)
    finish(
        report, strict=is_strict(strict, found), json_file=json_file, quiet=quiet, verbose=verbose
    )


@main.command("todo")
@_sources
def todo_command(sources: tuple[Path, ...]) -> None:
    """List the questions that have no answer yet, as path:line: question [flags].

    Exit status: 0, or 1 if a note file could not be read (its questions are not listed).
    """
    config = build_config(settings(), sources, write=False)
    report = run_build(config, quiet=False)
    lines = todo_lines(report)
    for line in lines:
        click.echo(line)
    if report.errors:
        click.echo(diagnostics_text(report), err=True)
    click.echo(f"{len(lines)} unanswered question(s)", err=True)
    sys.exit(exit_code(report, strict=False))


@main.command("preview")
@_sources
@click.option(
    "--topic", "topics", multiple=True, help="Only this topic (repeatable).  [default: all]"
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML page to write.  [default: OUT/preview.html]",
)
@_media_options
def preview_command(
    sources: tuple[Path, ...],
    topics: tuple[str, ...],
    out_file: Path | None,
    fetch_media: bool | None,
    media_cache: Path | None,
) -> None:
    """Write an HTML page showing every card as Anki renders it, without building packages."""
    from .notetype import load_note_type
    from .preview import write_preview

    config = build_config(
        settings(), sources, fetch_media=fetch_media, media_cache=media_cache, write=False
    )
    report = run_build(config, quiet=False)
    known = [r.topic.name for r in report.topics]
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise UsageProblem(
            f"no topic {', '.join(map(repr, unknown))}; topics: {', '.join(known) or '(none)'}"
        )
    notes = [
        item.note for r in report.topics if not topics or r.topic.name in topics for item in r.notes
    ]
    if problems := diagnostics_text(report):
        click.echo(problems, err=True)
    page = write_preview(
        notes, load_note_type(config.template_dir), out_file or config.out_dir / "preview.html"
    )
    click.echo(page.as_posix())
    sys.exit(exit_code(report, strict=False))


@main.command("watch")
@_sources
@_out_option
@_media_options
@_verbosity
def watch_command(
    sources: tuple[Path, ...],
    out_dir: Path | None,
    fetch_media: bool | None,
    media_cache: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build, then rebuild the topics you change each time you save; Ctrl-C stops.

    A note with errors is reported and its last good package kept; watching goes on.
    """
    from .watch import watch

    config = build_config(
        settings(), sources, out_dir=out_dir, fetch_media=fetch_media, media_cache=media_cache
    )

    def show(report: Report) -> None:
        if problems := diagnostics_text(report, notes=not quiet):
            click.echo(problems, err=True)
        if not quiet:
            click.echo(summary_text(report, verbose=verbose))

    click.echo(f"watching {', '.join(p.as_posix() for p in config.sources)} (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        watch(config, on_build=show, on_change=lambda paths: _changed(paths, quiet))


def _changed(paths: list[Path], quiet: bool) -> None:
    if not quiet:
        click.echo("changed: " + ", ".join(p.as_posix() for p in paths))


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["EXIT_USAGE", "main"]
