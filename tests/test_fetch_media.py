"""--fetch-media end to end: a remote image is downloaded once, bundled, and reaches Anki.

The "remote" server is http.server on 127.0.0.1 in a thread; nothing leaves the machine.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from struct import pack

import pytest

from ankigen.pipeline import BuildConfig, build
from ankiutil import cards, fresh_collection, import_apkg


def _png() -> bytes:
    """A valid 1x1 PNG, built by hand so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    header = pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class _Quiet(SimpleHTTPRequestHandler):
    hits = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).hits += 1
        super().do_GET()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "diagram.png").write_bytes(_png())
    _Quiet.hits = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _notes(tmp_path: Path, url: str) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "cv.md").write_text(
        f"**What does a residual block look like?**\n\n![block]({url}/diagram.png)\n\n"
        "A shortcut adds the input to the output.\n",
        encoding="utf-8",
    )
    return notes


def test_remote_images_stay_remote_by_default(tmp_path, server):
    notes = _notes(tmp_path, server)
    (result,) = build(BuildConfig(sources=(notes,), out_dir=tmp_path / "dist")).topics
    (item,) = result.notes
    assert f'src="{server}/diagram.png"' in item.note.fields[1]
    assert item.note.media == () and _Quiet.hits == 0


def test_fetch_media_bundles_the_image_into_the_package_and_anki(tmp_path, server):
    notes = _notes(tmp_path, server)
    config = BuildConfig(sources=(notes,), out_dir=tmp_path / "dist", fetch_media=True)
    (result,) = build(config).topics
    (item,) = result.notes
    (media,) = item.note.media
    assert server not in item.note.fields[1] and media.name in item.note.fields[1]

    col = fresh_collection(tmp_path / "anki")
    assert result.package is not None
    import_apkg(col, result.package)
    stored = Path(col.media.dir()) / media.name
    assert stored.read_bytes() == _png()
    (card,) = cards(col)
    assert media.name in card.answer()
    col.close()

    hits = _Quiet.hits
    build(
        BuildConfig(
            sources=(notes,),
            out_dir=tmp_path / "dist2",
            fetch_media=True,
            media_cache=config.out_dir / ".media-cache",
        )
    )
    assert _Quiet.hits == hits  # the second build reads the cache, not the network
