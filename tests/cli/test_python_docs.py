"""The Python API as docs/python.md shows it: its example runs as written, bad input is one
OptsweepError with the command line's words and nothing written, and `import optsweep` stays
instant (nothing heavy imported)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import optsweep

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def test_the_worked_example_runs_as_written(tmp_path, capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3
    namespace = {"folder": str(tmp_path)}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr()
    assert out.err == ""  # nothing on the terminal unless asked
    lines = out.out.splitlines()
    assert "must be" in lines[-1] or "alpha" in lines[-1]  # the CLI's line for alpha = -1
    assert (tmp_path / "optsweep.journal").is_file() and (tmp_path / "r.md").is_file()
    result = namespace["result"]
    best = result.trials.sort_values("value").iloc[0]
    assert result.best_value == best["value"]  # the DataFrame agrees with the best trial
    assert result.best_params["alpha"] == pytest.approx(best["params_alpha"])


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda d: optsweep.sweep("default", trails=3, workdir=d), "unknown sweep option 'trails' "
         "(did you mean trials?)"),
        (lambda d: optsweep.sweep({"study": {"trials": 2}}, workdir=d), "space: missing"),
        (lambda d: optsweep.sweep("default", workers=0, workdir=d), "--workers must be >= 1"),
        (lambda d: optsweep.report("nosuch", storage=f"{d}/none.journal"), "no study storage"),
        (lambda d: optsweep.train(optimiser="adam"), "did you mean optimizer?"),
    ],
)  # fmt: skip
def test_bad_input_is_one_optsweep_error_and_writes_nothing(tmp_path, monkeypatch, call, says):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(optsweep.OptsweepError) as e:
        call(tmp_path)
    assert says in str(e.value) and "\n" not in str(e.value)
    assert e.value.__cause__ is None  # no chained traceback of the layers below
    assert e.value.__context__ is None or e.value.__suppress_context__
    assert list(tmp_path.iterdir()) == []


def test_import_optsweep_imports_nothing_heavy():
    code = "import sys, optsweep; print(sorted(m for m in ('numpy', 'optuna', 'mlflow', " \
           "'typer', 'rich') if m in sys.modules))"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert optsweep.__all__ == [
        "OptsweepError", "ParetoTrial", "Report", "SweepResult", "Verdict", "report", "sweep",
        "train",
    ]  # fmt: skip
