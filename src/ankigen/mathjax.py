"""TeX as Typora accepts it -> TeX that Anki's MathJax typesets, plus build-time checks.

Anki ships MathJax 3.2.2 with tex-chtml-full's packages + noerrors + mathtools - textmacros
(physics off) and shows errors silently on the card (/work/shared/ANKI.md), so every formula is
translated where Typora and Anki differ and checked here, where the author can still be told.

Checks are by design static: no node at build time. ``MATHJAX_MACROS`` is MathJax's own list,
dumped from the configured TeX input jax (tests/test_math.py regenerates and compares it when
node and tools/mathjax are present).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from pylatexenc.latexwalker import LatexWalker, LatexWalkerError
from pylatexenc.macrospec import EnvironmentSpec, LatexContextDb, MacroSpec, SpecialsSpec


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class TexProblem:
    """One thing wrong with a formula; ``line`` counts newlines from the formula's start."""

    message: str
    line: int = 0
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedTex:
    tex: str  # translated source, not yet HTML-escaped
    problems: tuple[TexProblem, ...] = ()
    translated: bool = False


# Every macro (letters only) defined by Anki's MathJax configuration, from
# parseOptions.handlers "macro" + "delimiter" of MathJax 3.2.2 with Anki's packages.
MATHJAX_MACROS = _words(
    """
AXC Aboxed And ArrowBetweenLines Arrowvert Axiom AxiomC BIC Bbb Bbbk Big Bigg Biggl Biggm Biggr
Bigl Bigm Bigr BinaryInf BinaryInfC Box Bra Braket Bumpeq Cap Colonapprox Coloneq Coloneqq
Colonsim Cup DeclareMathOperator DeclarePairedDelimiter DeclarePairedDelimiterX
DeclarePairedDelimiterXPP DeclarePairedDelimiters DeclarePairedDelimitersX
DeclarePairedDelimitersXPP Delta Diamond Doteq Downarrow Eqcolon Eqqcolon Finv Game Gamma Huge
Im Join Ket Ketbra LARGE LL LaTeX Lambda Large LeftLabel Leftarrow Leftrightarrow Lleftarrow
Longleftarrow Longleftrightarrow Longrightarrow Lsh MTFlushSpaceAbove MTFlushSpaceBelow
MTThinColon MoveEqLeft Newextarrow Omega Phi Pi Pr Psi QuaternaryInf QuaternaryInfC QuinaryInf
QuinaryInfC RL Re RightLabel Rightarrow Rrightarrow Rsh Rule S Set Sigma Space Subset Supset TIC
TeX Theta Tiny TrinaryInf TrinaryInfC UIC UnaryInf UnaryInfC Uparrow Updelta Updownarrow Upgamma
Uplambda Upomega Upphi Uppi Uppsi Upsigma Upsilon Uptheta Upupsilon Upxi Vdash Vert Vvdash Xi
above abovewithdelims acute adjustlimits aleph alpha alwaysDashedLine alwaysNoLine
alwaysRootAtBottom alwaysRootAtTop alwaysSingleLine alwaysSolidLine amalg angle approx approxeq
arccos arcsin arctan arg array arrowvert ast asymp atop atopwithdelims backepsilon backprime
backsim backsimeq backslash bar barwedge bbFont bbox bcancel because begin beta beth between bf
big bigcap bigcirc bigcup bigg biggl biggm biggr bigl bigm bigodot bigoplus bigotimes bigr
bigsqcup bigstar bigtimes bigtriangledown bigtriangleup biguplus bigvee bigwedge binom
blacklozenge blacksquare blacktriangle blacktriangledown blacktriangleleft blacktriangleright
bmod boldsymbol bot bowtie boxdot boxed boxminus boxplus boxtimes bra brace bracevert brack
braket breve buildrel bullet bumpeq cal cancel cancelto cap cases cdot cdotp cdots ce cellcolor
celsius centerOver centercolon centerdot centernot cfrac check checkmark chi choose circ circeq
circlearrowleft circlearrowright circledR circledS circledast circledcirc circleddash clap class
clubsuit colon colonapprox coloneq coloneqq colonsim color colorbox columncolor complement cong
coprod cos cosh cot coth cr cramped crampedclap crampedllap crampedrlap crampedsubstack csc
cssId cup curlyeqprec curlyeqsucc curlyvee curlywedge curvearrowleft curvearrowright dagger
daleth dashedLine dashleftarrow dashrightarrow dashv dbinom dblcolon ddagger ddddot dddot ddot
ddots def definecolor deg degree delta det dfrac diagdown diagup diamond diamondsuit digamma dim
displaylines displaystyle div divideontimes divsymbol dot doteq doteqdot dotplus dots dotsb
dotsc dotsi dotsm dotso doublebarwedge doublecap doublecup downarrow downdownarrows
downharpoonleft downharpoonright ell empheqbigl empheqbiglVert empheqbiglangle empheqbiglbrace
empheqbiglbrack empheqbiglceil empheqbiglfloor empheqbiglparen empheqbiglvert empheqbigr
empheqbigrVert empheqbigrangle empheqbigrbrace empheqbigrbrack empheqbigrceil empheqbigrfloor
empheqbigrparen empheqbigrvert empheql empheqlVert empheqlangle empheqlbrace empheqlbrack
empheqlceil empheqlfloor empheqlparen empheqlvert empheqr empheqrVert empheqrangle empheqrbrace
empheqrbrack empheqrceil empheqrfloor empheqrparen empheqrvert emptyset enclose end enspace
epsilon eqalign eqalignno eqcirc eqcolon eqqcolon eqref eqsim eqslantgtr eqslantless equiv eta
eth exists exp fCenter fallingdotseq fbox fcolorbox flat forall frac frak framebox frown gamma
gcd ge genfrac geq geqq geqslant gets gg ggg gggtr gimel gnapprox gneq gneqq gnsim grave gt
gtrapprox gtrdot gtreqless gtreqqless gtrless gtrsim gvertneqq hat hbar hbox hdashline heartsuit
hfil hfill hfilll hline hom hookleftarrow hookrightarrow hphantom href hskip hslash hspace huge
idotsint iff iiiint iiint iint imath impliedby implies in inf infty injlim int intercal intop
iota it jmath kappa ker kern ket ketbra lVert label lambda land langle large lbrace lbrack lceil
ldotp ldots le leadsto left leftarrow leftarrowtail leftharpoondown leftharpoonup leftleftarrows
leftrightarrow leftrightarrows leftrightharpoons leftrightsquigarrow leftroot leftthreetimes leq
leqalignno leqq leqslant lessapprox lessdot lesseqgtr lesseqqgtr lessgtr lesssim let lfloor lg
lgroup lhd lim liminf limits limsup ll llap llcorner lll llless lmoustache ln lnapprox lneq
lneqq lnot lnsim log longLeftrightharpoons longRightleftharpoons longleftarrow
longleftrightarrow longleftrightarrows longmapsto longrightarrow longrightleftharpoons
looparrowleft looparrowright lor lower lozenge lparen lrcorner lt ltimes lvert lvertneqq maltese
mapsto mathbb mathbf mathbfcal mathbffrak mathbfit mathbfscr mathbfsf mathbfsfit mathbfsfup
mathbfup mathbin mathcal mathchoice mathclap mathclose mathfrak mathinner mathit mathllap
mathmakebox mathmbox mathnormal mathop mathopen mathord mathpunct mathrel mathring mathrlap
mathrm mathscr mathsf mathsfit mathsfup mathstrut mathtip mathtoolsset mathtt mathup matrix max
mbox measuredangle mho micro mid middle min minCDarrowheight minCDarrowwidth mit mkern mmlToken
mod models moveleft moveright mp mskip mspace mu multimap nLeftarrow nLeftrightarrow nRightarrow
nVDash nVdash nabla natural ncong ndownarrow ne nearrow neg negmedspace negthickspace
negthinspace neq newcommand newenvironment newline newtagform nexists ngeq ngeqq ngeqslant ngtr
ni nleftarrow nleftrightarrow nleq nleqq nleqslant nless nmid noLine nobreakspace nolimits
nonscript nonumber normalsize not notChar notag notin nparallel nprec npreceq nrightarrow
nshortmid nshortparallel nsim nsubseteq nsubseteqq nsucc nsucceq nsupseteq nsupseteqq
ntriangleleft ntrianglelefteq ntriangleright ntrianglerighteq nu nuparrow nvDash nvdash nwarrow
odot ohm oint oldstyle omega omicron ominus operatorname oplus ordinarycolon oslash otimes over
overbrace overbracket overleftarrow overleftrightarrow overline overparen overrightarrow overset
overunderset overwithdelims owns parallel partial perp perthousand phantom phi pi pitchfork pm
pmatrix pmb pmod pod prec precapprox preccurlyeq preceq precnapprox precneqq precnsim precsim
prescript prime prod projlim propto psi pu qquad quad rVert raise rangle rbrace rbrack rceil ref
refeq renewcommand renewenvironment renewtagform require restriction rfloor rgroup rhd rho right
rightarrow rightarrowtail rightharpoondown rightharpoonup rightleftarrows rightleftharpoons
rightrightarrows rightsquigarrow rightthreetimes risingdotseq rlap rm rmoustache root
rootAtBottom rootAtTop rowcolor rparen rtimes rule rvert scr scriptscriptstyle scriptsize
scriptstyle searrow sec set setminus sf sharp shortmid shortparallel shortvdotswithin shoveleft
shoveright sideset sigma sim simeq sin singleLine sinh skew small smallfrown smallint
smallsetminus smallsmile smash smile solidLine space spadesuit sphericalangle splitdfrac
splitfrac sqcap sqcup sqrt sqsubset sqsubseteq sqsupset sqsupseteq square stackbin stackrel star
strut style subset subseteq subseteqq subsetneq subsetneqq substack succ succapprox succcurlyeq
succeq succnapprox succneqq succnsim succsim sum sup supset supseteq supseteqq supsetneq
supsetneqq surd swarrow symbb symbf symbfcal symbffrak symbfit symbfscr symbfsf symbfsfit
symbfsfup symbfup symcal symfrak symit symnormal symrm symscr symsf symsfit symsfup symtt symup
tag tan tanh tau tbinom text textacutedbl textasciiacute textasciibreve textasciicaron
textasciicircum textasciidieresis textasciimacron textasciitilde textasteriskcentered
textbackslash textbaht textbar textbardbl textbf textbigcircle textblank textborn textbraceleft
textbraceright textbrokenbar textbullet textcelsius textcent textcentoldstyle textcircledP
textclap textcolonmonetary textcolor textcompwordmark textcopyleft textcopyright textcurrency
textdagger textdaggerdbl textdegree textdied textdiscount textdiv textdivorced textdollar
textdollaroldstyle textdong textdownarrow texteightoldstyle textellipsis textemdash textendash
textestimated texteuro textexclamdown textfiveoldstyle textflorin textfouroldstyle
textfractionsolidus textgravedbl textgreater textguarani textinterrobang textinterrobangdown
textit textlangle textlbrackdbl textleftarrow textless textlira textllap textlnot textlquill
textmarried textmho textminus textmu textmusicalnote textnaira textnineoldstyle textnormal
textnumero textohm textonehalf textoneoldstyle textonequarter textonesuperior textopenbullet
textordfeminine textordmasculine textparagraph textperiodcentered textpertenthousand
textperthousand textpeso textpm textquestiondown textquotedblleft textquotedblright
textquoteleft textquoteright textrangle textrbrackdbl textrecipe textreferencemark
textregistered textrightarrow textrlap textrm textrquill textsection textservicemark
textsevenoldstyle textsf textsixoldstyle textsterling textstyle textsurd textthreeoldstyle
textthreequarters textthreesuperior texttildelow texttimes texttip texttrademark texttt
texttwooldstyle texttwosuperior textunderscore textup textuparrow textvisiblespace textwon
textyen textzerooldstyle tfrac therefore theta thickapprox thicksim thinspace tilde times tiny
to toggle top triangle triangledown triangleleft trianglelefteq triangleq triangleright
trianglerighteq tripledash tt twoheadleftarrow twoheadrightarrow ulcorner underbrace
underbracket underleftarrow underleftrightarrow underline underparen underrightarrow underset
unicode unlhd unrhd upalpha uparrow upbeta upchi updelta updownarrow upepsilon upeta upgamma
upharpoonleft upharpoonright upiota upkappa uplambda uplus upmu upnu upomega upomicron upphi
uppi uppsi uprho uproot upsigma upsilon uptau uptheta upuparrows upupsilon upvarepsilon upvarphi
upvarpi upvarrho upvarsigma upvartheta upxi upzeta urcorner usetagform vDash varDelta varGamma
varLambda varOmega varPhi varPi varPsi varSigma varTheta varUpsilon varXi varepsilon varinjlim
varkappa varliminf varlimsup varnothing varphi varpi varprojlim varpropto varrho varsigma
varsubsetneq varsubsetneqq varsupsetneq varsupsetneqq vartheta vartriangle vartriangleleft
vartriangleright vcenter vdash vdots vdotswithin vec vee veebar verb vert vphantom wedge widehat
widetilde wp wr xLeftarrow xLeftrightarrow xLeftrightharpoons xRightarrow xRightleftharpoons
xcancel xhookleftarrow xhookrightarrow xi xleftarrow xleftharpoondown xleftharpoonup
xleftrightarrow xleftrightharpoons xlongequal xmapsto xmathstrut xrightarrow xrightharpoondown
xrightharpoonup xrightleftharpoons xtofrom xtwoheadleftarrow xtwoheadrightarrow yen zeta
"""
)

