"""Colour-blind-safe colours, fixed for a whole dossier so one authority or community keeps its colour
on every map and chart.

Authorities use the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"); communities use
Paul Tol's "muted" qualitative scheme; continuous quantities use matplotlib's ``cividis``, which was
designed to read the same for people with red-green colour-vision deficiency.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["AUTHORITY_COLOURS", "COMMUNITY_COLOURS", "NEUTRAL", "Palette"]

AUTHORITY_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
COMMUNITY_COLOURS: tuple[str, ...] = (
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933",
    "#AA4499",
)
NEUTRAL = "#DDDDDD"
"""Fill of units that belong to no region, or that did not change."""


class Palette:
    """Colours for the authorities and communities of one dossier.

    Authorities are sorted by name before colours are handed out, so the same set of authorities
    always gets the same colours, whatever order the plans list them in.
    """

    def __init__(self, authorities: Iterable[str], communities: Iterable[str]) -> None:
        auths = sorted({a for a in authorities if a})
        self.authority = {a: AUTHORITY_COLOURS[i % len(AUTHORITY_COLOURS)] for i, a in enumerate(auths)}
        self.community = {c: COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)]
                          for i, c in enumerate(communities)}

    def authority_colour(self, authority: str) -> str:
        """Colour of an authority (grey for none or an unknown one)."""
        return self.authority.get(authority, NEUTRAL)

    def community_colour(self, community: str) -> str:
        """Colour of a community (grey for an unknown one)."""
        return self.community.get(community, NEUTRAL)
