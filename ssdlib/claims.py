"""Claims of the paper as checks: one record per check, enforced outcomes, one table style.

Every chapter of the book tests the statements it makes through one :class:`Ledger`. A check
records

* the **statement** it tests: the paper's number (``"Proposition 3.5"``, ``"eq. (55)"``,
  ``"proof of Lemma B.3"``, ``"Q4"`` for a quoted claim of the ICLR 2026 paper) or the book's
  own label for a result the book derives (``"book: v_inf rate"``);
* the **claim** in words, with typeset math (``$...$``);
* the named **instance** it ran on;
* the **measured** value and the **criterion** (the tolerance or inequality, stated);
* the **expected verdict**: the claim *holds*, or *the paper's statement fails* (an erratum
  that the book documents, with a link to the section that shows the evidence and the
  repaired statement).

A check whose outcome differs from its expected verdict raises :class:`ClaimError` at once,
naming the check and the measured value, so the chapter, the book build and ``make test``
fail. A formula compared with its own implementation is recorded as a *consistency* check,
apart from the claims.

Every record is written (as JSON) to the claims folder of the build, ``_build/claims`` (or
``$SSDLIB_CLAIMS_DIR``), from which the book's claims-ledger page is generated.

Examples
--------
>>> ledger = Ledger("demo", save=False)
>>> ledger.check("Proposition 3.5", r"$T_0 \\le 2\\alpha$", instance="fig1",
...              measured=0.11, criterion=r"$\\le 0.2$", holds=0.11 <= 0.2)
holds
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "HOLDS",
    "FAILS",
    "STATEMENTS",
    "ClaimError",
    "Check",
    "Ledger",
    "claims_dir",
    "fmt",
    "load_records",
    "render_table",
    "statement_key",
]

HOLDS = "holds"
"""Expected verdict: the claim holds on the instance."""

FAILS = "fails"
"""Expected verdict: the paper's statement fails (a documented erratum)."""

KINDS = ("claim", "consistency")
ERRATUM_KINDS = ("proof", "statement")

# The numbered statements of the UAI 2025 paper and the quoted claims of the ICLR 2026 paper,
# in the paper's order: (key, kind, title). The ledger page lists every one of them, with the
# verdict that the chapters' checks give it; a check names its statement by one of these keys
# (or by a key starting with "book:" for a result the book derives itself).
STATEMENTS: tuple[tuple[str, str, str], ...] = (
    ("eqs. (2)-(6)", "formulas", "mirror descent and its dual dynamics"),
    ("eq. (8)", "formula", "the loss of the diagonal network"),
    ("eqs. (9)-(10)", "formulas", "gradient flow on the weights"),
    ("eqs. (11)-(13)", "formulas", "gradient flow as mirror flow (Woodworth's potential)"),
    ("eq. (14)", "formula", "the limit of gradient flow minimises the Bregman divergence"),
    ("eqs. (15)-(16)", "formulas", "smoothed sign descent and its flow"),
    ("Definition 3.1", "definition", "the Bregman divergence, eq. (7)"),
    ("Assumption 3.2", "assumption", "block structure of the data"),
    ("Assumption 3.3", "assumption", r"admissible $\alpha$ and $\varepsilon$, eqs. (18)-(19)"),
    ("Proposition 3.4", "proposition", "signs and monotonicity of the weights"),
    ("Proposition 3.5", "proposition", r"the first stage ends by $2\alpha$"),
    ("Proposition 3.6", "proposition", "dual dynamics of smoothed sign descent, eq. (20)"),
    ("Proposition 3.7", "proposition", "the second and third stages"),
    ("Assumption 3.8", "assumption", "two columns per block, eq. (21)"),
    ("delta-KKT conditions", "definition", r"the $\delta$-KKT conditions for problem (23)"),
    ("Theorem 3.9", "theorem", "the limit is an approximate KKT point"),
    ("Corollary 3.10", "corollary", r"the KKT error vanishes with $\varepsilon$"),
    ("Corollary 3.11", "corollary", "several blocks"),
    ("Corollary 3.12", "corollary", r"the KKT error is of order $\varepsilon$"),
    ("Lemma A.1", "lemma", "the residual keeps its sign"),
    ("Lemma A.2", "lemma", r"larger $|x_i|$ means larger $u_i$"),
    ("Lemma A.3", "lemma", "convergence"),
    ("Lemma B.1", "lemma", "ordering of the dominating weights"),
    ("Lemma B.2", "lemma", r"upper bound $M_+$"),
    ("Lemma B.3", "lemma", r"lower bound $M_-$"),
    ("Lemma B.4", "lemma", r"$M_-$ is positive at $\varepsilon = 0$"),
    ("higher order: potential", "formula",
     r"the potential $\Phi^H_t$ of depth $H$ (paragraph after Corollary 3.12)"),
    ("higher order: v = O(eps)", "formula", r"$v_{i,t} = O(\varepsilon)$ (same paragraph)"),
    ("higher order: H to infinity", "formula",
     r"as $H \to \infty$ the potential tends to the squared $\ell_2$ norm (same paragraph)"),
    ("Figures 1-3", "experiments",
     "the settings of the paper's Figures 1-3 satisfy the assumptions of its results"),
    ("Q1", "quoted claim", "steepest mirror flows unify steepest descent methods"),
    ("Q2", "quoted claim", "steeper descent escapes saddles faster"),
    ("Q3", "quoted claim", "gradient descent needs very large learning rates to escape"),
    ("Q4", "claim from a summary",
     "[summary only] depth gives steepest mirror flows a sparsity bias"),
    ("Q5", "quoted claim", "decoupled weight decay (AdamW) and the balance of the weights"),
)

