"""Images on cards: local files bundled under content-hashed names, remote ones kept or fetched.

Anki stores media flat, by name, and only copies a file whose name it does not know yet
(/work/shared/ANKI.md, "Media"). Naming a bundled file after its content (``<stem>-<sha1>``)
means two ``img.png`` in different folders never collide and an edited image gets a new name,
so the edit reaches the learner with the note update.

Nothing outside the notes' root is ever read: paths are checked lexically first (``..``), then
again after resolving symlinks, and only then opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .model import MediaRef, SourceFile

FETCH_LIMIT = 20 * 1024 * 1024  # bytes; a card image larger than this is a mistake
FETCH_TIMEOUT = 15.0  # seconds per image
_USER_AGENT = "ankigen (https://github.com/; media fetch for Anki cards)"

_IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "image/bmp": ".bmp",
    "image/avif": ".avif",
}
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".avif"})
_UNSAFE = re.compile(r"[^\w.-]+")  # Anki media names: no separators, nothing Windows rejects
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


_FETCH = "fetch-failed"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What an image reference becomes: a ``src`` for the card, or a problem to report."""

    src: str | None  # None: nothing usable, show a placeholder
    media: MediaRef | None = None
    problem: str | None = None
    hint: str | None = None
    code: str | None = None  # model.CODES: what kind of problem


def is_remote(src: str) -> bool:
    return src.startswith(("http://", "https://", "//"))


def media_name(stem: str, suffix: str, digest: str) -> str:
    """``<stem>-<sha1[:16]><ext>``, lower case: Anki may clobber names differing only in case."""
    safe = _UNSAFE.sub("_", stem).strip("._-")[:48] or "image"
    return f"{safe}-{digest[:16]}{suffix}".lower()


# (path, name shown, mtime_ns, size) -> its MediaRef: a vault reuses images, and watch mode
# re-renders unchanged ones. The file's stat is part of the key, so an edited image is hashed
# again: an entry can be unused, never wrong.
_BUNDLED: dict[tuple[str, str, int, int], MediaRef] = {}


def _bundle(path: Path, display_name: str) -> MediaRef:
    stat = path.stat()
    key = (str(path), display_name, stat.st_mtime_ns, stat.st_size)
    if (known := _BUNDLED.get(key)) is None:
        digest = hashlib.sha1(path.read_bytes()).hexdigest()
        shown = Path(display_name)
        name = media_name(shown.stem, path.suffix or shown.suffix, digest)
        known = _BUNDLED[key] = MediaRef(name=name, source=path)
    return known


def _note_dir(source: SourceFile) -> Path:
    # The note's own folder may be reached through a symlink; resolving it reads nothing.
    return _resolved(source.path.absolute().parent)


def new_build() -> None:
    """Forget which images the notes folder holds: ``watch`` builds again after edits."""
    _by_name.cache_clear()
    _locate.cache_clear()
    _resolved.cache_clear()


@lru_cache(maxsize=16)
def _by_name(root: Path) -> dict[str, Path]:
    """Image files under the notes root by name, for names that appear once only."""
    seen: dict[str, list[Path]] = {}
    for path in root.rglob("*"):
        if path.suffix.lower() in IMAGE_SUFFIXES and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            seen.setdefault(path.name, []).append(path)
    return {name: paths[0] for name, paths in seen.items() if len(paths) == 1}


@lru_cache(maxsize=4096)
def _resolved(path: Path) -> Path:
    """Folders of notes resolve the same way all build long; each resolve is a few syscalls."""
    return path.resolve()


def resolve_local(src: str, source: SourceFile) -> Resolved:
    """A local path from the notes -> a bundled MediaRef, or why not (never reads outside root)."""
    found = _locate(src, _note_dir(source), source.root)
    if isinstance(found, Resolved):
        return found
    path, display_name = found
    # stat on every use: _bundle notices an image edited since the last build
    return Resolved(src=None, media=_bundle(path, display_name))


