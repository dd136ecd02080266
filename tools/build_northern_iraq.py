"""Build the census data of the built-in case ``northern-iraq``.

Usage::

    python tools/build_northern_iraq.py [--shared ../shared] [--out DIR]

Reads only ``<shared>/data/iraq/`` (OCHA COD-AB ADM3 GeoJSON) and ``<shared>/data/iraq/estimates/``
(iraq_units.csv, iraq_composition_extra.csv and their source lists) and writes, into ``--out``
(default: ``src/dayafter/cases/northern_iraq``):

- ``units.geojson``     ADM3 features of the 7 governorates, geometry unchanged, sorted by unit_id;
- ``census.csv``        persons by community for the censuses ``baseline`` and ``current``;
- ``provenance.csv``    one row per figure: status, rule, sources, confidence, range;
- ``communities.csv``   the 9 community keys with labels;
- ``SOURCES.md``        attribution, sources used, rules, conflicts and how they were resolved.

The output is deterministic (byte-identical on rerun). Every number that the script types in by
hand (rather than reading from a numeric column) is checked against the text of the input files
with :func:`cite`, so a figure cannot be invented silently.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "dayafter" / "cases" / "northern_iraq"

GOVS = ("IQG06", "IQG09", "IQG10", "IQG11", "IQG13", "IQG15", "IQG16")
KRI = ("IQG06", "IQG09", "IQG11")
COMMUNITIES = (
    "sunni_arab",
    "shia_arab",
    "kurd",
    "yazidi",
    "christian",
    "turkmen",
    "shabak",
    "kakai",
    "other",
)
COMMUNITY_LABELS = {
    "sunni_arab": ("Sunni Arabs", "عرب سنة", "Arabic-speaking Sunni Muslims."),
    "shia_arab": ("Shia Arabs", "عرب شيعة", "Arabic-speaking Shia Muslims."),
    "kurd": (
        "Kurds",
        "كرد",
        "Kurdish Muslims, mostly Sunni; includes Shia Feyli/Kalhor Kurds (Khanaqin, Mandali). "
        "Yazidis, Shabak and Kakai are counted separately.",
    ),
    "yazidi": ("Yazidis", "إيزيديون", "Followers of the Yazidi faith, whatever their language."),
    "christian": (
        "Christians",
        "مسيحيون",
        "Assyrian, Chaldean, Syriac and Armenian Christians.",
    ),
    "turkmen": (
        "Turkmen",
        "تركمان",
        "Iraqi Turkmen, Sunni and Shia together (the sources rarely give the sect).",
    ),
    "shabak": ("Shabak", "شبك", "Shabak of the Nineveh Plains, mostly Shia."),
    "kakai": ("Kakai", "كاكائيون", "Kakai (Yarsan), mostly Kurdish-speaking."),
    "other": (
        "Others",
        "آخرون",
        "Groups not listed above and shares a source leaves unassigned (e.g. 'Muslims').",
    ),
}

ATTRIBUTION = (
    "Administrative boundaries: Central Statistical Organization (CSO) Iraq / ITOS, via\n"
    "  UN OCHA Iraq COD-AB (2019-06-03), CC BY-IGO 3.0"
)
BASE_YEAR = 2013  # the baseline census describes 2013, the last full year before June 2014
STATUS_ORDER = {"sourced": 0, "derived": 1, "imputed": 2}
CONF_ORDER = {"high": 0, "medium": 1, "low": 2}


# --------------------------------------------------------------------------------------------
# Rules (written to SOURCES.md; every provenance row names one or more of these ids)
# --------------------------------------------------------------------------------------------
RULES: dict[str, tuple[str, str]] = {
    "SRC": (
        "The value is the figure a source gives for this unit, used as is.",
        "Sourced figures take precedence over anything derived.",
    ),
    "R-GROWTH": (
        "A pre-2014 population figure of year y is brought to 2013 by multiplying it by "
        "(1 + r)^(2013 - y), with r = (3,353,875 / 3,106,948)^(1/4) - 1 = 1.93% a year, the "
        "growth between the Ninewa 2009 listing [S10] and the Ninewa 2013 UN figure [S47].",
        "The only pair of independent official Ninewa totals four years apart before 2014; "
        "one rate for all units keeps the relative sizes the sources give.",
    ),
    "R-GOV-BASE": (
        "Governorate baseline totals: Ninewa = 3,353,875 (2013) [S47]; Kirkuk, Salah Al-Din, "
        "Diyala, Erbil and Duhok = the 2010 COSIT projection [S09] brought to 2013 by R-GROWTH; "
        "Al-Sulaymaniyah (no figure before 2014 in the estimates) = its 2024 census figure with "
        "Halabja, 2,401,724 [S12], divided by the 2010-2024 growth of Erbil + Duhok (2010: S09; "
        "2024: Kurdistan Region 6,519,129 minus Sulaymaniyah+Halabja [S12]) and brought to 2013 "
        "by R-GROWTH.",
        "One official source family for all governorates; for Sulaymaniyah the growth of the "
        "other two Kurdistan Region governorates is the closest sourced analogue.",
    ),
    "R-GOV-CLOSE": (
        "Within a governorate whose districts all have a figure, the district figures (except "
        "those dated 2012-2014, which stay as sourced) are multiplied by one factor so the "
        "districts add up to the governorate total. Subdistricts follow their district.",
        "District figures are mostly 2003 WFP estimates; scaling them to the official 2013 "
        "total keeps their relative sizes and makes totals consistent.",
    ),
    "R-GOV-REST": (
        "Where some districts of a governorate have no figure, the governorate total minus the "
        "(R-GROWTH adjusted) sourced districts is shared among the subdistricts of the "
        "districts without a figure in proportion to their prior (R-PRIOR).",
        "Uses the sourced parts first and spreads only the unexplained remainder.",
    ),
    "R-CAPITAL": (
        "In Erbil, Duhok and Al-Sulaymaniyah (no district figures at all), the subdistrict that "
        "contains the governorate capital (Markaz Erbil, Markaz Duhok, Qaradagh, located by a "
        "point-in-polygon test of the city centre; Sulaymaniyah city lies on the Qaradagh/"
        "Sarchnar boundary of COD-AB, so that choice is uncertain) gets 40% of the governorate (range 25-61%); the "
        "rest is shared by R-PRIOR.",
        "Assumption. The sourced analogues are Mosul district holding more than half of Ninewa "
        "[S10] and Markaz Kirkuk holding 61% of Kirkuk governorate in 2018 (974,824 of "
        "1,597,876 [S06][S07]); 40% is a cautious value for the smaller Kurdistan capitals.",
    ),
    "R-PRIOR": (
        "Prior size of a subdistrict without a figure: the median of the sourced whole-"
        "subdistrict figures outside capital cities and district centres (brought to 2013), "
        "doubled for a district centre ('Markaz ...'); where a sourced town lies in the "
        "subdistrict, the town figure plus that median (for its villages).",
        "A data-driven typical subdistrict; district centres hold the district town; a town "
        "figure is the best size information a subdistrict has.",
    ),
    "R-SPLIT": (
        "A district total minus its sourced subdistricts is shared among the other subdistricts "
        "in proportion to their prior (R-PRIOR); the subdistrict holding the governorate "
        "capital city (Mosul's Al-Muhamadath) takes the whole remainder after its siblings "
        "received their prior.",
        "Keeps district totals exact and puts unexplained population in the city.",
    ),
    "R-TOWN-FLOOR": (
        "A subdistrict is never smaller than the sourced population of a town inside it; "
        "where a district's figure (brought to 2013) is below the sum of its sourced "
        "subdistricts, its town floors and half the rural median (R-PRIOR) for each other "
        "subdistrict, the district is raised to that sum (the district figure becomes the low "
        "end of the range).",
        "A town lies inside its subdistrict; a town figure is a lower bound.",
    ),
    "R-SHAPE-2018": (
        "Kirkuk district: all seven subdistricts have 2018 figures (S06; Lilan X24); the "
        "district baseline is split in proportion to them.",
        "Kirkuk district was not occupied by IS; the 2018 pattern is the best sourced shape.",
    ),
    "R-HH": (
        "Counts of families are turned into persons at 4.2 persons per household, the mean "
        "household of the Ninewa 2009 listing [S10].",
        "The only sourced household size in the estimates.",
    ),
    "R-GOV-PROFILE": (
        "A subdistrict with no composition information of its own or of its district gets the "
        "governorate profile: Kirkuk, Salah Al-Din and Diyala from the MICS6 2018 language of "
        "the household head [S62] (Arabic = Arabs, Kurdish = Kurds, Turkmen = Turkmen, "
        "Assyrian = Christians); Erbil, Duhok and Al-Sulaymaniyah from the assumption profiles "
        "listed under R-KRI-PROFILE.",
        "The only governorate-wide numeric composition in the sources (language, not "
        "self-identification; post-2017 fieldwork, so a proxy for both censuses).",
    ),
    "R-KRI-PROFILE": (
        "Kurdistan Region governorates are overwhelmingly Kurdish (assumption): Erbil 97% Kurd "
        "with 1% each Christians, Turkmen and Sunni Arabs outside the city, the city with 5% "
        "Christians (Ankawa) and 5% Turkmen; Duhok 94% Kurd, 3% Christians, 2% Yazidis, 1% Sunni "
        "Arabs, with Yazidi villages in Sumail district (20%) and Assyrian villages in the "
        "Barwari Bala and Nerwa Rekan subdistricts (10% Christians); Al-Sulaymaniyah 98% Kurd, "
        "1% Sunni Arabs, 0.5% each Christians and Kakai.",
        "No numeric composition for these governorates was found; the minorities named are "
        "the ones the region is known for. Flagged imputed, low confidence.",
    ),
    "R-ARAB-SPLIT": (
        "Arabs whose sect a source does not give (arab_unspecified, MICS 'Arabic') are split "
        "Sunni/Shia by governorate: Ninewa, Salah Al-Din and the Kurdistan Region 100/0, except "
        "Al-Dujeel (Salah Al-Din), the Shia town of Dujail, given 80% Shia Arabs; Kirkuk 85/15; "
        "Diyala 50/50, except Khanaqin district 80/20 (the Arab tribes of Jalawla and Saadiya, "
        "both held by IS in 2014). Hawija uses its sourced 'Sunni Arab' share.",
        "Assumption stated once; the sources give no sect shares for these Arabs (Arab "
        "Barometer [S63] only shows many answer 'just a Muslim').",
    ),
    "R-TURKMEN-MERGE": (
        "Sunni, Shia and unspecified Turkmen are added into the one key turkmen.",
        "The case keeps one Turkmen community.",
    ),
    "R-QUAL": (
        "A qualitative description becomes a fixed profile, defined once per unit in the "
        "composition table of this file (section 'Composition profiles'): 'predominantly X' "
        "= X 90-97%; 'mainly X with minorities' = X 60-70%; 'mixed A/B' = A and B near equal. "
        "Minorities named by the source share the rest.",
        "Makes the qualitative statements usable while marking them as assumptions.",
    ),
    "R-XSUGGEST": (
        "Where iraq_composition_extra.csv gives a 'Suggested modelling assumption, NOT sourced' "
        "(or 'my coding') share, that share is used for the named community and the unit is "
        "flagged imputed.",
        "The compiler's own reading of a qualitative source; it is an assumption, not a figure.",
    ),
    "R-SHARE-CALC": (
        "Shares computed from sourced shares: Jalawla Kurds = the mean of two sourced values "
        "(1997 census and KRG office), Arabs the rest; Al-Saadiya Kurds = the 2012 estimate, "
        "Arabs and Turkmen sharing the rest in their 1997 census ratio.",
        "Arithmetic on sourced numbers, with the conflicting values kept as the range.",
    ),
    "R-TOWN-SHARES": (
        "Shares reported for a town are applied to the town's population and the rest of the "
        "subdistrict gets the profile given for it; where the town holds at least 75% of the "
        "subdistrict and its shares are sourced, the result is 'derived', otherwise 'imputed'.",
        "Town figures describe only part of a subdistrict; blending keeps that visible.",
    ),
    "R-DIST-SHARES": (
        "Shares a source gives for a whole district are applied to each of its subdistricts "
        "that has no own information ('derived'; the confidence is the lower of the source's "
        "and the population's).",
        "The district figure is the closest sourced composition.",
    ),
    "R-CUR-GROWTH": (
        "Current census, first step: every baseline count is multiplied by its governorate's "
        "growth (latest governorate total / baseline governorate total).",
        "Natural growth and any change not covered by a specific rule.",
    ),
    "R-CUR-GOV": (
        "Latest governorate totals: Ninewa ~4,000,000 (Dec 2024) [S61]; Kirkuk ~1,900,000 "
        "(Nov 2024) [S13]; Diyala 1,350,000, the middle of the 1.2-1.5 million stated in 2024 "
        "[S49]; Al-Sulaymaniyah (with Halabja) 2,401,724 (2024 census) [S12]; Erbil and Duhok: "
        "the 2024 Kurdistan Region total minus Sulaymaniyah+Halabja (4,117,405) [S12] split in "
        "proportion to their 2010 figures [S09]; Salah Al-Din (no recent figure): its baseline "
        "times the combined growth of Ninewa and Kirkuk, range from the Diyala to the Kirkuk "
        "growth.",
        "The latest governorate statements found; the 2024 census figures for most "
        "governorates were not available.",
    ),
    "R-CUR-CLOSE": (
        "Current census, last step: in each governorate the counts not fixed by a specific "
        "rule are scaled by one factor so the governorate adds up to its latest total.",
        "People lost from a unit with no sourced destination stay in the governorate's "
        "total (the 2024 statements count residents wherever they are).",
    ),
    "R-CUR-SINJAR": (
        "Sinjar district: 43% of the people displaced in 2014 had returned by April 2024 "
        "(IOM via AP) [X35]; every community of the three Sinjar subdistricts is set to 43% "
        "of its baseline (S36: more than half still displaced in Nov 2024). The same return "
        "rate is applied to the Yazidis of Al-Qahtanya (Al-Baaj), whose displacement DTM "
        "tracks together with Sinjar's [S35].",
        "Sourced district return rate; no later returns data.",
    ),
    "R-CUR-IDP-DUHOK": (
        "The Yazidis of Sinjar and Al-Qahtanya who have not returned (57% of the baseline) are "
        "placed in Duhok governorate, in the subdistricts of the Sumail and Zakho districts in "
        "proportion to their baseline population. Displaced non-Yazidis of Sinjar are not "
        "placed (loss noted; they stay in Ninewa's total through R-CUR-CLOSE).",
        "The brief and the 2024 reporting [X35] place the Sinjar IDPs mostly in camps in "
        "Duhok; the shared sources name no camp or subdistrict, so the Sumail/Zakho choice (the "
        "districts with the large Yazidi camps) is an assumption, flagged imputed.",
    ),
    "R-CUR-TALAFAR": (
        "Markaz Telafar: more than half the city had not returned by Aug 2019 (S51; just over "
        "40% back per TRT); every community is set to 45% of its baseline (range 40-50%).",
        "Latest sourced return estimate; the 2018 estimate of 172,500 [X33] ignores displacement.",
    ),
    "R-CUR-BASHIQA": (
        "Bashiqa: ~27,000 of ~35,000 Yazidis (77%) had returned by 2018 [S21]; Yazidis are "
        "set to 77% of baseline.",
        "Sourced return rate for the twin towns, applied to the subdistrict's Yazidis.",
    ),
    "R-CUR-CHRISTIAN": (
        "Christian returns: Markaz Al-Hamdaniya (Qaraqosh) 70% returned (2019) [S23]; Markaz "
        "Tilkaef (Tel Keppe) ~60 families back (Dec 2022) [S24] of ~4,000 Christians, so "
        "60 x 4.2 (R-HH) / 4,000 = 6.3%; Al-Qosh loses the Telskuf Christians who did not "
        "return, 11,000 - 4,500 = 6,500 persons [X29][X28]; Al-Muhamadath (Mosul city): ~50 "
        "Christian families remained in 2024 [X50], i.e. 210 persons (R-HH); Bartilla gets "
        "the 2020 town shares Shabak 52%, Christians 33% [S22] with the rest as in baseline.",
        "Sourced return figures for each Christian centre.",
    ),
    "R-CUR-DIYALA-KURDS": (
        "Kurdish share fall after Oct 2017: Jalawla Kurds set to 10% of the population "
        "(KRG office, ~2021) [S40]; Kurds of Al-Saadiya, Qaratu, Jabarra, Qara Tabe and "
        "Mandali set to 20% of their grown baseline (an ~80% fall, PUK official [S45]; the "
        "source names Qara Tabe, and X07 links the fall to the Qaratu area, so both are "
        "included); Markaz Khanaqin Kurds set to 85% (a ~15% fall [S45]). Those who left are "
        "not placed (destination not sourced).",
        "Sourced post-2017 change; reading a fall in share as a fall in count is an "
        "approximation (stated).",
    ),
    "R-CUR-KIFRI": (
        "Markaz Kifri: more than 2,000 Kurdish/Turkmen families left and more than 1,000 Arab "
        "families arrived since 2014 [X31]: -8,400 Kurds and Turkmen (in proportion to their "
        "baseline counts) and +4,200 Sunni Arabs (R-HH).",
        "Sourced family counts; the arrivals' sect is not given (Sunni assumed).",
    ),
    "R-CUR-TUZ": (
        "Tooz Khurmato district: current total 154,000 (2024) [X46], shared among its "
        "subdistricts in proportion to their grown baseline; of ~50,000 Kurds who fled in Oct "
        "2017, 17% had not returned (~8,500) [X39][X40]: removed from the Kurds of Markaz "
        "Tooz Khurmato before the district is scaled to 154,000.",
        "Sourced recent district total and Kurdish displacement.",
    ),
    "R-CUR-KIRKUK-2018": (
        "Kirkuk governorate, current: unit populations follow the 2018 figures (Kirkuk "
        "subdistricts S06 and X24; Al-Hawiga 120,679, Dibis 50,241 and Daquq 66,433 [S07], each "
        "shared among its subdistricts in proportion to baseline) and are closed to the 2024 "
        "total 1,900,000 [S13]. Composition keeps the baseline shares.",
        "The only post-2017 district figures; they show Hawija's loss (baseline 468,600 vs "
        "120,679 in 2018).",
    ),
}


# --------------------------------------------------------------------------------------------
# Source text helpers
# --------------------------------------------------------------------------------------------
@dataclass
class Inputs:
    shared: Path
    units: list[dict[str, str]]
    extra: list[dict[str, str]]
    text: str
    source_ids: set[str]
    geo: dict

    def unit_row(self, pcode: str, level: str) -> dict[str, str]:
        rows = [r for r in self.units if r["pcode"] == pcode and r["level"] == level]
        if len(rows) != 1:
            raise SystemExit(
                f"iraq_units.csv: expected one {level} row for {pcode}, got {len(rows)}"
            )
        return rows[0]


def _num_variants(value: float) -> list[str]:
    iv = round(value)
    out = [f"{iv:,}", str(iv)]
    if abs(value - iv) > 1e-9:
        out = [f"{value:g}", f"{value:.3f}".rstrip("0")]
    return out


def cite(inp: Inputs, value: float, ids: str) -> float:
    """Return ``value`` after checking it appears in the input text and ids exist."""
    for sid in ids.split(";"):
        if sid not in inp.source_ids:
            raise SystemExit(f"unknown source id {sid!r} for {value}")
    if not any(v in inp.text for v in _num_variants(value)):
        raise SystemExit(f"figure {value} ({ids}) not found in the input files")
    return float(value)


def read_inputs(shared: Path) -> Inputs:
    base = shared / "data" / "iraq"
    est = base / "estimates"
    with open(est / "iraq_units.csv", newline="", encoding="utf-8") as fh:
        units = list(csv.DictReader(fh))
    with open(est / "iraq_composition_extra.csv", newline="", encoding="utf-8") as fh:
        extra = list(csv.DictReader(fh))
    text_parts = []
    for name in (
        "iraq_units.csv",
        "iraq_units_sources.md",
        "iraq_composition_extra.csv",
        "iraq_composition_extra_sources.md",
        "README.md",
    ):
        text_parts.append((est / name).read_text(encoding="utf-8"))
    text_parts.append((base / "SOURCES.md").read_text(encoding="utf-8"))
    text = "\n".join(text_parts)
    ids: set[str] = set()
    for name in ("iraq_units_sources.md", "iraq_composition_extra_sources.md"):
        for line in (est / name).read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\|\s*([SX]\d+)\s*\|", line)
            if m:
                ids.add(m.group(1))
    geo = json.loads((base / "irq_admbnda_adm3_cso_20190603.geojson").read_text(encoding="utf-8"))
    return Inputs(shared, units, extra, text, ids, geo)


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------
@dataclass
class Unit:
    uid: str
    name: str
    district: str
    gov: str
    props: dict
    geometry: dict


def load_units(inp: Inputs) -> list[Unit]:
    out = []
    for f in inp.geo["features"]:
        p = f["properties"]
        if p["ADM1_PCODE"] not in GOVS:
            continue
        props = {
            "unit_id": p["ADM3_PCODE"],
            "name_en": p["ADM3_EN"],
            "name_ar": p["ADM3_AR"],
            "district": p["ADM2_PCODE"],
            "district_en": p["ADM2_EN"],
            "district_ar": p["ADM2_AR"],
            "governorate": p["ADM1_PCODE"],
            "governorate_en": p["ADM1_EN"],
            "governorate_ar": p["ADM1_AR"],
        }
        out.append(
            Unit(
                p["ADM3_PCODE"],
                p["ADM3_EN"],
                p["ADM2_PCODE"],
                p["ADM1_PCODE"],
                props,
                f["geometry"],
            )
        )
    out.sort(key=lambda u: u.uid)
    return out


# --------------------------------------------------------------------------------------------
# Figures with provenance
# --------------------------------------------------------------------------------------------
@dataclass
class Fig:
    value: float
    status: str
    rules: list[str]
    ids: list[str]
    conf: str
    low: float | None = None
    high: float | None = None

    def scaled(self, k: float, rule: str) -> Fig:
        st = self.status if abs(k - 1.0) < 1e-12 else max_status(self.status, "derived")
        return Fig(
            self.value * k,
            st,
            _uniq([*self.rules, rule]),
            self.ids,
            self.conf,
            None if self.low is None else self.low * k,
            None if self.high is None else self.high * k,
        )


def _uniq(xs: list[str]) -> list[str]:
    out: list[str] = []
    for x in xs:
        for y in x.split(";"):
            if y and y not in out:
                out.append(y)
    return out


def max_status(a: str, b: str) -> str:
    return a if STATUS_ORDER[a] >= STATUS_ORDER[b] else b


def max_conf(a: str, b: str) -> str:
    return a if CONF_ORDER[a] >= CONF_ORDER[b] else b


# --------------------------------------------------------------------------------------------
# Composition profiles (baseline, about 2013). Keys: community keys, plus 'arab' (sect not given:
# split by R-ARAB-SPLIT). Each: shares, rule, source ids, confidence, status, note, ranges.
# --------------------------------------------------------------------------------------------
@dataclass
class Profile:
    shares: str
    rule: str
    ids: str
    conf: str = "low"
    status: str = "imputed"
    note: str = ""
    ranges: str = ""  # "key=lo:hi ..."


P = Profile
COMP: dict[str, Profile] = {
    # ---- Ninewa: Aqra (S19 'mostly Kurds (Sunni)'; X12 suggests 0.97 for Bardarash)
    "IQG15Q01N01": P(
        "kurd=0.97 sunni_arab=0.01 christian=0.01 yazidi=0.01",
        "R-XSUGGEST",
        "X12;S19",
        "medium",
        note="X12 suggested kurd~0.97",
    ),
    "IQG15Q01": P(
        "kurd=0.95 sunni_arab=0.02 christian=0.02 yazidi=0.01",
        "R-QUAL",
        "S19",
        "medium",
        note="'mostly Kurds (Sunni)'",
        ranges="kurd=0.90:0.97",
    ),
    # ---- Al-Baaj
    "IQG15Q02N01": P(
        "sunni_arab=0.93 yazidi=0.04 kurd=0.02 turkmen=0.01",
        "R-QUAL",
        "S53",
        note="'predominantly Sunni Arab'",
        ranges="sunni_arab=0.85:0.97",
    ),
    "IQG15Q02N02": P(
        "yazidi=0.50 sunni_arab=0.47 kurd=0.03",
        "R-QUAL",
        "X27;S35",
        note="rest of subdistrict (Siba Sheikh Khidir Yazidi town and Arab villages); town Til Ezer overlaid",
    ),
    # ---- Al-Hamdaniya
    "IQG15Q03N01": P(
        "sunni_arab=0.60 shabak=0.20 turkmen=0.10 kakai=0.04 christian=0.04 kurd=0.02",
        "R-QUAL",
        "S29;S04",
        note="'large Sunni Arab population and sizeable Shabak community'; ACE: Arab and Turkmen with Kakai, Shabak, Assyrians",
        ranges="sunni_arab=0.45:0.75",
    ),
    "IQG15Q03N02": P(
        "shabak=0.50 christian=0.40 sunni_arab=0.05 kakai=0.03 turkmen=0.02",
        "R-QUAL",
        "S22;S29",
        note="town split between Christians and Shia Shabak before 2014; Shabak villages around",
        ranges="christian=0.33:0.50",
    ),
    "IQG15Q03N03": P(
        "shabak=0.45 sunni_arab=0.25 christian=0.15 kakai=0.10 turkmen=0.05",
        "R-QUAL",
        "S29;S04",
        note="rest of subdistrict around Qaraqosh (Shabak, Kakai, Arab villages); Qaraqosh town overlaid",
    ),
    # ---- Al-Hatra
    "IQG15Q04N01": P(
        "sunni_arab=0.97 shia_arab=0.01 kurd=0.01 turkmen=0.01",
        "R-QUAL",
        "S02",
        note="Sunni Arab tribal area (the compiler marks this unsourced)",
        ranges="sunni_arab=0.90:0.99",
    ),
    # ---- Al-Mosul
    "IQG15Q05N01": P(
        "sunni_arab=0.95 turkmen=0.02 kurd=0.01 shia_arab=0.01 other=0.01",
        "R-XSUGGEST",
        "X01",
        "medium",
        note="X01 suggested sunni_arab~0.95 (Jubur)",
        ranges="sunni_arab=0.90:0.98",
    ),
    "IQG15Q05N02": P(
        "sunni_arab=0.95 turkmen=0.02 shabak=0.01 christian=0.01 kurd=0.01",
        "R-QUAL",
        "X11",
        note="Sunni Arab town (qualitative)",
    ),
    "IQG15Q05N03": P(
        "shabak=0.45 sunni_arab=0.35 yazidi=0.10 kurd=0.05 christian=0.05",
        "R-QUAL",
        "S21;X34",
        note="villages outside the twin towns (Shabak and Arab villages); Bashiqa-Bahzani overlaid",
    ),
    "IQG15Q05N04": P(
        "sunni_arab=0.80 kurd=0.06 turkmen=0.05 shabak=0.04 christian=0.02 shia_arab=0.01 yazidi=0.01 other=0.01",
        "R-QUAL",
        "S42;X50",
        note="'large Sunni Arab majority with Kurds, Turkmen, Assyrians/Christians, Shabak'; Christians 0.02 = 35,000/1.8M [X50]",
        ranges="sunni_arab=0.70:0.90",
    ),
    # ---- Al-Shikhan (S03, S54: mainly Yazidi, large Assyrian minority, Sunni Kurds)
    "IQG15Q06N01": P(
        "yazidi=0.60 christian=0.20 kurd=0.18 sunni_arab=0.02",
        "R-QUAL",
        "S03;S54",
        note="Ain Sifni: primarily Yazidi with a significant Assyrian minority",
        ranges="yazidi=0.50:0.75",
    ),
    "IQG15Q06": P(
        "yazidi=0.50 kurd=0.30 christian=0.18 sunni_arab=0.02",
        "R-QUAL",
        "S03",
        note="district description 'mainly Yazidi with a large Assyrian/Chaldean minority and Sunni Kurds'",
        ranges="yazidi=0.35:0.65",
    ),
    # ---- Sinjar (S20, S52: predominantly Yazidi with Sunni Arab, Sunni Kurd, small Christian, Shia, Turkmen)
    "IQG15Q07N03": P(
        "yazidi=0.70 sunni_arab=0.14 kurd=0.08 christian=0.03 turkmen=0.03 shia_arab=0.02",
        "R-QUAL",
        "S20;S52",
        note="'predominantly Yazidi' with the minorities named by S52",
        ranges="yazidi=0.60:0.85",
    ),
    "IQG15Q07N02": P(
        "yazidi=0.90 kurd=0.05 sunni_arab=0.05",
        "R-QUAL",
        "S35;S36",
        note="Sinuni, Yazidi (qualitative)",
        ranges="yazidi=0.80:0.97",
    ),
    "IQG15Q07N01": P(
        "yazidi=0.50 sunni_arab=0.45 kurd=0.03 turkmen=0.02",
        "R-QUAL",
        "S35",
        note="'mixed Yazidi / Sunni Arab'",
        ranges="yazidi=0.35:0.65",
    ),
    # ---- Telafar (S25, S26, S46; X02)
    "IQG15Q08N01": P(
        "turkmen=0.50 sunni_arab=0.45 kurd=0.05",
        "R-QUAL",
        "S46",
        note="villages outside Tal Afar city (mixed Turkmen and Arab district); the city is overlaid",
    ),
    "IQG15Q08N02": P(
        "turkmen=0.85 sunni_arab=0.12 kurd=0.03",
        "R-QUAL",
        "S46",
        note="'Turkmen (not numerically sourced)'",
        ranges="turkmen=0.70:0.95",
    ),
    "IQG15Q08N03": P(
        "sunni_arab=0.55 kurd=0.43 other=0.02",
        "R-QUAL",
        "S26",
        note="'mixed Sunni Arab and Kurd'; displaced Arab families = a quarter of the subdistrict, so Arabs >= 25%",
        ranges="sunni_arab=0.25:0.70",
    ),
    "IQG15Q08N04": P(
        "sunni_arab=0.93 turkmen=0.03 kurd=0.03 other=0.01",
        "R-QUAL",
        "X02",
        "medium",
        note="Shammar 80-90% (midpoint 0.85, a lower bound for all Sunni Arabs) plus other Arab tribes",
        ranges="sunni_arab=0.85:0.97",
    ),
    # ---- Tilkaef
    "IQG15Q09N01": P(
        "sunni_arab=0.85 christian=0.08 kurd=0.03 yazidi=0.02 shabak=0.02",
        "R-QUAL",
        "S24",
        note="Tel Keppe: Chaldean centre (~4,000 of ~40,000) and Sunni Arab outer quarters",
    ),
    "IQG15Q09N02": P(
        "christian=0.40 yazidi=0.30 kurd=0.20 sunni_arab=0.10",
        "R-QUAL",
        "S05;X29",
        note="Sunni Muslims, Chaldean/ACE Christians (Alqosh, Telskuf 11,000) and Yazidis (Khatara ~10,000, so >= 15%)",
        ranges="yazidi=0.15:0.35",
    ),
    "IQG15Q09N03": P(
        "kurd=0.50 sunni_arab=0.50", "R-QUAL", "S55", note="'mixed Kurd / Sunni Arab'"
    ),
    # ---- Erbil: Makhmour (S18, S57, S58, S59)
    "IQG11Q04N01": P(
        "sunni_arab=0.85 kurd=0.15",
        "R-QUAL",
        "S57;S58",
        note="Qaraj: Arab majority",
        ranges="sunni_arab=0.70:0.95",
    ),
    "IQG11Q04N02": P(
        "kurd=0.80 sunni_arab=0.20",
        "R-QUAL",
        "S18;S57",
        note="town mainly Kurdish with an Arab minority",
    ),
    "IQG11Q04N03": P(
        "kurd=0.75 sunni_arab=0.25", "R-QUAL", "S58", note="Dibaga: Kurd (not numerically sourced)"
    ),
    "IQG11Q04N04": P("kurd=0.50 sunni_arab=0.50", "R-QUAL", "S59", note="Gwer: mixed Kurd/Arab"),
    "IQG11Q02N02": P(
        "kurd=0.88 christian=0.05 turkmen=0.05 sunni_arab=0.02",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    # ---- Duhok special subdistricts (R-KRI-PROFILE)
    "IQG09Q03": P(
        "kurd=0.75 yazidi=0.20 christian=0.04 sunni_arab=0.01",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    "IQG09Q01N01": P(
        "kurd=0.88 christian=0.10 yazidi=0.01 sunni_arab=0.01",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    "IQG09Q01N03": P(
        "kurd=0.88 christian=0.10 yazidi=0.01 sunni_arab=0.01",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    # ---- Kirkuk
    "IQG13Q01": P(
        "sunni_arab=0.98 turkmen=0.02",
        "R-DIST-SHARES",
        "S28",
        "medium",
        "derived",
        note="Hawija district about 98% Sunni Arab, the rest mostly Sunni Turkmen [S28]; X19 names Shia Turkmen and Kakai instead",
        ranges="sunni_arab=0.97:0.98",
    ),
    "IQG13Q02N01": P("arab=0.378 kurd=0.298 turkmen=0.308 christian=0.016", "R-GOV-PROFILE", "S62"),
    "IQG13Q03N01": P(
        "kurd=0.80 sunni_arab=0.20",
        "R-QUAL",
        "S08",
        note="Sargaran: Kurdish majority with an Arab minority",
    ),
    "IQG13Q03N02": P(
        "kurd=0.65 sunni_arab=0.20 turkmen=0.10 christian=0.05",
        "R-QUAL",
        "S08;X36",
        note="Kurdish majority with Arab, Turkmen, Christian minorities",
    ),
    "IQG13Q03N03": P(
        "turkmen=0.80 sunni_arab=0.10 kurd=0.10",
        "R-QUAL",
        "S08;X20",
        note="Altun Kupri predominantly Turkmen with Arab and Kurd minorities",
    ),
    "IQG13Q04N01": P(
        "turkmen=0.90 kurd=0.05 sunni_arab=0.05",
        "R-XSUGGEST",
        "X42",
        note="Taza town predominantly Shia Turkmen (X42 suggested 0.95 for the town)",
    ),
    "IQG13Q04N02": P(
        "kurd=0.60 sunni_arab=0.40", "R-QUAL", "X24", note="Kurdish villages and Arabized farmland"
    ),
    "IQG13Q04N05": P(
        "kurd=0.90 sunni_arab=0.10", "R-QUAL", "X25", note="Kurdish area (Anfal 1988)"
    ),
    "IQG13Q04N07": P(
        "kurd=0.85 sunni_arab=0.15",
        "R-QUAL",
        "X25",
        note="Kurdish area (Anfal 1988), Arabized land",
    ),
    "IQG13Q04N06": P(
        "kurd=0.38 turkmen=0.30 sunni_arab=0.20 shia_arab=0.05 christian=0.04 kakai=0.02 other=0.01",
        "R-QUAL",
        "S48;S62;S07",
        note="city: Kurds, Turkmen, Arabs, Christians, no agreed figures; Kurd/Turkmen/Arab near the MICS Kirkuk shares",
        ranges="kurd=0.30:0.48 turkmen=0.25:0.35 sunni_arab=0.15:0.30",
    ),
    # ---- Salah Al-Din: Tooz Khurmato (S14, S44, X38, X39)
    "IQG16Q07N02": P(
        "turkmen=0.40 kurd=0.38 sunni_arab=0.20 shia_arab=0.02",
        "R-QUAL",
        "S14;S44;X38;X39",
        note="partisan brackets: ORSAM Turkmen 0.39 of the district; PUK Kurds 0.39; KDP town Kurd 0.51 / Turkmen 0.36 / Arab 0.13",
        ranges="turkmen=0.36:0.55 kurd=0.30:0.51 sunni_arab=0.13:0.22",
    ),
    "IQG16Q07N01": P(
        "sunni_arab=0.60 turkmen=0.30 kurd=0.10",
        "R-QUAL",
        "X03",
        note="34 villages around Amerli, mixed/Sunni; Amerli town overlaid",
    ),
    "IQG16Q07N03": P(
        "sunni_arab=0.60 turkmen=0.30 kurd=0.10",
        "R-QUAL",
        "S14",
        note="Sulaiman Beg: Sunni Arab/Turkmen (compiler: not sourced)",
    ),
    # ---- Diyala: Khanaqin (S15, S16, S40, S45, X06, X07, X23, X26)
    "IQG10Q05N02": P(
        "kurd=0.80 turkmen=0.08 shia_arab=0.07 sunni_arab=0.05",
        "R-QUAL",
        "S15;X26",
        note="mostly Shia Kalhor/Feyli Kurds with Turkmen and some Shia Arabs",
        ranges="kurd=0.70:0.90",
    ),
    "IQG10Q05N04": P(
        "arab=0.681 kurd=0.30 turkmen=0.019",
        "R-SHARE-CALC",
        "S16;S40",
        "low",
        "derived",
        note="Kurds = mean of the 1997 census (0.143) and the KRG office's pre-Oct-2017 0.45; Turkmen 0.019 (1997); Arabs the rest",
        ranges="kurd=0.143:0.45",
    ),
    "IQG10Q05N01": P(
        "arab=0.812 kurd=0.12 turkmen=0.068",
        "R-SHARE-CALC",
        "X23",
        "medium",
        "derived",
        note="2012 estimate Kurds 0.12; Arabs/Turkmen in their 1997 census ratio (83.1 : 7)",
        ranges="kurd=0.099:0.38",
    ),
    "IQG10Q05N05": P(
        "kurd=0.50 arab=0.50",
        "R-QUAL",
        "X07",
        note="1972 Kurd 0.995 vs 1977 0.051 (partisan source); post-2003 return: treated as mixed",
        ranges="kurd=0.051:0.995",
    ),
    "IQG10Q05N03": P(
        "kurd=0.72 arab=0.26 other=0.02",
        "R-DIST-SHARES",
        "X06;X08",
        note="Khanaqin district 1965 census shares (Kurds incl. Feyli/Kalhor)",
    ),
    # ---- Kifri (S17, X31, X32, X47-X49)
    "IQG10Q06N02": P(
        "kurd=0.45 turkmen=0.30 sunni_arab=0.25",
        "R-QUAL",
        "S17;X32",
        note="contested: Kurdish majority (NCCI-era text) vs Turkmen majority (other revisions)",
        ranges="kurd=0.30:0.60 turkmen=0.20:0.50",
    ),
    "IQG10Q06N01": P(
        "kurd=0.75 sunni_arab=0.15 turkmen=0.10",
        "R-QUAL",
        "X49",
        note="Jabara described as predominantly Kurdish (Kurdish outlet)",
    ),
    "IQG10Q06N03": P(
        "kurd=0.35 turkmen=0.35 sunni_arab=0.30",
        "R-QUAL",
        "X47;X48;X49",
        note="contested majority (Shia Turkmen / mixed / Kurdish): treated as mixed",
    ),
    # ---- Baladruz (X51 suggestion shia_arab~0.85; Mandali X14, S45)
    "IQG10Q03": P(
        "shia_arab=0.85 sunni_arab=0.10 kurd=0.05",
        "R-XSUGGEST",
        "X51",
        note="'mainly Shia Arabs' (X51 suggested 0.85); Sunni villages south of Baladruz",
    ),
    "IQG10Q03N01": P(
        "kurd=0.45 shia_arab=0.35 sunni_arab=0.10 turkmen=0.10",
        "R-QUAL",
        "X14;S30",
        note="Shia Feyli Kurd majority with Arab minority and many Turkmen; 1947: Kurds ~50% of the town",
        ranges="kurd=0.35:0.55",
    ),
}

# Town overlays (R-TOWN-SHARES): unit -> (town population (2013), shares, source ids, shares sourced?)
GOV_PROFILE: dict[str, Profile] = {
    "IQG13": P(
        "arab=0.378 kurd=0.298 turkmen=0.308 christian=0.016", "R-GOV-PROFILE", "S62", "low"
    ),
    "IQG16": P("arab=0.966 turkmen=0.033 kurd=0.002", "R-GOV-PROFILE", "S62", "low"),
    "IQG10": P("arab=0.964 kurd=0.030 turkmen=0.006", "R-GOV-PROFILE", "S62", "low"),
    "IQG11": P(
        "kurd=0.97 christian=0.01 turkmen=0.01 sunni_arab=0.01",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    "IQG09": P(
        "kurd=0.94 christian=0.03 yazidi=0.02 sunni_arab=0.01",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
    "IQG06": P(
        "kurd=0.98 sunni_arab=0.01 christian=0.005 kakai=0.005",
        "R-KRI-PROFILE",
        "",
        note="assumption (no source)",
    ),
}
SUNNI_OF_ARABS = {
    "IQG15": 1.0,
    "IQG09": 1.0,
    "IQG11": 1.0,
    "IQG06": 1.0,
    "IQG13": 0.85,
    "IQG16": 1.0,
    "IQG10": 0.5,
}
SUNNI_OF_ARABS_LOCAL = {"IQG10Q05": 0.8, "IQG16Q04N04": 0.2}


def parse_shares(spec: str, sunni_frac: float) -> dict[str, float]:
    out = dict.fromkeys(COMMUNITIES, 0.0)
    for tok in spec.split():
        k, v = tok.split("=")
        x = float(v)
        if k == "arab":
            out["sunni_arab"] += x * sunni_frac
            out["shia_arab"] += x * (1.0 - sunni_frac)
        else:
            out[k] += x
    s = sum(out.values())
    if abs(s - 1.0) > 0.02:
        raise SystemExit(f"shares {spec!r} sum to {s}")
    return {k: v / s for k, v in out.items()}


def parse_ranges(spec: str) -> dict[str, tuple[float, float]]:
    out = {}
    for tok in spec.split():
        k, v = tok.split("=")
        lo, hi = v.split(":")
        out[k] = (float(lo), float(hi))
    return out


# --------------------------------------------------------------------------------------------
# Population engine
# --------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    inp: Inputs
    units: list[Unit]
    r: float = 0.0
    rural_median: float = 0.0
    notes: list[str] = field(default_factory=list)
    closure: dict[str, float] = field(default_factory=dict)
    gov_base: dict[str, Fig] = field(default_factory=dict)
    gov_latest: dict[str, Fig] = field(default_factory=dict)
    floor: dict[str, Fig] = field(default_factory=dict)
    alt_high: dict[str, tuple[float, str]] = field(default_factory=dict)
    k18: dict[str, float] = field(default_factory=dict)
    sul_detail: tuple[float, float] = (0.0, 0.0)
    idp_yazidi: float = 0.0
    rural_ids: list[str] = field(default_factory=list)

    def grow(self, v: float, year: float) -> float:
        return v * (1.0 + self.r) ** (BASE_YEAR - year)


CAPITALS = {
    "IQG15": "IQG15Q05N04",
    "IQG11": "IQG11Q02N02",
    "IQG09": "IQG09Q02N02",
    "IQG06": "IQG06Q01N02",
}
CAPITAL_SHARE = 0.40


def is_markaz(u: Unit) -> bool:
    return u.name.startswith("Markaz")


def baseline_population(ctx: Ctx) -> dict[str, Fig]:
    inp = ctx.inp
    c = lambda v, ids: cite(inp, v, ids)  # noqa: E731

    # growth rate from two independent Ninewa totals
    nin = inp.unit_row("IQG15", "governorate")
    nin2009 = float(nin["population_pre2014"])
    nin2013 = c(3353875, "S47")
    ctx.r = (nin2013 / nin2009) ** (1.0 / (2013 - int(nin["pre2014_year"]))) - 1.0

    # ---- governorate totals (R-GOV-BASE)
    gov: dict[str, Fig] = {}
    cite_text(inp, "~2.8 million (2013, Niqash)", "S32")
    gov["IQG15"] = Fig(nin2013, "sourced", ["SRC"], ["S47"], "medium", 2_800_000.0, nin2013)
    s09 = {}
    for g in ("IQG13", "IQG16", "IQG10", "IQG11", "IQG09"):
        row = inp.unit_row(g, "governorate")
        assert row["pre2014_year"] == "2010", g
        s09[g] = float(row["population_pre2014"])
        gov[g] = Fig(
            ctx.grow(s09[g], 2010),
            "derived",
            ["R-GOV-BASE", "R-GROWTH"],
            ["S09", "S10", "S47"],
            "medium",
            s09[g],
            None,
        )
    kri24 = c(6519129, "S12")
    sul24 = c(2401724, "S12")
    erb_duh_growth = (kri24 - sul24) / (s09["IQG11"] + s09["IQG09"])
    sul2010 = sul24 / erb_duh_growth
    gov["IQG06"] = Fig(
        ctx.grow(sul2010, 2010),
        "derived",
        ["R-GOV-BASE", "R-GROWTH"],
        ["S12", "S09", "S10", "S47"],
        "low",
    )
    ctx.sul_detail = (sul2010, erb_duh_growth)
    ctx.gov_base = gov

    # ---- sourced subdistrict figures: uid -> Fig (2013), and town floors uid -> Fig
    fixed: dict[str, Fig] = {}
    floor: dict[str, Fig] = {}

    def fx(uid: str, v: float, year: float, ids: str, conf: str, high: float | None = None) -> None:
        """Record a whole-subdistrict figure; a figure of the baseline year stays sourced."""
        if year == BASE_YEAR:
            fixed[uid] = Fig(v, "sourced", ["SRC"], ids.split(";"), conf, None, high)
        else:
            fixed[uid] = Fig(
                ctx.grow(v, year), "derived", ["R-GROWTH"], ids.split(";"), conf, None, high
            )

    def fl(uid: str, v: float, year: float, ids: str) -> None:
        floor[uid] = Fig(
            ctx.grow(v, year), "derived", ["R-TOWN-FLOOR", "R-GROWTH"], ids.split(";"), "low"
        )

    # whole-subdistrict figures (pre-2014 or describing the pre-displacement population)
    # figures dated 2014 or describing the population just before displacement count as 2013
    fx("IQG15Q01N01", c(30331, "X12"), BASE_YEAR, "X12", "medium", high=c(51713, "X13"))
    fx("IQG15Q05N01", c(120000, "X01"), BASE_YEAR, "X01", "medium")
    fx("IQG15Q08N04", c(86000, "X02"), BASE_YEAR, "X02", "medium")
    fx(
        "IQG15Q09N02",
        float(inp.unit_row("IQG15Q09N02", "subdistrict")["population_pre2014"]),
        BASE_YEAR,
        "S05",
        "medium",
    )
    zummar = c(28000, "S26") * 4.2
    fixed["IQG15Q08N03"] = Fig(zummar, "derived", ["R-HH"], ["S26", "S10"], "low")
    fixed["IQG13Q01N02"] = Fig(c(24450, "X18"), "sourced", ["SRC"], ["X18"], "low")
    for uid in ("IQG13Q03N01", "IQG13Q03N02", "IQG13Q03N03"):
        row = inp.unit_row(uid, "subdistrict")
        fx(uid, float(row["population_pre2014"]), float(row["pre2014_year"]), "S08", "medium")

    # town floors (town figures inside a subdistrict)
    fl("IQG15Q01N05", c(23088, "S19"), 2009, "S19")
    fl("IQG15Q02N02", c(28000, "X27"), 2014, "X27")
    fl("IQG15Q03N03", c(44000, "S23"), 2014, "S23")
    fl("IQG15Q05N02", c(25000, "X11"), 2016, "X11")
    fl("IQG15Q05N03", c(41000, "S21"), BASE_YEAR, "S21")
    fl("IQG15Q07N02", c(16798, "X09"), 2014, "X09")
    fl("IQG15Q07N03", c(88023, "S20"), BASE_YEAR, "S20")  # 21,584 (2010, X10) is the town core
    fl("IQG15Q08N01", c(200000, "S25"), BASE_YEAR, "S25")
    fl("IQG15Q09N01", c(40000, "S24"), 2010, "S24")
    fl("IQG11Q04N02", c(23828, "S18"), 2012, "S18")
    fl("IQG13Q02N02", c(60000, "S27"), 2012, "S27")
    fl("IQG16Q07N01", c(20000, "X03"), 2014, "X03")
    fl("IQG16Q07N02", c(60778, "S44"), BASE_YEAR, "S44")
    fl("IQG10Q05N01", c(47213, "X23"), BASE_YEAR, "X23")
    fl("IQG10Q05N02", c(175000, "X26"), 2008, "X26")
    fl("IQG10Q05N04", c(23388, "X45"), 2012, "X45")
    fl("IQG10Q06N02", c(32870, "S17"), 2014, "S17")
    fl("IQG10Q06N03", c(18000, "X47"), 2014, "X47")
    fl("IQG10Q03N01", c(29882, "X14"), 2010, "X14")
    ctx.floor = floor
    # alternative, higher figures for a whole subdistrict (kept as the high end of its range)
    ctx.alt_high = {
        "IQG15Q05N04": (ctx.grow(c(1846500, "S42"), 2004), "S42"),
        "IQG10Q05N02": (ctx.grow(c(175000, "X26"), 2008), "X26"),
    }

    # rural median (R-PRIOR): sourced whole-subdistrict figures outside capitals and centres
    markaz = {u.uid for u in ctx.units if is_markaz(u)}
    rural_ids = [
        uid for uid, f in sorted(fixed.items()) if uid not in markaz and "R-HH" not in f.rules
    ]
    rural = [fixed[uid].value for uid in rural_ids]
    k18 = {}
    for uid in ("IQG13Q04N04", "IQG13Q04N03", "IQG13Q04N01", "IQG13Q04N05", "IQG13Q04N07"):
        k18[uid] = float(inp.unit_row(uid, "subdistrict")["population_latest"])
        rural.append(ctx.grow(k18[uid], 2018))
        rural_ids.append(uid)
    k18["IQG13Q04N02"] = c(19304, "X24")
    rural.append(ctx.grow(k18["IQG13Q04N02"], 2018))
    rural_ids.append("IQG13Q04N02")
    ctx.rural_ids = sorted(rural_ids)
    k18["IQG13Q04N06"] = float(inp.unit_row("IQG13Q04N06", "subdistrict")["population_latest"])
    rural.sort()
    n = len(rural)
    ctx.rural_median = rural[n // 2] if n % 2 else 0.5 * (rural[n // 2 - 1] + rural[n // 2])
    ctx.k18 = k18

    def prior(u: Unit) -> float:
        if u.uid in floor:
            return floor[u.uid].value + ctx.rural_median
        return ctx.rural_median * (2.0 if is_markaz(u) else 1.0)

    # ---- district figures (2013): dist -> Fig
    by_dist: dict[str, list[Unit]] = {}
    for u in ctx.units:
        by_dist.setdefault(u.district, []).append(u)
    dist_fig: dict[str, Fig] = {}
    locked: set[str] = set()
    for row in inp.units:
        if row["level"] != "district" or not row["population_pre2014"]:
            continue
        d = row["pcode"]
        v = float(row["population_pre2014"])
        yr = row["pre2014_year"]
        # the source of the pre-2014 district figure (2003 tables: S02 Ninewa, S07 Kirkuk)
        ids = {"IQG15": ["S02"], "IQG13": ["S07"]}.get(d[:5], row["source_ids"].split(";")[:1])
        if d == "IQG15Q07":  # Sinjar: NRC c.2013-2014 figure, used as is
            dist_fig[d] = Fig(
                v, "sourced", ["SRC"], ["S20"], "medium", c(166466, "S02"), c(300000, "X35")
            )
            locked.add(d)
            continue
        if d == "IQG13Q01":  # Hawija: 2014 statistics, resolves the 451,267 / 151,267 conflict
            dist_fig[d] = Fig(
                c(468600, "X22"),
                "sourced",
                ["SRC"],
                ["X22", "S28", "S07"],
                "low",
                c(151267, "X19"),
                ctx.grow(v, 2003),
            )
            locked.add(d)
            continue
        y = float(yr)
        low = None
        if d == "IQG15Q06":
            low = ctx.grow(c(58132, "S02"), 2003)
        if d == "IQG10Q05":
            ids = ["S15"]
        if d == "IQG13Q03":
            ids = ["S08"]
        dist_fig[d] = Fig(ctx.grow(v, y), "derived", ["R-GROWTH"], ids, "medium", low, None)
    for row in inp.extra:  # Baladruz (X51), a district row in the extra file
        if row["pcode"] == "IQG10Q03" and row["population"]:
            dist_fig["IQG10Q03"] = Fig(
                ctx.grow(float(row["population"]), float(row["population_year"])),
                "derived",
                ["R-GROWTH"],
                ["X51"],
                "low",
            )
    if "IQG10Q05" in dist_fig:
        dist_fig["IQG10Q05"].high = ctx.grow(c(350000, "S15"), 2011)
    if "IQG16Q07" in dist_fig:
        dist_fig["IQG16Q07"].high = ctx.grow(c(190000, "S14"), 2009)
    # Aqra and Makhmour: no district figure, but sourced subdistricts/towns -> prior from parts
    for d in ("IQG15Q01",):
        parts = by_dist[d]
        val = sum(fixed[u.uid].value if u.uid in fixed else prior(u) for u in parts)
        dist_fig[d] = Fig(val, "imputed", ["R-PRIOR"], ["X12", "S19"], "low")

    half_median = 0.5 * ctx.rural_median

    def need(d: str) -> float:
        """Sourced subdistricts + town floors + half the rural median for each other one."""
        return sum(
            fixed[u.uid].value
            if u.uid in fixed
            else floor[u.uid].value
            if u.uid in floor
            else half_median
            for u in by_dist[d]
        )

    for d, f in dist_fig.items():
        nd = need(d)
        if f.value < nd:
            ctx.notes.append(
                f"{d}: district figure {f.value:,.0f} (2013) is below its sourced subdistricts and town floors ({nd:,.0f}); raised (R-TOWN-FLOOR)"
            )
            f.low = f.value if f.low is None else min(f.low, f.value)
            f.value = nd
            f.rules = _uniq([*f.rules, "R-TOWN-FLOOR"])
            f.status = max_status(f.status, "derived")

    # ---- governorate closure
    pop: dict[str, Fig] = {}
    for g in GOVS:
        dists = sorted({u.district for u in ctx.units if u.gov == g})
        known = [d for d in dists if d in dist_fig]
        unknown = [d for d in dists if d not in dist_fig]
        G = gov[g].value
        final_dist: dict[str, Fig] = {}
        if not unknown:
            free = [d for d in known if d not in locked]
            k = (G - sum(dist_fig[d].value for d in known if d in locked)) / sum(
                dist_fig[d].value for d in free
            )
            ctx.closure[g] = k
            for d in known:
                final_dist[d] = dist_fig[d] if d in locked else dist_fig[d].scaled(k, "R-GOV-CLOSE")
        else:
            for d in known:
                final_dist[d] = dist_fig[d]
            rest = G - sum(dist_fig[d].value for d in known)
            pool = [u for u in ctx.units if u.district in unknown]
            shares_fig = _split_pool(ctx, g, pool, rest, prior, floor, gov[g])
            pop.update(shares_fig)
        for d, df in final_dist.items():
            parts = _split_district(ctx, by_dist[d], df, fixed, floor, prior)
            got = sum(f.value for f in parts.values())
            if abs(got - df.value) > 1.0:
                raise SystemExit(
                    f"{d}: subdistricts sum to {got:,.0f}, district is {df.value:,.0f}"
                )
            pop.update(parts)
        got = sum(pop[u.uid].value for u in ctx.units if u.gov == g)
        if abs(got - G) > 1.0:
            raise SystemExit(f"{g}: subdistricts sum to {got:,.0f}, governorate is {G:,.0f}")
    return pop


def _split_pool(
    ctx: Ctx, g: str, pool: list[Unit], rest: float, prior, floor, gfig: Fig
) -> dict[str, Fig]:
    out: dict[str, Fig] = {}
    ids = list(gfig.ids)
    cap = CAPITALS.get(g)
    weights = {u.uid: prior(u) for u in pool}
    if g in KRI and cap in weights:
        capv = CAPITAL_SHARE * gfig.value
        out[cap] = Fig(
            capv,
            "imputed",
            ["R-GOV-REST", "R-CAPITAL"],
            ids,
            "low",
            0.25 * gfig.value,
            0.61 * gfig.value,
        )
        rest -= capv
        del weights[cap]
    vals = _waterfill(rest, weights, {uid: floor[uid].value for uid in weights if uid in floor})
    for uid, v in vals.items():
        rules = ["R-GOV-REST", "R-PRIOR"]
        fids = list(ids)
        if uid in floor:
            rules.append("R-TOWN-FLOOR")
            fids += floor[uid].ids
        out[uid] = Fig(v, "imputed", rules, fids, "low")
    return out


def _waterfill(
    total: float, weights: dict[str, float], floors: dict[str, float]
) -> dict[str, float]:
    """Share ``total`` in proportion to ``weights``, raising any share below its floor."""
    fixed: dict[str, float] = {}
    free = dict(weights)
    while True:
        rem = total - sum(fixed.values())
        wsum = sum(free.values())
        vals = {k: rem * w / wsum for k, w in free.items()}
        low = [k for k, v in vals.items() if v < floors.get(k, 0.0) - 1e-9]
        if not low:
            return {**fixed, **vals}
        for k in low:
            fixed[k] = floors[k]
            del free[k]
        if not free:
            return fixed


def _split_district(ctx: Ctx, subs: list[Unit], df: Fig, fixed, floor, prior) -> dict[str, Fig]:
    out: dict[str, Fig] = {}
    d = subs[0].district
    base_rules = [r for r in df.rules if r != "SRC"]
    if d == "IQG13Q04":  # Kirkuk district: shape of the 2018 subdistrict figures
        tot = sum(ctx.k18[u.uid] for u in subs)
        for u in subs:
            ids = ["S06"] if u.uid != "IQG13Q04N02" else ["X24"]
            out[u.uid] = Fig(
                df.value * ctx.k18[u.uid] / tot,
                "derived",
                [*base_rules, "R-SHAPE-2018"],
                _uniq([*df.ids, *ids]),
                "low",
            )
        return out
    if len(subs) == 1:
        u = subs[0]
        return {u.uid: Fig(df.value, df.status, df.rules, df.ids, df.conf, df.low, df.high)}
    fx_sum = sum(fixed[u.uid].value for u in subs if u.uid in fixed)
    others = [u for u in subs if u.uid not in fixed]
    rem = df.value - fx_sum
    scale_fixed = 1.0
    min_sub = 0.25 * ctx.rural_median
    need = sum(max(floor[u.uid].value if u.uid in floor else 0.0, min_sub) for u in others)
    if rem < need and fx_sum > 0:  # closure shrank the district below its parts: shrink them too
        scale_fixed = max(df.value - need, 0.0) / fx_sum
        rem = df.value - fx_sum * scale_fixed
        ctx.notes.append(
            f"{d}: sourced subdistricts scaled by {scale_fixed:.3f} to fit the district"
        )
    for u in subs:
        if u.uid in fixed:
            f = fixed[u.uid]
            out[u.uid] = f.scaled(scale_fixed, "R-GOV-CLOSE") if scale_fixed != 1.0 else f
    if not others:
        # all subdistricts sourced: close them proportionally to the district figure
        k = df.value / fx_sum
        for u in subs:
            out[u.uid] = fixed[u.uid].scaled(k, "R-GOV-CLOSE")
        return out
    cap = next((u for u in others if u.uid in CAPITALS.values()), None)
    if cap is not None:
        vals = {u.uid: prior(u) for u in others if u is not cap}
        vals[cap.uid] = rem - sum(vals.values())
    else:
        vals = _waterfill(
            rem,
            {u.uid: prior(u) for u in others},
            {u.uid: floor[u.uid].value for u in others if u.uid in floor},
        )
    for u in others:
        rules = [*base_rules, "R-SPLIT", "R-PRIOR"]
        ids = list(df.ids)
        if u.uid in floor:
            rules.append("R-TOWN-FLOOR")
            ids += floor[u.uid].ids
        v = vals[u.uid]
        # the district's range, carried over in proportion
        low = None if df.low is None else v * df.low / df.value
        high = None if df.high is None else v * df.high / df.value
        if u.uid in ctx.alt_high:
            alt, sid = ctx.alt_high[u.uid]
            high = max(high or v, alt)
            ids.append(sid)
        out[u.uid] = Fig(v, "imputed", _uniq(rules), _uniq(ids), "low", low, high)
    return out


# Town overlays (R-TOWN-SHARES): unit -> (shares of the town, source ids, shares sourced?, ranges)
OVERLAY: dict[str, tuple[str, str, bool, str]] = {
    "IQG15Q02N02": ("yazidi=0.97 sunni_arab=0.03", "X27", False, ""),
    "IQG15Q05N03": ("yazidi=0.85 christian=0.12 other=0.03", "S21", True, ""),
    "IQG15Q03N03": ("christian=0.97 shabak=0.02 kakai=0.01", "X15;S23", False, ""),
    "IQG15Q08N01": ("turkmen=1.0", "S25", True, ""),
    "IQG16Q07N01": ("turkmen=0.95 sunni_arab=0.03 kurd=0.02", "X03", False, ""),
    "IQG13Q02N02": ("arab=0.07 kurd=0.20 turkmen=0.70 kakai=0.03", "S27", True, "kurd=0.20:0.60"),
}


@dataclass
class Comp:
    shares: dict[str, float]
    status: str
    rules: list[str]
    ids: list[str]
    conf: str
    ranges: dict[str, tuple[float, float]]


def sunni_frac(u: Unit) -> float:
    if u.uid in SUNNI_OF_ARABS_LOCAL:
        return SUNNI_OF_ARABS_LOCAL[u.uid]
    return SUNNI_OF_ARABS_LOCAL.get(u.district, SUNNI_OF_ARABS[u.gov])


def base_profile(u: Unit) -> Comp:
    prof = COMP.get(u.uid)
    own = prof is not None
    if prof is None:
        prof = COMP.get(u.district)
    if prof is None:
        if u.gov == "IQG15":
            raise SystemExit(f"no composition profile for Ninewa unit {u.uid}")
        prof = GOV_PROFILE[u.gov]
    sf = sunni_frac(u)
    shares = parse_shares(prof.shares, sf)
    rules = [prof.rule, "R-TURKMEN-MERGE"]
    if "arab=" in prof.shares.replace("_arab=", "_x="):
        rules.append("R-ARAB-SPLIT")
    status = prof.status
    conf = prof.conf
    if not own and prof.rule == "R-DIST-SHARES":
        status = "derived"
        conf = max_conf(conf, "medium") if conf == "high" else max_conf(conf, "low")
    return Comp(shares, status, rules, prof.ids.split(";"), conf, parse_ranges(prof.ranges))


def baseline_composition(u: Unit, total: float, floor: dict[str, Fig]) -> Comp:
    comp = base_profile(u)
    if u.uid not in OVERLAY:
        return comp
    spec, ids, sourced, ranges = OVERLAY[u.uid]
    town = parse_shares(spec, sunni_frac(u))
    t = min(floor[u.uid].value / total, 1.0) if total > 0 else 1.0
    shares = {k: t * town[k] + (1.0 - t) * comp.shares[k] for k in COMMUNITIES}
    status = "derived" if (sourced and t >= 0.75) else "imputed"
    rules = _uniq(["R-TOWN-SHARES", *comp.rules] + ([] if sourced else ["R-XSUGGEST"]))
    rng = {
        k: (t * lo + (1 - t) * comp.shares[k], t * hi + (1 - t) * comp.shares[k])
        for k, (lo, hi) in parse_ranges(ranges).items()
    }
    return Comp(shares, status, rules, _uniq([*ids.split(";"), *comp.ids]), "low", rng)


# --------------------------------------------------------------------------------------------
# Current census
# --------------------------------------------------------------------------------------------
@dataclass
class Cell:
    value: float
    status: str
    rules: list[str]
    ids: list[str]
    conf: str
    low: float | None = None
    high: float | None = None
    locked: bool = False

    def touch(self, rule: str, ids: str, status: str = "derived", conf: str = "low") -> None:
        self.rules = _uniq([*self.rules, rule])
        self.ids = _uniq([*self.ids, *ids.split(";")])
        self.status = max_status(self.status, status)
        self.conf = max_conf(self.conf, conf)
        self.locked = True


def cite_text(inp: Inputs, phrase: str, ids: str) -> None:
    for sid in ids.split(";"):
        if sid not in inp.source_ids:
            raise SystemExit(f"unknown source id {sid!r}")
    if phrase not in inp.text:
        raise SystemExit(f"phrase {phrase!r} ({ids}) not found in the input files")


def current_census(
    ctx: Ctx, base: dict[str, dict[str, Cell]]
) -> tuple[dict[str, dict[str, Cell]], dict[str, Fig]]:
    inp = ctx.inp
    c = lambda v, ids: cite(inp, v, ids)  # noqa: E731
    gb = ctx.gov_base
    s09 = {
        g: float(inp.unit_row(g, "governorate")["population_pre2014"]) for g in ("IQG11", "IQG09")
    }
    latest: dict[str, Fig] = {}
    cite_text(inp, "~4 million (Dec 2024 statement", "S61")
    latest["IQG15"] = Fig(
        4_000_000.0, "sourced", ["R-CUR-GOV"], ["S61"], "medium", c(3928215, "S11"), 4_000_000.0
    )
    cite_text(inp, "population near 1.9 million", "S13")
    latest["IQG13"] = Fig(
        1_900_000.0, "sourced", ["R-CUR-GOV"], ["S13"], "medium", c(1861546, "S13"), 1_900_000.0
    )
    cite_text(inp, "1.2-1.5 million (2024 statement)", "S49")
    latest["IQG10"] = Fig(
        1_350_000.0, "derived", ["R-CUR-GOV"], ["S49"], "low", 1_200_000.0, 1_500_000.0
    )
    latest["IQG06"] = Fig(c(2401724, "S12"), "sourced", ["R-CUR-GOV"], ["S12"], "medium")
    ed = c(6519129, "S12") - c(2401724, "S12")
    for g in ("IQG11", "IQG09"):
        latest[g] = Fig(
            ed * s09[g] / (s09["IQG11"] + s09["IQG09"]),
            "derived",
            ["R-CUR-GOV"],
            ["S12", "S09"],
            "medium",
        )
    latest["IQG09"].low = c(1511598, "S50")
    gk = latest["IQG13"].value / gb["IQG13"].value
    gn = latest["IQG15"].value / gb["IQG15"].value
    gd = latest["IQG10"].value / gb["IQG10"].value
    gsad = (latest["IQG15"].value + latest["IQG13"].value) / (gb["IQG15"].value + gb["IQG13"].value)
    latest["IQG16"] = Fig(
        gb["IQG16"].value * gsad,
        "imputed",
        ["R-CUR-GOV"],
        ["S61", "S13", "S09"],
        "low",
        gb["IQG16"].value * min(gd, gk, gn),
        gb["IQG16"].value * max(gd, gk, gn),
    )
    ctx.gov_latest = latest

    cur: dict[str, dict[str, Cell]] = {}
    for u in ctx.units:
        g = latest[u.gov].value / gb[u.gov].value
        st = "derived" if latest[u.gov].status != "imputed" else "imputed"
        cur[u.uid] = {}
        for k in COMMUNITIES:
            b = base[u.uid][k]
            cur[u.uid][k] = Cell(
                b.value * g,
                max_status(b.status, st),
                _uniq([*b.rules, "R-CUR-GROWTH"]),
                _uniq([*b.ids, *latest[u.gov].ids]),
                max_conf(b.conf, latest[u.gov].conf),
            )

    def bval(uid: str, k: str) -> float:
        return base[uid][k].value

    # ---- Kirkuk: 2018 shape closed to 2024 total
    k18: dict[str, float] = dict(ctx.k18)
    for d, _ids in (("IQG13Q01", "S07"), ("IQG13Q03", "S07"), ("IQG13Q02", "S07")):
        row = inp.unit_row(d, "district")
        v = float(row["population_latest"])
        subs = [u for u in ctx.units if u.district == d]
        bt = sum(sum(bval(u.uid, k) for k in COMMUNITIES) for u in subs)
        for u in subs:
            k18[u.uid] = v * sum(bval(u.uid, k) for k in COMMUNITIES) / bt
    kir = [u for u in ctx.units if u.gov == "IQG13"]
    ksum = sum(k18[u.uid] for u in kir)
    for u in kir:
        tot_b = sum(bval(u.uid, k) for k in COMMUNITIES)
        newtot = latest["IQG13"].value * k18[u.uid] / ksum
        for k in COMMUNITIES:
            cell = cur[u.uid][k]
            cell.value = newtot * bval(u.uid, k) / tot_b if tot_b else 0.0
            cell.high = bval(u.uid, k) * gk
            cell.touch("R-CUR-KIRKUK-2018", "S07;S06;S13")

    # ---- Sinjar and Qahtaniya returns, IDPs to Duhok
    ret = 0.43
    cite_text(inp, "43% returned by April 2024", "X35")
    idp_yazidi = 0.0
    for uid in ("IQG15Q07N01", "IQG15Q07N02", "IQG15Q07N03"):
        for k in COMMUNITIES:
            cell = cur[uid][k]
            cell.value = bval(uid, k) * ret
            if k == "yazidi":
                idp_yazidi += bval(uid, k) * (1 - ret)
            cell.touch("R-CUR-SINJAR", "X35;S36")
    q = "IQG15Q02N02"
    idp_yazidi += bval(q, "yazidi") * (1 - ret)
    cur[q]["yazidi"].value = bval(q, "yazidi") * ret
    cur[q]["yazidi"].touch("R-CUR-SINJAR", "X35;S35")
    hosts = [u for u in ctx.units if u.district in ("IQG09Q03", "IQG09Q04")]
    htot = sum(sum(bval(u.uid, k) for k in COMMUNITIES) for u in hosts)
    for u in hosts:
        cell = cur[u.uid]["yazidi"]
        add = idp_yazidi * sum(bval(u.uid, k) for k in COMMUNITIES) / htot
        cell.value += add
        cell.touch("R-CUR-IDP-DUHOK", "X35", "imputed")
    ctx.idp_yazidi = idp_yazidi

    # ---- Tal Afar city
    cite_text(inp, ">half of Tal Afar city not returned by Aug 2019", "S51")
    for k in COMMUNITIES:
        cell = cur["IQG15Q08N01"][k]
        cell.value = bval("IQG15Q08N01", k) * 0.45
        cell.low, cell.high = bval("IQG15Q08N01", k) * 0.40, bval("IQG15Q08N01", k) * 0.50
        cell.touch("R-CUR-TALAFAR", "S51")

    # ---- Bashiqa Yazidis
    cite_text(inp, "~27,000 Yazidis (77%) had returned by 2018", "S21")
    cur["IQG15Q05N03"]["yazidi"].value = bval("IQG15Q05N03", "yazidi") * 0.77
    cur["IQG15Q05N03"]["yazidi"].touch("R-CUR-BASHIQA", "S21")

    # ---- Christians
    cite_text(inp, "~35,000 Christians returned (2019)", "S23")
    cur["IQG15Q03N03"]["christian"].value = bval("IQG15Q03N03", "christian") * 0.70
    cur["IQG15Q03N03"]["christian"].touch("R-CUR-CHRISTIAN", "S23")
    cite_text(inp, "~60 families by Dec 2022", "S24")
    f = 60 * 4.2 / c(4000, "S24")
    cur["IQG15Q09N01"]["christian"].value = bval("IQG15Q09N01", "christian") * f
    cur["IQG15Q09N01"]["christian"].touch("R-CUR-CHRISTIAN", "S24;S10")
    lost = c(11000, "X29") - c(4500, "X28")
    cell = cur["IQG15Q09N02"]["christian"]
    cell.value = max(bval("IQG15Q09N02", "christian") * 1.0 - lost, 0.0)
    cell.touch("R-CUR-CHRISTIAN", "X28;X29")
    cite_text(inp, "~50 Christian families remained in 2024", "X50")
    cell = cur["IQG15Q05N04"]["christian"]
    cell.value = 50 * 4.2
    cell.touch("R-CUR-CHRISTIAN", "X50;S10")
    bt_uid = "IQG15Q03N02"
    tot = sum(cur[bt_uid][k].value for k in COMMUNITIES)
    rest_b = {k: bval(bt_uid, k) for k in COMMUNITIES if k not in ("shabak", "christian")}
    rest_sum = sum(rest_b.values())
    for k in COMMUNITIES:
        cell = cur[bt_uid][k]
        if k == "shabak":
            cell.value = tot * 0.52
        elif k == "christian":
            cell.value = tot * 0.33
        else:
            cell.value = tot * 0.15 * rest_b[k] / rest_sum if rest_sum else 0.0
        cell.touch("R-CUR-CHRISTIAN", "S22")

    # ---- Diyala Kurds
    cite_text(inp, "Kurds 10% now vs 45% before 16 Oct 2017", "S40")
    j = "IQG10Q05N04"
    nonk = sum(cur[j][k].value for k in COMMUNITIES if k != "kurd")
    cur[j]["kurd"].value = 0.10 / 0.90 * nonk
    cur[j]["kurd"].touch("R-CUR-DIYALA-KURDS", "S40")
    cite_text(inp, "down ~80% and in Khanaqin ~15%", "S45")
    for uid in ("IQG10Q05N01", "IQG10Q05N05", "IQG10Q06N01", "IQG10Q06N03", "IQG10Q03N01"):
        cur[uid]["kurd"].value *= 0.20
        cur[uid]["kurd"].touch("R-CUR-DIYALA-KURDS", "S45")
    cur["IQG10Q05N02"]["kurd"].value *= 0.85
    cur["IQG10Q05N02"]["kurd"].touch("R-CUR-DIYALA-KURDS", "S45")

    # ---- Kifri
    cite_text(inp, ">2,000 Kurdish/Turkmen families left and >1,000 Arab families arrived", "X31")
    kf = "IQG10Q06N02"
    out_p = 2000 * 4.2
    kt = cur[kf]["kurd"].value + cur[kf]["turkmen"].value
    for k in ("kurd", "turkmen"):
        cur[kf][k].value -= out_p * cur[kf][k].value / kt
        cur[kf][k].touch("R-CUR-KIFRI", "X31;S10")
    cur[kf]["sunni_arab"].value += 1000 * 4.2
    cur[kf]["sunni_arab"].touch("R-CUR-KIFRI", "X31;S10", "imputed")

    # ---- Tuz
    cite_text(inp, "17% of those who fled in Oct 2017 not returned", "X40")
    tz = "IQG16Q07N02"
    cur[tz]["kurd"].value = max(cur[tz]["kurd"].value - 0.17 * c(50000, "X39"), 0.0)
    tuz = [u for u in ctx.units if u.district == "IQG16Q07"]
    ttot = sum(cur[u.uid][k].value for u in tuz for k in COMMUNITIES)
    kt = c(154000, "X46") / ttot
    for u in tuz:
        for k in COMMUNITIES:
            cur[u.uid][k].value *= kt
            cur[u.uid][k].touch("R-CUR-TUZ", "X46;X39;X40")

    # ---- closure per governorate
    for g in GOVS:
        cells = [cur[u.uid][k] for u in ctx.units if u.gov == g for k in COMMUNITIES]
        fixed = sum(x.value for x in cells if x.locked)
        free = sum(x.value for x in cells if not x.locked)
        k = (latest[g].value - fixed) / free if free else 1.0
        ctx.closure["cur-" + g] = k
        for x in cells:
            if not x.locked:
                x.value *= k
                x.rules = _uniq([*x.rules, "R-CUR-CLOSE"])
                if x.low is not None:
                    x.low *= k
                if x.high is not None:
                    x.high *= k
    return cur, latest


# --------------------------------------------------------------------------------------------
# Assembly and output
# --------------------------------------------------------------------------------------------
def build(shared: Path) -> dict[str, str]:
    inp = read_inputs(shared)
    ctx = Ctx(inp, load_units(inp))
    pop = baseline_population(ctx)
    missing = [u.uid for u in ctx.units if u.uid not in pop]
    if missing:
        raise SystemExit(f"no population for {missing}")
    base: dict[str, dict[str, Cell]] = {}
    for u in ctx.units:
        tf = pop[u.uid]
        comp = baseline_composition(u, tf.value, ctx.floor)
        base[u.uid] = {}
        for k in COMMUNITIES:
            lo = hi = None
            if k in comp.ranges:
                lo, hi = tf.value * comp.ranges[k][0], tf.value * comp.ranges[k][1]
            base[u.uid][k] = Cell(
                tf.value * comp.shares[k],
                max_status(tf.status, comp.status),
                _uniq([*tf.rules, *comp.rules]),
                _uniq([*tf.ids, *comp.ids]),
                max_conf(tf.conf, comp.conf),
                lo,
                hi,
            )
    cur, latest = current_census(ctx, base)
    if ATTRIBUTION not in inp.text:
        raise SystemExit("the COD-AB attribution wording changed in shared/data/iraq/SOURCES.md")
    for tables in (base, cur):
        for cells in tables.values():
            for cell in cells.values():
                for sid in cell.ids:
                    if sid not in inp.source_ids:
                        raise SystemExit(f"unknown source id {sid}")
                for r in cell.rules:
                    if r not in RULES:
                        raise SystemExit(f"unknown rule {r}")
    files = {
        "units.geojson": write_geojson(ctx.units),
        "census.csv": write_census(ctx.units, base, cur),
        "provenance.csv": write_provenance(ctx.units, base, cur, pop),
        "communities.csv": write_communities(),
    }
    files["SOURCES.md"] = write_sources_md(ctx, base, cur, latest)
    return files


def _r(x: float | None) -> str:
    return "" if x is None else str(round(x))


def write_geojson(units: list[Unit]) -> str:
    fc = {
        "type": "FeatureCollection",
        "name": "northern_iraq_units",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {"type": "Feature", "properties": u.props, "geometry": u.geometry} for u in units
        ],
    }
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue()


def write_census(units, base, cur) -> str:
    rows = [["census", "unit_id", *COMMUNITIES]]
    for name, table in (("baseline", base), ("current", cur)):
        for u in units:
            rows.append([name, u.uid, *(_r(table[u.uid][k].value) for k in COMMUNITIES)])
    return _csv(rows)


def write_provenance(units, base, cur, pop) -> str:
    rows = [
        [
            "census",
            "unit_id",
            "field",
            "value",
            "low",
            "high",
            "status",
            "rule",
            "source_ids",
            "confidence",
        ]
    ]
    for name, table in (("baseline", base), ("current", cur)):
        for u in units:
            cells = table[u.uid]
            total = sum(round(cells[k].value) for k in COMMUNITIES)
            st = "sourced"
            conf = "high"
            rules: list[str] = []
            ids: list[str] = []
            for k in COMMUNITIES:
                if cells[k].value > 0.5:
                    st = max_status(st, cells[k].status)
                    conf = max_conf(conf, cells[k].conf)
            if name == "baseline":
                tf = pop[u.uid]
                st, conf, rules, ids = tf.status, tf.conf, tf.rules, tf.ids
                lo, hi = tf.low, tf.high
            else:
                rules = _uniq(
                    [
                        r
                        for k in COMMUNITIES
                        for r in cells[k].rules
                        if r.startswith("R-CUR") or r in ("SRC",)
                    ]
                )
                ids = _uniq([i for k in COMMUNITIES for i in cells[k].ids])
                los = [cells[k].low for k in COMMUNITIES]
                his = [cells[k].high for k in COMMUNITIES]
                lo = (
                    sum(
                        x if x is not None else cells[k].value
                        for x, k in zip(los, COMMUNITIES, strict=True)
                    )
                    if any(x is not None for x in los)
                    else None
                )
                hi = (
                    sum(
                        x if x is not None else cells[k].value
                        for x, k in zip(his, COMMUNITIES, strict=True)
                    )
                    if any(x is not None for x in his)
                    else None
                )
            rows.append(
                [
                    name,
                    u.uid,
                    "total",
                    str(total),
                    _r(lo),
                    _r(hi),
                    st,
                    ";".join(rules),
                    ";".join(sorted(set(ids), key=_sid_key)),
                    conf,
                ]
            )
            for k in COMMUNITIES:
                cell = cells[k]
                rows.append(
                    [
                        name,
                        u.uid,
                        k,
                        _r(cell.value),
                        _r(cell.low),
                        _r(cell.high),
                        cell.status,
                        ";".join(cell.rules),
                        ";".join(sorted(set(cell.ids), key=_sid_key)),
                        cell.conf,
                    ]
                )
    return _csv(rows)


def _sid_key(s: str) -> tuple[str, int]:
    return (s[0], int(s[1:]))


def write_communities() -> str:
    rows = [["key", "label_en", "label_ar", "description"]]
    for k in COMMUNITIES:
        en, ar, desc = COMMUNITY_LABELS[k]
        rows.append([k, en, ar, desc])
    return _csv(rows)


# Own-words descriptions of the sources used (id -> publisher, year, what it gives)
SOURCE_DESC: dict[str, str] = {
    "S02": "Wikipedia, 'Nineveh Governorate' (2003 WFP district estimates; 2011 and 2018 totals), accessed 2025",
    "S03": "Wikipedia, 'Shekhan District' (2003 WFP estimate, citing CAPNI), accessed 2025",
    "S04": "Wikipedia, 'Al-Hamdaniya District' (subdistrict composition after an Assyria Council of Europe report, 2010), accessed 2025",
    "S05": "CAPNI (Christian Aid Program Nohadra Iraq), Alqosh sub-district profile (2014 estimate), n.d.",
    "S06": "Wikipedia, 'Kirkuk District' (2018 subdistrict populations), accessed 2025",
    "S07": "Wikipedia, 'Kirkuk Governorate' (district tables 2003, 2006, 2018; governorate estimates), accessed 2025",
    "S08": "Wikipedia, 'Dibis District' (2008 subdistrict populations, composition), accessed 2025",
    "S09": "COSIT (Iraq Central Statistical Organization), Annual Abstract of Statistics, 2010 governorate projections, 2013 edition",
    "S10": "Alsumaria News, Nineveh Statistics Directorate 2009 listing (total, urban share, households), 2011",
    "S11": "Shafaq News, Ministry of Planning 2020 governorate estimates, 2021",
    "S12": "KirkukNow, Shafaq News, AP: 2024 census totals (Iraq, Kurdistan Region, Sulaymaniyah with Halabja), 2025",
    "S13": "Shafaq News, Kirkuk governor on the 2024 census (about 1.9 million), 2024",
    "S14": "Azerbaijani Wikipedia, 'Tuzxurmatu' district (2003, 2007 figures; ORSAM 2009 fieldwork), accessed 2025",
    "S15": "Wikipedia, 'Khanaqin District' and 'Khanaqin' (2003 and 2011 figures, composition), accessed 2025",
    "S16": "Wikipedia, 'Jalawla' (census shares 1977-1997, 2015 population), accessed 2025",
    "S17": "Wikipedia, 'Kifri' (2003 district, 2014 town), accessed 2025",
    "S18": "Wikipedia, 'Makhmur, Iraq' (2012 town, refugee camp), accessed 2025",
    "S19": "German Wikipedia, 'Akrê' (2009 town, mostly Kurds), accessed 2025",
    "S20": "Norwegian Refugee Council, rapid needs assessment of Sinjar town (2013 town and district populations), 2018",
    "S21": "Wikipedia, 'Bashiqa' (Yazidi share and returns), accessed 2025",
    "S22": "German Wikipedia 'Bartella' and Society for Threatened Peoples (2019-2020 shares, population), 2019-2020",
    "S23": "The Independent via ICC (Qaraqosh 2014) and Assyrian Policy Institute testimony (returns 2019)",
    "S24": "German Wikipedia 'Tel Keppe' and Nineveh Rising (town size, Christian returns), accessed 2025",
    "S25": "Wikipedia mirrors and field notes on Tal Afar (city size, Sunni/Shia split), accessed 2025",
    "S26": "GPPi, 'Iraq after ISIL: Zummar', 2017",
    "S27": "Wikipedia 'Daquq' 2018 revision citing KirkukNow (2012 town shares); UNAMI-derived text",
    "S28": "Wikipedia mirrors, 'Hawija' (district size, about 98% Sunni Arab), accessed 2025",
    "S29": "USIP, Nineveh district profiles (Hamdaniya subdistricts), 2020s",
    "S30": "UNAMI, press release on the disputed internal boundaries reports, 2009",
    "S32": "Wikipedia, '2013 Nineveh governorate election' (Niqash community counts), accessed 2025",
    "S35": "IOM DTM emergency tracking, returns to Sinjar and Al-Baaj, 2020",
    "S36": "Shafaq News, Sinuni census and Yazidi displacement, 2022 and 2024",
    "S40": "Shafaq News, Kurdish population in Jalawla (KRG office), c.2022",
    "S42": "Wikipedia, 'Mosul' (2004 city estimate, composition), accessed 2025",
    "S44": "Wikipedia mirrors, 'Tuz Khurmatu' (2013 city population, composition), accessed 2025",
    "S45": "Shafaq News, PUK official on the fall of the Kurdish share in Diyala's disputed areas, 2021",
    "S46": "GPPi, 'Iraq After ISIL: Tal Afar City', 2017",
    "S47": "Iraq Times, UN figures for the 2013 provincial elections (Nineveh population), 2013",
    "S48": "NCCI, Kirkuk Governorate Profile (2007 estimates), c.2010",
    "S49": "Shafaq News, Diyala census coverage (1.2-1.5 million), 2024",
    "S50": "Finnish Wikipedia mirror, Dahuk governorate 2017 KRSO estimate, accessed 2025",
    "S51": "TRT World, returns to Tal Afar, 2019",
    "S52": "ReliefWeb, rapid assessment on Yezidis in Sinjar, 2023",
    "S53": "Wikipedia mirror, 'Al-Ba'aj District' (predominantly Sunni Arab), accessed 2025",
    "S54": "Wikipedia mirror, 'Ain Sifni' (Yazidi with Assyrian minority), accessed 2025",
    "S55": "Social Inquiry / USIP, conflict monitoring framework for Ninewa, 2019",
    "S57": "Rudaw via MESOP, Makhmur votes for Erbil administration, 2012",
    "S58": "Niqash, 'Mistrust thy neighbour' (Makhmur, Qaraj), 2014",
    "S59": "Al Jazeera America, 'Neighbor Against Neighbor' (Gwer), 2014",
    "S61": "Shafaq News, Nineveh census phase (about 4 million), 2024",
    "S62": "Public GitHub analysis of the MICS6 2018 microdata (CSO/KRSO/UNICEF): language of household head by governorate, 2025-26",
    "S63": "Same public GitHub project: Arab Barometer 2018-24 pooled by governorate (sect answers), 2025-26",
    "X01": "GPPi, 'Iraq after ISIL: Qayyara', 2017",
    "X02": "GPPi, 'Iraq after ISIL: Rabi'a', 2017",
    "X03": "AFP via The Daily Star, besieged Amerli, 2014",
    "X06": "Rudaw, demographic change in Khanaqin (1965 and 1977 census shares after M. Ihsan), 2022",
    "X07": "Chawy Kurd magazine, Khanaqin Arabisation (Qaratu 1972 and 1977 shares; partisan), c.2010s",
    "X08": "KRG Ministry of Extra Regional Affairs, M. Ihsan report on administrative changes (partisan), 2014",
    "X09": "Wikipedia mirror, 'Sinun' (July 2014 town population), accessed 2025",
    "X10": "Wikipedia, 'Sinjar' revision of Oct 2014 (2010 town estimate), 2014",
    "X11": "Wikipedia mirror, 'Hamam al-Alil' (2016 town population), accessed 2025",
    "X12": "Wikipedia mirrors, 'Bardarash' (2014 KRSO/IOM/UNFPA survey figures), 2018 survey",
    "X13": "Blog post on Bardarash (1997 WFP count, mayoralty claim; low reliability), 2011",
    "X14": "Wikipedia, 'Mandali, Iraq' (town population range, 1947 Kurdish share), accessed 2025",
    "X15": "WORLD Magazine, Qaraqosh before 2014 (60,000, almost all Christians), 2018",
    "X16": "Crux, Karamles Christians four years after IS (families before and after), 2018",
    "X18": "Arabica encyclopedia (Arabic Wikipedia fork), Al-Zab subdistrict, 2023",
    "X19": "Wikipedia mirror and older revision, 'Hawija District' (2003 infobox 151,267), accessed 2025",
    "X20": "Wikipedia mirror, 'Altun Kupri' (2013 town, predominantly Turkmen), accessed 2025",
    "X22": "Arabica encyclopedia (Arabic Wikipedia fork), Hawija district, 2014 statistics 468,600, 2023",
    "X23": "Wikipedia mirrors, 'Sadiyah' (census shares 1947-1997, 2003/2012 estimates, 2013 population), accessed 2025",
    "X24": "Wikipedia draft, 'Laylan Subdistrict' (2018 estimate), 2024",
    "X25": "Wikimapia copy of UNAMI DIB text on Kirkuk district (Anfal 1988), n.d.",
    "X26": "Wikipedia mirror, 'Khanaqin' city (2008 population, composition), accessed 2025",
    "X27": "German Wikipedia mirror, 'Til Ezer' (Qahtaniya town, 2014), accessed 2025",
    "X28": "KirkukNow, returns to Telskuf, c.2020",
    "X29": "The National (UAE), Telskuf before 2014, c.2016",
    "X31": "Rudaw, Kurds and Turkmen leaving Kifri (KRSO figure, family flows), 2022",
    "X32": "Wikipedia snapshots, 'Kifri' (contested majority), 2015",
    "X33": "Sorani Kurdish Wikipedia, Tal Afar (2018 town estimate 172,500), accessed 2025",
    "X34": "Wikipedia mirror, 'Bahzani' (majority Yazidi), accessed 2025",
    "X35": "AP (via WTOP), IOM: 43% of more than 300,000 displaced from Sinjar returned by April 2024, 2024",
    "X36": "Rudaw, Kurdish villages in Dibis evacuated, 2018",
    "X37": "Rudaw, Kurdish villages of Makhmour deserted, 2024",
    "X38": "Iraq Business News, KDP Kirkuk office on Tuz town composition (partisan), 2016",
    "X39": "Rudaw, PUK Tuz official on Kurds of Tuz (partisan), 2017",
    "X40": "KirkukNow, Kurds of Tuz Khurmatu still displaced, c.2020",
    "X42": "Wikipedia, 'Taza Khurmatu' (2023 town, Shia Turkmen), accessed 2025",
    "X43": "German Wikipedia mirror, 'Daquq' (1947 census Kurdish share), accessed 2025",
    "X45": "Wikipedia mirror, 'Jalawla' (2012 estimate) and Shafaq/KRG office on arrivals, c.2022",
    "X46": "KirkukNow, new Tuz mayor (district population 154,000), 2024",
    "X47": "AFP via Shiite News, Qara Tapa retaken (half the town fled), 2014",
    "X48": "Wikipedia mirror, 'Qara Tapa' (Shia Turkmen town), accessed 2025",
    "X49": "Rudaw, Qaratapa district upgrade (Kurdish-majority subdistricts), 2025",
    "X50": "AFP via Telegraph, Christians of Mosul (35,000 in June 2014); Syriac Press 2024 note",
    "X51": "Nynorsk Wikipedia, 'Baladrooz' district (2003 population, mainly Shia Arabs), accessed 2025",
}


def _fmt(x: float) -> str:
    return f"{round(x):,}"


def write_sources_md(ctx: Ctx, base, cur, latest) -> str:
    units = ctx.units
    used: set[str] = set()
    for table in (base, cur):
        for cells in table.values():
            for cell in cells.values():
                used.update(cell.ids)
    missing = sorted(used - set(SOURCE_DESC), key=_sid_key)
    if missing:
        raise SystemExit(f"no description for sources {missing}")
    gb = ctx.gov_base
    names = {u.gov: u.props["governorate_en"] for u in units}

    def gtot(table, g):
        return sum(table[u.uid][k].value for u in units if u.gov == g for k in COMMUNITIES)

    L: list[str] = []
    a = L.append
    a("# Northern Iraq case: data sources, rules and conflicts")
    a("")
    a("This file is written by `tools/build_northern_iraq.py`; edit the script, not this file.")
    a("")
    a("## These are ESTIMATES, with ranges")
    a("")
    a(
        "Iraq has had no census with ethnic or religious questions since 1957, and the 2024 census "
        "results by subdistrict were not available. Every population and community figure here is "
        "an **estimate**: a number a source gives (`sourced`), arithmetic on sourced numbers "
        "(`derived`), or a value filled by a stated rule or assumption (`imputed`). `provenance.csv` "
        "gives, for every value of `census.csv`, its status, the rule ids below, the source ids, a "
        "confidence and, where sources disagree, a low/high range. Shares that the compiler of the "
        "estimates marked 'my coding' or 'Suggested modelling assumption, NOT sourced' are "
        "assumptions: the values built on them are flagged `imputed`. Most subdistricts have no "
        "numeric composition of their own; their values are imputed and flagged."
    )
    a("")
    a("## Files")
    a("")
    a(
        "- `units.geojson`: one feature per subdistrict; properties `unit_id, name_en, name_ar, "
        "district, district_en, district_ar, governorate, governorate_en, governorate_ar`."
    )
    a(
        "- `census.csv`: `census,unit_id,<9 community keys>`; persons rounded to whole numbers, "
        "one row per unit for `baseline` and one for `current`."
    )
    a(
        "- `provenance.csv`: `census,unit_id,field,value,low,high,status,rule,source_ids,"
        "confidence`, one row per census value plus one `total` row per unit and census; "
        "`rule` and `source_ids` may list several ids separated by `;`."
    )
    a("- `communities.csv`: `key,label_en,label_ar,description`.")
    a("")
    a("## Boundaries")
    a("")
    a(
        "`units.geojson` holds the ADM3 (subdistrict) features of Ninewa (IQG15), Duhok (IQG09), "
        "Erbil (IQG11), Al-Sulaymaniyah (IQG06), Kirkuk (IQG13), Salah Al-Din (IQG16) and Diyala "
        f"(IQG10): {len(units)} units, geometry unchanged (OGC CRS84), sorted by `unit_id` (ADM3 P-code)."
    )
    a("")
    a(
        "Administrative boundaries: Central Statistical Organization (CSO) Iraq / ITOS, via UN OCHA "
        "Iraq COD-AB (2019-06-03), CC BY-IGO 3.0. Dataset: Iraq Common Operational Dataset, "
        "Administrative Boundaries, release `cso_20190603`, published by UN OCHA Iraq on the "
        "Humanitarian Data Exchange; licence Creative Commons Attribution for Intergovernmental "
        "Organisations (CC BY-IGO 3.0)."
    )
    a("")
    a("## Censuses")
    a("")
    a(
        f"- `baseline`: about {BASE_YEAR}, the last full year before the Islamic State offensive of "
        "June-August 2014 (the right-of-return reference)."
    )
    a("- `current`: about 2024, after displacement and partial returns.")
    a("")
    a("| governorate | baseline | current |")
    a("|---|---:|---:|")
    for g in GOVS:
        a(f"| {names[g]} ({g}) | {_fmt(gtot(base, g))} | {_fmt(gtot(cur, g))} |")
    a(
        f"| all | {_fmt(sum(gtot(base, g) for g in GOVS))} | {_fmt(sum(gtot(cur, g) for g in GOVS))} |"
    )
    a("")
    a(
        f"Growth rate r (R-GROWTH): {100 * ctx.r:.3f}% a year. Rural median (R-PRIOR): "
        f"{_fmt(ctx.rural_median)} persons, the median of {len(ctx.rural_ids)} subdistricts "
        f"({', '.join(ctx.rural_ids)})."
    )
    sul2010, edg = ctx.sul_detail
    a(
        f"Al-Sulaymaniyah 2010 (R-GOV-BASE): 2,401,724 / {edg:.4f} = {_fmt(sul2010)}; 2013: "
        f"{_fmt(gb['IQG06'].value)}."
    )
    a(
        "Governorate closure factors (R-GOV-CLOSE, R-CUR-CLOSE): "
        + "; ".join(f"{k} {v:.4f}" for k, v in sorted(ctx.closure.items()))
        + "."
    )
    a("")
    a("## Communities")
    a("")
    a(
        "`sunni_arab, shia_arab, kurd, yazidi, christian, turkmen, shabak, kakai, other` (labels in "
        "`communities.csv`). Turkmen Sunni/Shia/unspecified are merged (R-TURKMEN-MERGE); Arabs "
        "without a sect are split by R-ARAB-SPLIT."
    )
    a("")
    a("## Rules")
    a("")
    for rid, (text, why) in RULES.items():
        a(f"- **{rid}**: {text} *Rationale:* {why}")
    a("")
    a("## Known conflicts and how they were resolved")
    a("")
    conflicts = [
        (
            "Hawija district",
            "451,267 (2003) [S02/S07] against 151,267 (2003) [X19]; 468,600 (2014) "
            "[X22]; ~450,000-520,000 [S28]; 120,679 (2018) [S07]. The two 2003 figures differ by "
            "exactly 300,000, so one is a typo. With 151,267, Kirkuk's 2003 districts would sum to "
            "888,007 and the governorate would have grown 53% by 2010 (1,360,442 [S09]); with "
            "451,267 the growth is 15%, close to the 1.9% a year seen in Ninewa. The baseline uses "
            "the 2014 figure 468,600 [X22] (same order as 451,267), with range 151,267 to 546,000 "
            "(451,267 brought to 2013). The 2018 figure 120,679 is read as the displaced-era "
            "population and shapes the current census (R-CUR-KIRKUK-2018).",
        ),
        (
            "Sinjar district",
            "237,073 (c.2013, NRC [S20]) against more than 300,000 displaced "
            "[X35] and community claims of 400,000+ Yazidis [S36]. The baseline keeps 237,073 "
            "(range 166,466 [S02] to 300,000 [X35]); the IOM figure probably also counts Yazidis "
            "of Al-Baaj (Qahtaniya) and Shekhan. The 43% return rate [X35] is applied as a rate, "
            "not to the 300,000 count.",
        ),
        (
            "Al-Sulaymaniyah",
            "The estimates give no Sulaymaniyah total before 2014. The baseline "
            "is derived from the 2024 census figure with Halabja (2,401,724 [S12]) deflated by the "
            "Erbil + Duhok growth 2010-2024 (R-GOV-BASE); Halabja is a district of IQG06 in "
            "COD-AB 2019, so no split is needed. Subdistricts: R-CAPITAL and R-PRIOR.",
        ),
        (
            "Mosul",
            "The district (1,432,230 in 2003 [S02]) is smaller than a 2004 city estimate "
            "(1,846,500 [S42]). The district figure (closed to the governorate total) is used; "
            "Al-Muhamadath takes the remainder after the other subdistricts (R-SPLIT).",
        ),
        (
            "Shekhan",
            "90,590 [S03] against 58,132 in the Nineveh table [S02], probably only the "
            "part administered from Mosul: 90,590 used, 58,132 is the low end.",
        ),
        (
            "Kirkuk 2018",
            "The 2018 districts sum to about 1.38M against a stated governorate "
            "total of 1,597,876 [S07]; only their proportions are used, closed to the 2024 total.",
        ),
        (
            "Telafar",
            "The 2003 district figure (300,878) is below its sourced parts (Rabia 86,000 "
            "[X02], Zummar ~28,000 families [S26], Tal Afar city ~200,000 [S25]); the district is "
            "raised to its parts (R-TOWN-FLOOR).",
        ),
        (
            "Daquq",
            "Town shares (2012) 70% Turkmen / 20% Kurd [S27] against a Kurdish majority "
            "in UNAMI-derived text [S27] and 60% Kurds in 1947 [X43]: the town shares are used for "
            "the town, Kurdish range 20-60%.",
        ),
        (
            "Tuz",
            "Partisan estimates bracket Tuz at 37-51% Kurd and 36-55% Turkmen [X38][X39][S14]; "
            "the baseline uses Turkmen 40%, Kurds 38%, Arabs 22% with those ranges.",
        ),
        (
            "Jalawla",
            "1997 census 14% Kurd (Arabization era) [S16] against the KRG office's 45% "
            "before Oct 2017 [S40]: the mean (30%) is used, range 14-45%.",
        ),
        (
            "Khanaqin",
            "District 175,000 (2003) against 350,000 (2011, NCCI) [S15] and a city of "
            "175,000 (2008) [X26]; the district is raised to its parts and the 2011 figure is the "
            "high end.",
        ),
        (
            "Sinjar town",
            "88,023 (2013) [S20] against 21,584 (2010, World Gazetteer) [X10], probably town "
            "core against municipality: 88,023 is the floor of Markaz Sinjar.",
        ),
        (
            "Qaraqosh",
            "44,000 (Aug 2014) [S23], ~50,000 implied [S23], 60,000 [X15]: 44,000 is "
            "the town floor.",
        ),
        (
            "Sinjar/Duhok IDPs",
            f"{_fmt(ctx.idp_yazidi)} Yazidis not returned to Sinjar and "
            "Al-Qahtanya are placed in Duhok (R-CUR-IDP-DUHOK); the shared sources give no camp "
            "locations. Displaced non-Yazidis of Sinjar, Tal Afar's non-returnees, and Kurds who "
            "left Diyala's disputed areas are not placed in a unit: that loss is noted here and the "
            "governorate totals come from the latest statements (R-CUR-CLOSE).",
        ),
        (
            "Not applied",
            "Zummar's 7,000 Arab families displaced in 2017 [S26], Makhmur's deserted "
            "Kurdish villages [X37], Karamles returns (subdistrict not verified) [X16] and Arab "
            "arrivals in Jalawla [X45], Kurdish departures from Kirkuk city and the Dibis villages "
            "after Oct 2017 [X36], and IDPs from Ninewa still living in Erbil and Duhok outside "
            "the Sinjar caseload have no usable count or location; they are not applied.",
        ),
    ]
    for title, text in conflicts:
        a(f"- **{title}**: {text}")
    for n in ctx.notes:
        a(f"- Build note: {n}")
    a("")
    a("## Cross-checks against governorate-level sources")
    a("")
    a(
        "Governorate shares of the result, next to governorate figures that were not used to "
        "build the units they summarize (Niqash 2013 community counts for Ninewa divided by "
        "~2.8M [S32]; MICS6 2018 language of household head [S62]). Percent; 'Arabs' for MICS "
        "is the Arabic language share."
    )
    a("")
    a("| check | Arabs | Kurds | Turkmen | Yazidis | Christians | Shabak |")
    a("|---|---:|---:|---:|---:|---:|---:|")
    for label, g, table, ref in (
        ("Ninewa baseline", "IQG15", base, "S32: -, -, 10.7, 10.7, 7.1, 8.9"),
        ("Kirkuk current", "IQG13", cur, "S62: 37.8, 29.8, 30.8, -, 1.6, -"),
        ("Salah Al-Din current", "IQG16", cur, "S62: 96.6, 0.2, 3.3, -, -, -"),
        ("Diyala current", "IQG10", cur, "S62: 96.4, 3.0, 0.6, -, -, -"),
    ):
        tot = gtot(table, g)
        sh = {
            k: 100 * sum(table[u.uid][k].value for u in units if u.gov == g) / tot
            for k in COMMUNITIES
        }
        arabs = sh["sunni_arab"] + sh["shia_arab"]
        a(
            f"| {label} (this case) | {arabs:.1f} | {sh['kurd']:.1f} | {sh['turkmen']:.1f} | "
            f"{sh['yazidi']:.1f} | {sh['christian']:.1f} | {sh['shabak']:.1f} |"
        )
        a(f"| {label} (source) | {' | '.join(ref.split(': ')[1].split(', '))} |")
    a("")
    a(
        "Kirkuk is within 8 points of MICS for Arabs, Kurds and Turkmen (MICS is the default "
        "profile of only three small Kirkuk subdistricts). Salah Al-Din and Diyala have more Turkmen and "
        "Kurds than MICS because the disputed districts (Tuz, Khanaqin, Kifri, Mandali) carry "
        "their own sourced or qualitative profiles, and MICS is known to under-reach Khanaqin's "
        "Kurds [S62]. Ninewa has fewer Shabak than the Niqash community count (a community "
        "claim)."
    )
    a("")
    a("## Composition profiles (baseline, assumptions unless a source is marked)")
    a("")
    a("| unit or district | shares | rule | sources | basis |")
    a("|---|---|---|---|---|")
    for key, p in COMP.items():
        a(f"| {key} | {p.shares} | {p.rule} | {p.ids} | {p.note} |")
    for key, p in GOV_PROFILE.items():
        a(
            f"| {key} (governorate default) | {p.shares} | {p.rule} | {p.ids} | governorate profile |"
        )
    for key, (spec, ids, sourced, _rng) in OVERLAY.items():
        kind = "sourced town shares" if sourced else "suggested assumption for the town"
        a(f"| {key} (town overlay) | {spec} | R-TOWN-SHARES | {ids} | {kind} |")
    a("")
    a("## Sources used")
    a("")
    a(
        "Ids refer to `shared/data/iraq/estimates/iraq_units_sources.md` (S..) and "
        "`iraq_composition_extra_sources.md` (X..), where the addresses of the stored copies are "
        "listed. Descriptions below are short summaries."
    )
    a("")
    mentioned = set(re.findall(r"\b([SX]\d+)\b", "\n".join(L))) & ctx.inp.source_ids
    used |= mentioned
    missing = sorted(used - set(SOURCE_DESC), key=_sid_key)
    if missing:
        raise SystemExit(f"no description for sources {missing}")
    for sid in sorted(used, key=_sid_key):
        a(f"- **{sid}**: {SOURCE_DESC[sid]}")
    a("")
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="the shared folder (default ../shared)",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    files = build(args.shared)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8", newline="")
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
