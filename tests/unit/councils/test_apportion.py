"""Apportionment: published seat tables, known paradoxes, ties, reserved races and errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dayafter.councils import apportion, apportion_many, normalize_method
from dayafter.errors import ConfigError, InfeasibleError, InputDataError

DATA = Path(__file__).parent / "data"


# ----------------------------------------------------------------------- published tables
def test_us_house_2020_huntington_hill_reproduced() -> None:
    """Census Bureau 2020 apportionment (see data/SOURCES.md): 435 seats, equal proportions."""
    d = pd.read_csv(DATA / "us_2020_apportionment.csv")
    assert len(d) == 50
    assert d["apportionment_population"].sum() == 331_108_434
    assert d["representatives"].sum() == 435
    r = apportion(d["apportionment_population"].to_numpy(), 435, method="huntington-hill",
                  lists=d["state"].tolist())
    assert r.decided
    assert r.seats.tolist() == d["representatives"].tolist()
    # the same populations under Webster give a different House (a check that the test bites)
    w = apportion(d["apportionment_population"].to_numpy(), 435, method="webster")
    assert w.seats.tolist() != d["representatives"].tolist()


@pytest.mark.parametrize("gov,seats,total", [("Al-Qadisiyyah", 28, 386_086),
                                              ("Diyala", 29, 459_311)])
def test_iraq_2013_provincial_tables_reproduced(gov: str, seats: int, total: int) -> None:
    """Complete 2013 vote tables reproduce the published seats with divisors 1, 3, 5, ..."""
    d = pd.read_csv(DATA / "iraq_2013_provincial.csv")
    d = d[d["governorate"] == gov]
    assert d["votes"].sum() == total and d["seats"].sum() == seats
    r = apportion(d["votes"].to_numpy(), seats, method="sainte-lague", first_divisor=1,
                  lists=d["list"].tolist())
    assert r.decided
    assert r.seats.tolist() == d["seats"].tolist()


def test_iraq_2013_first_divisor_is_one() -> None:
    """Qadisiyyah and Anbar 2013 rule out the modified first divisors (rules file, section 1)."""
    d = pd.read_csv(DATA / "iraq_2013_provincial.csv")
    for gov, seats in (("Al-Qadisiyyah", 28), ("Al-Anbar", 30)):
        g = d[d["governorate"] == gov]
        assert apportion(g["votes"].to_numpy(), seats).seats.tolist() == g["seats"].tolist()
        for f in ("1.4", "1.6", "1.7", "1.9"):
            r = apportion(g["votes"].to_numpy(), seats, first_divisor=f)
            assert r.seats.tolist() != g["seats"].tolist(), (gov, f)


def test_anbar_2013_modified_1_6_takes_small_list_seats() -> None:
    """Rules file: a first divisor of 1.6 gives Muttahidoon 9 and takes seats from small lists."""
    d = pd.read_csv(DATA / "iraq_2013_provincial.csv")
    g = d[d["governorate"] == "Al-Anbar"]
    r = apportion(g["votes"].to_numpy(), 30, first_divisor=1.6)
    assert r.seats[0] == 9
    assert r.seats[-2:].sum() < g["seats"].to_numpy()[-2:].sum()


# ----------------------------------------------------------------------- known properties
def test_alabama_paradox_hamilton() -> None:
    """Hamilton (Hare largest remainder): a bigger house takes a seat from C.

    Populations 6, 6, 2. With 10 seats the quotas are 4.29, 4.29, 1.43 and C's remainder wins
    the tenth seat (4, 4, 2); with 11 seats the quotas are 4.71, 4.71, 1.57 and A and B win
    the remainders (5, 5, 1). Divisor methods never do this.
    """
    assert apportion([6, 6, 2], 10, method="hamilton").seats.tolist() == [4, 4, 2]
    assert apportion([6, 6, 2], 11, method="hamilton").seats.tolist() == [5, 5, 1]
    # Webster with 11 seats does not take C's seat: C stays in a three-way tie for the last 2
    r = apportion([6, 6, 2], 11, method="webster")
    assert r.seats.tolist() == [4, 4, 1] and r.ties[0].seats == 2 and len(r.ties[0].lists) == 3


def test_hand_computed_examples() -> None:
    # D'Hondt: 100000, 80000, 30000, 20000 with 8 seats: quotients by hand -> 4, 3, 1, 0
    assert apportion([100_000, 80_000, 30_000, 20_000], 8, method="dhondt").seats.tolist() == [4, 3, 1, 0]
    # Sainte-Lague on the same: 3, 3, 1, 1
    assert apportion([100_000, 80_000, 30_000, 20_000], 8).seats.tolist() == [3, 3, 1, 1]
    # Droop quota: V = 230000, S = 8 -> q = 25556; floors 3, 3, 1, 0; remainders 23332,
    # 3332, 4444, 20000 -> the 8th seat goes to A
    assert apportion([100_000, 80_000, 30_000, 20_000], 8, method="droop").seats.tolist() == [4, 3, 1, 0]
    # Adams gives every list a seat first
    assert apportion([1000, 1, 1], 3, method="adams").seats.tolist() == [1, 1, 1]


def test_first_divisor_exact_not_float() -> None:
    # 17 / 1.7 == 10 == 30 / 3 exactly: a tie for one seat; floats would give 17/1.7 = 10.000000000000002
    r = apportion([17, 30], 2, first_divisor=1.7)
    assert r.seats.tolist() == [0, 1] and r.ties[0].lists == ("0", "1") and r.ties[0].seats == 1
    assert r.first_divisor == Fraction(17, 10)


# ----------------------------------------------------------------------- ties
def test_tie_reported_not_broken() -> None:
    r = apportion([300, 200, 200], 4, method="dhondt", lists=["A", "B", "C"])
    # claims: A 300, 150, 100; B 200, 100; C 200, 100. Seats 1-4 go to A, B, C, A;
    # a fifth seat meets three equal claims of 100.
    assert r.seats.tolist() == [2, 1, 1]
    assert r.decided
    r = apportion([300, 200, 200], 5, method="dhondt", lists=["A", "B", "C"])
    assert not r.decided and r.undecided_seats == 1
    assert r.ties[0].lists == ("A", "B", "C")
    assert r.seats.sum() == 4
    assert "undecided" in r.ties[0].describe()


def test_tie_broken_by_seeded_lot_is_reproducible(global_seed: int) -> None:
    a = apportion([300, 200, 200], 5, method="dhondt", lists=["A", "B", "C"],
                  rng=np.random.default_rng(global_seed))
    b = apportion([300, 200, 200], 5, method="dhondt", lists=["A", "B", "C"],
                  rng=np.random.default_rng(global_seed))
    assert a.decided and a.seats.sum() == 5
    assert a.ties[0].by_lot and len(a.ties[0].winners) == 1
    assert a.seats.tolist() == b.seats.tolist()
    assert "lot" in a.ties[0].describe()


def test_batch_reports_ties() -> None:
    r = apportion_many([[300, 200, 200], [300, 200, 90]], 5, method="dhondt")
    assert r.tied_seats.tolist() == [1, 0] and r.tied_lists.tolist() == [3, 0]
    assert r.seats.sum(axis=1).tolist() == [4, 5]
    assert r.decided.tolist() == [False, True]


# ----------------------------------------------------------------------- thresholds, minimum
def test_threshold_and_exemption() -> None:
    votes = [600, 300, 40, 60]
    r = apportion(votes, 10, threshold=0.05, lists=["A", "B", "Minority", "D"])
    assert r.eligible.tolist() == [True, True, False, True]
    assert r.seats[2] == 0
    r2 = apportion(votes, 10, threshold=0.05, threshold_exempt=["Minority"],
                   lists=["A", "B", "Minority", "D"])
    assert r2.eligible[2]
    # exactly at the threshold passes: 50 of 1000 is 5 %
    r3 = apportion([950, 50], 20, threshold="0.05")
    assert r3.eligible.tolist() == [True, True]


def test_min_seats() -> None:
    r = apportion([1000, 10, 10], 10, method="dhondt", min_seats=2)
    assert r.seats.tolist() == [6, 2, 2]
    with pytest.raises(InfeasibleError):
        apportion([1, 1, 1], 5, method="dhondt", min_seats=2)
    with pytest.raises(ConfigError):
        apportion([1, 1, 1], 5, method="hare", min_seats=1)


# ----------------------------------------------------------------------- reserved races
def test_reserved_race_most_voted_list_wins() -> None:
    r = apportion(
        [5000, 3000, 400, 250, 900],
        10,
        lists=["A", "B", "Chr-1", "Chr-2", "Yaz-1"],
        communities=["Arab", "Kurd", "Christian", "Christian", "Yazidi"],
        races=["", "", "Christian", "Christian", "Yazidi"],
        reserved={"Christian": 1, "Yazidi": 1},
    )
    assert r.reserved.tolist() == [0, 0, 1, 0, 1]
    assert r.general.sum() == 8 and r.general[2:].sum() == 0
    assert r.seats.sum() == 10
    com = r.by_community()
    assert com["Christian"]["seats"] == 1 and com["Yazidi"]["reserved"] == 1
    rec = r.to_records()
    assert rec[2]["reserved"] == 1 and rec[0]["race"] == ""


def test_reserved_race_tie() -> None:
    r = apportion([10, 5, 5], 2, races=["", "X", "X"], reserved={"X": 1})
    assert r.ties[0].race == "X" and r.ties[0].lists == ("1", "2") and not r.decided


# ----------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs,exc,text",
    [
        ({"votes": [], "seats": 3}, InputDataError, "empty"),
        ({"votes": [10, -1], "seats": 3, "lists": ["A", "B"]}, InputDataError, "B (row 2)"),
        ({"votes": [10, 2.5], "seats": 3}, InputDataError, "whole numbers"),
        ({"votes": [10, 5], "seats": 3, "reserved": {"X": 4}, "races": ["", "X"]},
         InfeasibleError, "do not fit"),
        ({"votes": [10, 5], "seats": 3, "races": ["", "X"]}, InputDataError, "no reserved seats"),
        ({"votes": [10, 5], "seats": 3, "method": "borda"}, ConfigError, "unknown"),
        ({"votes": [10, 5], "seats": 3, "method": "dhondt", "first_divisor": 1.4}, ConfigError, "sainte-lague"),
        ({"votes": [10, 5], "seats": 3, "threshold": 1.5}, ConfigError, "0.05"),
        ({"votes": [0, 0], "seats": 3}, InfeasibleError, "no list"),
        ({"votes": [1, 2], "seats": 3, "lists": ["A", "A"]}, InputDataError, "duplicate"),
        ({"votes": [1, 2], "seats": 3, "threshold_exempt": ["Z"]}, InputDataError, "unknown lists"),
    ],
)
def test_errors_are_one_line_with_fix(kwargs: dict, exc: type, text: str) -> None:
    votes = kwargs.pop("votes")
    seats = kwargs.pop("seats")
    with pytest.raises(exc) as info:
        apportion(votes, seats, source="votes.csv", **kwargs)
    assert text in str(info.value)
    assert "\n" not in str(info.value)


def test_method_aliases() -> None:
    assert normalize_method("Jefferson") == "dhondt"
    assert normalize_method("Webster") == "sainte-lague"
    assert normalize_method("Sainte_Lague") == "sainte-lague"
    assert normalize_method("hamilton") == "hare"
    assert normalize_method("equal proportions") == "huntington-hill"


def test_batch_largest_remainder() -> None:
    r = apportion_many([[6, 6, 2], [6, 6, 2], [1, 1, 5]], [10, 11, 4], method="hamilton")
    # the Alabama paradox rows, and a tie for the last seat between the two small lists
    assert r.seats.tolist() == [[4, 4, 2], [5, 5, 1], [0, 0, 3]]
    assert r.tied_seats.tolist() == [0, 0, 1] and r.tied_lists.tolist() == [0, 0, 2]
    t = apportion_many([[100, 30, 60]], 5, method="droop", threshold=0.2)
    assert t.seats.tolist() == [[3, 0, 2]]


def test_batch_errors() -> None:
    with pytest.raises(ConfigError):
        apportion_many([[1, 2]], 2, method="hare", min_seats=1)
    with pytest.raises(InputDataError):
        apportion_many([[1, -2]], 2)
    with pytest.raises(InputDataError, match="int64"):
        apportion_many([[40_000_000, 1]], 435, method="huntington-hill")
    with pytest.raises(InfeasibleError):
        apportion_many([[0, 0]], 2)
