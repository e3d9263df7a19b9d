"""The one error tracking raises to its callers: a store that cannot be used.

`TrackingError` does not derive from `core.errors.UserError` on purpose: tracking imports nothing
from core. Its message is one line saying what is wrong and how to fix it, with any password in a
URL masked; the CLI catches it and exits 2.
"""


class TrackingError(Exception):
    """An MLflow tracking URI that is malformed, unreachable or unusable."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line
