"""The names a user chooses among, in one NumPy-free place: the CLI lists them in its help (and
must start without importing NumPy), the modules that implement them check against them."""

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")  # core/optimizers.py
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")  # core/activations.py
INITS = ("zeros", "random", "xavier", "he")  # core/init.py
SCHEDULES = ("none", "inverse-time", "staircase", "exponential", "sqrt")  # core/schedules.py
DTYPES = ("float64", "float32")  # core/network.py
