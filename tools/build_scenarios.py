"""Build the scenario plans of the built-in case ``northern-iraq``.

Reads only the shared data of the case (``../shared`` next to the repository):

- ``data/iraq/irq_admin_hierarchy.csv``: the case's units (OCHA ADM3 subdistricts of seven
  governorates) with their district and governorate;
- ``data/iraq/irq_admin_adjacency.csv``: level-3 ``edge`` rows (rook adjacency), used to check
  that every region is contiguous and to find the shortest Sinjar-Plains corridor;
- ``data/iraq/estimates/iraq_units.csv``: the control columns whose text every decision quotes;
- the source tables (``POLICY_SOURCES.md`` PS.., ``iraq_units_sources.md`` S..,
  ``iraq_policy_facts.md`` P.., ``iraq_composition_extra_sources.md`` X..), to check that every
  id cited in the notes exists.

Writes one ``dayafter.plan`` JSON file per scenario plus ``index.json`` into
``src/dayafter/cases/northern_iraq/scenarios/``. The output depends on the inputs only (no
clock, no randomness, sorted keys where order is not meaningful), so rerunning it reproduces
the files byte for byte.

Usage::

    .venv/bin/python tools/build_scenarios.py [--shared ../shared] [--out DIR]

Every plan has two layers (``dayafter.plan``): **polities**, the regions that elect a council
and whose composition defines empowerment (here the governorates, and the new province of
scenario 3), and **control**, who holds administration and security in each unit (federal,
krg, joint, self-administered, contested). A KRG-held district inside Ninewa is control, not a
polity: Ninewa stays one governorate with one council.

Each scenario is a base (the governorate of every unit as its polity, held by the polity's
authority; or another scenario) plus a list of decisions. A decision names a district (ADM2
pcode, applied to all its subdistricts) or a subdistrict (ADM3 pcode), who controls it (and,
for a new province, the polity it joins), the ``iraq_units.csv`` row and column it rests on
(quoted verbatim in the notes), and the reason with source ids. Subdistrict decisions are
applied after district decisions, so the most specific one wins.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
DEFAULT_OUT = ROOT / "src" / "dayafter" / "cases" / "northern_iraq" / "scenarios"

GOVERNORATES = {
    "IQG06": "Sulaymaniyah",
    "IQG09": "Duhok",
    "IQG10": "Diyala",
    "IQG11": "Erbil",
    "IQG13": "Kirkuk",
    "IQG15": "Ninewa",
    "IQG16": "Salah Al-Din",
}
"""The case's governorates (ADM1 pcode -> name of the default region)."""

AUTHORITIES = ("federal", "krg", "self-administered")
"""Authorities a polity belongs to."""
CONTROLS = ("federal", "krg", "joint", "self-administered", "contested")
"""Control labels (dayafter.plan.CONTROL_VALUES)."""
CITE = re.compile(r"\b(PS\d+|S\d+|P\d+|X\d+)\b")

# Units named in several scenarios.
HAMDANIYA = "IQG15Q03"
TEL_KAIF = "IQG15Q09"
BASHIQA = "IQG15Q05N03"
SINJAR = "IQG15Q07"
QAHTANIYA = "IQG15Q02N02"
TAL_AFAR = "IQG15Q08"
SAADIYA = "IQG10Q05N01"
JALAWLA = "IQG10Q05N04"
PLAINS = (HAMDANIYA, TEL_KAIF, BASHIQA)
"""The Nineveh Plains as this case reads PS1: Hamdaniya and Tel Kaif districts and Bashiqa."""
SINJAR_AREA = (SINJAR, QAHTANIYA)
PROVINCE = "Nineveh Plains and Sinjar"
"""The polity of PS1's self-administered province (scenario 3)."""


class BuildError(Exception):
    """The inputs do not support a scenario as written; the message says where."""


@dataclass(frozen=True)
class Region:
    name: str
    authority: str
    status: str


@dataclass(frozen=True)
class Decision:
    """Who controls a district (ADM2) or subdistrict (ADM3), with its evidence.

    ``polity`` moves the units to another polity too (a new province); ``None`` keeps the
    polity of the base.
    """

    pcode: str
    control: str
    why: str
    row: str | None = None
    column: str | None = None
    polity: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    summary: str
    polities: tuple[Region, ...]
    decisions: tuple[Decision, ...]
    base: str | None = None
    assumptions: tuple[str, ...] = ()
    split_polities: tuple[tuple[str, str], ...] = ()
    """Polities allowed to be in several pieces, each with the reason (said in the notes)."""


# ---------------------------------------------------------------------------------- polities