MATHJAX_ENVIRONMENTS = _words(
    """
Bmatrix Bmatrix* Bsmallmatrix Bsmallmatrix* CD Vmatrix Vmatrix* Vsmallmatrix Vsmallmatrix*
align align* alignat alignat* aligned alignedat array bmatrix bmatrix* bsmallmatrix
bsmallmatrix* cases cases* crampedsubarray dcases dcases* drcases drcases* empheq eqnarray
eqnarray* equation equation* flalign flalign* gather gather* gathered lgathered matrix matrix*
multline multline* multlined numcases pmatrix pmatrix* prooftree psmallmatrix psmallmatrix*
rcases rcases* rgathered smallmatrix smallmatrix* split spreadlines subarray subnumcases vmatrix
vmatrix* vsmallmatrix vsmallmatrix* xalignat xalignat* xxalignat
"""
)

# Top-level equation environments: MathJax only accepts them as the whole of display math.
_DISPLAY_ONLY = _words(
    "align align* alignat alignat* eqnarray eqnarray* equation equation* flalign flalign* "
    "gather gather* multline multline* xalignat xalignat* xxalignat"
)

# Typora (its MathJax 2 heritage) knows these; Anki's MathJax 3 does not.
_RENAMES = {"bold": "mathbf"}

_PHYSICS = _words(
    "abs norm dv pdv bra ket braket ev qty order Tr tr vb vu grad curl divergence "
    "laplacian eval mel dd"
)

