"""A static HTML page showing every card as Anki would render it, for proofreading a build.

Cards are rendered with the note type's own templates and CSS, and the page typesets math with
MathJax 3 configured the way Anki configures it (ANKI.md, "MathJax in Anki"), from a local copy
only: a preview must work offline and must never fetch a CDN.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .model import Note
from .notetype import FIELD_NAMES, NoteType

__all__ = [
    "TemplateError",
    "local_mathjax",
    "render_card",
    "render_template",
    "reviewer_page",
    "write_preview",
]

# --- Anki's template subset ---------------------------------------------------------------
#
# Hand-written on purpose: Anki's card templates look like Mustache but are not (no escaping,
# no lambdas, "empty" means whitespace/<br>/<div> only, {{FrontSide}} is special, unknown
# fields are errors), and no maintained library implements those exact semantics. This mirrors
# rslib/src/template.rs for the subset our templates use: {{Field}}, {{#Field}}…{{/Field}},
# {{^Field}}…{{/Field}} and {{FrontSide}}. Filters ({{text:Field}}, cloze) are rejected loudly
# rather than rendered wrongly.


class TemplateError(ValueError):
    """A template Anki would also refuse to render (unknown field, unbalanced section…)."""


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    inverted: bool
    body: tuple[_Node, ...]


_Node = _Text | _Field | _Section

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Anki's field_is_empty: only whitespace and bare <br>/<div> tags (an editor leaves these).
_EMPTY = re.compile(r"^(?:\s|</?(?:br|div)\s?/?>)*$", re.IGNORECASE)
FRONT_SIDE = "FrontSide"


def _parse(template: str) -> tuple[_Node, ...]:
    stack: list[tuple[str, bool, list[_Node]]] = [("", False, [])]
    pos = 0
    for match in _TAG.finditer(template):
        if match.start() > pos:
            stack[-1][2].append(_Text(template[pos : match.start()]))
        pos = match.end()
        tag = match.group(1).strip()
        if tag[:1] in ("#", "^"):
            stack.append((tag[1:].strip(), tag[0] == "^", []))
        elif tag[:1] == "/":
            name = tag[1:].strip()
            if len(stack) == 1 or stack[-1][0] != name:
                open_name = stack[-1][0] if len(stack) > 1 else None
                raise TemplateError(f"{{{{/{name}}}}} closes {open_name or 'nothing'}")
            opened, inverted, body = stack.pop()
            stack[-1][2].append(_Section(opened, inverted, tuple(body)))
        elif ":" in tag:
            raise TemplateError(f"filters are not supported in previews: {{{{{tag}}}}}")
        else:
            stack[-1][2].append(_Field(tag))
    if len(stack) > 1:
        raise TemplateError(f"{{{{#{stack[-1][0]}}}}} is never closed")
    if pos < len(template):
        stack[0][2].append(_Text(template[pos:]))
    return tuple(stack[0][2])


def _lookup(fields: Mapping[str, str], name: str) -> str:
    if name in fields:
        return fields[name]
    raise TemplateError(f"the template uses {{{{{name}}}}}, but there is no field called {name!r}")


def _render(nodes: Sequence[_Node], fields: Mapping[str, str], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Field):
            out.append(_lookup(fields, node.name))
        else:
            filled = not _EMPTY.match(_lookup(fields, node.name))
            if filled != node.inverted:
                _render(node.body, fields, out)


def render_template(template: str, fields: Mapping[str, str]) -> str:
    """Render one Anki card template; ``fields`` must hold every name the template uses."""
    out: list[str] = []
    _render(_parse(template), fields, out)
    return "".join(out)


def render_card(note_type: NoteType, fields: Mapping[str, str]) -> tuple[str, str]:
    """(front, back) HTML of the note type's one card, as Anki's reviewer would insert them.

    Fields the note type has but ``fields`` omits are empty, as in Anki; a name that is not a
    field of the note type is a TemplateError.
    """
    unknown = set(fields) - set(FIELD_NAMES)
    if unknown:
        raise TemplateError(f"not fields of the note type: {', '.join(sorted(unknown))}")
    values = {name: fields.get(name, "") for name in FIELD_NAMES}
    front = render_template(note_type.front, values)
    back = render_template(note_type.back, {**values, FRONT_SIDE: front})
    return front, back


# --- the page -----------------------------------------------------------------------------

# Anki's MathJax configuration (ANKI.md, verified against Anki 26.9): \(…\) and \[…\] only,
# no escapes, environments or refs outside delimiters, tex-chtml-full's packages + noerrors and
# mathtools (both already bundled in tex-chtml-full) - textmacros. tools/mathjax/typeset.mjs
# uses the same options (a test keeps them in step).
MATHJAX_CONFIG: dict[str, object] = {
    "tex": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": False,
        "processRefs": False,
        "packages": {"[+]": ["noerrors", "mathtools"], "[-]": ["textmacros"]},
    },
}

_CHECKOUT_MATHJAX = (
    Path(__file__).resolve().parents[2] / "tools" / "mathjax" / "node_modules" / "mathjax-full"
)
_MATHJAX_FILE = "tex-chtml-full.js"
_FONTS = Path("output", "chtml", "fonts", "woff-v2")  # where tex-chtml-full looks, by default
_VENDOR_DIR = "_mathjax-3.2.2"  # versioned: a stale copy from another MathJax is never reused

_PAGE_CSS = """
body.agp { margin: 0; padding: 0 0 3em; background: #f6f6f6; }
body.agp.nightMode { background: #121212; }
.agp-bar { position: sticky; top: 0; z-index: 1; display: flex; gap: 1em; align-items: center;
  padding: 0.5em 1em; font: 14px system-ui, sans-serif; background: #f0f0f0; color: #222;
  border-bottom: 1px solid #ccc; }
.nightMode .agp-bar { background: #2b2b2b; color: #ddd; border-color: #444; }
.agp-warn { color: #b00020; font-weight: 600; }
.agp-note { border-bottom: 1px solid #8884; padding: 1em 0; }
.agp-meta { font: 12px ui-monospace, monospace; color: #888; padding: 0 1em; }
.agp-sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22em), 1fr));
  gap: 1em; padding: 0 1em; }
.agp-side > .card { margin: 0; max-width: none; border: 1px solid #8884; border-radius: 8px; }
"""

# Anki marks night mode on <body>; the toolbar toggles the same classes. #night starts dark.
_PAGE_JS = """
function agpNight(on) {
  document.body.classList.toggle('nightMode', on);
  document.body.classList.toggle('night_mode', on);
}
if (location.hash === '#night') agpNight(true);
"""


def local_mathjax(dest_dir: Path) -> str | None:
    """Copy the checkout's MathJax (with its fonts) under ``dest_dir``; the relative src.

    None when ``npm ci --prefix tools/mathjax`` has not been run (or in an installed wheel).
    """
    es5 = _CHECKOUT_MATHJAX / "es5"
    if not (es5 / _MATHJAX_FILE).is_file():
        return None
    vendor = dest_dir / _VENDOR_DIR
    if not (vendor / _MATHJAX_FILE).is_file():
        vendor.mkdir(parents=True, exist_ok=True)
        shutil.copytree(es5 / _FONTS, vendor / _FONTS, dirs_exist_ok=True)
        shutil.copy2(es5 / _MATHJAX_FILE, vendor / _MATHJAX_FILE)  # last: marks a full copy
    return f"{_VENDOR_DIR}/{_MATHJAX_FILE}"


def _head(note_type: NoteType, title: str, mathjax_src: str | None) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>\n{note_type.css}\n</style>",
        f"<style>{_PAGE_CSS}</style>",
    ]
    if mathjax_src is not None:
        config = json.dumps(MATHJAX_CONFIG).replace("</", "<\\/")
        parts.append(f"<script>window.MathJax = {config};</script>")
        parts.append(f'<script id="MathJax-script" src="{escape(mathjax_src)}"></script>')
    parts.append("</head>")
    return "\n".join(parts)


def reviewer_page(
    note_type: NoteType, card_html: str, *, night: bool = False, mathjax_src: str | None = None
) -> str:
    """One side of one card in a page shaped like Anki's reviewer (body.card > div#qa)."""
    classes = "card card1" + (" nightMode night_mode" if night else "")
    return (
        _head(note_type, "ankigen card", mathjax_src)
        + f'\n<body class="{classes}">\n<div id="qa">\n{card_html}\n</div>\n</body>\n</html>\n'
    )


def _note_section(index: int, note: Note, note_type: NoteType) -> str:
    if len(note.fields) != len(FIELD_NAMES):
        raise ValueError(f"{note.origin}: {len(note.fields)} fields, expected {len(FIELD_NAMES)}")
    front, back = render_card(note_type, dict(zip(FIELD_NAMES, note.fields, strict=True)))
    meta = " · ".join(
        escape(part) for part in (note.deck, str(note.origin), " ".join(note.tags)) if part
    )
    return (
        f'<section class="agp-note" id="n{index}">\n'
        f'<div class="agp-meta">#{index} · {meta}</div>\n'
        '<div class="agp-sides">\n'
        f'<div class="agp-side"><div class="card card1">\n{front}\n</div></div>\n'
        f'<div class="agp-side"><div class="card card1">\n{back}\n</div></div>\n'
        "</div>\n</section>"
    )


def write_preview(
    notes: Sequence[Note], note_type: NoteType, out: Path, *, mathjax_src: str | None = None
) -> Path:
    """Write ``out`` (an .html file) showing the front and back of every note's card.

    With ``mathjax_src`` None, MathJax and its fonts are copied from tools/mathjax beside the
    page; if they are not installed the page says so and shows math as raw TeX. Media the notes
    reference are copied beside the page under their package names, so images show.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    warning = ""
    if mathjax_src is None:
        mathjax_src = local_mathjax(out.parent)
        if mathjax_src is None:
            warning = (
                '<span class="agp-warn">MathJax not found: run '
                "<code>npm ci --prefix tools/mathjax</code>; math is shown as raw TeX</span>"
            )
    for note in notes:
        for ref in note.media:
            target = out.parent / ref.name
            if not target.exists():  # names are content-hashed: same name, same bytes
                shutil.copy2(ref.source, target)
    sections = "\n".join(_note_section(i, n, note_type) for i, n in enumerate(notes, 1))
    bar = (
        '<div class="agp-bar">'
        f"<strong>ankigen preview</strong><span>{len(notes)} cards</span>"
        '<label><input type="checkbox" onchange="agpNight(this.checked)"> night mode</label>'
        f"{warning}</div>"
    )
    page = (
        _head(note_type, f"ankigen preview ({len(notes)} cards)", mathjax_src)
        + f'\n<body class="agp">\n<script>{_PAGE_JS}</script>\n{bar}\n{sections}\n'
        "</body>\n</html>\n"
    )
    out.write_text(page, encoding="utf-8")
    return out
