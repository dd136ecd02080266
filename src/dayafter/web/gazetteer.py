"""Place search of the workbench: unit, district and governorate names in English, Arabic and
Kurdish, with their other spellings, matched after normalisation.

The gazetteer holds every unit's own names (the territory's label columns: ``name_en``,
``name_ar``, ``district_en``, ...) and the hand-checked aliases of ``reference/aliases.csv`` (see
``reference/README.md`` for their sources). A query and every name are compared in three forms:

1. the *normalised* text (:func:`normalize`): Arabic-script letter variants folded (alef with hamza
   or madda to bare alef, alef maqsura and Kurdish ی/ێ to ي, ta marbuta and ھ to ه, the Sorani vowel
   letter ە dropped (Arabic spelling leaves the short vowel out: تەلەعفەر = تلعفر), Kurdish
   and Persian letters to their Arabic base: ک→ك, گ→ك, ڵ→ل, ڕ→ر, ۆ→و, پ→ب, چ→ج, ڤ→ف), diacritics,
   tatweel and punctuation removed; Latin text lower-cased with its accents removed (ş→s, ê→e), the
   article (``al-``, ``el-``, ``as-``...) and the prefix ``markaz`` / ``مركز`` ("centre of") dropped,
   doubled letters collapsed and spaces removed (Tall Afar = Tal Afar = talafar);
2. the *skeleton* (:func:`skeleton`): the normalised text without vowels and semi-vowels, with the
   transliteration variants merged (q=k, x=kh, final h dropped), so Telafar = Talafar and
   Shingal = Shengal; in Arabic script the long vowels and Kurdish vowel letters are dropped, so
   Sorani تەلەعفەر meets Arabic تلعفر;
3. prefixes of (1), so a search narrows as it is typed.

A match on (1) scores 3, a prefix 2, a skeleton 1; results are ranked by score, then by kind (unit
before district before governorate), then by name.

Examples
--------
>>> normalize("Tall Afar") == normalize("Tal-Afar") == normalize("tal afar")
True
>>> skeleton("Telafar") == skeleton("Tal Afar")
True
>>> normalize("تل عفر") == normalize("تلعفر")
True
>>> skeleton("تەلەعفەر") == skeleton("تلعفر")
True
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["Gazetteer", "normalize", "skeleton"]

# Arabic-script folding: every variant to one base letter
_AR_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ێ": "ي", "ې": "ي", "ئ": "ي",
    "ة": "ه", "ھ": "ه", "ۀ": "ه", "ە": None,
    "ؤ": "و", "ۆ": "و", "ۊ": "و", "ۇ": "و",
    "ک": "ك", "گ": "ك", "ڵ": "ل", "ڕ": "ر", "پ": "ب", "چ": "ج", "ڤ": "ف", "ژ": "ز",
    "ـ": None, "ء": None,
})
_AR_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN_ARTICLE = re.compile(r"^(?:al|el|as|ash|ad|an|ar|at|az|ul)[- ']+")
_AR_ARTICLE = re.compile(r"^ال")
_LATIN_PREFIX = re.compile(r"^markaz\s+")
_AR_PREFIX = re.compile(r"^مركز\s+")
_SEP = re.compile(r"[\s\-_'’ʿʾ`´.,;:()/]+")


def _is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def normalize(text: str) -> str:
    """The comparable form of a name (see the module's description)."""
    s = unicodedata.normalize("NFC", str(text)).strip()
    if _is_arabic(s):
        s = _AR_DIACRITICS.sub("", s)
        s = s.translate(_AR_FOLD)
        s = _AR_PREFIX.sub("", s)
        words = [_AR_ARTICLE.sub("", w) if len(w) > 3 else w for w in _SEP.split(s) if w]
        return "".join(words)
    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("ı", "i").replace("ß", "ss")
    s = _LATIN_PREFIX.sub("", s)
    s = _LATIN_ARTICLE.sub("", s)
    s = _SEP.sub("", s)
    s = re.sub(r"[^a-z0-9]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


def skeleton(text: str) -> str:
    """The consonants of a normalised name, with transliteration variants merged."""
    s = normalize(text)
    if not s:
        return ""
    if _is_arabic(s):
        return re.sub(r"(.)\1+", r"\1", re.sub("[اويه]$", "", s[:1] + re.sub("[اوي]", "", s[1:])))
    s = s.replace("x", "kh").replace("q", "k").replace("ou", "u").replace("ph", "f")
    s = re.sub(r"h$", "", s)
    s = re.sub(r"[aeiouyw]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


@dataclass(frozen=True)
class _Entry:
    name: str  # as shown
    kind: str  # unit, district, governorate
    key: str  # unit index (as text) or admin code
    norm: str
    skel: str
    alias: bool


_KIND_ORDER = {"unit": 0, "district": 1, "governorate": 2}


class Gazetteer:
    """The names of a territory's units and admin areas, with aliases, for :meth:`search`.

    Parameters
    ----------
    territory
        The served territory (its ``labels`` and ``admin`` columns are read).
    aliases
        Rows ``{alias, lang, target_kind, target, source}``; by default the package's
        ``reference/aliases.csv``. Aliases whose target is not in the territory are left out.
    """

    def __init__(self, territory: Any, aliases: list[dict[str, str]] | None = None) -> None:
        self.territory = territory
        labels = {k: np.asarray(v).astype(str) for k, v in (getattr(territory, "labels", None) or {}).items()}
        admin = {k: np.asarray(v).astype(str) for k, v in (getattr(territory, "admin", None) or {}).items()}
        ids = np.asarray(territory.unit_ids).astype(str)
        entries: list[_Entry] = []

        def add(name: str, kind: str, key: str, alias: bool = False) -> None:
            name = str(name).strip()
            if name and name.lower() not in ("nan", "none"):
                entries.append(_Entry(name, kind, key, normalize(name), skeleton(name), alias))

        for i in range(len(ids)):
            for col in ("name_en", "name_ar", "name_ckb", "name_ku", "name_kmr"):
                if col in labels:
                    add(labels[col][i], "unit", str(i))
            add(ids[i], "unit", str(i))
        by_name: dict[tuple[str, str], str] = {}
        for level in ("district", "governorate"):
            codes = admin.get(level)
            if codes is None:
                continue
            seen: set[str] = set()
            for i, code in enumerate(codes):
                if code in seen:
                    continue
                seen.add(code)
                for col in (f"{level}_en", f"{level}_ar", f"{level}_ckb"):
                    if col in labels:
                        add(labels[col][i], level, code)
                        by_name[(level, labels[col][i])] = code
        unit_by_name = {str(n): str(i) for i, n in enumerate(labels.get("name_en", []))}
        for row in aliases if aliases is not None else _package_aliases():
            kind, target = row["target_kind"], row["target"]
            key = unit_by_name.get(target) if kind == "unit" else by_name.get((kind, target))
            if key is not None:
                add(row["alias"], kind, key, alias=True)
            if kind == "district":  # the district's seat ("Markaz <district>") has the town's name
                seat = unit_by_name.get(f"Markaz {target}")
                if seat is not None:
                    add(row["alias"], "unit", seat, alias=True)
        self.entries = entries
        self._display: dict[tuple[str, str], str] = {}
        for e in entries:
            if not e.alias and not _is_arabic(e.name):
                self._display.setdefault((e.kind, e.key), e.name)

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Places matching ``query``, best first.

        Returns
        -------
        list of dict
            ``{kind, key, name, matched, score, units}``: ``kind`` is ``unit``, ``district`` or
            ``governorate``; ``key`` the unit index or the admin code; ``name`` the place's name in
            the data; ``matched`` the name or alias that matched; ``units`` the indices of its units.
        """
        q = normalize(query)
        if len(q) < 2:
            return []
        qs = skeleton(query)
        best: dict[tuple[str, str], tuple[int, str]] = {}
        for e in self.entries:
            if e.norm == q:
                score = 3
            elif len(q) >= 3 and e.norm.startswith(q):
                score = 2
            elif len(qs) >= 3 and e.skel == qs:
                score = 1
            else:
                continue
            k = (e.kind, e.key)
            if k not in best or best[k][0] < score:
                best[k] = (score, e.name)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], _KIND_ORDER[kv[0][0]], self._name(*kv[0])))
        out = []
        for (kind, key), (score, matched) in ranked[:limit]:
            out.append({"kind": kind, "key": key, "name": self._name(kind, key), "matched": matched,
                        "score": score, "units": self._units(kind, key)})
        return out

    def _name(self, kind: str, key: str) -> str:
        return self._display.get((kind, key), key)

    def _units(self, kind: str, key: str) -> list[int]:
        if kind == "unit":
            return [int(key)]
        return np.flatnonzero(np.asarray(self.territory.admin[kind]).astype(str) == key).tolist()


def _package_aliases() -> list[dict[str, str]]:
    import io

    text = (resources.files("dayafter.web") / "reference" / "aliases.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))
