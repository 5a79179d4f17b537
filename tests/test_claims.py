"""The claims mechanism: records, enforced verdicts, rendering, the ledger's verdicts."""

import json

import pytest

from ssdlib.claims import (
    FAILS,
    STATEMENTS,
    ClaimError,
    Ledger,
    fmt,
    load_records,
    render_table,
    statement_key,
    statement_verdicts,
)
from ssdlib.sphinxext import ledger_markdown

ERRATUM = dict(expect=FAILS, erratum="proof", see="sec-kkt-eq55",
               corrected=r"the bound holds with $(c - s)(S - \alpha)$")


def _ledger(tmp_path, monkeypatch, name="demo"):
    monkeypatch.setenv("SSDLIB_CLAIMS_DIR", str(tmp_path))
    return Ledger(name)


def _ok(ledger, statement="Proposition 3.5", holds=True, **kw):
    return ledger.check(statement, r"$T_0 \le 2\alpha$", instance="fig1", measured=0.11,
                        criterion=r"$\le 0.2$", holds=holds, **kw)


def test_statement_key_finds_the_paper_statement_in_a_part():
    assert statement_key("proof of Lemma B.3") == "Lemma B.3"
    assert statement_key("proof of Lemma B.2, eq. (55)") == "Lemma B.2"
    assert statement_key("Corollary 3.12") == "Corollary 3.12"
    assert statement_key("Q4") == "Q4"
    assert statement_key("book: v_inf rate") == "book: v_inf rate"
    # "Lemma B.1" must not match "Lemma B.12"-like prefixes of other keys
    assert statement_key("Lemma B.1") == "Lemma B.1"


@pytest.mark.parametrize("bad", ["", "Lemma C.7", "eq. (99)", 3])
def test_statement_key_rejects_unknown_statements(bad):
    with pytest.raises(ValueError, match="statement"):
        statement_key(bad)


def test_fmt_typesets_numbers():
    assert fmt(1.234e-9) == r"$1.23 \times 10^{-9}$"
    assert fmt(1e-12) == "$10^{-12}$"
    assert fmt(0.5) == "$0.5$"
    assert fmt(7) == "$7$"
    assert fmt("text") == "text"
    assert fmt((1.0, 2.0)) == "$1$, $2$"
    assert fmt(float("inf")) == r"$\infty$"


def test_check_records_and_saves(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch)
    assert _ok(ledger)
    data = json.loads((tmp_path / "demo.json").read_text())
    assert len(data["checks"]) == 1
    rec = data["checks"][0]
    assert rec["key"] == "Proposition 3.5" and rec["measured"] == "$0.11$"
    assert load_records(tmp_path)[0].statement == "Proposition 3.5"


def test_a_flipped_check_raises_with_its_name_and_value(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch)
    with pytest.raises(ClaimError, match=r"Proposition 3\.5.*measured \$0\.11\$.*FAILS"):
        _ok(ledger, holds=False)
    assert ledger.checks == []


def test_an_erratum_that_holds_raises(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch)
    assert not _ok(ledger, "proof of Lemma B.2, eq. (55)", holds=False, **ERRATUM)
    with pytest.raises(ClaimError, match="erratum"):
        _ok(ledger, "proof of Lemma B.2, eq. (55)", holds=True, **ERRATUM)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(expect="maybe"), "expect"),
        (dict(kind="guess"), "kind"),
        (dict(expect=FAILS), "erratum"),
        (dict(expect=FAILS, erratum="proof", see="x"), "corrected"),
        (dict(corrected="x"), "only for"),
        (dict(instance=""), "instance"),
        (dict(criterion=" "), "criterion"),
    ],
)
def test_malformed_checks_are_rejected(tmp_path, monkeypatch, kw, match):
    ledger = _ledger(tmp_path, monkeypatch)
    args = dict(instance="fig1", measured=1.0, criterion="c", holds=True)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        ledger.check("Theorem 3.9", "claim", **args)


def test_chapter_name_is_validated():
    with pytest.raises(ValueError, match="chapter"):
        Ledger("../kkt", save=False)


def test_table_renders_every_column_and_marks_errata(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch, "kkt")
    _ok(ledger)
    ledger.check("proof of Lemma B.2, eq. (55)", r"$|u_1| \le \tilde u_2$", instance="fig2",
                 measured=0.3, criterion="at every $\\varepsilon$", holds=False, **ERRATUM)
    ledger.check("Theorem 3.9", "eq. (24) equals $M_+$", instance="fig2", measured=0.0,
                 criterion="exact", holds=True, kind="consistency")
    text = ledger.table()._repr_markdown_()
    lines = text.splitlines()
    assert lines[0] == '<span id="claims-kkt-1"></span>'
    assert lines[2] == "| claim | instance | measured | criterion | verdict |"
    rows = lines[4:]
    assert len(rows) == 3
    assert all(r.count(" | ") == 4 for r in rows)  # the '|' inside math did not split a cell
    assert r"\vert u_1\vert" in rows[1]
    assert "claim-holds" in rows[0] and "claim-erratum" in rows[1] and "(#sec-kkt-eq55)" in rows[1]
    assert "claim-consistent" in rows[2] and "**no**" not in text
    # the next table starts after these checks and has its own anchor
    _ok(ledger)
    assert ledger.table()._repr_markdown_().startswith('<span id="claims-kkt-2"></span>')
    with pytest.raises(ValueError, match="no checks"):
        ledger.table()