_TOKEN = re.compile(
    r"\\(?P<env>begin|end)\s*\{(?P<name>[^{}]*)\}"
    r"|\\(?P<macro>[A-Za-z]+)"
    r"|\\(?P<symbol>.)"
    r"|(?P<char>[{}&%])",
    re.S,
)
_DEFINES = re.compile(
    r"\\(?:(?:re)?newcommand\*?|DeclareMathOperator\*?|def|let|newenvironment)\s*\{?\\?([A-Za-z]+)"
)
_TRAILING_BREAKS = re.compile(r"(?:\\\\\s*|\\newline(?![A-Za-z])\s*)+\Z")


def _walker_context() -> LatexContextDb:
    # Every macro and environment without arguments: pylatexenc's default database models
    # LaTeX (where a trailing \\ expects an argument), not MathJax; only structure matters here.
    db = LatexContextDb()
    db.set_unknown_macro_spec(MacroSpec(""))
    db.set_unknown_environment_spec(EnvironmentSpec(""))
    db.set_unknown_specials_spec(SpecialsSpec(""))
    return db


_CONTEXT = _walker_context()


# Braces, environment pairs, escapes and dollars: all pylatexenc checks with the context above.
_STRUCTURE = re.compile(
    r"\\begin\s*\{(?P<begin>[^{}]*)\}|\\end\s*\{(?P<end>[^{}]*)\}|\\.|[{}$%]", re.S
)


