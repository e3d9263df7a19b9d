"""The findings' numbers as the page prints them."""

from __future__ import annotations

from analysis.formatting import table_lines


def test_table_escapes_pipes():
    assert table_lines(["a", "b"], [["x|y", 1]]) == ["| a | b |", "|---|---|", "| x\\|y | 1 |"]