KRI = (
    Region("Duhok", "krg", "governorate of the Kurdistan Region"),
    Region("Erbil", "krg", "governorate of the Kurdistan Region"),
    Region("Sulaymaniyah", "krg",
           "governorate of the Kurdistan Region (COD-AB 2019 boundaries, Halabja included; "
           "Halabja became a separate governorate only in 2025, P27)"),
)
NINEWA = Region("Ninewa", "federal", "governorate (one provincial council)")
KIRKUK = Region("Kirkuk", "federal", "governorate (one provincial council)")
SALAH = Region("Salah Al-Din", "federal", "governorate (one provincial council)")
DIYALA = Region("Diyala", "federal", "governorate (one provincial council)")
GOVERNORATE_POLITIES = (NINEWA, KIRKUK, SALAH, DIYALA, *KRI)
"""The seven governorates as polities, in the order the scenario files list them."""

# ------------------------------------------------------------------------------- scenario 1

C14 = "control_2014_pre_june"
C17 = "control_2017_after_oct"
C23 = "control_2023"

STATUS_QUO_2014 = Scenario(
    name="status-quo-2014",
    title="Status quo before June 2014",
    summary=(
        "The seven governorates as polities, each with one provincial council (Ninewa, "
        "Kirkuk, Salah Al-Din and Diyala federal; Duhok, Erbil and Sulaymaniyah in the "
        "Kurdistan Region), and de facto control before the Islamic State offensive of "
        "June-August 2014, read from the column control_2014_pre_june of iraq_units.csv "
        "(UNAMI's disputed districts S30; KDP and joint Iraqi-Kurdish policing in the Plains "
        "S38). Control is krg where the data shows the KRG or the Peshmerga holding a unit "
        "(Sinjar, Aqra, Shekhan, Al-Qosh, Wana, Bashiqa inside Ninewa; Dibis and Daquq inside "
        "Kirkuk; Khanaqin and Kifri inside Diyala; Makhmur in Erbil), joint where the data "
        "reports ISF and Peshmerga side by side ('contested': Kirkuk district, Tuz Khurmatu), "
        "federal elsewhere in the federal governorates and krg in the Kurdistan Region. "
        "KRG-held Sinjar is therefore control, not a polity: Ninewa keeps one council. This "
        "is the reference plan: the last line before the war, the line the Peshmerga withdrew "
        "to in October 2017 (P33), and the ground on which PS1's proposals and PS4's 2015 deal "
        "are measured (PS1, PS4)."
    ),
    polities=GOVERNORATE_POLITIES,
    decisions=(
        Decision("IQG15Q01", "krg",
                 "Under the KRG since 1991 (S19); one of UNAMI's disputed districts (S30).",
                 "NIN-AQRA", C14),
        Decision("IQG15Q06", "krg",
                 "Administered with Duhok (S03, S30).", "NIN-SHEKHAN", C14),
        Decision(SINJAR, "krg",
                 "KDP governance after 2003 (S20, S30). The governorate row says only 'parts of "
                 "Sinjar' and no subdistrict row gives a 2014 line, so the district row decides.",
                 "NIN-SINJAR", C14),
        Decision("IQG15Q09N02", "krg",
                 "The KDP took over the local administration in June 2014 (S38); it was "
                 "KRG-secured before.", "NIN-ALQOSH", C14),
        Decision("IQG15Q09N03", "krg", "KRG security (S55).", "NIN-WANA", C14),
        Decision("IQG15Q09N01", "federal",
                 "The Tel Kaif district row is 'mixed' and names the centre as federal (S24).",
                 "NIN-TILKAEF-C", C14),
        Decision(BASHIQA, "krg", "Peshmerga-held (S21).", "NIN-BASHIQA", C14),
        Decision(HAMDANIYA, "federal",
                 "Decided federal: the district was administered from Mosul with a joint "
                 "Iraqi-Kurdish police force since 2003 (S38); the KRG had a security presence, "
                 "not the administration, and its subdistrict rows (Qaraqosh, Bartella: "
                 "federal with KRG security presence; Namroud: federal) agree.",
                 "NIN-HAMDANIYA", C14),
        Decision("IQG15Q08N03", "federal",
                 "Decided federal: formally federal with a Kurdish presence (S26).",
                 "NIN-ZUMMAR", C14),
        Decision("IQG11Q04", "krg",
                 "Administered from Erbil since 2003 (S18, S57); it lies in Erbil governorate "
                 "in COD-AB, so it stays in the Erbil region.", "ERB-MAKHMUR", C14),
        Decision("IQG13Q04", "joint",
                 "Decided joint: neither side held the district alone before June 2014 "
                 "(S06, S48); the Peshmerga took sole control only after the ISF withdrew "
                 "in June 2014.", "KIR-KIRKUK", C14),
        Decision("IQG13Q01", "federal", "Federal (S07, S28).", "KIR-HAWIJA", C14),
        Decision("IQG13Q03", "krg", "Peshmerga-held (S08, S30).",
                 "KIR-DIBIS", C14),
        Decision("IQG13Q02", "krg",
                 "Peshmerga-held (S27, S30); this includes Al-Rashad, an Arab subdistrict "
                 "with no row of its own.", "KIR-DAQUQ", C14),
        Decision("IQG16Q07", "joint",
                 "Decided joint: ISF and PUK Peshmerga side by side (S14, S44); the PMF "
                 "came after June 2014.", "SAD-TUZ", C14),
        Decision("IQG10Q05", "krg",
                 "Peshmerga-held (S15, S30).", "DIY-KHANAQIN", C14),
        Decision(JALAWLA, "krg", "Peshmerga-held (S16).", "DIY-JALAWLA", C14),
        Decision("IQG10Q06", "krg", "Administered from Sulaymaniyah (S17, S30).",
                 "DIY-KIFRI", C14),
        Decision("IQG10Q03N01", "federal", "Federal (S30, S45).", "DIY-MANDALI", C14),
    ),
    assumptions=(
        "Where the data gives control for a district only, the district row is applied to "
        "all its subdistricts; each decision above says so and lists them.",
        "Units of the four federal governorates not named above have no KRG control in the "
        "data and stay federal; the three Kurdistan Region governorates are krg throughout.",
        "Polities are the governorates of COD-AB (2019): provincial councils are elected per "
        "governorate (E15), whoever holds a district of it.",
    ),
)

