"""The defaults report's inputs: which trials it may choose tuned from."""

from __future__ import annotations

from analysis.report_inputs import top_trials


def _study_with_a_warm_trial(directions):
    import optuna
    from optuna.distributions import FloatDistribution

    from sweeps.attrs import WARM_ATTR

    study = optuna.create_study(directions=directions)
    dist = {"alpha": FloatDistribution(1e-4, 1.0, log=True)}
    best_first = [0.05, 0.2] if len(directions) == 1 else [[0.05, 3.0], [0.2, 9.0]]
    for values, warm in zip([*best_first, best_first[0]], [True, False, False], strict=True):
        v = {"value": values} if len(directions) == 1 else {"values": values}
        attrs = {WARM_ATTR: {"study": "earlier", "trial": 0}} if warm else {}
        study.add_trial(optuna.trial.create_trial(params={"alpha": 0.01}, distributions=dist,
                                                  user_attrs=attrs, **v))  # fmt: skip
    return study


def test_the_report_chooses_among_the_study_s_own_trials_not_a_warm_start_s_copies():
    for directions in (["minimize"], ["minimize", "minimize"]):
        study = _study_with_a_warm_trial(directions)  # trials 0 (warm, best), 1, 2 (own)
        assert [t.number for t in top_trials(study, 5)][:1] == [2]
        if len(directions) == 1:
            assert [t.number for t in top_trials(study, 5)] == [2, 1]
