"""Images: bundled under content-hashed names, never read outside the notes, fetched on request."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest

from ankigen.markdown import RenderEnv, new_markdown, render_blocks
from ankigen.media import media_name
from ankigen.model import SourceFile

MD = new_markdown()
PNG_A = b"\x89PNG\r\n\x1a\n" + b"A" * 64
PNG_B = b"\x89PNG\r\n\x1a\n" + b"B" * 64


def sha(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def render(
    root: Path, text: str, note: str = "note.md", **options: object
) -> tuple[str, RenderEnv]:
    path = root / note
    env = RenderEnv(SourceFile(path, root, "t", text), **options)  # type: ignore[arg-type]
    return render_blocks(MD, MD.parse(text, {}), env), env


def messages(env: RenderEnv) -> list[str]:
    return [d.message for d in env.diagnostics.items]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "imgs").mkdir(parents=True)
    (root / "imgs" / "a.png").write_bytes(PNG_A)
    return root


def test_local_image_bundled_under_hash_name(notes: Path) -> None:
    html, env = render(notes, "看图 ![示意](imgs/a.png)")
    name = f"a-{sha(PNG_A)}.png"
    assert f'<img src="{name}" alt="示意">' in html
    assert [(m.name, m.source) for m in env.media] == [(name, (notes / "imgs" / "a.png"))]
    assert not env.diagnostics.items


def test_same_image_twice_is_bundled_once(notes: Path) -> None:
    _, env = render(notes, "![](imgs/a.png) ![](./imgs/a.png)\n\n<img src='imgs/a.png'>")
    assert len(env.media) == 1


def test_same_file_name_in_different_folders_gets_different_names(notes: Path) -> None:
    (notes / "other").mkdir()
    (notes / "other" / "a.png").write_bytes(PNG_B)
    html, env = render(notes, "![](imgs/a.png)\n\n![](other/a.png)")
    names = {m.name for m in env.media}
    assert names == {f"a-{sha(PNG_A)}.png", f"a-{sha(PNG_B)}.png"}
    assert all(name in html for name in names)


def test_edited_image_gets_a_new_name(notes: Path) -> None:
    _, before = render(notes, "![](imgs/a.png)")
    image = notes / "imgs" / "a.png"
    image.write_bytes(PNG_B)
    os.utime(image, ns=(1, 1))  # even if the edit kept the size, the mtime moves
    _, after = render(notes, "![](imgs/a.png)")
    assert before.media[0].name != after.media[0].name == f"a-{sha(PNG_B)}.png"


def test_note_in_subfolder_resolves_relative_to_itself(notes: Path) -> None:
    (notes / "ch1" / "imgs").mkdir(parents=True)
    (notes / "ch1" / "imgs" / "a.png").write_bytes(PNG_B)
    _, env = render(notes, "![](imgs/a.png)", note="ch1/note.md")
    assert env.media[0].name == f"a-{sha(PNG_B)}.png"


def test_typora_names_percent_encoding_and_unsafe_characters(notes: Path) -> None:
    (notes / "imgs" / "0*k8 截屏.png").write_bytes(PNG_B)
    html, env = render(notes, "![](imgs/0*k8%20截屏.png)\n\n![](<imgs/0*k8 截屏.png>)")
    assert [m.name for m in env.media] == [f"0_k8_截屏-{sha(PNG_B)}.png"]
    assert "*" not in env.media[0].name and " " not in env.media[0].name
    assert html.count(env.media[0].name) == 2


def test_media_name_never_starts_with_underscore() -> None:
    assert media_name("_private", ".PNG", "0123456789abcdef0123") == "private-0123456789abcdef.png"


def test_missing_image_warns_with_line_and_shows_placeholder(notes: Path) -> None:
    html, env = render(notes, "intro\n\ntext\n![x](imgs/nope.png)\n")
    assert "image not available: imgs/nope.png" in html
    assert "<img" not in html
    [diag] = env.diagnostics.items
    assert diag.message == "image not found: imgs/nope.png"
    assert (
        diag.location is not None and diag.location.line == 4
    )  # its own line, not the paragraph's
    assert not env.media


def test_missing_absolute_path_from_another_machine(notes: Path) -> None:
    src = "/Users/davidzhang/projects/my_own/howtodo/examples/htd_ml/imgs/0*JqJeHDrBByYBOSgw.gif"
    html, env = render(notes, f"> >> ![0*JqJe]({src})\n")
    assert "image not available" in html
    assert messages(env) == [f"image not found: {src}"]
    assert "another computer" in (env.diagnostics.items[0].hint or "")


def test_parent_escape_is_refused_and_never_read(
    notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = notes.parent / "etc" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(PNG_A)
    touched: list[Path] = []
    real_read, real_stat = Path.read_bytes, Path.stat

    def read_bytes(self: Path) -> bytes:
        touched.append(self)
        return real_read(self)

    def stat(self: Path, **kwargs: bool) -> os.stat_result:
        touched.append(self)
        return real_stat(self, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "stat", stat)
    html, env = render(notes, '![](../etc/passwd)\n\n<img src="../../notes/../etc/passwd">')
    assert not env.media
    assert "image not available" in html
    assert messages(env) == [
        "image outside the notes folder refused: ../etc/passwd",
        "image outside the notes folder refused: ../../notes/../etc/passwd",
    ]
    assert not [p for p in touched if "etc" in p.parts]


def test_dot_dot_etc_passwd_refused(notes: Path) -> None:
    _, env = render(notes, "![](../../etc/passwd)")
    assert messages(env) == ["image outside the notes folder refused: ../../etc/passwd"]
    assert not env.media


def test_absolute_path_outside_root_refused(notes: Path) -> None:
    outside = notes.parent / "elsewhere.png"
    outside.write_bytes(PNG_A)
    html, env = render(notes, f"![]({outside})")
    assert messages(env) == [f"image outside the notes folder refused: {outside}"]
    assert not env.media and "image not available" in html


def test_absolute_path_inside_root_is_bundled(notes: Path) -> None:
    _, env = render(notes, f"![]({notes / 'imgs' / 'a.png'})")
    assert env.media[0].name == f"a-{sha(PNG_A)}.png"


def test_symlink_out_of_root_refused(notes: Path) -> None:
    outside = notes.parent / "secret.png"
    outside.write_bytes(PNG_A)
    (notes / "imgs" / "link.png").symlink_to(outside)
    _, env = render(notes, "![](imgs/link.png)")
    assert messages(env) == ["image outside the notes folder refused: imgs/link.png"]
    assert not env.media


def test_raw_img_keeps_typora_zoom_and_is_bundled(notes: Path) -> None:
    text = '<img src="imgs/a.png" alt="截屏2022-02-06 16.20.00" style="zoom:50%;" />\n'
    html, env = render(notes, text)
    name = f"a-{sha(PNG_A)}.png"
    assert html == f'<img src="{name}" alt="截屏2022-02-06 16.20.00" style="zoom:50%;">'
    assert env.media[0].name == name


def test_raw_img_inline_in_paragraph_with_missing_file(notes: Path) -> None:
    html, env = render(notes, 'text <img src="imgs/gone.png" style="zoom: 67%;"> more')
    assert "image not available: imgs/gone.png" in html
    assert messages(env) == ["image not found: imgs/gone.png"]


def test_remote_images_stay_remote_by_default(notes: Path) -> None:
    url = "https://tva1.sinaimg.cn/large/008i3skNly1gz3v6sk3cdj30is0eiwez.jpg"
    html, env = render(notes, f'<img src="{url}" alt="截屏" style="zoom:50%;" />\n\n![x]({url})')
    assert f'<img src="{url}" alt="截屏" style="zoom:50%;">' in html
    assert f'<img src="{url}" alt="x">' in html
    assert not env.media and not env.diagnostics.items


# --- opt-in fetch against a local server --------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "pic.png").write_bytes(PNG_B)
    (site / "page.html").write_text("<html></html>")
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_downloads_into_cache_and_bundles(
    notes: Path, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    base, requests = server
    cache = tmp_path / "cache"
    text = f"![远程]({base}/pic.png)"
    html, env = render(notes, text, fetch_media=True, media_cache=cache)
    name = f"pic-{sha(PNG_B)}.png"
    assert f'<img src="{name}" alt="远程">' in html
    assert env.media[0].name == name and env.media[0].source.parent == cache
    assert env.media[0].source.read_bytes() == PNG_B
    # a second build uses the cache: no request
    _, again = render(notes, text, fetch_media=True, media_cache=cache)
    assert again.media == env.media
    assert requests == ["/pic.png"]


def test_fetch_failures_keep_the_url_and_warn(
    notes: Path, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    base, _ = server
    text = f"![]({base}/missing.png)\n\n![]({base}/page.html)"
    html, env = render(notes, text, fetch_media=True, media_cache=tmp_path / "cache")
    assert f'src="{base}/missing.png"' in html and f'src="{base}/page.html"' in html
    found = messages(env)
    assert found[0].startswith(f"could not fetch image {base}/missing.png")
    assert found[1] == f"not an image (text/html): {base}/page.html"
    assert not env.media


def test_without_fetch_nothing_is_requested(
    notes: Path, tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    base, requests = server
    render(notes, f"![]({base}/pic.png)", media_cache=tmp_path / "cache")
    assert requests == []
