"""A card with math and highlighted code, in a real headless Chromium, with Anki's MathJax.

The page is shaped like Anki's reviewer (``body.card`` > ``div#qa``, night mode as body
classes) and typesets with the local MathJax 3.2.2 configured like Anki. We read the DOM after
MathJax finished (--dump-dom) and the pixels of a screenshot (decoded with zlib + struct), so
"night mode is readable" is measured, not assumed. Screenshots are kept under
``$ANKIGEN_SCREENSHOT_DIR`` when set, for a human to look at.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ankigen.notetype import NoteType, load_note_type
from ankigen.preview import render_card, reviewer_page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
MATHJAX = (
    Path(__file__).resolve().parents[1]
    / "tools/mathjax/node_modules/mathjax-full/es5/tex-chtml-full.js"
)
WIDTH, HEIGHT = 500, 1000  # narrow like a phone; headless Chromium lays out no narrower than 500

CODE = """def softmax(z):
    # subtract the max: exp() never overflows
    m = max(z)
    return [math.exp(x - m) / sum(math.exp(y - m) for y in z) for x in z]
"""

# Runs after MathJax's first typeset and font loading, and leaves its findings in the DOM.
PROBE = """<script>
(async () => {
  await MathJax.startup.promise;
  await document.fonts.ready;
  const box = (sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  };
  document.body.dataset.probe = JSON.stringify({
    dpr: devicePixelRatio,
    viewport: [innerWidth, innerHeight],
    code: box('.ag-answer pre'),
    answer: box('.ag-answer p'),
    summary: box('.ag-summary'),
    summaryInner: [getComputedStyle(document.querySelector('.ag-summary pre')).backgroundColor,
                   getComputedStyle(document.querySelector('.ag-summary pre')).fontFamily,
                   getComputedStyle(document.querySelector('.ag-answer')).fontFamily],
  });
})();
</script>"""


def _code_block() -> tuple[str, str]:
    """(html, css) of a highlighted block from ankigen.highlight, or a plain one without it."""
    try:
        from ankigen import highlight as project_highlight
    except ImportError:
        return f"<pre><code>{htmllib.escape(CODE)}</code></pre>", ""
    return project_highlight.render_code(CODE, "python"), project_highlight.code_css()


def _card_back() -> tuple[NoteType, str]:
    base = load_note_type()
    code_html, code_css = _code_block()
    # Appended after the note type's CSS, as the build appends code_css().
    note_type = NoteType(front=base.front, back=base.back, css=base.css + "\n" + code_css)
    fields = {
        "Context": "深度学习 › 激活函数",
        "Question": r"为什么计算 \(\operatorname{softmax}(z)_i\) 时要先减去 \(\max_j z_j\)？",
        "Summary": "<pre><code>防止指数上溢，结果不变</code></pre>",
        "Answer": (
            r"<p>因为 \(e^{z_i}\) 可能溢出，而分子分母同乘 \(e^{-m}\) 不改变结果：</p>"
            r"<p>\[\frac{e^{z_i - m}}{\sum_{j} e^{z_j - m}} = \frac{e^{z_i}}{\sum_j e^{z_j}},"
            r"\quad 0 &lt; p_i &lt; 1\]</p>" + code_html
        ),
        "Source": "notes/dl.md:42",
    }
    _, back = render_card(note_type, fields)
    return note_type, back


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp / 'profile'}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--virtual-time-budget=15000",  # virtual time: MathJax and fonts finish first
            *args,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


# --- a minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium writes) ----------


@dataclass(frozen=True, slots=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        i = x * self.channels
        r, g, b = self.rows[y][i : i + 3]
        return r, g, b

    def pixels(self, box: tuple[int, int, int, int]) -> Iterator[tuple[int, int, int]]:
        left, top, right, bottom = box
        for y in range(max(top, 0), min(bottom, self.height)):
            for x in range(max(left, 0), min(right, self.width)):
                yield self.pixel(x, y)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def decode_png(data: bytes) -> Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, "unsupported PNG format"
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return Image(width, height, channels, rows)


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@dataclass(frozen=True, slots=True)
class Region:
    background: float  # luminance of the most common colour
    ink: float  # luminance of the text: the colour furthest from the background, robustly


def region(image: Image, box: tuple[int, int, int, int]) -> Region:
    pixels = list(image.pixels(box))
    assert len(pixels) > 100, f"region {box} is empty"
    bg = Counter(pixels).most_common(1)[0][0]
    bg_lum = luminance(bg)
    far = sorted((abs(luminance(p) - bg_lum), luminance(p)) for p in pixels)
    ink = far[int(len(far) * 0.99)][1]  # 99th percentile: real glyph strokes, not a stray dot
    return Region(bg_lum, ink)


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], str]]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} missing: `apt-get install -y chromium` (CI installs it)")
    if not MATHJAX.is_file():
        pytest.skip("tools/mathjax/node_modules missing: run `npm ci --prefix tools/mathjax`")
    note_type, back = _card_back()
    keep = os.environ.get("ANKIGEN_SCREENSHOT_DIR")
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for mode in ("light", "night"):
        tmp = tmp_path_factory.mktemp(mode)
        page = reviewer_page(
            note_type, back, night=mode == "night", mathjax_src=MATHJAX.as_uri()
        ).replace("</body>", PROBE + "\n</body>")
        page_path = tmp / "card.html"
        page_path.write_text(page, encoding="utf-8")
        dom = _chromium(tmp, "--dump-dom", page_path.as_uri()).stdout.decode("utf-8")
        shot = Path(keep) / f"card-{mode}.png" if keep else tmp / "card.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        _chromium(tmp, f"--screenshot={shot}", page_path.as_uri())
        probe = re.search(r'data-probe="([^"]*)"', dom)
        assert probe is not None, "the probe never ran: MathJax did not finish typesetting"
        out[mode] = json.loads(htmllib.unescape(probe.group(1))) | {"shot": str(shot)}, dom
    return out


@pytest.mark.parametrize("mode", ["light", "night"])
def test_mathjax_typesets_every_formula_without_errors(
    rendered: dict[str, tuple[dict[str, Any], str]], mode: str
) -> None:
    _, dom = rendered[mode]
    dom = dom.split('<div id="qa">', 1)[1]  # the card, not the CSS in <head>
    # 2 inline in the question (shown again on the back via FrontSide), 2 inline + 1 display.
    assert len(re.findall(r"<mjx-container\b", dom)) == 5
    assert "<mjx-merror" not in dom and "data-mjx-error" not in dom
    assert r"\(" not in dom and r"\[" not in dom  # nothing left untypeset


@pytest.mark.parametrize("mode", ["light", "night"])
def test_screenshot_is_a_real_rendering(
    rendered: dict[str, tuple[dict[str, Any], str]], mode: str
) -> None:
    probe, _ = rendered[mode]
    data = Path(probe["shot"]).read_bytes()
    assert len(data) > 10_000  # a blank page compresses to a few hundred bytes
    image = decode_png(data)
    assert (image.width, image.height) == (WIDTH * probe["dpr"], HEIGHT * probe["dpr"])
    # The DOM run and the screenshot run must lay out alike (same width: the card's height
    # does not depend on the window's), or the boxes measured in one miss the text in the other.
    assert probe["viewport"][0] == WIDTH
    assert len(Counter(image.pixels((0, 0, image.width, image.height)))) > 50  # text, not a fill


@pytest.mark.parametrize("mode", ["light", "night"])
def test_summary_reads_as_prose_not_code(
    rendered: dict[str, tuple[dict[str, Any], str]], mode: str
) -> None:
    # The summary arrives as <pre><code> (a bare fence): no code box, the answer's own font.
    background, font, answer_font = rendered[mode][0]["summaryInner"]
    assert background == "rgba(0, 0, 0, 0)"
    assert font == answer_font


def _box(probe: dict[str, Any], key: str) -> tuple[int, int, int, int]:
    left, top, width, height = (v * probe["dpr"] for v in probe[key])
    return int(left), int(top), int(left + width), int(top + height)


@pytest.mark.parametrize(("mode", "dark_background"), [("light", False), ("night", True)])
@pytest.mark.parametrize("part", ["page", "answer", "summary", "code"])
def test_text_contrasts_with_its_background(
    rendered: dict[str, tuple[dict[str, Any], str]],
    mode: str,
    dark_background: bool,
    part: str,
) -> None:
    probe, _ = rendered[mode]
    image = decode_png(Path(probe["shot"]).read_bytes())
    if part == "page":  # the margin beside the card: the body's own background
        pixel = luminance(image.pixel(2, image.height - 3))
        assert (pixel < 0.2) if dark_background else (pixel > 0.9)
        return
    found = region(image, _box(probe, part))
    if dark_background:
        assert found.background < 0.25 and found.ink > 0.6, found
    else:
        assert found.background > 0.85 and found.ink < 0.4, found
