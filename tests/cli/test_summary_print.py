"""The sweep's summary reads whole at 80 columns: no value is cut short, in a table when it
fits, one block per trial when it does not."""

from __future__ import annotations

import pytest

from optsweep.sweep_commands import print_summary
from sweeps.summary import StudySummary, TrialRow

VALUES = {"alpha": 0.0038612, "beta1": 0.97971, "beta2": 0.99291, "batch_size": 32,
          "decay_rate": 0.026141}  # fmt: skip


def summary() -> StudySummary:
    rows = [TrialRow(n, "COMPLETE", 0.0810339 + n / 1000, VALUES, 60, 3.3661, "") for n in range(5)]
    return StudySummary("default", "val_cost", "minimize", {"COMPLETE": 5}, rows[0], rows, rows)


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_every_value_shows_whole_at_any_width(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    print_summary(summary())
    out = capsys.readouterr().out
    assert "…" not in out
    for text in ("0.08103", "0.08503", "0.003861", "0.9797", "0.9929", "0.02614", "3.366"):
        assert text in out, (columns, text)
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    assert ("┃ trial" in out) == (columns >= 100)  # the table when it fits
