"""The data tables of the northern-Iraq build: the shipped ones read cleanly, and a bad row gives one
clear error naming the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.cases._tools import tools_on_path

tools_on_path()

from northern_iraq import tables as T  # noqa: E402


def test_shipped_tables_read() -> None:
    xw = T.read_crosswalk()
    assert len(xw) == 236
    assert {r.method for r in xw} <= set(T.METHODS)
    figs = T.read_figures()
    assert {"G-IQG15", "G-NIN-2009", "C-DISC-DENSITY"} <= set(figs)
    for f in figs.values():
        if f.kind in ("gov_total", "district_total", "unit_total", "town_floor") and f.value is not None:
            assert f.source_ids, f.id  # every size figure names its source
    profiles = T.read_profiles()
    assert ("place", "IQG15") in profiles or ("place", "IQG13") in profiles
    assert T.read_current_rules()
    _shared, new = T.read_sources()
    assert all(r["licence"] for r in new.values())
    assert T.read_rules()["R-CENSUS24"][0] == "size"
    assert [r["key"] for r in T.read_communities()] == list(T.COMMUNITIES)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


XW_HEAD = "nahiya_code,unit_ids,method,split,confidence,reasoning\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("11011,IQG09Q02N02,guess,,high,x", "method 'guess'"),
        ("11011,,same,,high,x", "no unit id"),
        ("11011,IQG09Q02N02;IQG09Q02N03,same,,high,x", "several units need method split/district"),
        ("11011,IQG09Q02N02;IQG09Q02N03,split,disc:1,high,x", "disc:<lon>:<lat>"),
        ("11011,IQG09Q02N02,same,area,high,x", "one unit needs method same or merge"),
        ("11011,IQG09Q02N02,same,,certain,x", "confidence 'certain'"),
        ("11011,IQG09Q02N02,same,,high,", "give the reasoning"),
    ],
)
def test_bad_crosswalk_rows(tmp_path: Path, row: str, message: str) -> None:
    p = _write(tmp_path, "xw.csv", XW_HEAD + row + "\n")
    with pytest.raises(T.TableError, match=r"xw\.csv line 2") as err:
        T.read_crosswalk(p)
    assert message in str(err.value)


def test_crosswalk_row_twice(tmp_path: Path) -> None:
    p = _write(tmp_path, "xw.csv", XW_HEAD + "11011,IQG09Q02N02,same,,high,x\n" * 2)
    with pytest.raises(T.TableError, match=r"line 3 .*listed twice"):
        T.read_crosswalk(p)


def test_bad_header_names_the_columns(tmp_path: Path) -> None:
    p = _write(tmp_path, "xw.csv", "nahiya,unit\n1,2\n")
    with pytest.raises(T.TableError, match=r"xw\.csv: header"):
        T.read_crosswalk(p)


FIG_HEAD = "id,kind,unit,community,census,value,year,low,high,source_ids,rule,flags,note\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("G-X,gov_total,IQG15,total,baseline,abc,2013,,,S47,R-GOV-BASE,,", "value='abc' is not a number"),
        ("G-X,gov_total,IQG15,total,baseline,,2013,,,S47,R-GOV-BASE,,", "column 'value' is empty"),
        ("G-X,gov_total,IQG15,total,baseline,10,2013,20,,S47,R-GOV-BASE,,", "low <= value <= high"),
        ("G-X,guess,IQG15,total,baseline,10,2013,,,S47,R-GOV-BASE,,", "kind 'guess'"),
        ("G-X,gov_total,IQG15,martian,baseline,10,2013,,,S47,R-GOV-BASE,,", "community 'martian'"),
    ],
)
def test_bad_figure_rows(tmp_path: Path, row: str, message: str) -> None:
    p = _write(tmp_path, "figures.csv", FIG_HEAD + row + "\n")
    with pytest.raises(T.TableError, match=r"figures\.csv line 2") as err:
        T.read_figures(p)
    assert message in str(err.value)


def test_new_source_without_licence(tmp_path: Path) -> None:
    shared = _write(tmp_path, "s.csv", "id,description\nS01,x\n")
    new = _write(tmp_path, "n.csv", "id,citation,publisher,year,url,licence,figures\nN99,c,p,2024,u,,f\n")
    with pytest.raises(T.TableError, match=r"N99 has no licence"):
        T.read_sources(shared, new)


def test_current_rule_with_unknown_kind(tmp_path: Path) -> None:
    p = _write(tmp_path, "cur.csv", "id,kind,units,community,value,low,high,status,source_ids,rule,note\n"
                                    "C1,guess,IQG15Q07N01,yazidi,1,,,derived,S21,R-CUR-BASHIQA,x\n")
    with pytest.raises(T.TableError, match=r"cur\.csv line 2 .*kind 'guess'"):
        T.read_current_rules(p)
