"""Claim 6's three parts on hand-made numbers."""

from __future__ import annotations

from findings import batch_size, rules

SIZES = (1, 32, 64, 512, 1024)


def parts(cpu: dict, noise: dict) -> dict:
    return batch_size.batch_size_parts(cpu, noise, SIZES, m=800)


def test_the_textbook_picture_confirms_all_three_parts():
    cpu = {1: [5.0, 5.2, 4.9], 32: [0.5, 0.6, 0.55], 64: [0.3, 0.32, 0.31],
           512: [0.6, 0.62, 0.61], 1024: [1.2, 1.3, 1.25]}  # fmt: skip
    noise = {1: [1.2, 1.1, 1.3], 32: [0.3, 0.31, 0.29], 64: [0.2, 0.21, 0.19],
             512: [0.05, 0.06, 0.05], 1024: [0.001, 0.002, 0.001]}  # fmt: skip
    assert all(parts(cpu, noise).values())


def test_fast_batch_gd_and_quiet_sgd_refute_their_parts():
    cpu = {1: [0.1, 0.11, 0.1], 32: [0.5, 0.6, 0.55], 64: [0.3, 0.32, 0.31],
           512: [0.6, 0.62, 0.61], 1024: [0.2, 0.21, 0.2]}  # fmt: skip
    noise = {1: [0.1, 0.1, 0.1], 32: [0.3, 0.31, 0.29], 64: [0.2, 0.21, 0.19],
             512: [0.05, 0.06, 0.05], 1024: [0.001, 0.002, 0.001]}  # fmt: skip
    p = parts(cpu, noise)
    assert not p["batch GD is slower than the best of 32-512"]
    assert not p["SGD is noisier than every size in 32-512"]
    assert not p["no size is faster than the best of 32-512"]  # SGD is fastest here
    assert rules.combine(p) == rules.REFUTED
