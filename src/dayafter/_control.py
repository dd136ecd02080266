"""Control per unit: who holds administration and security in each unit of a plan.

DESIGN.md gives a plan two layers: polities (regions that elect a council) and control (federal,
krg, joint, self-administered, contested per unit). Until plans carry their own control layer,
control is read from the authority of each unit's region. The returns, referendum and claims
engines read control only through :func:`unit_control` and write it only through
:func:`plan_with_control`, so switching to a stored control layer is a change in this module.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> p = Plan(np.array([0, 0, 1]), (Region("North", "krg"), Region("Kirkuk", "shared")), "h")
>>> unit_control(p).tolist()
['krg', 'krg', 'joint']
>>> q = plan_with_control(p, np.array(["krg", "federal", "joint"], dtype=object), name="after")
>>> [(r.name, r.authority) for r in q.regions], q.assignment.tolist()
([('North', 'krg'), ('North (federal)', 'federal'), ('Kirkuk', 'shared')], [0, 1, 2])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import InputDataError
from dayafter.plan import Plan, Region

__all__ = ["AUTHORITY_TO_CONTROL", "CONTROL_VALUES", "plan_with_control", "unit_control"]

CONTROL_VALUES = ("federal", "krg", "joint", "self-administered", "contested")
"""The control vocabulary of DESIGN.md."""

AUTHORITY_TO_CONTROL: Mapping[str, str] = {
    "federal": "federal",
    "krg": "krg",
    "joint": "joint",
    "shared": "joint",  # the built-in scenarios call joint administration "shared"
    "self-administered": "self-administered",
    "self": "self-administered",
    "contested": "contested",
}
"""Region authorities as written in plans, mapped to the control vocabulary."""


def unit_control(plan: Plan) -> NDArray[np.object_]:
    """Control of every unit of ``plan`` (``""`` for unassigned units).

    Today read from the authority of the unit's region (``shared`` reads as ``joint``);
    authorities outside the vocabulary are kept as written, lower-cased.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    ndarray of str
        One control value per unit, in the territory's unit order.
    """
    auth = plan.authority_of_units()
    out = np.empty(auth.size, dtype=object)
    for i, a in enumerate(auth.tolist()):
        key = str(a).strip().lower()
        out[i] = AUTHORITY_TO_CONTROL.get(key, key)
    return out


def plan_with_control(plan: Plan, control: NDArray[np.object_], *, name: str = "",
                      notes: str = "") -> Plan:
    """A plan with the given control per unit.

    Each region of ``plan`` is split by control: units whose control equals the region's own
    (as read by :func:`unit_control`) stay in it; the others go to a region named
    ``"<region> (<control>)"`` with that control as its authority. Empty regions are dropped.
    Polities therefore keep their boundaries wherever control does not change.

    Parameters
    ----------
    plan
        The plan to start from.
    control
        ``str[n]`` control per unit (values of :data:`CONTROL_VALUES` or any authority text).
    name, notes
        Name and notes of the new plan (default: the old name with ``" (control)"``).

    Returns
    -------
    Plan
    """
    control = np.asarray(control, dtype=object)
    if control.shape != (plan.n_units,):
        raise InputDataError(f"control needs one value per unit ({plan.n_units}), "
                             f"got shape {control.shape}")
    regions: list[Region] = []
    index: dict[tuple[int, str], int] = {}
    a = plan.assignment
    new = np.full(a.size, -1, dtype=np.int64)
    # keep the old region order; split-off parts follow their parent region
    for j, reg in enumerate(plan.regions):
        members = np.flatnonzero(a == j)
        if members.size == 0:
            continue
        own = AUTHORITY_TO_CONTROL.get(reg.authority.strip().lower(), reg.authority)
        wanted = [str(c) for c in control[members].tolist()]
        for c in [own, *sorted(set(wanted) - {own})]:
            sel = members[np.array([w == c for w in wanted], dtype=bool)]
            if sel.size == 0:
                continue
            if c == own:
                region = reg
            else:
                region = Region(f"{reg.name} ({c})", c, f"{reg.status}; control {c}".strip("; "))
            index[(j, c)] = len(regions)
            regions.append(region)
            new[sel] = index[(j, c)]
    return Plan(new.astype(np.int32), tuple(regions), plan.territory_hash,
                name=name or f"{plan.name} (control)", notes=notes or plan.notes,
                meta=dict(plan.meta))