# ------------------------------------------------------------------------------- scenario 2

AFTER_OCTOBER_2017 = Scenario(
    name="after-october-2017",
    title="After the federal takeover of October 2017",
    summary=(
        "Control after the federal takeover of 16-27 October 2017 (S37; P31-P35), read from "
        "the column control_2017_after_oct of iraq_units.csv. The disputed areas the "
        "Peshmerga held before are federal again; the KRG keeps Aqra and Shekhan in Ninewa, "
        "Kifri in Diyala and the parts of Makhmur district the data does not place under "
        "federal control. The polities are the seven governorates, as in status-quo-2014: "
        "federally retaken Makhmur town and Qaraj stay in the Erbil polity of COD-AB with "
        "federal control. This is "
        "how the competing post-IS claims of Erbil and Baghdad that PS4 describes were "
        "settled: by force, without a compact (PS4), and it is the map any of PS1's "
        "proposals would now start from (PS1)."
    ),
    polities=GOVERNORATE_POLITIES,
    decisions=(
        Decision("IQG15Q01", "krg", "KRG kept it (S19, S30).", "NIN-AQRA", C17),
        Decision("IQG15Q06", "krg", "KRG kept it (S03, S30).", "NIN-SHEKHAN", C17),
        Decision(SINJAR, "federal", "Retaken by the ISF and PMF (S20, S37).", "NIN-SINJAR", C17),
        Decision(TAL_AFAR, "federal", "Zummar and Rabia taken from the Peshmerga (S37, S46).",
                 "NIN-TELAFAR", C17),
        Decision(TEL_KAIF, "federal",
                 "The Peshmerga withdrew (S37); the subdistrict rows give federal control "
                 "for all three (Al-Qosh with low confidence).", "NIN-TILKAEF", C17),
        Decision(HAMDANIYA, "federal", "Federal forces and PMF units (S29).", "NIN-HAMDANIYA",
                 C17),
        Decision(BASHIQA, "federal", "The Peshmerga withdrew (S21, S37; low confidence).",
                 "NIN-BASHIQA", C17),
        Decision("IQG11Q04N02", "federal", "The town was retaken (S18, S37).",
                 "ERB-MAKHMUR", C17),
        Decision("IQG11Q04N01", "federal",
                 "The 2017 row names only the town; Qaraj goes with it because the 2023 row "
                 "places the ISF in the town and Qaraj (S57, S58).", "ERB-MAKHMUR", C23),
        Decision("IQG13Q04", "federal", "Retaken on 16 October 2017 (S37, P34).", "KIR-KIRKUK",
                 C17),
        Decision("IQG13Q03", "federal", "Retaken (S37).", "KIR-DIBIS", C17),
        Decision("IQG13Q02", "federal", "Retaken (S37).", "KIR-DAQUQ", C17),
        Decision("IQG16Q07", "federal", "Retaken (S37).", "SAD-TUZ", C17),
        Decision("IQG10Q05", "federal", "Retaken (S37).", "DIY-KHANAQIN", C17),
        Decision("IQG10Q06", "krg", "KRG kept it (S17).", "DIY-KIFRI", C17),
    ),
    assumptions=(
        "The Ninewa governorate row says the KRG also kept 'northern fringes'; no subdistrict "
        "row identifies them (Al-Qosh and Wana are federal in their rows), so no unit is moved "
        "for them.",
        "Dibaga and Gwer (Makhmur district) stay with Erbil (krg): the rows name only the town "
        "and Qaraj as federal and report Peshmerga lines nearby (control_2023 of ERB-MAKHMUR); "
        "the sources note the Makhmur sub-units are inferred, not sourced per unit (low "
        "confidence).",
        "Where the data gives control for a district only, the district row is applied to "
        "all its subdistricts; each decision above says so and lists them.",
    ),
)

