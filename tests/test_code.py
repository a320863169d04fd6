"""Fenced code -> static Pygments HTML (no JS, no CDN) and CSS for light and night mode."""

from __future__ import annotations

import re
from pathlib import Path

from ankigen.highlight import CODE_CLASS, code_css, render_code
from ankigen.markdown import RenderEnv, new_markdown, render_blocks
from ankigen.model import SourceFile

MD = new_markdown()


def render(text: str) -> str:
    root = Path("/nonexistent-notes")
    env = RenderEnv(SourceFile(root / "note.md", root, "t", text))
    return render_blocks(MD, MD.parse(text, {}), env)


def test_fence_with_language_is_highlighted() -> None:
    html = render("```python\ndef f(x):\n    return x < 1  # $cost$\n```\n")
    assert html.startswith(f'<pre class="{CODE_CLASS}"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    assert "&lt;" in html and "$cost$" in html and "\\(" not in html
    assert "<script" not in html and "style=" not in html


def test_language_is_case_insensitive_and_aliases_work() -> None:
    assert '<span class="kn">import' in render("```Python\nimport os\n```")
    assert "language-sh" in render("```sh\necho $HOME\n```")


def test_fence_without_language_is_plain_escaped() -> None:
    html = render("```\n口语化的总结：a < b && c\n```\n")
    assert html == "<pre><code>口语化的总结：a &lt; b &amp;&amp; c</code></pre>"


def test_unknown_language_is_plain() -> None:
    html = render("```nosuchlang\nx <y>\n```")
    assert html == '<pre><code class="language-nosuchlang">x &lt;y&gt;</code></pre>'


def test_indented_code_is_plain() -> None:
    assert render("para\n\n    $x$ <b>\n") == "<p>para</p>\n<pre><code>$x$ &lt;b&gt;</code></pre>"


def test_render_code_keeps_inner_blank_lines() -> None:
    html = render_code("a = 1\n\nb = 2\n", "python")
    assert "\n\n" in html and not html.endswith("\n\n")


def test_code_css_covers_light_and_night_mode() -> None:
    css = code_css()
    assert f".{CODE_CLASS} .k " in css
    assert f".nightMode .{CODE_CLASS} .k" in css and f".night_mode .{CODE_CLASS} .k" in css
    assert "@import" not in css and "url(" not in css and "<" not in css
    # every rule is scoped: nothing restyles other <pre> elements on the card
    selectors = [s.strip() for s in re.findall(r"(?:^|\})\s*([^{}]+)\{", css)]
    assert selectors
    assert all(CODE_CLASS in s for s in selectors), [s for s in selectors if CODE_CLASS not in s]
    # night mode sets its own background and text colour
    night_block = re.search(r"\.nightMode \.ankigen-code, [^{]*\{([^}]*)\}", css)
    assert night_block is not None
    assert "background" in night_block[1] and "color" in night_block[1]