def _plainly_balanced(tex: str) -> bool:
    """A quick pass that proves most formulas well-formed without building a node tree.

    With every macro argument-less (``_CONTEXT``), pylatexenc reports exactly unbalanced
    braces, mismatched ``\\begin``/``\\end`` and stray ``$``; this pass sees the same things,
    so pylatexenc runs only on formulas it cannot clear (and gives the message). It is the
    most expensive check per formula, and a vault has tens of thousands of formulas.
    """
    if not any(mark in tex for mark in ("$", "%", "\\begin", "\\end")):
        return _braces_balanced(tex)
    return _structure_balanced(tex)


def _structure_balanced(tex: str) -> bool:
    opened: list[str] = []  # "{" or an environment's name, innermost last
    for m in _STRUCTURE.finditer(tex):
        token = m.group(0)
        if (begin := m["begin"]) is not None:
            opened.append("\\begin " + begin.strip())
        elif (end := m["end"]) is not None:
            if not opened or opened.pop() != "\\begin " + end.strip():
                return False
        elif token == "{":
            opened.append("{")
        elif token == "}":
            if not opened or opened.pop() != "{":
                return False
        elif token in ("$", "%"):
            return False  # a dollar is an error; a comment changes what is balanced: ask
    return not opened


_ESCAPE = re.compile(r"\\.", re.S)
_NOT_BRACE = re.compile(r"[^{}]+")