# ------------------------------------------------------------------------------- scenario 3

NINEVEH_PLAINS_SINJAR = Scenario(
    name="nineveh-plains-sinjar-province",
    title="Nineveh Plains and Sinjar self-administered province",
    summary=(
        "PS1's new self-administered province in the minority areas of Nineveh (PS1 places "
        "them north of the Tigris), with legal "
        "guarantees of return, culture and language and a council balancing communal "
        "interests (PS1), drawn on the after-october-2017 map: the Nineveh Plains (Hamdaniya "
        "and Tel Kaif districts and Bashiqa) and Sinjar (Sinjar district and Qahtaniya) leave "
        "federal Ninewa and are governed as one self-administered province, with "
        "self-administered control (their own administration and security). Because Sinjar "
        "does not touch the Plains, the province is one polity in two pieces, with one "
        "council; taking the Plains out of Ninewa also cuts KRG-held Aqra and Shekhan off "
        "from the rest of Ninewa, which stays one governorate in two pieces. Everything else "
        "is as in after-october-2017. "
        "A Nineveh Plain governorate was approved in principle by the federal cabinet on 21 "
        "January 2014 and never created (P21-P23)."
    ),
    base="after-october-2017",
    polities=(
        *GOVERNORATE_POLITIES,
        Region(PROVINCE, "self-administered",
               "self-administered province of PS1 (the Nineveh Plains and Sinjar, one council)"),
    ),
    decisions=(
        Decision(HAMDANIYA, "self-administered",
                 "Christian Qaraqosh and Bartella (now Shabak-majority) with Namroud (S04, "
                 "S22, S23, S29). The whole district is taken, although Namroud is Sunni Arab: "
                 "the 2014 cabinet decision worked with whole districts (P21, P22) and "
                 "UNAMI reported on the district as one (S30).",
                 "NIN-HAMDANIYA", "majority_community", polity=PROVINCE),
        Decision(TEL_KAIF, "self-administered",
                 "Chaldean Tel Kaif town (Sunni Arab outer quarters), Assyrian and Yazidi "
                 "Al-Qosh, and Wana (S05, S24, S55). The whole district is taken, although "
                 "Wana is mixed Kurd and Sunni Arab.", "NIN-TILKAEF", "majority_community", polity=PROVINCE),
        Decision(BASHIQA, "self-administered",
                 "The Bashiqa-Bahzani towns are about 85% Yazidi with Christians (S21, X34); "
                 "this splits Mosul district.", "NIN-BASHIQA", "majority_community", polity=PROVINCE),
        Decision(SINJAR, "self-administered",
                 "Mainly Yazidi, with Muslim, Turkmen and Christian minorities (S20, S52).",
                 "NIN-SINJAR", "majority_community", polity=PROVINCE),
        Decision(QAHTANIYA, "self-administered",
                 "Decided to include: the seat town Til Ezer (about 28,000 in 2014) and Siba "
                 "Sheikh Khidir are Yazidi towns south of the mountain (X27), displaced and "
                 "tracked with Sinjar (S35), unlike the Sunni Arab rest of Al-Baaj (S53); it "
                 "touches Sinjar's Markaz Sinjar and Al-Shamal. This splits Al-Baaj district.",
                 "NIN-QAHTANIYA", "majority_community", polity=PROVINCE),
    ),
    assumptions=(
        "Shekhan stays with the KRG: it was KRG-administered in 2014, after October 2017 and "
        "in 2023 (control columns of NIN-SHEKHAN), and PS1 does not name it among the areas "
        "the KRG should release. Its Yazidi centre (Ain Sifni, S54) is the first variant to "
        "try.",
        "Namroud (Sunni Arab), Wana (Kurd and Sunni Arab) and the Sunni Arab quarters of Tel "
        "Kaif put non-minority populations into the province; keeping the districts whole "
        "follows the district-based 2014 cabinet procedure (P21) and avoids new district "
        "splits beyond Bashiqa and Qahtaniya. The metrics "
        "report the resulting stranded Sunni Arabs and Kurds.",
        "Shekhan and Aqra stay in the Ninewa polity (their de jure governorate) with KRG "
        "control; no source proposes moving them to Duhok, so Ninewa is left in two pieces.",
    ),
    split_polities=(
        (PROVINCE, "Sinjar does not touch the Plains (see Contiguity above); PS1 asks for one "
         "province."),
        ("Ninewa", "the Plains separate KRG-held Aqra and Shekhan from the rest of Ninewa, "
         "which stays one governorate."),
    ),
)

