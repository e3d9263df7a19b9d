"""`optsweep findings` prints one row per claim: its verdict and why (the page's summary)."""

from __future__ import annotations

from typer.testing import CliRunner

from findings import page
from findings.registry import CLAIMS
from findings.rules import Judged
from optsweep.cli import app


def test_the_findings_command_prints_each_claim_s_verdict_and_why(tmp_path, monkeypatch):
    results = {c.key: Judged({}, "depends", f"because of {c.key}") for c in CLAIMS}
    monkeypatch.setattr(page, "run", lambda *a, **k: ({"total": 90.0}, results))  # no sweeps
    monkeypatch.setenv("COLUMNS", "200")
    out = CliRunner().invoke(
        app, ["findings", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "f.md")]
    )
    assert out.exit_code == 0, out.output
    for c in CLAIMS:
        assert f"because of {c.key}" in out.output
    assert out.output.count("depends") == len(CLAIMS)
    assert "1.5 minutes in all" in out.output
