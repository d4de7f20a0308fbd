"""The load report: for every source, how many rows were read, used and set aside, and why.

Nothing is dropped silently: every row read is either used or counted here under
the reason it was set aside, so ``read == used + set aside`` for every source.
The report holds counts and line numbers only, never an identifier or a value.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["LoadReport", "SourceReport"]


@dataclass
class SourceReport:
    """The accounting for one source (a file, a query or an in-memory frame).

    ``unit`` says what was counted: ``line`` (text files), ``row`` (Parquet,
    queries and frames), ``value`` (one per cell when a source has one column per
    measure or attribute) or ``mark`` (daily attendance marks). ``examples`` keeps
    the first few line or row numbers set aside for each reason. ``produced`` is
    the number of canonical rows made from daily marks.
    """

    table: str
    source: str
    unit: str
    read: int
    used: int = 0
    set_aside: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)
    produced: int | None = None
    example_unit: str = ""  # what ``examples`` count when it differs from ``unit``

    @property
    def set_aside_total(self) -> int:
        return sum(self.set_aside.values())

    @property
    def balances(self) -> bool:
        return self.read == self.used + self.set_aside_total


@dataclass
class LoadReport:
    """Rows read, used and set aside (by reason) per table and source.

    Examples
    --------
    >>> r = LoadReport([SourceReport("events", "behaviour.csv", "line", read=10,
    ...                              used=8, set_aside={"duplicate": 2},
    ...                              examples={"duplicate": [4, 9]})])
    >>> r.totals_balance()
    True
    >>> r.to_frame()[["table", "read", "used", "set_aside"]].to_dict("records")
    [{'table': 'events', 'read': 10, 'used': 8, 'set_aside': 2}]
    >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
    table   source         unit  read  used  set aside
    events  behaviour.csv  line    10     8          2
        duplicate: 2 (lines 4, 9)
    """

    sources: list[SourceReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: every set-aside row: table, source, unit, line (or row number) and reason
    rejects: pd.DataFrame | None = field(default=None, repr=False)

    def totals_balance(self) -> bool:
        """True when read == used + set aside for every source."""
        return all(s.balances for s in self.sources)

    def to_frame(self) -> pd.DataFrame:
        """One row per source: table, source, unit, read, used, set_aside, reasons."""
        rows = [
            {
                "table": s.table,
                "source": s.source,
                "unit": s.unit,
                "read": s.read,
                "used": s.used,
                "set_aside": s.set_aside_total,
                "reasons": "; ".join(f"{k}: {v}" for k, v in s.set_aside.items()),
            }
            for s in self.sources
        ]
        cols = ["table", "source", "unit", "read", "used", "set_aside", "reasons"]
        return pd.DataFrame(rows, columns=cols).astype(
            {"read": "int64", "used": "int64", "set_aside": "int64"}
        )

    def set_aside_frame(self) -> pd.DataFrame:
        """One row per source and reason: table, source, reason, count, first_rows."""
        rows = [
            {
                "table": s.table,
                "source": s.source,
                "reason": reason,
                "count": n,
                "first_rows": ", ".join(map(str, s.examples.get(reason, []))),
            }
            for s in self.sources
            for reason, n in s.set_aside.items()
        ]
        cols = ["table", "source", "reason", "count", "first_rows"]
        return pd.DataFrame(rows, columns=cols)

    def table_totals(self) -> pd.DataFrame:
        """Rows read, used and set aside summed per table (units may differ by source)."""
        f = self.to_frame()
        return f.groupby("table", sort=False)[["read", "used", "set_aside"]].sum()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the sources, the notes and whether totals balance."""
        return {
            "sources": [asdict(s) for s in self.sources],
            "notes": list(self.notes),
            "totals_balance": self.totals_balance(),
        }

    def headline(self) -> str:
        """One line: rows read, used and set aside, with the reasons.

        Examples
        --------
        >>> LoadReport([SourceReport("people", "p.csv", "line", read=10, used=8,
        ...             set_aside={"duplicate": 2})]).headline()
        'read 10, used 8, set aside 2 (duplicate: 2)'
        """
        read = sum(s.read for s in self.sources)
        used = sum(s.used for s in self.sources)
        reasons: dict[str, int] = {}
        for s in self.sources:
            for k, v in s.set_aside.items():
                reasons[k] = reasons.get(k, 0) + v
        why = "; ".join(f"{k}: {v:,}" for k, v in reasons.items())
        return (f"read {read:,}, used {used:,}, set aside {sum(reasons.values()):,}"
                + (f" ({why})" if why else ""))

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write ``load_report.json`` and ``rejects.csv`` (one line per set-aside
        row: table, source, unit, line, reason) into ``folder``; returns the paths.

        The rejects file names lines, never values, so it holds no identifier.

        Examples
        --------
        >>> import tempfile
        >>> r = LoadReport([SourceReport("people", "pupils.csv", "line", read=3,
        ...                              used=2, set_aside={"duplicate": 1})],
        ...                rejects=pd.DataFrame({"table": ["people"],
        ...                    "source": ["pupils.csv"], "unit": ["line"],
        ...                    "line": [4], "reason": ["duplicate"]}))
        >>> paths = r.write(tempfile.mkdtemp())
        >>> print(paths["rejects"].read_text().strip())
        table,source,unit,line,reason
        people,pupils.csv,line,4,duplicate
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"report": folder / "load_report.json",
                 "rejects": folder / "rejects.csv"}
        doc = self.to_dict()
        doc["rejects_file"] = paths["rejects"].name
        paths["report"].write_text(json.dumps(doc, indent=2, default=str))
        rejects = self.rejects if self.rejects is not None else pd.DataFrame(
            columns=["table", "source", "unit", "line", "reason"])
        rejects.to_csv(paths["rejects"], index=False)
        return paths

    def summary(self) -> str:
        """A plain-text table of the report, with reasons and example lines."""
        head = ["table", "source", "unit", "read", "used", "set aside"]
        body = [
            [s.table, s.source, s.unit, str(s.read), str(s.used), str(s.set_aside_total)]
            for s in self.sources
        ]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

        def fmt(row: list[str]) -> str:
            cells = [
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        lines = [fmt(head)]
        for s, row in zip(self.sources, body, strict=True):
            lines.append(fmt(row))
            if s.produced is not None:
                lines.append(f"    made {s.produced} period rows from the marks used")
            for reason, n in s.set_aside.items():
                ex = s.examples.get(reason, [])
                where = f" ({s.example_unit or s.unit}s {', '.join(map(str, ex))}" if ex else ""
                more = " ...)" if ex and n > len(ex) else (")" if ex else "")
                lines.append(f"    {reason}: {n}{where}{more}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_rich(self) -> Any:
        """The report as a ``rich.table.Table`` for printing in a terminal."""
        from rich.table import Table

        table = Table(title="Load report")
        for name, justify in (("table", "left"), ("source", "left"), ("unit", "left"),
                              ("read", "right"), ("used", "right"),
                              ("set aside", "right"), ("reasons", "left")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for s in self.sources:
            reasons = "\n".join(f"{k}: {v}" for k, v in s.set_aside.items())
            table.add_row(s.table, s.source, s.unit, str(s.read), str(s.used),
                          str(s.set_aside_total), reasons)
        if self.notes:
            table.caption = "\n".join(self.notes)
        return table

    rich_table = to_rich
