"""The textbook defaults, in one place, so the trainer, the sweeps and the defaults report agree.

The course (and CS231n's optim.py) says these "should work well" untuned; alpha has no default
that works everywhere and must be tuned. These are the values our sweeps put to the test.
"""

BETA = 0.9  # Momentum / RMSprop: averages over about 1/(1-beta) = 10 steps
BETA1 = 0.9  # Adam's first moment
BETA2 = 0.999  # Adam's second moment
EPSILON = 1e-8  # keeps the division in RMSprop/Adam finite
BATCH_SIZE = 64  # a power of two between 32 and 512
DECAY_RATE = 0.0  # no learning-rate decay

# The course's assignment setting for alpha; a starting point, not a default that "holds up".
COURSE_ALPHA = 0.0007

TEXTBOOK_DEFAULTS: dict[str, float | int] = {
    "beta": BETA,
    "beta1": BETA1,
    "beta2": BETA2,
    "epsilon": EPSILON,
    "batch_size": BATCH_SIZE,
    "decay_rate": DECAY_RATE,
}
