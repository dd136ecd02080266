"""Control per unit: who holds administration and security in each unit of a plan.

DESIGN.md gives a plan two layers: polities (regions that elect a council) and control (federal,
krg, joint, self-administered, contested per unit). The returns, referendum and claims engines
read control only through :func:`unit_control` and write it only through
:func:`plan_with_control`, so the way a plan stores control is known in this module alone
(today :meth:`dayafter.plan.Plan.control_of_units`: a stated control per unit, otherwise the
authority of the unit's polity).

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> p = Plan(np.array([0, 0, 1]), (Region("North", "krg"), Region("Kirkuk", "shared")), "h")
>>> unit_control(p).tolist()
['krg', 'krg', 'joint']
>>> q = plan_with_control(p, np.array(["krg", "federal", "joint"], dtype=object), name="after")
>>> unit_control(q).tolist(), q.region_names, q.assignment.tolist()
(['krg', 'federal', 'joint'], ['North', 'Kirkuk'], [0, 0, 1])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import InputDataError
from dayafter.plan import CONTROL_VALUES, Plan

__all__ = ["CONTROL_VALUES", "plan_with_control", "unit_control"]


def unit_control(plan: Plan) -> NDArray[np.object_]:
    """Control of every unit of ``plan`` (``""`` for unassigned units without stated control).

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    ndarray of str
        One control label per unit, in the territory's unit order (``shared`` reads as
        ``joint``).
    """
    return plan.control_of_units()


def plan_with_control(plan: Plan, control: NDArray[np.object_], *, name: str = "",
                      notes: str = "") -> Plan:
    """A plan with the given control per unit and the same polities.

    Units whose control changes get it stated in the plan's control layer; the others keep what
    they had (a stated control, or their polity's authority).

    Parameters
    ----------
    plan
        The plan to start from.
    control
        ``str[n]`` control per unit (values of :data:`CONTROL_VALUES` or any label).
    name, notes
        Name and notes of the new plan (default: the old name with ``" (control)"``).

    Returns
    -------
    Plan
    """
    control = np.asarray(control, dtype=object)
    if control.shape != (plan.n_units,):
        raise InputDataError(f"control needs one value per unit ({plan.n_units}), "
                             f"got shape {control.shape}",
                             hint="pass one control label per unit in the territory's unit order")
    current = unit_control(plan)
    changes = {int(i): str(control[i]) for i in np.flatnonzero(current != control)
               if str(control[i])}
    new = plan.with_control_of(changes) if changes else plan
    from dataclasses import replace

    return replace(new, name=name or f"{plan.name} (control)", notes=notes or plan.notes)
