"""`optsweep`: run one trial, check gradients, run and inspect sweeps, report the evidence.

Each command group lives in its own module, its options and its printing together; the work
happens in `core`, `sweeps`, `analysis` and `tracking`, imported inside each command so that
`optsweep --help` starts without numpy, optuna or mlflow. Bad input of any kind ends with one
line on stderr, `error: ...`, and exit code 2.

    train_commands.py    train, gradcheck
    sweep_commands.py    sweep, worker, trials
    server_commands.py   ui, dashboard, server, sync
    report_commands.py   report, findings
    atlas_commands.py    atlas
"""

from __future__ import annotations

import gc
import os
import sys

import typer
from typer.core import TyperGroup

from optsweep import (
    atlas_commands,
    report_commands,
    server_commands,
    sweep_commands,
    train_commands,
)

# Typer may vendor click; find its exception base through a public name rather than an import.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class _OneLineErrors(TyperGroup):
    """Turn usage errors and `UserError`s into one `error:` line and exit 2, no traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from core.errors import UserError  # light: core/errors.py imports nothing
        from tracking.errors import TrackingError  # light too

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            if rv == 130:  # Typer turns Ctrl-C into a silent exit code 130
                typer.echo("interrupted", err=True)
        except _ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # a bare `optsweep`: show the help
                typer.echo(e.ctx.get_help())
                rv = 0
            else:
                message = e.format_message().replace("Value error, ", "")  # Literal choices
                typer.echo(f"error: {message} (see --help)", err=True)
                rv = e.exit_code
        except (UserError, TrackingError) as e:
            typer.echo(f"error: {e}", err=True)
            rv = 2
        except MemoryError as e:  # an allocation no check foresaw (a network too wide, ...)
            why = " ".join(str(e).split()) or "MemoryError"
            typer.echo(f"error: out of memory ({why}); use fewer or smaller --samples, "
                       "--layers, --epochs or a larger --batch-size", err=True)  # fmt: skip
            rv = 2
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("interrupted", err=True)
            rv = 130
        except BaseException as e:
            if type(e).__name__ == "StorageOutage":  # sweeps.outage: the database stayed away
                typer.echo(f"error: {e}", err=True)
                rv = 1
            elif type(e).__name__ == "Interrupted":  # sweeps.signals' SIGTERM
                typer.echo("terminated", err=True)
                rv = 143
            else:
                raise
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    help="Hyperparameter sweeps over a from-scratch NumPy network: Optuna searches, MLflow tracks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)


for command in (
    train_commands.train,
    train_commands.gradcheck,
    sweep_commands.sweep,
    sweep_commands.worker,
    sweep_commands.trials,
    server_commands.ui,
    server_commands.dashboard,
    server_commands.sync,
    report_commands.report,
    report_commands.findings,
    atlas_commands.atlas,
):
    app.command()(command)

# `optsweep server` starts the server; `optsweep server add-user NAME` gives a worker a login
server_app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
server_app.callback(invoke_without_command=True)(server_commands.server)
server_app.command("add-user")(server_commands.add_user)
app.add_typer(server_app, name="server")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as e:
        if e.code in (130, 143):  # interrupted, trials and runs closed: skip the interpreter's
            sys.stdout.flush()  # teardown of MLflow & co (a second or more on a busy machine)
            sys.stderr.flush()
            os._exit(e.code)
        # all written and closed: skip the interpreter's last garbage collection over the
        # objects of MLflow, SQLAlchemy & co, ~1 s at the end of every sweep and worker process
        gc.freeze()
        raise