_STATEMENT_KEYS = {key for key, _, _ in STATEMENTS}


class ClaimError(AssertionError):
    """A check's outcome differs from its expected verdict."""


def statement_key(statement: str) -> str:
    """The ledger entry a check's ``statement`` belongs to.

    ``"proof of Lemma B.3"`` belongs to ``"Lemma B.3"``; ``"eq. (55)"`` (inside the proof of
    Lemma B.2) must be named as ``"proof of Lemma B.2, eq. (55)"``. A key starting with
    ``"book:"`` is a result of the book itself.

    Raises
    ------
    ValueError
        If the statement names no entry of ``STATEMENTS`` and is not a ``book:`` key.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("`statement` must be a non-empty string, e.g. 'Proposition 3.5'.")
    if statement.startswith("book:"):
        return statement
    for key, _, _ in sorted(STATEMENTS, key=lambda s: -len(s[0])):
        if re.search(rf"(^|\W){re.escape(key)}(\W|$)", statement):
            return key
    raise ValueError(
        f"`statement` {statement!r} names no statement of the paper; use one of "
        f"ssdlib.claims.STATEMENTS (e.g. 'Lemma B.2', 'proof of Lemma B.2, eq. (55)', 'Q4') "
        "or a key starting with 'book:'."
    )


def fmt(value, digits: int = 3) -> str:
    """A number as typeset math: ``1.2e-09`` becomes ``$1.2 \\times 10^{-9}$``.

    Strings are returned unchanged, booleans as yes/no, integers as they are; tuples and lists
    of numbers are formatted one by one.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (tuple, list)):
        return ", ".join(fmt(v, digits) for v in value)
    if isinstance(value, numbers.Integral):
        return f"${int(value)}$"
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return r"$\infty$" if x > 0 else r"$-\infty$"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        exp = int(exp)
        if mant in ("1", "-1"):
            return f"${'-' if mant == '-1' else ''}10^{{{exp}}}$"
        return f"${mant} \\times 10^{{{exp}}}$"
    return f"${text}$"


@dataclasses.dataclass(frozen=True)
class Check:
    """One check of one claim (see the module docstring for the fields' meaning)."""

    chapter: str
    number: int
    table: int
    statement: str
    key: str
    claim: str
    instance: str
    measured: str
    criterion: str
    holds: bool
    expect: str = HOLDS
    kind: str = "claim"
    erratum: str | None = None
    see: str | None = None
    corrected: str | None = None

    @property
    def anchor(self) -> str:
        """HTML id of the table that shows this check."""
        return f"claims-{self.chapter}-{self.table}"

    @property
    def is_erratum(self) -> bool:
        return self.expect == FAILS


def claims_dir() -> Path | None:
    """Folder the records are written to: ``$SSDLIB_CLAIMS_DIR``, else ``_build/claims`` of the
    book (the first folder upwards from the working directory that holds ``_config.yml``), else
    ``None`` (records are then kept in memory only)."""
    env = os.environ.get("SSDLIB_CLAIMS_DIR")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "_toc.yml").is_file():
            return folder / "_build" / "claims"
    return None