# ------------------------------------------------------------------------------- scenario 4

KRG_RELEASES_CLAIMS = Scenario(
    name="krg-releases-claims",
    title="Kurdistan Region releases its claims on Sinjar, the Nineveh Plains and Tal Afar",
    summary=(
        "PS1: the Kurdistan Region releases its claims on the areas of Nineveh it holds or "
        "claims (Sinjar, the Nineveh Plains, parts of Tal Afar) to federal Ninewa, made "
        "palatable by financial compensation, with no expansion of Kurdish or Shia interests "
        "at Sunni expense (PS1). The map starts from status-quo-2014, the last pre-war line "
        "and the line the Peshmerga returned to in 2017 (P33): control of KRG-held Sinjar "
        "(Sinjar district) and of the KRG-held Plains subdistricts (Al-Qosh, Wana, Bashiqa) "
        "passes to the federal government; the polities do not change (they are all in "
        "federal Ninewa already); Hamdaniya, Tel Kaif centre, Qahtaniya and Tal Afar district were already "
        "federal in 2014, so for them only the claim is released (S30 lists Sinjar, Tal "
        "Afar, Tel Kaif and Hamdaniya as disputed). The KRG keeps the three Kurdistan Region "
        "governorates and what PS1 does not mention: Aqra and Shekhan in Ninewa, Makhmur in "
        "Erbil, Dibis and Daquq in Kirkuk, Khanaqin and Kifri in Diyala, and its share of "
        "the jointly held Kirkuk district and Tuz Khurmatu. The compensation is not encoded "
        "here: the settlement engine prices the released units listed below."
    ),
    base="status-quo-2014",
    polities=GOVERNORATE_POLITIES,
    decisions=(
        Decision(SINJAR, "federal", "Released (PS1).", "NIN-SINJAR", C14),
        Decision("IQG15Q09N02", "federal", "Released as part of the Nineveh Plains (PS1).",
                 "NIN-ALQOSH", C14),
        Decision("IQG15Q09N03", "federal", "Released as part of the Nineveh Plains (PS1).",
                 "NIN-WANA", C14),
        Decision(BASHIQA, "federal", "Released as part of the Nineveh Plains (PS1).",
                 "NIN-BASHIQA", C14),
        Decision(HAMDANIYA, "federal",
                 "Already federal in 2014 (KRG security presence only, S38); claim released "
                 "(PS1).", "NIN-HAMDANIYA", C14),
        Decision(TAL_AFAR, "federal", "Already federal in 2014; claim released (PS1, S46).",
                 "NIN-TELAFAR", C14),
    ),
    assumptions=(
        "The Nineveh Plains are read as in nineveh-plains-sinjar-province (Hamdaniya and Tel "
        "Kaif districts and Bashiqa); Shekhan, KRG-administered before and after 2017 and not "
        "named by PS1, stays with the KRG.",
        "The KRG's 2014-2017 wartime gains (for example Zummar and Rabia, retaken by the "
        "Peshmerga in late 2014, S46) are not treated as holdings: the data has no control "
        "column between June 2014 and October 2017.",
    ),
)

# ------------------------------------------------------------------------------- scenario 5

LOCAL_DEAL_2015 = Scenario(
    name="local-deal-2015",
    title="Informal 2015 deal on Saadiya and Jalawla",
    summary=(
        "PS4's informal 2015 deal, struck after both towns were retaken from the Islamic "
        "State in late 2014 (isis_held_2014_2017 of DIY-KHANAQIN): Saadiya to Baghdad "
        "and Jalawla to Erbil, which enabled some Sunni Arab returns (PS4). The rest is as in "
        "status-quo-2014: the data has no 2015 control column, the deal split ground both "
        "sides had held or claimed before the offensive, and the October 2017 takeover came "
        "later (S37). PS4 draws from it that lasting deals need a sustained third-party "
        "broker; this plan lets the analyst compare a local bargain with the 2014 reference."
    ),
    base="status-quo-2014",
    polities=STATUS_QUO_2014.polities,
    decisions=(
        Decision(SAADIYA, "federal",
                 "To Baghdad under the deal (PS4). In status-quo-2014 it follows the Khanaqin "
                 "district row (KRG-held); its own row starts in 2014 with IS control and ends "
                 "under ISF and PMF in 2023 (S45).", "DIY-SAADIYA", C23),
        Decision(JALAWLA, "krg",
                 "To Erbil under the deal (PS4); already KRG-held in status-quo-2014 (S16), "
                 "so unchanged; federal again after October 2017 (S37, S40).", "DIY-JALAWLA",
                 C14),
    ),
)

