"""Fenced code -> static, pre-highlighted HTML for a card, and the CSS that colours it.

Pygments runs at build time, so cards carry no JavaScript and load nothing from a CDN (they
must work offline and on mobile). Tokens get short classes rather than inline styles: inline
colours cannot follow Anki's night mode, a class rule under ``.nightMode`` can.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

# Pygments ships no type information and the project does not install types-Pygments.
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

CODE_CLASS = "ankigen-code"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
_NIGHT = (".nightMode", ".night_mode")  # Anki's desktop/mobile and older clients' class names

_FORMATTER = HtmlFormatter(nowrap=True)  # spans only; the <pre> is ours, with our class


@lru_cache(maxsize=256)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def info_language(info: str) -> str:
    """The language word of a fence's info string (```` ```Python {.x} ```` -> ``python``)."""
    return info.strip().split(maxsplit=1)[0].lower() if info.strip() else ""


def render_code(code: str, language: str) -> str:
    """``<pre><code>`` for a fence: highlighted when Pygments knows the language, else escaped.

    Unknown or missing languages stay plain: a guessing lexer colours prose (the notes' bare
    fences hold spoken Chinese summaries) as if it were code.
    """
    code = code.removesuffix("\n")
    lexer = _lexer(language) if language else None
    if lexer is None:
        lang = f' class="language-{escape(language)}"' if language else ""
        return f"<pre><code{lang}>{escape(code, quote=False)}</code></pre>\n"
    body = str(highlight(code, lexer, _FORMATTER)).removesuffix("\n")
    lang = escape(language)
    return f'<pre class="{CODE_CLASS}"><code class="language-{lang}">{body}</code></pre>\n'


def code_css() -> str:
    """CSS for highlighted code in both the light and Anki's night-mode card.

    Meant to be appended to the note type's CSS. Only rules scoped under ``.ankigen-code``:
    Pygments' full ``get_style_defs`` would also restyle every ``pre`` on the card.
    """
    light = HtmlFormatter(style=LIGHT_STYLE)
    dark = HtmlFormatter(style=DARK_STYLE)
    scope = f".{CODE_CLASS}"
    night = [f"{mode} {scope}" for mode in _NIGHT]
    parts: list[str] = [
        f"{scope} {{ padding: 0.6em 0.8em; border-radius: 6px; overflow-x: auto; "
        "line-height: 1.35; text-align: left; }",
        f"{scope} {{ background: {light.style.background_color}; color: #1f2328; }}",
        *light.get_token_style_defs(scope),
        f"{', '.join(night)} {{ background: {dark.style.background_color}; color: #e6edf3; }}",
        *dark.get_token_style_defs(night),
    ]
    return "\n".join(parts) + "\n"
