"""Shared pytest setup for the whole suite."""


def pytest_configure(config):
    # Test files mirror module names (tests/core/test_data.py, tests/tracking/test_data.py), and
    # the test folders have no __init__.py. pytest's default "prepend" import mode imports both as
    # the module `test_data` and stops with "import file mismatch"; importlib mode gives each file
    # its own module. Equivalent to `--import-mode=importlib` in pyproject's addopts.
    config.option.importmode = "importlib"
