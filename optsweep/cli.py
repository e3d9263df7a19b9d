"""`optsweep`: run one trial, check gradients, run and inspect sweeps.

Commands only parse options and print: the work happens in `core`, `sweeps` and `tracking`,
imported inside each command so that `optsweep --help` starts without numpy, optuna or mlflow.
Bad input of any kind ends with one line on stderr, `error: ...`, and exit code 2.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from optsweep import options as opt

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
                typer.echo(f"error: {e.format_message()} (see --help)", err=True)
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
            if type(e).__name__ != "Interrupted":  # sweeps.objective's SIGTERM
                raise
            typer.echo("terminated", err=True)
            rv = 143
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


@app.command()
def train(
    data: opt.Data = "moons",
    samples: opt.Samples = None,
    noise: opt.Noise = None,
    classes: opt.Classes = None,
    data_seed: opt.DataSeed = 0,
    layers: opt.Layers = "5,2",
    activation: opt.Activation = "relu",
    optimizer: opt.Optimizer = "adam",
    alpha: opt.Alpha = 0.0007,
    beta: opt.Beta = 0.9,
    beta1: opt.Beta1 = 0.9,
    beta2: opt.Beta2 = 0.999,
    epsilon: opt.Epsilon = 1e-8,
    batch_size: opt.BatchSize = 64,
    epochs: opt.Epochs = 1000,
    decay: opt.Decay = "none",
    decay_rate: opt.DecayRate = 0.0,
    time_interval: opt.TimeInterval = 1,
    init: opt.Init = "he",
    l2: opt.L2 = 0.0,
    keep_prob: opt.KeepProb = 1.0,
    no_normalize: opt.NoNormalize = False,
    val_fraction: opt.ValFraction = 0.2,
    seed: opt.Seed = 0,
    dtype: opt.Dtype = "float64",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (config, metrics, curves).")
    ] = False,
) -> None:
    """Train one network and report its costs and accuracies."""
    from optsweep import commands

    spec, config = opt.resolve(locals())
    commands.train(spec, config, json_out)


@app.command()
def gradcheck(
    data: opt.Data = "moons",
    samples: opt.Samples = None,
    noise: opt.Noise = None,
    classes: opt.Classes = None,
    data_seed: opt.DataSeed = 0,
    layers: opt.Layers = "5,2",
    activation: opt.Activation = "relu",
    init: opt.Init = "he",
    l2: opt.L2 = 0.0,
    keep_prob: opt.KeepProb = 1.0,
    no_normalize: opt.NoNormalize = False,
    val_fraction: opt.ValFraction = 0.2,
    seed: opt.Seed = 0,
    examples: Annotated[
        int, typer.Option(min=1, help="Training examples the cost is evaluated on.")
    ] = 64,
    eps: Annotated[float, typer.Option(help="Step of the two-sided difference.")] = 1e-7,
    threshold: Annotated[
        float, typer.Option(help="Exit 1 when the relative difference is above this.")
    ] = 1e-5,
) -> None:
    """Compare backprop's gradient with two-sided numerical differences."""
    from optsweep import commands

    opt.check_step(eps, threshold)
    spec, config = opt.resolve(locals())
    code = commands.gradcheck(spec, config, examples, eps, threshold)
    raise typer.Exit(code)


SweepFile = Annotated[
    str,
    typer.Argument(
        help="A sweep file (TOML), or the name of a shipped one: default, optimizers, "
        "breast_cancer."
    ),
]
Storage = Annotated[
    str | None,
    typer.Option(
        envvar="OPTSWEEP_STORAGE",
        show_envvar=True,
        help="Optuna storage: a journal file path or an RDB URL (sqlite, postgresql); "
        "pass a URL with a password through the environment variable, not the command line.",
    ),
]
TrackingUri = Annotated[
    str | None,
    typer.Option(
        envvar="OPTSWEEP_TRACKING_URI",
        show_envvar=True,
        help="MLflow tracking URI (default: sqlite:///mlflow.db here), e.g. http://host:5000.",
    ),
]
Study = Annotated[str | None, typer.Option(help="Study name (default: the sweep file's).")]


def _complete_study(ctx: typer.Context, incomplete: str) -> list[str]:
    from optsweep.completion import study_names

    return study_names(ctx, incomplete)