SCENARIOS = (
    STATUS_QUO_2014,
    AFTER_OCTOBER_2017,
    NINEVEH_PLAINS_SINJAR,
    KRG_RELEASES_CLAIMS,
    LOCAL_DEAL_2015,
)
REFERENCE = "status-quo-2014"


# ------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Inputs:
    units: dict[str, dict[str, str]]  # ADM3 pcode -> hierarchy row, case units only
    graph: nx.Graph
    estimates: dict[str, dict[str, str]]  # iraq_units.csv unit_id -> row
    source_ids: frozenset[str]


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"input file {path} is missing; pass --shared pointing at ../shared")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _table_ids(path: Path, prefix: str) -> set[str]:
    if not path.is_file():
        raise BuildError(f"source table {path} is missing; pass --shared pointing at ../shared")
    pattern = re.compile(rf"^\|\s*({prefix}\d+)\s*\|", re.MULTILINE)
    return set(pattern.findall(path.read_text(encoding="utf-8")))


def read_inputs(shared: Path) -> Inputs:
    """Read the case units, their rook adjacency, the control table and the source ids."""
    iraq = shared / "data" / "iraq"
    units = {r["ADM3_PCODE"]: r for r in _read_csv(iraq / "irq_admin_hierarchy.csv")
             if r["ADM1_PCODE"] in GOVERNORATES}
    graph = nx.Graph()
    graph.add_nodes_from(sorted(units))
    for r in _read_csv(iraq / "irq_admin_adjacency.csv"):
        if (r["level"] == "3" and r["contact"] == "edge"
                and r["pcode_a"] in units and r["pcode_b"] in units):
            graph.add_edge(r["pcode_a"], r["pcode_b"])
    estimates = {r["unit_id"]: r for r in _read_csv(iraq / "estimates" / "iraq_units.csv")}
    ids = (_table_ids(shared / "POLICY_SOURCES.md", "PS")
           | _table_ids(iraq / "estimates" / "iraq_units_sources.md", "S")
           | _table_ids(iraq / "estimates" / "iraq_policy_facts.md", "P")
           | _table_ids(iraq / "estimates" / "iraq_composition_extra_sources.md", "X"))
    return Inputs(units, graph, estimates, frozenset(ids))


# ------------------------------------------------------------------------------------- build


def _members(inputs: Inputs, pcode: str) -> list[str]:
    level = {8: "ADM2_PCODE", 11: "ADM3_PCODE"}.get(len(pcode))
    members = sorted(u for u, r in inputs.units.items() if level and r[level] == pcode)
    if not members:
        raise BuildError(f"decision on {pcode!r}: no case unit has this district or "
                         "subdistrict pcode")
    return members


def _label(inputs: Inputs, pcode: str) -> str:
    members = _members(inputs, pcode)
    first = inputs.units[members[0]]
    if len(pcode) == 11:
        return f"{first['ADM3_EN']} ({pcode}, {first['ADM2_EN']} district)"
    names = ", ".join(inputs.units[u]["ADM3_EN"] for u in members)
    return f"{first['ADM2_EN']} district ({pcode}; subdistricts {names})"


def _row_text(inputs: Inputs, d: Decision) -> str:
    if d.row is None or d.column is None:
        return ""
    row = inputs.estimates.get(d.row)
    if row is None:
        raise BuildError(f"decision on {d.pcode}: iraq_units.csv has no row {d.row!r}")
    if d.column not in row:
        raise BuildError(f"decision on {d.pcode}: iraq_units.csv has no column {d.column!r}")
    text = row[d.column].strip()
    if not text:
        raise BuildError(f"decision on {d.pcode}: {d.row}.{d.column} is empty; the decision "
                         "must rest on a reported value")
    if row["pcode"] and not (d.pcode.startswith(row["pcode"]) or row["pcode"].startswith(d.pcode)):
        raise BuildError(f"decision on {d.pcode} cites row {d.row} of another unit "
                         f"({row['pcode']})")
    return text


def _without_own_row(inputs: Inputs, d: Decision) -> list[str]:
    """Subdistricts of a district decision for which the column has no row of their own."""
    if len(d.pcode) != 8 or d.column is None:
        return []
    own = {r["pcode"] for r in inputs.estimates.values()
           if len(r["pcode"]) == 11 and r.get(d.column, "").strip()}
    return [u for u in _members(inputs, d.pcode) if u not in own]


