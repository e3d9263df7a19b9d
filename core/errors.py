"""Errors a user can fix. Their message is one line saying what is wrong and how to fix it."""


class UserError(ValueError):
    """Bad input from the user (an option, a file, a config). The CLI prints it and exits 2."""


class ConfigError(UserError):
    """A training or sweep setting out of range or unknown."""


class DataError(UserError):
    """A data set that cannot be loaded or used; the message names the file and the problem."""
