"""The text files of the northern-Iraq build: ``SOURCES.md`` and ``census2024/README.md``."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from .tables import COMMUNITIES

if TYPE_CHECKING:
    from .build import Built


def _fmt(x: float) -> str:
    return f"{round(x):,}"


def _sid_key(s: str) -> tuple[str, int]:
    return (s[0], int(s[1:]))


def census_readme(b: Built) -> str:
    n = b.inp.sources_new["N01"]
    L = [
        "# 2024 census tables of the northern-Iraq case",
        "",
        "Written by `tools/build_northern_iraq.py`; do not edit by hand.",
        "",
        f"**Source:** {n['publisher']}, {n['citation']} [N01]. Text extraction: {n['url']}.",
        "",
        f"**Licence status:** {n['licence']}. The numbers are COSIT's; the crosswalk, comparison and "
        "ground-move tables were made for dayafter and follow the licence of the package.",
        "",
        "| file | contents |",
        "|---|---|",
        "| `nahiya.csv` | the census table by nahiya for the seven governorates, byte for byte as in the shared "
        "folder (`../shared/data/iraq/census2024/`, checked there by `verify.py`): `gov_code, governorate, "
        "district_code, district, nahiya_code, nahiya, nahiya_ar, total, female, male, urban, rural, name_note` |",
        "| `district.csv` | the printed district Total rows: `gov_code, governorate, district_code, district, "
        "total, female, male, urban, rural` |",
        "| `governorate.csv` | the printed governorate totals |",
        "| `crosswalk.csv` | every nahiya and the COD-AB unit(s) it goes to: `nahiya_code, nahiya, nahiya_ar, "
        "census_district, census_governorate, total, unit_ids, unit_names, unit_names_ar, ocha_governorate, method "
        "(same, merge, split, district), split (area or disc:lon:lat), people_by_unit, confidence, reasoning` |",
        "| `comparison.csv` | per COD-AB district: the census districts wholly inside it and their printed total, "
        "the census districts it holds only part of, the case's current total with its range, the difference and "
        "whether it matches exactly, the baseline total with its range and the growth |",
        "| `ground_moves.csv` | the nahiyas the census counts under another governorate than COD-AB, by census "
        "district, with the people moved |",
        "",
        "Method counts: "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.method for r in b.inp.xw).items()))
        + "; confidence: "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.confidence for r in b.inp.xw).items()))
        + ".",
        "",
    ]
    return "\n".join(L)


def _gov_totals(b: Built) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in b.rows:
        if r.field == "total":
            t = out[(r.census, r.uid[:5])]
            t[0] += r.value
            t[1] += r.low
            t[2] += r.high
    return out


def sources_md(b: Built, comparison: list[dict[str, Any]], moves: list[dict[str, Any]]) -> str:
    from .build import BASE_YEAR, GOV_CODE, GOVS, SPREAD

    inp = b.inp
    units = inp.units
    names = {u.gov: u.gov_en for u in units}
    gt = _gov_totals(b)
    L: list[str] = []
    a = L.append
    a("# Northern Iraq case: data sources, rules and conflicts")
    a("")
    a("This file is written by `tools/build_northern_iraq.py` from the tables in `tools/northern_iraq/data/`; "
      "edit those, not this file.")
    a("")
    a("## What is counted and what is estimated")
    a("")
    a("The **current** unit totals are the counts of the 2024 Iraq population and housing census by nahiya "
      "(COSIT, Annual Abstract of Statistics 2024, Table 11/2) [N01], moved onto the COD-AB 2019 units by a "
      "crosswalk checked by hand. The **baseline** (about 2013) totals are sourced pre-2014 governorate and "
      "district figures, shared among units by the 2024 census. **Community figures are estimates**: Iraq has "
      "had no census with ethnic or religious questions since 1957 and the 2024 census has none; every "
      "community value comes from a sourced share (`sourced`), arithmetic on sourced numbers (`derived`), or a "
      "stated rule or assumption (`imputed`), and carries a low and a high. Shares that the compiler of the "
      "estimates marked 'my coding' or 'Suggested modelling assumption, NOT sourced' are assumptions: values "
      "built on them are flagged `imputed`.")
    a("")
    a("## Files")
    a("")
    a("- `units.geojson`: one feature per subdistrict; properties `unit_id, name_en, name_ar, district, "
      "district_en, district_ar, governorate, governorate_en, governorate_ar`.")
    a("- `census.csv`: `census,unit_id,<9 community keys>`; persons, whole numbers, one row per unit for "
      "`baseline` and one for `current`. The communities of a unit add up to its total exactly.")
    a("- `provenance.csv`: one row per (census, unit_id, field). Columns:")
    a("  - `census`, `unit_id`: the census (`baseline`, `current`) and the unit;")
    a("  - `field`: `total` (the unit's population) or a community key;")
    a("  - `value`: the figure (for a community, the same number as in `census.csv`);")
    a("  - `low`, `high`: its range, `0 <= low <= value <= high`; the communities' lows add up to at most the "
      "total's high and their highs to at least the total's low;")
    a("  - `size_status`: how the unit total was obtained (`sourced`, `derived`, `imputed`);")
    a("  - `composition_status`: how the community share was obtained; on a `total` row, the least certain "
      "share of the unit's communities;")
    a("  - `status`: on a `total` row the size status, on a community row the less certain of the two;")
    a("  - `rule`: the rule ids (section 'Rules') that set the value, `;`-separated;")
    a("  - `range_rule`: the rule ids that set the range (`RR-...`; `RR-SPREAD:d` gives the log-odds spread d);")
    a("  - `source_ids`: S.. and X.. are the shared estimates' sources, N.. the sources added for this build "
      "(section 'Sources used');")
    a("  - `confidence`: `high`, `medium` or `low`.")
    a("- `communities.csv`: `key,label_en,label_ar,description`.")
    a("- `census2024/`: the census tables the case reads at run time (nahiya, district and governorate counts), "
      "the crosswalk, the district comparison and the ground moves; their source and licence status are in "
      "`census2024/README.md`.")
    a("")
    a("## Boundaries")
    a("")
    a("`units.geojson` holds the ADM3 (subdistrict) features of Ninewa (IQG15), Duhok (IQG09), Erbil (IQG11), "
      "Al-Sulaymaniyah (IQG06), Kirkuk (IQG13), Salah Al-Din (IQG16) and Diyala (IQG10): "
      f"{len(units)} units, geometry unchanged (OGC CRS84), sorted by `unit_id` (ADM3 P-code).")
    a("")
    a("Administrative boundaries: Central Statistical Organization (CSO) Iraq / ITOS, via UN OCHA Iraq COD-AB "
      "(2019-06-03), CC BY-IGO 3.0. Dataset: Iraq Common Operational Dataset, Administrative Boundaries, "
      "release `cso_20190603`, published by UN OCHA Iraq on the Humanitarian Data Exchange; licence Creative "
      "Commons Attribution for Intergovernmental Organisations (CC BY-IGO 3.0).")
    a("")
    a("## The 2024 census: source and licence status")
    a("")
    n01 = inp.sources_new["N01"]
    a(f"{n01['publisher']}, {n01['citation']} [N01]. **Licence status:** {n01['licence']}. The figures are "
      "official statistics (no explicit open licence); the case ships the nahiya, district and governorate "
      "tables of the seven governorates in `census2024/` because the product reads them at run time.")
    a("")
    a("## Censuses")
    a("")
    a(f"- `baseline`: about {BASE_YEAR}, the last full year before the Islamic State offensive of June-August "
      "2014 (the right-of-return reference).")
    a("- `current`: the 2024 census (November 2024), after displacement and returns.")
    a("")
    a("| governorate | baseline | range of the governorate figure | current (census, COD-AB ground) | "
      "census, its own ground | difference (ground moves) |")
    a("|---|---:|---|---:|---:|---:|")
    tb = [0, 0, 0, 0, 0]
    for g in GOVS:
        bl = gt[("baseline", g)]
        cu = gt[("current", g)]
        own = int(inp.gov24[GOV_CODE[g]]["total"])
        gf = b.base.gov[g]
        a(f"| {names[g]} ({g}) | {_fmt(bl[0])} | {_fmt(gf.low)}-{_fmt(gf.high)} | {_fmt(cu[0])} | {_fmt(own)} | "
          f"{cu[0] - own:+,} |")
        for i, x in enumerate((bl[0], gf.low, gf.high, cu[0], own)):
            tb[i] += x
    a(f"| all | {_fmt(tb[0])} | {_fmt(tb[1])}-{_fmt(tb[2])} | {_fmt(tb[3])} | {_fmt(tb[4])} | {tb[3] - tb[4]:+,} |")
    a("")
    base = b.base
    a(f"Growth rate r (R-GROWTH): {100 * base.rate:.3f}% a year. Closure factors (R-GOV-CLOSE): "
      + "; ".join(f"{g} {k:.4f}" for g, k in sorted(base.closure.items())) + ".")
    q_lo, q_hi = base.share24_range
    a("")
    a(f"Measured spread of the 2024-share rule (RR-SHARE24): the sourced pre-2014 subdistrict figures are "
      f"{q_lo:.2f} to {q_hi:.2f} times what the rule predicts for them:")
    a("")
    a("| unit | sourced (2013) | 2024-share prediction | ratio |")
    a("|---|---:|---:|---:|")
    by_uid = inp.by_uid
    for uid, obs, pred in base.share24_pairs:
        a(f"| {uid} {by_uid[uid].name} | {_fmt(obs)} | {_fmt(pred)} | {obs / pred:.2f} |")
    a("")
    a("District sets of the baseline (R-DIST-SET): each sourced figure, the 2024 census nahiyas it covers, its "
      "2013 value after growth, raising and closure, and its range.")
    a("")
    a("| set | census nahiyas | governorate | 2013 value | range | rules |")
    a("|---|---|---|---:|---|---|")
    for sid, s in base.sets.items():
        f = s["fig"]
        codes = s["codes"]
        dists = sorted({inp.nahiya[c]["district_code"] for c in codes})
        rules = "R-GOV-BASE, R-BASE-SHARE24" if f is None else (
            "R-BASE-KRI-RATIO" if f.flag("ratio") is not None else
            "R-DIST-SET" + (", locked" if s.get("locked") else ", R-GOV-CLOSE") + (", raised" if s.get("raised") else ""))
        src = "" if f is None else " [" + "][".join(f.source_ids) + "]" if f.source_ids else ""
        a(f"| {sid}{src} | {len(codes)} in {' '.join(dists)} | {s['gov']} | {_fmt(s['value'])} | "
          f"{_fmt(s['lo'])}-{_fmt(s['hi'])} | {rules} |")
    a("")
    a("## Ground moves")
    a("")
    a("The census counts some areas under another governorate than the COD-AB boundaries draw them (it follows "
      "de facto administration). R-GROUND moves them to the COD-AB governorate; these are all the moves:")
    a("")
    a("| census governorate | census district | to COD-AB governorate | people | whole district? |")
    a("|---|---|---|---:|---|")
    for m in moves:
        a(f"| {m['census_governorate']} | {m['census_district']} | {m['to']} | {m['people']:,} | {m['whole_district']} |")
    per: dict[tuple[str, str], int] = defaultdict(int)
    for m in moves:
        per[(m["census_governorate"], m["to"])] += m["people"]
    a("")
    a("By pair of governorates: " + "; ".join(f"{k[0]} to {k[1]}: {v:,}" for k, v in sorted(per.items())) + ".")
    a("")
    a("## Census comparison by district")
    a("")
    a("Current totals against the 2024 census, per COD-AB district. `census total` adds the printed totals of the "
      "census districts wholly inside the COD-AB district; where the COD-AB district also holds part of another "
      "census district (a nahiya counted elsewhere, or a nahiya shared by the crosswalk), the people are listed "
      "and the match is `moves`. Baseline and growth for reference.")
    a("")
    a("| COD-AB district | census districts | census total | case current | range | match | baseline | growth |")
    a("|---|---|---:|---:|---|---|---:|---:|")
    for r in comparison:
        cd = "; ".join(x for x in (r["census_districts"],
                                   ("part: " + r["census_districts_part"]) if r["census_districts_part"] else "") if x)
        a(f"| {r['district']} {r['district_en']} | {cd} | {r['census_total']:,} | {r['case_current']:,} | "
          f"{r['current_low']:,}-{r['current_high']:,} | {r['match']} | {r['case_baseline']:,} | {r['growth']} |")
    exact = sum(1 for r in comparison if r["match"] == "exact")
    a("")
    a(f"{exact} of {len(comparison)} COD-AB districts match a set of whole census districts exactly.")
    a("")
    a("## Communities")
    a("")
    a("`" + ", ".join(COMMUNITIES) + "` (labels in `communities.csv`). Turkmen Sunni/Shia/unspecified are merged "
      "(R-TURKMEN-MERGE); Arabs without a sect are split by R-ARAB-SPLIT.")
    a("")
    a("## Rules")
    a("")
    groups = {"size": "Sizes (unit totals)", "composition": "Composition", "range": "Ranges"}
    for grp, title in groups.items():
        a(f"### {title}")
        a("")
        for rid, (g, text, why) in inp.rules.items():
            if g == grp:
                a(f"- **{rid}**: {text} *Rationale:* {why}")
        a("")
    a("Log-odds spreads of RR-SPREAD: " + ", ".join(f"{k} {v:g}" for k, v in SPREAD.items()) + ".")
    a("")
    a("## Known conflicts and how they were resolved")
    a("")
    for title, text in inp.conflicts:
        a(f"- **{title}**: {text}")
    for n in base.notes:
        a(f"- Build note: {n}")
    a("")
    a("## Emigration")
    a("")
    a("R-CUR-EMIGRATION sets the case's current total of each community below from the sourced change in Iraq. "
      "'Held by return rules' are the people in units whose count of the community a specific rule sets; the "
      "factor multiplies the community's weight in all other units.")
    a("")
    a("| community | baseline | ratio (low-high) | target current (low-high) | held by return rules | factor | case current |")
    a("|---|---:|---|---|---:|---:|---:|")
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for r in b.rows:
        if r.field != "total":
            totals[(r.census, r.field)] += r.value
    for c, e in b.emigration.items():
        a(f"| {c} | {_fmt(e.base_total)} | {e.ratio[0]:.3f} ({e.ratio[1]:.3f}-{e.ratio[2]:.3f}) | "
          f"{_fmt(e.expected[0])} ({_fmt(e.expected[1])}-{_fmt(e.expected[2])}) | {_fmt(e.constrained)} | "
          f"{e.factor[0]:.3f} | {totals[('current', c)]:,} |")
    a("")
    a("## Cross-checks against governorate-level sources")
    a("")
    a("Governorate shares of the result, next to governorate figures that were not used to build the units "
      "they summarize (Niqash 2013 community counts for Ninewa divided by ~2.8M [S32]; MICS6 2018 language of "
      "household head [S62]). Percent; 'Arabs' for MICS is the Arabic language share.")
    a("")
    a("| check | Arabs | Kurds | Turkmen | Yazidis | Christians | Shabak |")
    a("|---|---:|---:|---:|---:|---:|---:|")
    val = {(r.census, r.uid, r.field): r.value for r in b.rows}
    for label, g, cname, ref in (
        ("Ninewa baseline", "IQG15", "baseline", "-, -, 10.7, 10.7, 7.1, 8.9"),
        ("Kirkuk current", "IQG13", "current", "37.8, 29.8, 30.8, -, 1.6, -"),
        ("Salah Al-Din current", "IQG16", "current", "96.6, 0.2, 3.3, -, -, -"),
        ("Diyala current", "IQG10", "current", "96.4, 3.0, 0.6, -, -, -"),
    ):
        uids = [u.uid for u in units if u.gov == g]
        tot = sum(val[(cname, u, "total")] for u in uids)
        sh = {k: 100 * sum(val[(cname, u, k)] for u in uids) / tot for k in COMMUNITIES}
        a(f"| {label} (this case) | {sh['sunni_arab'] + sh['shia_arab']:.1f} | {sh['kurd']:.1f} | "
          f"{sh['turkmen']:.1f} | {sh['yazidi']:.1f} | {sh['christian']:.1f} | {sh['shabak']:.1f} |")
        a(f"| {label} (source) | {' | '.join(ref.split(', '))} |")
    a("")
    a("Differences come from the disputed districts (Tuz, Khanaqin, Kifri, Mandali, Kirkuk city) carrying their "
      "own sourced or qualitative profiles, from MICS's known under-reach of Khanaqin's Kurds [S62], and from "
      "Niqash's Shabak count being a community claim.")
    a("")
    a("## Composition profiles (baseline, assumptions unless a source is marked)")
    a("")
    a("| unit or district | shares | rule | sources | share ranges | basis |")
    a("|---|---|---|---|---|---|")
    for (_kind, key), p in inp.profiles.items():
        label = key + {"governorate": " (governorate default)", "town": " (town overlay)"}.get(p.kind, "")
        a(f"| {label} | {p.shares} | {p.rule} | {';'.join(p.source_ids)} | {p.ranges} | {p.note} |")
    a("")
    a("## Current composition rules")
    a("")
    a("| id | kind | units | community | value | low | high | status | sources | rule | note |")
    a("|---|---|---|---|---:|---:|---:|---|---|---|---|")
    for r in inp.current_rules:
        f = lambda x: "" if x is None else f"{x:g}"  # noqa: E731
        a(f"| {r.id} | {r.kind} | {' '.join(r.units)} | {' '.join(r.communities)} | {f(r.value)} | {f(r.low)} | "
          f"{f(r.high)} | {r.status} | {';'.join(r.source_ids)} | {r.rule} | {r.note} |")
    a("")
    a("## Sources used")
    a("")
    used: set[str] = set()
    for r in b.rows:
        used.update(r.ids)
    text = "\n".join([*L, *(r.reasoning for r in inp.xw)])
    used |= set(re.findall(r"\b([SXN]\d+)\b", text)) & inp.source_ids
    a("Ids S.. and X.. refer to `../shared/data/iraq/estimates/iraq_units_sources.md` and "
      "`iraq_composition_extra_sources.md`, where the addresses of the stored copies and the licences are listed; "
      "the descriptions below are short summaries. N.. are the sources added for this build, with citation, "
      "address and licence status.")
    a("")
    missing = sorted(s for s in used if s[0] in "SX" and s not in inp.sources_shared)
    if missing:
        raise ValueError(f"sources_shared.csv has no description for {missing}")
    for sid in sorted(used, key=_sid_key):
        if sid[0] == "N":
            r = inp.sources_new[sid]
            a(f"- **{sid}**: {r['publisher']}, {r['citation']}, {r['year']}. {r['url']}. Licence: {r['licence']}. "
              f"Figures used: {r['figures']}.")
        else:
            a(f"- **{sid}**: {inp.sources_shared[sid]}")
    a("")
    return "\n".join(L)