def _decision_line(inputs: Inputs, d: Decision, polities: dict[str, Region]) -> str:
    text = _row_text(inputs, d)
    line = f"- {_label(inputs, d.pcode)} -> control {d.control}"
    if d.polity is not None:
        line += f", polity {d.polity} ({polities[d.polity].authority})"
    line += "."
    if text:
        line += f' iraq_units.csv {d.row} {d.column}: "{text}".'
    line += f" {d.why}"
    bare = _without_own_row(inputs, d)
    if bare and len(bare) == len(_members(inputs, d.pcode)):
        line += (" Reported at district level only, so applied to all the district's "
                 "subdistricts.")
    elif bare:
        names = ", ".join(inputs.units[u]["ADM3_EN"] for u in bare)
        line += (f" The district row also decides the subdistricts with no {d.column} of "
                 f"their own: {names}.")
    return line


@dataclass(frozen=True)
class Layers:
    """A scenario's two layers: unit -> polity name, and unit -> control label."""

    polity: dict[str, str]
    control: dict[str, str]


def assign(inputs: Inputs, scenario: Scenario, built: dict[str, Layers]) -> Layers:
    """Both layers of a scenario: its base, then district decisions, then subdistrict ones.

    Without a base every unit's polity is its governorate and its control the governorate's
    authority (krg in the Kurdistan Region, federal elsewhere).
    """
    if scenario.base is None:
        auth = {r.name: r.authority for r in scenario.polities}
        polity = {u: GOVERNORATES[r["ADM1_PCODE"]] for u, r in inputs.units.items()}
        control = {u: auth[g] for u, g in polity.items()}
    else:
        polity = dict(built[scenario.base].polity)
        control = dict(built[scenario.base].control)
    for d in sorted(scenario.decisions, key=lambda d: len(d.pcode)):
        for u in _members(inputs, d.pcode):
            control[u] = d.control
            if d.polity is not None:
                polity[u] = d.polity
    return Layers(dict(sorted(polity.items())), dict(sorted(control.items())))


def corridor(inputs: Inputs, a: Iterable[str], b: Iterable[str]) -> tuple[int, list[str]]:
    """Fewest units joining set ``a`` to set ``b``, and every unit on some shortest corridor."""
    g = inputs.graph.copy()
    g.add_edges_from(("<a>", u) for u in a)
    g.add_edges_from(("<b>", u) for u in b)
    paths = list(nx.all_shortest_paths(g, "<a>", "<b>"))
    inner = sorted({u for p in paths for u in p[2:-2]})
    return len(paths[0]) - 4, inner


def check(inputs: Inputs, scenario: Scenario, layers: Layers) -> None:
    """Polities unique, used, contiguous; every unit in a polity; control labels known."""
    assignment = layers.polity
    names = [r.name for r in scenario.polities]
    if len(set(names)) != len(names):
        raise BuildError(f"{scenario.name}: polity names are not unique")
    for r in scenario.polities:
        if r.authority not in AUTHORITIES:
            raise BuildError(f"{scenario.name}: polity {r.name!r} has authority {r.authority!r}, "
                             f"expected one of {AUTHORITIES}")
    if set(assignment) != set(inputs.units) or set(layers.control) != set(inputs.units):
        raise BuildError(f"{scenario.name}: the layers do not cover the case units")
    for name in names:
        members = [u for u, r in assignment.items() if r == name]
        if not members:
            raise BuildError(f"{scenario.name}: polity {name!r} has no unit; drop it")
        parts = list(nx.connected_components(inputs.graph.subgraph(members)))
        allowed = dict(scenario.split_polities)
        if len(parts) > 1 and name not in allowed:
            pieces = sorted(sorted(p) for p in parts)
            raise BuildError(f"{scenario.name}: polity {name!r} is not contiguous: {pieces}; "
                             "declare it in split_polities with the reason")
        if len(parts) == 1 and name in allowed:
            raise BuildError(f"{scenario.name}: polity {name!r} is declared split but is "
                             "contiguous")
    unknown = sorted(set(assignment.values()) - set(names))
    if unknown:
        raise BuildError(f"{scenario.name}: units are assigned to undefined polities {unknown}")
    bad = sorted(set(layers.control.values()) - set(CONTROLS))
    if bad:
        raise BuildError(f"{scenario.name}: unknown control labels {bad}, expected {CONTROLS}")


def _id_key(i: str) -> tuple[int, int]:
    m = re.fullmatch(r"(PS|S|P|X)(\d+)", i)
    assert m is not None
    return ("PS", "S", "P", "X").index(m.group(1)), int(m.group(2))


def _majority(inputs: Inputs, unit: str) -> str:
    """The majority_community text of a unit's row, else of its district's row."""
    for code in (unit, unit[:8]):
        for r in inputs.estimates.values():
            if r["pcode"] == code and r["majority_community"].strip():
                return r["majority_community"].strip()
    raise BuildError(f"no majority_community for {unit} or its district in iraq_units.csv")


