"""Claim 6's count against hand arithmetic: nbytes of each rule's arrays after one step."""

from __future__ import annotations

import numpy as np

from core import optimizers
from findings import adam_memory as M


def test_held_bytes_by_hand():
    params, grads = (
        {"W": np.zeros((3, 4)), "b": np.zeros((3, 1))},
        {"W": np.ones((3, 4)), "b": np.ones((3, 1))},
    )
    for name, expected in (
        ("gd", {}),
        ("momentum", {"v": 15 * 8}),
        ("rmsprop", {"s": 15 * 8}),
        ("adam", {"m": 15 * 8, "v": 15 * 8, "_scratch": 15 * 8}),
    ):
        opt = optimizers.make(name, lr=0.1)
        opt.step(params, grads)
        assert M.held_bytes(opt) == expected, name
    assert M.counters(opt) == 2  # Adam's t: one per parameter array


def test_measure_counts_the_trainers_flat_vector():
    r = M.measure([1])
    rows = {(x["network"], x["dtype"], x["optimizer"]): x for x in r.evidence["rows"]}
    # 64-64-32-10: 64*64 + 64 + 32*64 + 32 + 10*32 + 10 = 6570 parameters
    adam = rows[("64-64-32-10", "float64", "adam")]
    assert adam["parameters"] == 6570
    assert adam["state_bytes"] == 2 * 6570 * 8 and adam["buffer_bytes"] == 6570 * 8
    assert rows[("2-5-2-1", "float32", "momentum")]["state_bytes"] == 30 * 4
    assert rows[("2-5-2-1", "float64", "gd")]["state_bytes"] == 0
    assert r.verdict == "confirmed"


def test_parts_fail_when_adam_holds_no_more_than_momentum():
    rows = M.measure([1]).evidence["rows"]
    for x in rows:
        if x["optimizer"] == "adam":
            x["state_bytes"] = 0
    assert M.parts_of(rows)["higher than gradient descent and Momentum"] is False