def test_render_table_keeps_pipes_outside_math_escaped():
    ledger = Ledger("x", save=False)
    ledger.check("Q2", "a | b", instance="i", measured="m", criterion="c", holds=True)
    row = render_table(ledger.checks).splitlines()[-1]
    assert "a \\| b" in row


def test_statement_verdicts(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch)
    _ok(ledger)
    _ok(ledger, "proof of Lemma B.2, eq. (55)", holds=False, **ERRATUM)
    ledger.check("higher order: potential", "claim", instance="i", measured=1, criterion="c",
                 holds=False, expect=FAILS, erratum="statement", see="sec-ho", corrected="fix")
    ledger.check("Theorem 3.9", "formula", instance="i", measured=1, criterion="c",
                 holds=True, kind="consistency")
    ledger.check("book: a result", "claim", instance="i", measured=1, criterion="c", holds=True)
    rows = {r["key"]: r for r in statement_verdicts(ledger.checks)}
    assert len(rows) == len(STATEMENTS) + 1
    assert rows["Proposition 3.5"]["verdict"] == "holds"
    assert rows["Lemma B.2"]["verdict"] == "holds with a repaired proof"
    assert rows["higher order: potential"]["verdict"] == "fails"
    assert rows["Theorem 3.9"]["verdict"] == "not checked"  # consistency checks do not count
    assert rows["Lemma B.4"]["verdict"] == "not checked"
    assert rows["book: a result"]["verdict"] == "holds"


def test_ledger_markdown_counts_and_links(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch, "kkt")
    _ok(ledger)
    _ok(ledger, "proof of Lemma B.2, eq. (55)", holds=False, **ERRATUM)
    ledger.table()
    summary = ledger_markdown(ledger.checks, "summary")
    assert f"**{len(STATEMENTS)}** statements" in summary
    assert "**2** checks of claims in 1 chapters" in summary
    assert "**1** statements hold as stated" in summary
    assert "**1** hold with a repaired proof" in summary
    paper = ledger_markdown(ledger.checks, "paper")
    assert '<a href="kkt.html#claims-kkt-1">kkt 1</a>' in paper
    errata = ledger_markdown(ledger.checks, "errata")
    assert "{ref}`sec-kkt-eq55`" in errata
    with pytest.raises(ValueError, match="part"):
        ledger_markdown(ledger.checks, "everything")


def test_chapters_with_ledger_reads_the_name_each_chapter_gives(tmp_path):
    from ssdlib.sphinxext import _chapters_with_ledger

    (tmp_path / "a.md").write_text('claims = Ledger("kkt")\n', encoding="utf-8")
    (tmp_path / "b.md").write_text("No ledger here; see `Ledger`.\n", encoding="utf-8")

    class Env:
        found_docs = {"a", "b"}

        @staticmethod
        def doc2path(docname):
            return str(tmp_path / f"{docname}.md")

    assert _chapters_with_ledger(Env()) == {"kkt"}


def test_outcome_is_a_bool_that_shows_nothing(tmp_path, monkeypatch):
    ledger = _ledger(tmp_path, monkeypatch)
    out = _ok(ledger)
    assert out and out == True and repr(out) == "holds"  # noqa: E712
    assert out._ipython_display_() is None
    out = _ok(ledger, "proof of Lemma B.2, eq. (55)", holds=False, **ERRATUM)
    assert not out and repr(out) == "does not hold"


def test_proof_index_lists_titles_not_labels():
    from types import SimpleNamespace

    from sphinx_proof.domain import ProofIndex

    from ssdlib.sphinxext import _readable_proof_index, plain_title

    title = plain_title(r"3.9: $\delta$-KKT, $M_\pm$, $\operatorname{sgn}(x)$")
    assert title == "3.9: δ-KKT, M±, sgn(x)"
    _readable_proof_index()
    env = SimpleNamespace(
        proof_list={"thm-kkt-3-9": {"docname": "book/kkt", "realtype": "theorem"},
                    "lem-x": {"docname": "book/kkt", "realtype": "lemma"}},
        ssd_proof_titles={"thm-kkt-3-9": ("book/kkt", "theorem", "3.9 of the paper")},
        titles={"book/kkt": SimpleNamespace(astext=lambda: "The KKT chapter")},
    )
    index = ProofIndex.__new__(ProofIndex)
    index.domain = SimpleNamespace(env=env)
    content, _ = index.generate()
    assert [k for k, _ in content] == ["Lemma", "Theorem"]
    name, _, doc, anchor, extra, _, _ = content[1][1][0]
    assert (name, doc, anchor, extra) == ("Theorem: 3.9 of the paper", "book/kkt", "thm-kkt-3-9",
                                          "The KKT chapter")
    assert content[0][1][0][0] == "Lemma"  # no title: the kind alone, never the bare label
