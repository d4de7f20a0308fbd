"""A tiny HTML reader for tests: visible text, ids, links, table rows."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects visible text (outside <style>/<script>/<title> of SVGs), element
    ids, link targets and the cells of each table row by table id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.row_attrs: dict[str, list[dict[str, str]]] = {}
        self._skip = 0
        self._table: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("style", "title"):
            self._skip += 1
        if tag == "script":
            self._in_script = True
            self._skip += 1
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "table":
            self._table.append(a.get("id", f"table{len(self.tables)}"))
            self.tables.setdefault(self._table[-1], [])
            self.row_attrs.setdefault(self._table[-1], [])
        if tag == "tr" and self._table:
            self._row = []
            self.row_attrs[self._table[-1]].append(a)
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "script"):
            self._skip -= 1
            self._in_script = False
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None and self._table:
            self.tables[self._table[-1]].append(self._row)
            self._row = None
        if tag == "table" and self._table:
            self._table.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())
