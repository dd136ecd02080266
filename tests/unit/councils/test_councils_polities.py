"""Councils are per polity: the status quo elects one council for Nineveh, whoever holds its units."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

from dayafter.councils import simulate_councils


@pytest.fixture(scope="module")
def case():
    from dayafter import cases

    return cases.load("northern-iraq")


def _table(name):
    pkg = resources.files("dayafter.cases.northern_iraq.councils")
    with pkg.joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_status_quo_has_one_council_for_nineveh(case):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    plan = case.plans["status-quo-2014"]
    t = case.territory
    ninewa = plan.region_index("Ninewa")
    nineveh_units = np.char.startswith(t.unit_ids.astype(str), "IQG15")
    assert np.all(plan.assignment[nineveh_units] == ninewa)
    ctl = plan.control_of_units()
    assert (ctl[nineveh_units] == "krg").sum() >= 8  # KRG-held Sinjar, Aqra, Shekhan, ... are control
    sim = simulate_councils(t, plan, rules=provincial_rules_2023(), census="current")
    reg = sim.regions.set_index("region_name")
    general = {r["governorate_pcode"]: int(r["general_seats"]) for r in _table(
        "provincial_councils_2023.csv")}
    quotas = [r for r in _table("provincial_quotas_2023.csv") if r["governorate_pcode"] == "IQG15"
              and r["community"] in t.communities]
    assert reg.loc["Ninewa", "council_size"] == general["IQG15"] + sum(int(q["seats"]) for q in quotas)
    assert reg.loc["Ninewa", "control"] == ", ".join(
        f"{k} {v}" for k, v in plan.control_by_region()[ninewa].items())
    assert "krg" in reg.loc["Ninewa", "control"] and reg.loc["Ninewa", "authority"] == "federal"
    # control does not change who sits on a council: the same polities without control elect
    # the same councils
    same = simulate_councils(t, plan.without_control(), rules=provincial_rules_2023(),
                             census="current")
    np.testing.assert_array_equal(sim.seats_table("current"), same.seats_table("current"))


def test_krg_releases_claims_changes_control_not_councils(case):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    t = case.territory
    rules = provincial_rules_2023()
    a = simulate_councils(t, case.plans["status-quo-2014"], rules=rules, census="current")
    b = simulate_councils(t, case.plans["krg-releases-claims"], rules=rules, census="current")
    np.testing.assert_array_equal(a.seats_table("current"), b.seats_table("current"))
    assert list(a.regions["control"]) != list(b.regions["control"])
