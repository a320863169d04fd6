"""The ``ankigen`` command: thin Click commands over pipeline.build."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .model import Report
from .pipeline import BuildConfig, build
from .report import EXIT_USAGE, exit_code, json_report, text_report

SOURCES = click.argument(
    "sources", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[SOURCES]..."
)


def _config(sources: tuple[Path, ...], **overrides: object) -> BuildConfig:
    values: dict[str, object] = {"sources": sources or (Path("seeds"),)}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return BuildConfig(**values)  # type: ignore[arg-type]


def _finish(report: Report, *, strict: bool, json_file: Path | None, quiet: bool) -> None:
    if json_file is not None:
        payload = json.dumps(json_report(report), ensure_ascii=False, indent=2)
        if str(json_file) == "-":
            click.echo(payload)
        else:
            json_file.write_text(payload + "\n", encoding="utf-8")
    text = text_report(report)
    if quiet:
        text = "\n".join(str(d) for d in report.all_diagnostics)
    if text:
        click.echo(text, err=json_file is not None and str(json_file) == "-")
    sys.exit(exit_code(report, strict=strict))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
def main() -> None:
    """Build Anki decks from Markdown study notes, read as written.

    Each note file is a topic and becomes one .apkg; questions keep their identity (and so
    your reviews) across edits through ankigen.lock, kept next to the notes.
    """


@main.command("build")
@SOURCES
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the packages.  [default: dist]",
)
@click.option("--strict/--no-strict", default=None,
              help="Fail on warnings too.  [default: on when CI=true]")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also write the report as JSON to FILE ('-' for stdout).")
@click.option("--fetch-media", is_flag=True, default=None,
              help="Download remote images into a cache and bundle them.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build_command(
    sources: tuple[Path, ...],
    out_dir: Path | None,
    strict: bool | None,
    json_file: Path | None,
    fetch_media: bool | None,
    quiet: bool,
) -> None:
    """Build one .apkg per topic from SOURCES (note files or directories; default: seeds/).

    Exit status: 0 built, 1 errors were reported (or warnings with --strict), 2 usage error.
    """
    config = _config(sources, out_dir=out_dir, fetch_media=fetch_media)
    report = build(config)
    _finish(report, strict=_strict(strict), json_file=json_file, quiet=quiet)


@main.command("check")
@SOURCES
@click.option("--strict/--no-strict", default=None,
              help="Fail on warnings too.  [default: on when CI=true]")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also write the report as JSON to FILE ('-' for stdout).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def check_command(
    sources: tuple[Path, ...], strict: bool | None, json_file: Path | None, quiet: bool
) -> None:
    """Everything build does except writing packages and the lock file.

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage error.
    """
    report = build(_config(sources, write=False))
    _finish(report, strict=_strict(strict), json_file=json_file, quiet=quiet)


@main.command("todo")
@SOURCES
def todo_command(sources: tuple[Path, ...]) -> None:
    """List the questions that have no answer yet, with file:line."""
    report = build(_config(sources, write=False))
    count = 0
    for result in report.topics:
        for item in result.topic.unanswered:
            click.echo(f"{item.origin}: {item.prompt}")
            count += 1
    click.echo(f"{count} unanswered question(s)", err=True)


def _strict(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["EXIT_USAGE", "main"]
