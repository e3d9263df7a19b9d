"""Learning-rate decay: start large, then shrink alpha so the steps settle near the minimum.

`epoch` is the number of epochs already completed (0 for the first epoch), so the first epoch
always trains at alpha0 (the note's correction of the lecture slide). In every schedule
decay_rate >= 0 and decay_rate = 0 means no decay, so one `decay_rate` axis can be swept with
its default (0) among the values compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.choices import SCHEDULES
from core.errors import ConfigError


@dataclass(frozen=True)
class Schedule:
    """alpha(epoch) for one of SCHEDULES."""

    kind: str = "none"
    alpha0: float = 0.01
    decay_rate: float = 0.0
    time_interval: int = 1

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise ConfigError(f"unknown decay {self.kind!r}; choose one of {', '.join(SCHEDULES)}")
        if not (self.alpha0 > 0 and math.isfinite(self.alpha0)):
            raise ConfigError(f"learning rate alpha must be > 0, got {self.alpha0}")
        if not (self.decay_rate >= 0 and math.isfinite(self.decay_rate)):
            raise ConfigError(f"decay rate must be >= 0 (0 = no decay), got {self.decay_rate}")
        if self.kind == "none" and self.decay_rate > 0:
            raise ConfigError(
                "decay rate > 0 needs a schedule; pass --decay inverse-time (or another schedule)"
            )
        if int(self.time_interval) != self.time_interval or self.time_interval < 1:
            raise ConfigError(f"time interval must be an integer >= 1, got {self.time_interval}")
        if self.time_interval != 1 and self.kind != "staircase":
            raise ConfigError(
                f"time interval applies to the staircase schedule only (decay is {self.kind!r}); "
                "pass --decay staircase, or drop --time-interval"
            )

    def __call__(self, epoch: int) -> float:
        return learning_rate(self.kind, self.alpha0, self.decay_rate, epoch, self.time_interval)


def learning_rate(
    kind: str, alpha0: float, decay_rate: float, epoch: int, time_interval: int = 1
) -> float:
    """The learning rate for the epoch after `epoch` completed ones."""
    if kind == "none":
        return alpha0
    if kind == "inverse-time":
        return alpha0 / (1 + decay_rate * epoch)  # alpha = alpha0 / (1 + decay_rate * epoch_num)
    if kind == "staircase":
        return alpha0 / (1 + decay_rate * (epoch // time_interval))
    if kind == "exponential":
        return alpha0 * math.exp(-decay_rate * epoch)  # 0.95^epoch is decay_rate = -ln 0.95
    if kind == "sqrt":
        return alpha0 / math.sqrt(1 + decay_rate * epoch)
    raise ConfigError(f"unknown decay {kind!r}; choose one of {', '.join(SCHEDULES)}")