class Ledger:
    """The checks of one chapter.

    Parameters
    ----------
    chapter : str
        The chapter's name (its file name without suffix, e.g. ``"kkt"``); records are saved
        as ``<claims_dir>/<chapter>.json`` and linked from the claims ledger.
    save : bool, optional
        Write the records after every check (default). ``False`` keeps them in memory.
    """

    def __init__(self, chapter: str, *, save: bool = True):
        if not isinstance(chapter, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", chapter):
            raise ValueError(
                "`chapter` must be the chapter's file name without suffix, e.g. 'kkt'."
            )
        self.chapter = chapter
        self.checks: list[Check] = []
        self._table = 1
        self._shown = 0
        self._path = None
        if save:
            folder = claims_dir()
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                self._path = folder / f"{chapter}.json"
                self._write()

    def check(
        self,
        statement: str,
        claim: str,
        *,
        instance: str,
        measured,
        criterion: str,
        holds,
        expect: str = HOLDS,
        kind: str = "claim",
        erratum: str | None = None,
        see: str | None = None,
        corrected: str | None = None,
    ) -> bool:
        """Record one check and enforce its expected verdict.

        Parameters
        ----------
        statement : str
            The paper's statement (a key of ``STATEMENTS``, possibly with a part:
            ``"proof of Lemma B.2, eq. (55)"``) or a ``"book: ..."`` key.
        claim : str
            What is claimed, in words with ``$...$`` math.
        instance : str
            The named instance (or family of instances) the check ran on.
        measured : float or str
            The measured value (numbers are typeset by :func:`fmt`).
        criterion : str
            The tolerance or inequality that decides the verdict, stated.
        holds : bool
            Whether the criterion is met.
        expect : {"holds", "fails"}
            ``"fails"`` for a documented erratum: the paper's statement is expected to fail.
        kind : {"claim", "consistency"}
            ``"consistency"`` for a formula compared with its own implementation.
        erratum : {"proof", "statement"}, optional
            Required with ``expect="fails"``: whether the proof (the statement survives,
            with a repaired proof) or the statement itself fails.
        see : str, optional
            Required with ``expect="fails"``: the label of the section with the evidence.
        corrected : str, optional
            Required with ``expect="fails"``: the repaired statement.

        Returns
        -------
        Outcome
            True (as a bool) when the criterion is met; shows nothing as a cell's last value.

        Raises
        ------
        ClaimError
            If ``holds`` differs from what ``expect`` says.
        ValueError
            On a malformed check (unknown statement, kind or expected verdict; an erratum
            without its link or corrected statement).
        """
        key = statement_key(statement)
        if expect not in (HOLDS, FAILS):
            raise ValueError("`expect` must be ssdlib.claims.HOLDS or ssdlib.claims.FAILS.")
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}, not {kind!r}.")
        for name, text in (("claim", claim), ("instance", instance), ("criterion", criterion)):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"`{name}` must be a non-empty string.")
        if expect == FAILS:
            if kind != "claim":
                raise ValueError("an erratum (`expect=FAILS`) must be of `kind` 'claim'.")
            if erratum not in ERRATUM_KINDS or not see or not corrected:
                raise ValueError(
                    "an erratum (`expect=FAILS`) needs `erratum` ('proof' or 'statement'), "
                    "`see` (the label of the section with the evidence) and `corrected` "
                    "(the repaired statement)."
                )
        elif erratum is not None or corrected is not None:
            raise ValueError("`erratum` and `corrected` are only for `expect=FAILS`.")
        holds = bool(holds)
        record = Check(
            chapter=self.chapter,
            number=len(self.checks) + 1,
            table=self._table,
            statement=statement,
            key=key,
            claim=claim,
            instance=instance,
            measured=fmt(measured),
            criterion=criterion,
            holds=holds,
            expect=expect,
            kind=kind,
            erratum=erratum,
            see=see,
            corrected=corrected,
        )
        if holds != (expect == HOLDS):
            if expect == HOLDS:
                verdict = "the check FAILS, but the paper's statement is expected to hold"
            else:
                verdict = ("the check HOLDS, but it documents an erratum: the paper's "
                           "statement is expected to fail here")
            raise ClaimError(
                f"[{self.chapter} #{record.number}] {statement}: {claim} "
                f"(instance {instance}): measured {record.measured}, criterion {criterion}; "
                f"{verdict}."
            )
        self.checks.append(record)
        self._write()
        return Outcome(holds)

    def table(self, checks: Iterable[Check] | None = None):
        """The checks recorded since the previous table, as one Markdown table.

        Returns an object that notebooks and the book display as Markdown (MyST in the book).
        """
        if checks is None:
            checks = self.checks[self._shown:]
            self._shown = len(self.checks)
        checks = list(checks)
        if not checks:
            raise ValueError("no checks to show: record checks with `Ledger.check` first.")
        text = render_table(checks)
        self._table += 1
        return _Markdown(text)

    def summary(self):
        """Counts of the chapter's checks (claims, consistency checks, errata) as Markdown."""
        claims = [c for c in self.checks if c.kind == "claim"]
        errata = [c for c in claims if c.is_erratum]
        statements = sorted({c.key for c in claims}, key=_order)
        text = (
            f"This chapter ran **{len(claims)}** checks of claims about "
            f"**{len(statements)}** statements and **{len(self.checks) - len(claims)}** "
            f"consistency checks; every claim came out as expected, "
            f"**{len(claims) - len(errata)}** holding and **{len(errata)}** documenting "
            "errata of the paper. All of them are collected in the "
            "[claims ledger](claims.md)."
        )
        return _Markdown(text)

    def _write(self):
        if self._path is None:
            return
        data = {"chapter": self.chapter,
                "checks": [dataclasses.asdict(c) for c in self.checks]}
        tmp = self._path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self._path)


