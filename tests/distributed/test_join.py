"""A worker joins a study by its name, from another folder and without the sweep file: the
study keeps the file it was created from. An unknown name is one line, and nothing is made."""

from __future__ import annotations

import json

from optuna.trial import TrialState

from tests.distributed.conftest import open_study, write_sweep


def test_a_worker_joins_by_name_from_another_folder_with_no_sweep_file(tmp_path, procs):
    home, away = tmp_path / "home", tmp_path / "away"
    home.mkdir()
    away.mkdir()
    sweep_file = write_sweep(home, "joinme", trials=2, epochs=8)
    first = procs.optsweep("sweep", sweep_file, "--no-track", "--report-seeds", 0, cwd=home)
    assert first.wait(120) == 0, procs.output(first)
    journal = home / "optsweep.journal"
    sweep_file.unlink()  # gone: the study's own copy is all the joiner has

    joiner = procs.optsweep("worker", "--study", "joinme", "--storage", journal, "--trials", 4,
                            "--no-track", cwd=away)  # fmt: skip
    assert joiner.wait(120) == 0, procs.output(joiner)
    _, err = procs.output(joiner)
    assert "worker 0 on study joinme (4 trials)" in err
    assert "worker 0 done: it ran 2 trial(s) (2 complete) of study joinme" in err
    study = open_study(str(journal), "joinme")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert len({json.dumps(t.params, sort_keys=True) for t in study.trials}) == 4
    stored = study.user_attrs["optsweep.sweep"]
    assert stored["doc"]["space"]["alpha"] == {"low": 1e-3, "high": 1e-1}
    assert stored["path"] == str(sweep_file) and stored["version"]
    assert list(away.iterdir()) == []  # nothing written where it ran


def test_an_unknown_study_or_no_study_at_all_is_one_line_and_makes_nothing(tmp_path, procs):
    sweep_file = write_sweep(tmp_path, "known", trials=1, epochs=5)
    first = procs.optsweep("sweep", sweep_file, "--no-track", "--report-seeds", 0)
    assert first.wait(120) == 0, procs.output(first)
    journal = tmp_path / "optsweep.journal"
    size = journal.stat().st_size
    for args, says in (
        (["--study", "nosuch", "--storage", journal], "no study named 'nosuch'"),
        (["--storage", journal], "give a sweep file, or --study NAME"),
        (["--study", "known", "--storage", tmp_path / "none.journal"], "no study storage at"),
    ):
        refused = procs.optsweep("worker", *args, "--no-track")
        assert refused.wait(60) == 2, procs.output(refused)
        err = procs.output(refused)[1].strip()
        assert err.startswith("error: ") and "\n" not in err and says in err, err
    assert journal.stat().st_size == size and not (tmp_path / "none.journal").exists()