def _braces_balanced(tex: str) -> bool:
    """_plainly_balanced for a formula without environments, ``$`` or ``%`` (most of them):
    there its tokens are escapes (skipped) and braces, so deleting the escapes, then every
    other character, then ``{}`` pairs until none is left, asks the same in a few C loops."""
    braces = _NOT_BRACE.sub("", _ESCAPE.sub("", tex))
    while "{}" in braces:
        braces = braces.replace("{}", "")
    return not braces


@lru_cache(maxsize=65536)
def _structure_error(tex: str) -> TexProblem | None:
    """Braces, \\begin/\\end pairing and stray ``$``, as pylatexenc's parser sees them.

    Cached: a vault repeats many formulas, and watch mode rebuilds the same ones.
    """
    if _plainly_balanced(tex):
        return None
    try:
        LatexWalker(tex, tolerant_parsing=False, latex_context=_CONTEXT).get_latex_nodes()
    except LatexWalkerError as exc:
        pos = getattr(exc, "pos", None)
        line = tex.count("\n", 0, pos) if isinstance(pos, int) else 0
        message = str(exc).splitlines()[0]
        message = re.sub(r"\s*@\(\d+,\d+\)$", "", message)
        return TexProblem(f"TeX does not parse: {message}", line)
    return None


@dataclass(slots=True)
class _Scan:
    edits: list[tuple[int, int, str]]
    problems: list[TexProblem]
    top_breaks: int = 0  # \\ or \newline outside any group, environment or \left…\right
    top_amp: bool = False


# Without any of these a formula has no comment, environment, \left…\right, break, \tag, & or
# rename, and every backslash starts a token of its own: _scan then only checks macro names.
_SCAN_MARKS = (
    *("%", "&", "\\\\", "\\begin", "\\end", "\\left", "\\right", "\\newline", "\\tag"),
    *("\\" + name for name in _RENAMES),
)
_MACRO_NAME = re.compile(r"\\([A-Za-z]+)")


def _scan(tex: str, display: bool) -> _Scan:
    """One regex pass over the control sequences: renames, unknown names, top-level breaks.

    Hand-written rather than walking pylatexenc's node tree: the walk would need to know every
    macro's arguments to see nesting right, and this pass runs on every formula of a vault.
    """
    if not any(mark in tex for mark in _SCAN_MARKS):
        # the common formula: all its macros known (or \require'd) means nothing to report
        unknown = set(_MACRO_NAME.findall(tex)) - MATHJAX_MACROS
        if not unknown or "\\require" in tex or unknown <= set(_DEFINES.findall(tex)):
            return _Scan([], [])
    return _scan_tokens(tex, display)