@lru_cache(maxsize=65536)
def _locate(src: str, note_dir: Path, root: Path) -> tuple[Path, str] | Resolved:
    """The file an image reference names (and the name it is shown under), or the problem.

    Memoised for one build (``new_build`` forgets): notes share images, and each lookup is a
    dozen syscalls (``resolve`` walks every folder of the path). The answer depends only on the
    arguments and the folder tree, which a build does not change under itself.
    """
    raw = src[len("file://") :] if src.startswith("file://") else src
    real_root = _resolved(root)
    refused: Path | None = None
    # Typora writes both "a b.png" and "a%20b.png"; markdown-it percent-encodes non-ASCII.
    for text in dict.fromkeys((unquote(raw), raw)):
        given = Path(text)
        candidate = Path(os.path.normpath(given if given.is_absolute() else note_dir / given))
        inside = candidate.is_relative_to(root) or candidate.is_relative_to(real_root)
        if not inside:
            if given.is_absolute() and not candidate.exists():
                continue  # an absolute path from the author's other machine: just missing
            refused = candidate
            continue
        real = candidate.resolve()
        if not real.is_relative_to(real_root):
            refused = candidate  # a symlink pointing out of the notes
            continue
        if real.is_file():
            return real, candidate.name
        # Obsidian finds "![[a.png]]" (and "![](a.png)") anywhere in the vault by name
        bare_name = not given.is_absolute() and len(given.parts) == 1
        if bare_name and (elsewhere := _by_name(real_root).get(given.name)) is not None:
            return elsewhere, given.name
    if refused is not None:
        return Resolved(
            src=None,
            problem=f"image outside the notes folder refused: {src}",
            code="image-outside-root",
            hint=f"copy it under {root} and link it relatively",
        )
    hint = (
        "the path is absolute (from another computer?): copy the image next to the notes "
        "and use a relative path"
        if Path(unquote(raw)).is_absolute()
        else None
    )
    return Resolved(src=None, problem=f"image not found: {src}", hint=hint, code="missing-image")


def fetch_remote(url: str, cache: Path, timeout: float = FETCH_TIMEOUT) -> Resolved:
    """Download an http(s) image into ``cache`` once and bundle it; failures keep the URL.

    The cache key is the URL: a changed remote image needs its cache entry deleted.
    """
    full = "https:" + url if url.startswith("//") else url
    key = hashlib.sha1(full.encode()).hexdigest()[:16]
    url_name = Path(unquote(urlsplit(full).path)).name
    stem = Path(url_name).stem or "remote"
    cached = [p for p in cache.glob(f"{key}.*") if not p.name.endswith(".part")]
    if cached:
        return Resolved(src=None, media=_bundle(cached[0], stem + cached[0].suffix))
    try:
        request = urllib.request.Request(full, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ctype = response.headers.get_content_type()
            data = response.read(FETCH_LIMIT + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Resolved(src=url, problem=f"could not fetch image {url}: {reason}", code=_FETCH)
    if len(data) > FETCH_LIMIT:
        return Resolved(
            src=url, problem=f"image larger than {FETCH_LIMIT} bytes: {url}", code=_FETCH
        )
    suffix = Path(url_name).suffix.lower()
    if ctype in _IMAGE_TYPES:
        suffix = suffix if suffix in IMAGE_SUFFIXES else _IMAGE_TYPES[ctype]
    elif not (ctype == "application/octet-stream" and suffix in IMAGE_SUFFIXES):
        return Resolved(src=url, problem=f"not an image ({ctype}): {url}", code=_FETCH)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{key}{suffix}"
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    part.write_bytes(data)
    part.replace(target)  # atomic: a concurrent build never sees half a file
    return Resolved(src=None, media=_bundle(target, stem + suffix))


def resolve_image(
    src: str, source: SourceFile, *, fetch: bool = False, cache: Path | None = None
) -> Resolved:
    """Decide what the card's ``src`` is for an image the notes reference."""
    src = src.strip()
    if not src:
        return Resolved(src=None, problem="image with an empty path", code="missing-image")
    if is_remote(src):
        if fetch and cache is not None:
            return fetch_remote(src, cache)
        return Resolved(src=src)
    if _SCHEME.match(src) and not src.startswith("file:") and not re.match(r"^[A-Za-z]:[\\/]", src):
        return Resolved(src=src)  # data:, and anything else a browser understands on its own
    return resolve_local(src, source)