def notes_for(inputs: Inputs, scenario: Scenario, layers: Layers,
              built: dict[str, Layers]) -> str:
    regions = {r.name: r for r in scenario.polities}
    assignment = layers.polity
    parts = [scenario.summary]
    if scenario.base is not None:
        parts.append(f"Base: {scenario.base} (its notes give the evidence for every unit not "
                     "listed here).")
    parts.append("Decisions, applied district first, then subdistrict:")
    parts.extend(_decision_line(inputs, d, regions)
                 for d in sorted(scenario.decisions, key=lambda d: (len(d.pcode), d.pcode)))
    if scenario.name == NINEVEH_PLAINS_SINJAR.name:
        sinjar = [u for u in assignment if u.startswith((SINJAR, QAHTANIYA))]
        plains = [u for u, r in assignment.items() if r == PROVINCE and u not in sinjar]
        n, units = corridor(inputs, sinjar, plains)
        listed = "; ".join(f"{inputs.units[u]['ADM3_EN']} ({u}): {_majority(inputs, u)}"
                           for u in units)
        parts.append(
            "Contiguity: Sinjar and the Plains share no border (level-3 edge rows of "
            f"irq_admin_adjacency.csv). The shortest corridor needs {n} more subdistricts, "
            "drawn from these (majority_community of their iraq_units.csv rows, or of their "
            f"district's row): {listed}. Every candidate is a Sunni Arab, Turkmen or mixed "
            "Arab-Kurd majority area (Tal Afar district among them, which PS1 wants released "
            "to federal Ninewa), so any corridor would dilute a province meant for minorities. "
            "The province is therefore one polity in two pieces, one province with one "
            "council in the sense of PS1.")
    if scenario.name == KRG_RELEASES_CLAIMS.name:
        base = built[KRG_RELEASES_CLAIMS.base or ""].control
        moved = [u for u in layers.control if layers.control[u] != base[u]]
        listed = ", ".join(f"{inputs.units[u]['ADM3_EN']} ({u})" for u in moved)
        parts.append(f"Units whose control the KRG releases (for the compensation): {listed}.")
    for name, why in scenario.split_polities:
        members = [u for u, r in assignment.items() if r == name]
        pieces = sorted((sorted(c) for c in nx.connected_components(inputs.graph.subgraph(members))),
                        key=lambda c: (-len(c), c))
        listed = "; ".join(", ".join(inputs.units[u]["ADM3_EN"] for u in c) for c in pieces)
        parts.append(f"Polity {name} is in {len(pieces)} pieces ({listed}): {why}")
    if scenario.assumptions:
        parts.append("Assumptions:")
        parts.extend(f"- {a}" for a in scenario.assumptions)
    return "\n".join(parts)


def build(inputs: Inputs) -> dict[str, dict[str, object]]:
    """Every scenario as a ``dayafter.plan`` dictionary, keyed by name, in SCENARIOS order."""
    built: dict[str, Layers] = {}
    plans: dict[str, dict[str, object]] = {}
    for s in SCENARIOS:
        layers = assign(inputs, s, built)
        check(inputs, s, layers)
        built[s.name] = layers
        notes = notes_for(inputs, s, layers, built)
        cited = set(CITE.findall(notes))
        missing = sorted(cited - inputs.source_ids, key=_id_key)
        if missing:
            raise BuildError(f"{s.name}: the notes cite unknown source ids {missing}")
        if not any(i.startswith("PS") for i in cited):
            raise BuildError(f"{s.name}: the notes must cite a policy source (PS..)")
        plans[s.name] = {
            "format": "dayafter.plan",
            "version": 2,
            "name": s.name,
            "title": s.title,
            "notes": notes,
            "sources": sorted(cited, key=_id_key),
            "regions": [{"name": r.name, "authority": r.authority, "status": r.status}
                        for r in s.polities],
            "assignment": layers.polity,
            "control": layers.control,
        }
    return plans


def _dump(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write(plans: dict[str, dict[str, object]], out: Path) -> list[Path]:
    """Write each plan and ``index.json`` into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    index = []
    for name, plan in plans.items():
        path = out / f"{name}.json"
        path.write_text(_dump(plan), encoding="utf-8")
        written.append(path)
        index.append({"name": name, "title": plan["title"], "file": path.name,
                      "reference": name == REFERENCE})
    path = out / "index.json"
    path.write_text(_dump(index), encoding="utf-8")
    written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="the shared data folder (default: ../shared next to the repository)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write the JSON files (default: the case's scenarios/)")
    args = parser.parse_args(argv)
    try:
        plans = build(read_inputs(args.shared))
    except BuildError as exc:
        print(f"build_scenarios: {exc}", file=sys.stderr)
        return 3
    for path in write(plans, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
