"""The Article 140 section of the dossier: it answers who returns where under a plan, how a
referendum by district would go on each census and how sure that is, and what restitution costs."""

from __future__ import annotations

import json
import re

import pytest

from dayafter.report import build_dossier, render_html, xlsx_tables
from dayafter.report.article140 import case_article140_section
from dayafter.report.dossier import case_context


@pytest.fixture(scope="module")
def section(iraq):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    return case_article140_section(iraq, "nineveh-plains-sinjar-province", horizon=5, draws=64,
                                   seed=3, council_rules=provincial_rules_2023())


def test_section_answers_the_questions(section, iraq):
    # under plan X, who returns where
    assert section.plan == "nineveh-plains-sinjar-province"
    flows = section.returns_by_unit()
    assert len(flows) and (flows["returns"] <= flows["displaced"] + 1e-6).all()
    # a referendum by district on each census, with how sure it is
    assert list(section.referendums) == ["baseline", "current", "projected"]
    table = section.referendum_table()
    for c in section.referendums:
        probs = table[f"{c}: probability share"]
        assert ((probs > 0) & (probs <= 1)).all()
    # what restitution costs, with a budget that balances
    b = section.claims.budget()
    assert b["balance_usd"] == pytest.approx(0.0, abs=1e-3)
    assert len(section.sequences) == 2 and all(s.councils is not None for s in section.sequences)
    json.dumps(section.to_dict())


def test_section_in_the_dossier(section, iraq):
    ctx = case_context(iraq)
    ref = ctx.pop("reference")
    d = build_dossier(iraq.territory, [iraq.plans["nineveh-plains-sinjar-province"]], reference=ref,
                      maps=False, extras=[section], **ctx)
    html = render_html(d)
    assert 'id="article140"' in html and 'href="#article140"' in html
    for tid in ("a140-returns", "a140-referendum", "a140-claims-budget", "a140-claims",
                "a140-seq-article-140", "a140-seq-security-first"):
        assert f'id="{tid}"' in html, tid
    total = section.returns.totals()["returns"]
    assert f"{total:,.0f} of" in html
    # the numbers shown come from the engines
    spent = section.claims.budget()["spent_usd"]
    assert re.search(rf"spent \${spent:,.0f}", html)
    sheets = xlsx_tables(d)
    assert {"a140 returns", "a140 referendum", "a140 claims budget"} <= set(sheets)
    assert d.manifest["parameters"]["extras"]["article140"]["plan"] == section.plan
