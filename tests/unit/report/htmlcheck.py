"""An independent reading of rendered HTML (stdlib html.parser): tables by id and every reference
to another resource, for the report tests."""

from __future__ import annotations

from html.parser import HTMLParser

# attributes through which an HTML document loads or links other resources
_REF_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background",
              "xlink:href", "manifest", "cite", "longdesc", "usemap", "codebase", "archive"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.refs: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self.tags: list[str] = []
        self._stack: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._in_style = False
        self.img_count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        d = dict(attrs)
        for k, v in attrs:
            if k in _REF_ATTRS and v is not None:
                self.refs.append((tag, k, v))
            if k == "style" and v:
                self.styles.append(v)
        if tag == "img":
            self.img_count += 1
        if tag == "style":
            self._in_style = True
        if tag == "table":
            rows: list[list[str]] = []
            self._stack.append((d.get("id") or f"table-{len(self.tables) + len(self._stack)}", rows))
        elif tag == "tr" and self._stack:
            self._stack[-1][1].append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag in ("td", "th") and self._stack and self._cell is not None:
            self._stack[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._stack:
            tid, rows = self._stack.pop()
            self.tables[tid] = rows

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read_html(text: str) -> _Reader:
    """Parse ``text``; the result has ``tables`` (id -> rows of cell texts), ``refs`` (tag,
    attribute, value) and ``styles`` (CSS text from style elements and attributes)."""
    r = _Reader()
    r.feed(text)
    r.close()
    return r


def table_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows of a parsed table as dictionaries keyed by the header row."""
    head = rows[0]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def external_refs(text: str) -> list[str]:
    """Every reference in the HTML that would load or link something outside the document."""
    import re

    r = read_html(text)
    bad = [f"{t}[{a}]={v[:60]}" for t, a, v in r.refs
           if not (v.startswith("data:") or v.startswith("#"))]
    for css in r.styles:
        for m in re.finditer(r"url\(\s*['\"]?([^'\")]+)", css):
            if not m.group(1).startswith(("data:", "#")):
                bad.append(f"css url({m.group(1)[:60]})")
        if "@import" in css:
            bad.append("css @import")
    bad += [f"<{t}>" for t in r.tags if t in ("script", "iframe", "object", "embed", "link", "base")]
    return bad
