"""Sphinx extension: the claims-ledger page, generated from the records the chapters write.

Each chapter records its checks with :class:`ssdlib.claims.Ledger`, which writes them to
``_build/claims/<chapter>.json`` while the chapter executes. The directive ``claims-ledger``
turns those records into the ledger: totals, one row per statement of the paper with its
verdict and links to the tables that check it, and the errata with their corrected statements.

The page holding the directive (config value ``claims_ledger_page``, default ``book/claims``)
is read after every other page, so that the chapters executed in the same build have written
their records, and it is re-read in every build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util import logging

from .claims import _cell, load_records, statement_verdicts

logger = logging.getLogger(__name__)

_VERDICT_CLASS = {
    "holds": "claim-holds",
    "holds with a repaired proof": "claim-repaired",
    "fails": "claim-erratum",
    "not checked": "claim-unchecked",
}


def records_folder(srcdir) -> Path:
    env = os.environ.get("SSDLIB_CLAIMS_DIR")
    return Path(env) if env else Path(srcdir) / "_build" / "claims"


PARTS = ("summary", "paper", "book", "errata")


def ledger_markdown(checks, part: str) -> str:
    """One part of the ledger page as MyST Markdown.

    Parameters
    ----------
    checks : list of ssdlib.claims.Check
    part : {"summary", "paper", "book", "errata"}
        The totals; the statements of the papers; the results derived in the book; the errata.
    """
    rows = statement_verdicts(checks)
    claims = [c for c in checks if c.kind == "claim"]
    errata = [c for c in claims if c.is_erratum]
    paper_rows = [r for r in rows if not r["key"].startswith("book:")]
    book_rows = [r for r in rows if r["key"].startswith("book:")]
    if part == "summary":
        count = {v: sum(r["verdict"] == v for r in paper_rows) for v in _VERDICT_CLASS}
        chapters = sorted({c.chapter for c in checks})
        return (
            f"**{len(paper_rows)}** statements of the two papers are listed below, checked by "
            f"**{len(claims)}** checks of claims in {len(chapters)} chapters, plus "
            f"**{len(checks) - len(claims)}** consistency checks (a formula against its own "
            f"implementation). **{count['holds']}** statements hold as stated, "
            f"**{count['holds with a repaired proof']}** hold with a repaired proof, "
            f"**{count['fails']}** fail as stated and are corrected, and "
            f"**{count['not checked']}** are not checked by computation. **{len(errata)}** "
            f"checks document errata. The book also checks **{len(book_rows)}** results of its "
            "own."
        )
    if part == "paper":
        return "\n".join(_statement_table(paper_rows))
    if part == "book":
        return "\n".join(_statement_table(book_rows)) if book_rows else "None."
    if part == "errata":
        if not errata:
            return "None."
        lines = ["| statement | what fails | corrected statement | evidence |",
                 "| :-- | :-- | :-- | :-- |"]
        for c in errata:
            lines.append(
                f"| {_cell(c.statement)} | {_cell(c.claim)} | {_cell(c.corrected)} | "
                f"{{ref}}`{c.see}` |"
            )
        return "\n".join(lines)
    raise ValueError(f"`part` must be one of {PARTS}, not {part!r}.")


def _statement_table(rows) -> list[str]:
    lines = ["| statement | about | verdict | checks | where |", "| :-- | :-- | :-- | --: | :-- |"]
    for r in rows:
        tables = sorted({(c.chapter, c.table) for c in r["checks"]})
        where = ", ".join(
            f'<a href="{ch}.html#claims-{ch}-{t}">{ch} {t}</a>' for ch, t in tables
        ) or "-"
        n_claims = sum(c.kind == "claim" for c in r["checks"])
        n_cons = len(r["checks"]) - n_claims
        count = f"{n_claims}" + (f" + {n_cons} consistency" if n_cons else "")
        verdict = f'<span class="{_VERDICT_CLASS[r["verdict"]]}">{r["verdict"]}</span>'
        key = r["key"].removeprefix("book:").strip()
        lines.append(f"| {_cell(key)} | {_cell(r['title'])} | {verdict} | {count} | {where} |")
    return lines


class ClaimsLedger(Directive):
    """``claims-ledger <part>``: one part of the ledger, generated from the chapters' records."""

    required_arguments = 1
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        part = self.arguments[0]
        if part not in PARTS:
            raise self.error(f"claims-ledger: the argument must be one of {PARTS}")
        folder = records_folder(env.srcdir)
        checks = load_records(folder) if folder.is_dir() else []
        have = {c.chapter for c in checks} | (
            {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set())
        want = _chapters_with_ledger(env)
        for chapter in sorted(want - have):
            logger.warning(
                "claims-ledger: no claims records of chapter %r in %s; run `make clean` and "
                "build again so that every chapter executes", chapter, folder,
                location=(env.docname, self.lineno))
        for chapter in sorted(have - want):
            logger.warning(
                "claims-ledger: records of %r in %s belong to no chapter of the book; delete "
                "the file", chapter, folder, location=(env.docname, self.lineno))
        holder = nodes.container(classes=["claims-ledger"])
        self.state.nested_parse(StringList(ledger_markdown(checks, part).splitlines(),
                                           source=env.docname), self.content_offset, holder)
        return [holder]


def _chapters_with_ledger(env) -> set[str]:
    """Chapters whose source creates a Ledger, by the name they give it."""
    names = set()
    for docname in env.found_docs:
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and path.is_file():
            names.update(_LEDGER_RE.findall(path.read_text(encoding="utf-8")))
    return names


_LEDGER_RE = re.compile(r"""\bLedger\(\s*["']([A-Za-z0-9_\-]+)["']""")


def _read_last(app, env, docnames):
    page = app.config.claims_ledger_page
    if page in docnames:
        docnames.remove(page)
        docnames.append(page)


def _always_outdated(app, env, added, changed, removed):
    page = app.config.claims_ledger_page
    return [page] if page in env.found_docs else []


def _singlehtml_nodes(app):
    """Give the single-page HTML builder (the source of the book's PDF) the HTML visitors of
    nodes that extensions register for the ``html`` builder only (myst-nb's hidden code
    cells, sphinx-proof's and sphinx-exercise's blocks)."""
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


_TEX = re.compile(r"\\(?:operatorname|mathrm|text|mathbb|mathcal)\{([^}]*)\}|\\([A-Za-z]+)|[{}$^_]")
_GREEK = {"alpha": "α", "beta": "β", "delta": "δ", "varepsilon": "ε", "epsilon": "ε",
          "lambda": "λ", "theta": "θ", "Phi": "Φ", "Psi": "Ψ", "nabla": "∇", "infty": "∞",
          "ell": "ℓ", "ge": "≥", "le": "≤", "pm": "±", "to": "→", "mp": "∓"}


def plain_title(text: str) -> str:
    """A proof block's title as plain text for the proof index (TeX commands spelled out)."""
    def sub(m):
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return _GREEK.get(m.group(2), "")
        return ""
    return re.sub(r"\s+", " ", _TEX.sub(sub, text)).strip()


def _proof_titles(app, doctree):
    """Remember the title of every sphinx-proof block, for a readable proof index."""
    env = app.env
    titles = getattr(env, "ssd_proof_titles", {})
    for node in doctree.findall(nodes.Element):
        if "realtype" in node.attributes:
            title = node.next_node(nodes.title)
            text = plain_title(title.astext()) if title is not None else ""
            for anchor in node["ids"]:
                titles[anchor] = (env.docname, node["realtype"], text)
    env.ssd_proof_titles = titles


def _purge_proof_titles(app, env, docname):
    titles = getattr(env, "ssd_proof_titles", {})
    for anchor in [a for a, v in titles.items() if v[0] == docname]:
        del titles[anchor]


def _readable_proof_index():
    """sphinx-proof's index lists bare labels; list "Kind: title (page)" instead."""
    from collections import defaultdict

    from sphinx_proof.domain import ProofIndex

    def generate(self, docnames=None):
        content = defaultdict(list)
        proofs = getattr(self.domain.env, "proof_list", {})
        titles = getattr(self.domain.env, "ssd_proof_titles", {})
        pages = getattr(self.domain.env, "titles", {})
        for anchor, values in proofs.items():
            _, realtype, title = titles.get(anchor, (None, values["realtype"], ""))
            name = f"{realtype.capitalize()}: {title}" if title else realtype.capitalize()
            page = pages.get(values["docname"])
            content[realtype.capitalize()].append(
                (name, 0, values["docname"], anchor, page.astext() if page else "", "", "")
            )
        return sorted((k, sorted(v)) for k, v in content.items()), True

    ProofIndex.generate = generate


def setup(app):
    _readable_proof_index()
    app.connect("doctree-read", _proof_titles)
    app.connect("env-purge-doc", _purge_proof_titles)
    app.connect("builder-inited", _singlehtml_nodes)
    app.add_config_value("claims_ledger_page", "book/claims", "env")
    app.add_directive("claims-ledger", ClaimsLedger)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-before-read-docs", _read_last)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
