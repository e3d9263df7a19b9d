"""Params, tags and curves made fit for MLflow: limits and thinning laws."""

import itertools
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tracking import thinning, values


def test_params_flatten_stringify_mask_and_truncate():
    p = values.params(
        {
            "alpha": 3.2e-3,
            "layers": [5, 2],
            "normalize": True,
            "storage": "postgresql://u:secret@h/db",
            "space": {"alpha": {"low": 1e-4, "log": True}},
            "notes": "x" * 7000,
            "bad key?": 1,
        }
    )
    assert p["alpha"] == "0.0032" and p["layers"] == "[5,2]" and p["normalize"] == "True"
    assert p["storage"] == "postgresql://u:***@h/db"
    assert p["space.alpha.low"] == "0.0001" and p["space.alpha.log"] == "True"
    assert len(p["notes"]) == values.MAX_PARAM_VALUE and p["notes"].endswith("...")
    assert p["bad key_"] == "1"


def test_numpy_scalars_read_like_python_numbers():
    p = values.params({"alpha": np.float64(0.1), "batch": np.int64(64), "arr": np.float32(0.5)})
    assert p == {"alpha": "0.1", "batch": "64", "arr": "0.5"}


def test_keys_are_what_mlflow_accepts():
    assert values.key("a/../b") == "a/_/b"
    assert values.key("/lead//slash/") == "lead/slash"
    assert values.key("ok.key-1 :x") == "ok.key-1 :x"
    assert values.key("é?") == "é_"  # \w is unicode-aware, like MLflow's check
    assert len(values.key("k" * 400)) == values.MAX_KEY


@given(
    n_metrics=st.integers(0, 3500),
    n_params=st.integers(0, 250),
    n_tags=st.integers(0, 250),
)
def test_batches_respect_every_log_batch_limit_and_lose_nothing(n_metrics, n_params, n_tags):
    metrics = [("m", float(i), 0, i) for i in range(n_metrics)]
    params = {f"p{i}": "v" for i in range(n_params)}
    tags = {f"t{i}": "v" for i in range(n_tags)}
    sent_m, sent_p, sent_t = [], {}, {}
    calls = 0
    for m, p, t in values.batches(metrics, params, tags):
        calls += 1
        assert len(m) <= 1000 and len(p) <= 100 and len(t) <= 100
        assert len(m) + len(p) + len(t) <= 1000
        sent_m += m
        sent_p.update(p)
        sent_t.update(t)
    assert sent_m == metrics and sent_p == params and sent_t == tags
    needed = max(math.ceil(n_params / 100), math.ceil(n_tags / 100), 0)
    assert calls <= max(needed, math.ceil((n_metrics + n_params + n_tags) / 1000)) + 1


@given(st.integers(0, 20_000), st.integers(1, 2000))
def test_thin_keeps_at_most_limit_evenly_spaced_points_ending_with_the_last(n, limit):
    kept = thinning.thin(n, limit)
    assert len(kept) <= limit
    if n == 0:
        assert kept == []
        return
    assert kept[-1] == n and kept == sorted(set(kept)) and kept[0] >= 1
    every = thinning.stride(n, limit)
    assert all(b - a == every for a, b in itertools.pairwise(kept[:-1]))
    if n <= limit:
        assert kept == list(range(1, n + 1))


def test_epoch_thinning_agrees_with_thin():
    total = 2345
    every = thinning.stride(total)
    kept = [e for e in range(1, total + 1) if thinning.keeps(e, every)]
    assert [*kept, total] == thinning.thin(total) and len(kept) + 1 <= 1000