def _scan_tokens(tex: str, display: bool) -> _Scan:
    scan = _Scan([], [])
    defined = set(_DEFINES.findall(tex))
    check_names = "\\require" not in tex  # a \require'd package may define anything
    depth = lefts = 0
    envs: list[str] = []
    comment_until = -1

    def problem(message: str, at: int, hint: str | None = None) -> None:
        scan.problems.append(TexProblem(message, tex.count("\n", 0, at), hint))

    for m in _TOKEN.finditer(tex):
        if m.start() < comment_until:
            continue
        top = depth == 0 and not envs and lefts == 0
        if (char := m["char"]) is not None:
            if char == "{":
                depth += 1
            elif char == "}":
                depth = max(0, depth - 1)
            elif char == "&":
                scan.top_amp = scan.top_amp or top
            else:  # % comments out the rest of the line, in MathJax as in LaTeX
                end = tex.find("\n", m.start())
                comment_until = len(tex) if end < 0 else end
        elif (kind := m["env"]) is not None:
            name = m["name"].strip()
            if kind == "end":
                if envs and envs[-1] == name:
                    envs.pop()
                continue
            if name not in MATHJAX_ENVIRONMENTS:
                problem(f"unknown environment {{{name}}} (Anki's MathJax shows it raw)", m.start())
            elif name in _DISPLAY_ONLY and (not display or not top):
                where = "inside another structure" if display else "in inline math"
                hint = "put it alone in a $$ … $$ block, or use aligned/gathered"
                problem(f"\\begin{{{name}}} {where} is an error in MathJax", m.start(), hint)
            envs.append(name)
        elif (name := m["macro"]) is not None:
            if name == "left":
                lefts += 1
            elif name == "right":
                if lefts == 0:
                    problem("\\right without a matching \\left", m.start())
                lefts = max(0, lefts - 1)
            elif name == "newline" and top:
                scan.top_breaks += 1
            elif name == "tag" and not display:
                problem("\\tag is only allowed in display math", m.start())
            if name in _RENAMES and name not in defined:
                scan.edits.append((m.start(), m.end(), "\\" + _RENAMES[name]))
            elif check_names and name not in MATHJAX_MACROS and name not in defined:
                hint = (
                    "the physics package is off in Anki: write it out, e.g. \\left| x \\right|"
                    if name in _PHYSICS
                    else "Anki's MathJax prints an unknown command in red"
                )
                problem(f"unknown TeX command \\{name}", m.start(), hint)
        elif m["symbol"] == "\\" and top:
            scan.top_breaks += 1
    if lefts:
        problem("\\left without a matching \\right", len(tex))
    return scan


@lru_cache(maxsize=65536)
def prepare(tex: str, display: bool) -> PreparedTex:
    """Translate Typora-only TeX and collect every problem Anki's MathJax would hide.

    Cached on the formula: a vault repeats formulas, and watch mode rebuilds the same ones.
    """
    lead = tex[: len(tex) - len(tex.lstrip())].count("\n")  # problem lines count from here
    tex = tex.strip()
    if not tex:
        return PreparedTex(tex, (TexProblem("empty formula"),))
    problems: list[TexProblem] = []
    if (structure := _structure_error(tex)) is not None:
        problems.append(structure)
    original = tex
    if display:
        # A trailing \\ (seed 002 ends blocks with one) adds an empty row once wrapped below.
        tex = _TRAILING_BREAKS.sub("", tex).rstrip() or tex
    scan = _scan(tex, display)
    problems.extend(scan.problems)
    for start, end, new in reversed(scan.edits):
        tex = tex[:start] + new + tex[end:]
    if display and scan.top_breaks:
        # MathJax 3's CHTML output ignores a \\ outside an environment, where Typora breaks
        # the line, so "a = b \\ c = d" would run together on one line in Anki.
        env = "aligned" if scan.top_amp else "gathered"
        tex = f"\\begin{{{env}}}\n{tex}\n\\end{{{env}}}"
    elif scan.top_amp:
        problems.append(TexProblem("& outside an environment is a TeX error"))
    if lead:
        problems = [TexProblem(p.message, p.line + lead, p.hint) for p in problems]
    return PreparedTex(tex, tuple(problems), tex != original)


_CLOZE_CLOSE = re.compile(r"\}(?=\})")
_CLOZE_HINT = re.compile(r":(?=:)")


def to_card_html(tex: str, display: bool) -> str:
    """Prepared TeX -> ``\\(…\\)`` / ``\\[…\\]`` safe in an HTML field and inside a cloze.

    The browser parses the field before MathJax runs, so ``<``/``>``/``&`` are escaped. ``}}``
    would end a cloze deletion and ``::`` start its hint; a space between the two characters
    means the same to TeX in math mode.
    """
    body = escape(tex, quote=False)
    if "}}" in body:  # the substitutions find nothing otherwise; most formulas have neither
        body = _CLOZE_CLOSE.sub("} ", body)
    if "::" in body:
        body = _CLOZE_HINT.sub(": ", body)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"