StudyName = Annotated[
    str, typer.Argument(help="Study name, e.g. default.", autocompletion=_complete_study)
]
Trials = Annotated[int | None, typer.Option(help="Trial budget (default: the sweep file's).")]
HeartbeatInterval = Annotated[
    int, typer.Option(help="Seconds between heartbeats of a running trial (RDB storage).")
]
GracePeriod = Annotated[
    int | None, typer.Option(help="Seconds without heartbeat before a trial is failed and retried.")
]
MaxRetry = Annotated[int, typer.Option(help="Retries of a trial whose worker died.")]
NoTrack = Annotated[bool, typer.Option("--no-track", help="Run without MLflow tracking.")]
FlushEvery = Annotated[
    int, typer.Option(help="Epochs between writes of a trial's curves (a killed worker loses less)")
]
FlushSeconds = Annotated[float, typer.Option(help="Seconds between writes of a trial's curves.")]


@app.command()
def sweep(
    sweep_file: SweepFile = "default",
    trials: Trials = None,
    workers: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    storage: Storage = None,
    tracking_uri: TrackingUri = None,
    study: Study = None,
    timeout: Annotated[
        float | None, typer.Option(help="Stop starting trials after this many seconds.")
    ] = None,
    heartbeat_interval: HeartbeatInterval = 10,
    grace_period: GracePeriod = None,
    max_retry: MaxRetry = 2,
    no_track: NoTrack = False,
    flush_every: FlushEvery = 100,
    flush_seconds: FlushSeconds = 5.0,
    report_seeds: Annotated[
        int, typer.Option(help="Seeds of the defaults report run at the end (0: no report).")
    ] = 3,
) -> None:
    """Run (or resume) a sweep: Optuna searches, every trial's curves go to MLflow."""
    from optsweep import sweep_commands
    from sweeps import report, runner

    runner.check_options(workers, timeout)
    if report_seeds:
        report.check_options(report_seeds, 0.01, 1, "--report-seeds")
    plan = runner.plan(
        sweep_file, trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry,
        track=not no_track, flush_every=flush_every, flush_seconds=flush_seconds,
    )  # fmt: skip
    if report_seeds:  # the report is written after the trials: its folder is checked before
        out = plan.workdir / report.default_out(plan.spec.name)
        report.check_out(out, fix="run from another folder, or skip it with --report-seeds 0")
    sweep_commands.sweep(plan, workers, timeout, report_seeds)


@app.command()
def worker(
    sweep_file: SweepFile,
    storage: Storage = None,
    tracking_uri: TrackingUri = None,
    study: Study = None,
    trials: Trials = None,
    worker_index: Annotated[int, typer.Option(min=0, help="Offsets the sampler seed.")] = 0,
    deadline: Annotated[
        float | None, typer.Option(help="Unix time after which no trial starts.")
    ] = None,
    heartbeat_interval: HeartbeatInterval = 10,
    grace_period: GracePeriod = None,
    max_retry: MaxRetry = 2,
    no_track: NoTrack = False,
    flush_every: FlushEvery = 100,
    flush_seconds: FlushSeconds = 5.0,
    wait_for_go: Annotated[
        bool, typer.Option(hidden=True, help="Wait for 'go' on stdin (optsweep sweep's own).")
    ] = False,
) -> None:
    """Join a study as one worker (on this or any machine) and run trials until the budget."""
    from sweeps import runner

    if wait_for_go:  # until the go, a stop (the sweep could not start) ends it without a word
        runner.quiet_until_go()
    plan = runner.plan(
        sweep_file, trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry,
        track=not no_track, flush_every=flush_every, flush_seconds=flush_seconds,
    )  # fmt: skip
    if wait_for_go and not runner.wait_for_go(plan):
        return  # the sweep process stopped before the study was ready: nothing was touched
    runner.install_sigterm_handler()
    runner.work(plan, worker_index, deadline)


@app.command()
def trials(
    study: StudyName,
    storage: Storage = None,
) -> None:
    """List a study's trials again, with the summary the sweep printed."""
    from optsweep import sweep_commands
    from sweeps import storage as storage_mod

    sweep_commands.trials(storage_mod.resolve(storage), study)


@app.command()
def ui(
    tracking_uri: TrackingUri = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the UI.")] = 5000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (MLflow's own: 4).")] = 1,
) -> None:
    """Start the MLflow UI on the sweep's tracking store; print each study's page."""
    import os
    import sys

    from tracking import store
    from tracking import ui as ui_mod

    uri = store.resolve(tracking_uri)
    store.check_store(uri)  # MLflow would make its tables in another program's database
    warning = ui_mod.warn_if_public(host)
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    argv = ui_mod.ui_command(uri, host=host, port=port, workers=workers)
    base = f"http://{host}:{port}"
    typer.echo(f"MLflow UI on {base} for {store.mask(uri)} (Ctrl-C stops it)")
    found = ui_mod.studies(uri)
    for name, experiment_id in found:
        typer.echo(f"  study {name}: {ui_mod.experiment_url(base, experiment_id)}")
    if not found:
        typer.echo("  no study yet: run one with make sweep (or optsweep sweep FILE)")
    sys.stdout.flush()
    os.execv(argv[0], argv)


