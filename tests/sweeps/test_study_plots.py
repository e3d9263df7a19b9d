"""The overlay of every trial's validation curve."""

import math

import pytest
from matplotlib.image import imread

from sweeps.study_plots import overlay_val_curves, wants_log_y


def test_overlay_writes_a_png_with_every_curve(tmp_path):
    curves = {n: [2.0 * math.exp(-a * e) + 0.01 for e in range(1, 301)]
              for n, a in enumerate([0.001, 0.01, 0.05, 0.2])}  # fmt: skip
    curves[4] = [1.0, float("nan"), None, 0.5]  # gaps are fine
    curves[5] = []  # a trial that never finished an epoch
    alphas = {0: 1e-4, 1: 1e-3, 2: 1e-2, 3: 1e-1, 4: None}  # trial 4 and 5 have no alpha
    path = overlay_val_curves(curves, alphas, tmp_path / "plots" / "val.png", title="moons")
    assert path == tmp_path / "plots" / "val.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 500
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas


@pytest.mark.parametrize(
    "curves",
    [{}, {0: [0.5, 0.4]}],
)
def test_overlay_handles_no_curves_and_a_single_alpha(tmp_path, curves):
    path = overlay_val_curves(curves, {0: 3e-3}, tmp_path / "one.png")
    assert path.stat().st_size > 1000


def test_log_y_only_when_positive_and_spanning_orders_of_magnitude():
    assert wants_log_y([[2.0, 0.05], [1.0]])  # 40x
    assert not wants_log_y([[0.7, 0.5]])
    assert not wants_log_y([[1.0, -0.5, 0.001]])
    assert not wants_log_y([[float("nan"), None]])
