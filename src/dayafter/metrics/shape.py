"""Shape and structure metrics: compactness, cut edges, contiguity, admin splits.

>>> import numpy as np
>>> polsby_popper(np.array([np.pi]), np.array([2 * np.pi])).tolist()   # a unit disc
[1.0]
>>> polsby_popper(np.array([1.0]), np.array([4.0])).round(4).tolist()  # a unit square
[0.7854]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["polsby_popper"]


def polsby_popper(area: NDArray[np.float64], perimeter: NDArray[np.float64]) -> NDArray[np.float64]:
    """Polsby-Popper compactness ``4 pi A / P^2`` per region (NaN for empty regions)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(perimeter > 0, 4.0 * np.pi * area / np.where(perimeter > 0, perimeter, 1.0) ** 2,
                        np.nan)