@app.command()
def dashboard(
    study: StudyName,
    storage: Storage = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind; another than 127.0.0.1 is warned about.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the dashboard (0: any free port).")] = 8080,
) -> None:
    """Start optuna-dashboard on the study's storage: Optuna's own view of the trials."""
    from sweeps import dashboard as dashboard_mod
    from sweeps import storage as storage_mod

    warning = dashboard_mod.warn_if_public(host)
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    dash = dashboard_mod.open_dashboard(storage_mod.resolve(storage), study, host, port)
    typer.echo(f"optuna-dashboard for study {study} ({dash.storage_shown})")
    typer.echo(f"open {dash.url} (Ctrl-C stops it)")
    sys.stdout.flush()
    try:
        dash.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
    finally:
        dash.server.server_close()


@app.command()
def server(
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            envvar="MLFLOW_BACKEND_STORE_URI",
            help="SQL store of the runs: sqlite:///path/mlflow.db (default: mlflow.db here) or "
            "postgresql://user:password@host/db (better through the environment variable).",
        ),
    ] = None,
    artifacts_destination: Annotated[
        str | None,
        typer.Option(help="Folder of the served artifacts (default: mlartifacts beside the db)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind; another than 127.0.0.1 is warned about.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the server.")] = 5000,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (MLflow's default: 4).")
    ] = None,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            help="Host names clients may use for the server, comma-separated (MLflow's "
            "default: loopback and private IPs; with --host, this machine's name too)."
        ),
    ] = None,
) -> None:
    """Start an MLflow tracking server that sweep workers on any machine log to over HTTP."""
    from optsweep import distributed_commands

    distributed_commands.server(
        backend_store_uri, artifacts_destination, host, port, workers, allowed_hosts
    )


@app.command()
def sync(
    study: StudyName,
    storage: Storage = None,
    tracking_uri: TrackingUri = None,
) -> None:
    """Rebuild or complete a study's MLflow runs from its Optuna trials (the record of truth)."""
    from optsweep import distributed_commands

    distributed_commands.sync(study, storage, tracking_uri)


@app.command()
def report(
    study: StudyName,
    storage: Storage = None,
    tracking_uri: TrackingUri = None,
    seeds: Annotated[int, typer.Option(help="Seeds each configuration is re-trained on.")] = 5,
    tolerance: Annotated[
        float, typer.Option(help="Relative gap a default may have and still hold up (0.01 = 1%).")
    ] = 0.01,
    workers: Annotated[int, typer.Option(help="Re-training worker processes.")] = 2,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object, nothing else.")
    ] = False,
    out: Annotated[
        str | None, typer.Option(help="Markdown report path (default reports/STUDY.md).")
    ] = None,
    no_track: Annotated[
        bool, typer.Option("--no-track", help="Write the files only; log nothing to MLflow.")
    ] = False,
) -> None:
    """Which defaults hold up: importances, re-trained default-vs-tuned gaps, safe ranges."""
    from optsweep import report_commands
    from sweeps import report as report_mod

    prepared = report_mod.load(
        study, storage=storage, tracking_uri=tracking_uri, track=not no_track, seeds=seeds,
        tolerance=tolerance, workers=workers, out=out,
    )  # fmt: skip
    report_commands.report(prepared, json_out)


@app.command()
def findings(
    store: Annotated[
        str, typer.Option(help="Folder of the claims' studies and MLflow runs (reused).")
    ] = "findings-store",
    out: Annotated[str, typer.Option(help="The page to write; plots go in a folder beside it.")] = (
        "docs/findings.md"
    ),
    seeds: Annotated[int, typer.Option(help="Seeds every comparison is re-trained on.")] = 5,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes: that many sweeps side by side (one worker each), then re-training."
        ),
    ] = 2,
    no_track: Annotated[bool, typer.Option("--no-track", help="Log nothing to MLflow.")] = False,
) -> None:
    """Test the course note's claims: run sweeps/claims/*.toml, re-train, write the page."""
    from pathlib import Path

    from optsweep import report_commands

    report_commands.findings(Path(store), Path(out), seeds, workers, not no_track)


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