class Outcome:
    """Whether a check's criterion is met: true or false, silent as a notebook cell's value."""

    __slots__ = ("holds",)

    def __init__(self, holds: bool):
        self.holds = bool(holds)

    def __bool__(self):
        return self.holds

    def __eq__(self, other):
        return bool(self) == bool(other)

    __hash__ = None

    def __repr__(self):
        return "holds" if self.holds else "does not hold"

    def _ipython_display_(self):
        pass


class _Markdown:
    """Displayed as Markdown (the book parses notebook Markdown as MyST)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self):
        return self.text

    def __repr__(self):
        return self.text


def _order(key: str) -> int:
    keys = [k for k, _, _ in STATEMENTS]
    return keys.index(key) if key in keys else len(keys)


def _cell(text: str) -> str:
    """Table-safe Markdown: a '|' inside math becomes \\vert (a bare '|' would split cells)."""
    parts = str(text).split("$")
    parts[1::2] = [p.replace("\\|", "\\Vert ").replace("|", "\\vert ") for p in parts[1::2]]
    parts[::2] = [p.replace("|", "\\|") for p in parts[::2]]
    return "$".join(parts).replace("\n", " ")


def statement_label(statement: str) -> str:
    """How a statement is named on a page: ``"book: rate"`` becomes ``"rate (this book)"``."""
    if statement.startswith("book:"):
        return f"{statement.removeprefix('book:').strip()} (this book)"
    return statement


def verdict_text(check: Check) -> str:
    """The verdict cell of one check."""
    if check.is_erratum:
        what = "proof" if check.erratum == "proof" else "statement"
        return (f'<span class="claim-erratum">erratum of the paper\'s {what}</span>: '
                f"{_cell(check.corrected)} ([evidence](#{check.see}))")
    if check.kind == "consistency":
        return '<span class="claim-consistent">consistent</span>'
    return '<span class="claim-holds">holds</span>'


def render_table(checks: Iterable[Check]) -> str:
    """One Markdown table: claim | instance | measured | criterion | verdict.

    The claim cell starts with the statement tested, in bold. The table is preceded by an
    HTML anchor (``claims-<chapter>-<table>``) that the claims ledger links to.
    """
    checks = list(checks)
    anchor = checks[0].anchor
    lines = [f'<span id="{anchor}"></span>', "",
             "| claim | instance | measured | criterion | verdict |",
             "| :-- | :-- | :-- | :-- | :-- |"]
    for c in checks:
        lines.append(
            f"| **{_cell(statement_label(c.statement))}**: {_cell(c.claim)} | "
            f"{_cell(c.instance)} | {_cell(c.measured)} | {_cell(c.criterion)} | "
            f"{verdict_text(c)} |"
        )
    return "\n".join(lines)


def load_records(folder: Path | str) -> list[Check]:
    """All checks saved in ``folder`` (one JSON file per chapter), in file-name order."""
    folder = Path(folder)
    out: list[Check] = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.extend(Check(**c) for c in data["checks"])
    return out


def statement_verdicts(checks: Iterable[Check]) -> list[dict]:
    """One row per statement of ``STATEMENTS`` (and per ``book:`` key), with its verdict.

    The verdict is *fails* if any check documents an erratum of the statement itself, *holds
    with a repaired proof* if any documents an erratum of its proof, *holds* if it has checks
    of claims and none is an erratum, and *not checked* otherwise.
    """
    checks = list(checks)
    keys = [k for k, _, _ in STATEMENTS]
    keys += sorted({c.key for c in checks if c.key not in _STATEMENT_KEYS})
    meta = {k: (kind, title) for k, kind, title in STATEMENTS}
    rows = []
    for key in keys:
        mine = [c for c in checks if c.key == key]
        claims = [c for c in mine if c.kind == "claim"]
        errata = [c for c in claims if c.is_erratum]
        if any(c.erratum == "statement" for c in errata):
            verdict = "fails"
        elif errata:
            verdict = "holds with a repaired proof"
        elif claims:
            verdict = "holds"
        else:
            verdict = "not checked"
        chapters = ", ".join(sorted({c.chapter for c in mine}))
        kind, title = meta.get(key, ("result of the book", f"derived in {chapters}"))
        rows.append({"key": key, "kind": kind, "title": title, "verdict": verdict,
                     "checks": mine, "errata": errata})
    return rows
