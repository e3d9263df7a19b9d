"""The `optsweep` command line: thin Typer commands over core, sweeps and tracking."""

__version__ = "0.1.0"
