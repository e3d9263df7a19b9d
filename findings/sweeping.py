"""Running the claims' sweeps for `make findings`: each sweep file beside its claim, into a
store folder of its own (an Optuna journal and an MLflow SQLite store, git-ignored); a study
already complete there, from an unchanged sweep file, is reused."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from findings.context import FINDINGS_DIR
from findings.registry import CLAIMS
from sweeps.attrs import FINGERPRINT_ATTR, SECONDS_ATTR


def sweep_all(store: Path, workers: int, track: bool, say: Callable[[str], None]) -> tuple:
    """Run every claim sweep into `store`, or reuse its study when it is complete and its
    sweep file is unchanged; ({sweep file: wall seconds it took}, the reused files, the wall
    seconds of the whole step).

    Each sweep runs on one worker process, `workers` sweeps at a time: one worker makes a seeded
    TPE search the same trials in the same order on every run (with two, the order depends on
    timing, and a borderline verdict could flip between runs of the page).
    """
    from sweeps import sweep
    from sweeps import workers as workers_mod

    store = Path(store).resolve()  # sweep.check resolves relative paths against the workdir
    store.mkdir(parents=True, exist_ok=True)
    files = list(dict.fromkeys(f for c in CLAIMS for f in c.sweeps))
    seconds: dict[str, float] = {}
    reused: set[str] = set()
    queue = []
    start = time.perf_counter()
    for name in files:
        path = FINDINGS_DIR / name
        plan = sweep.check(
            path,
            storage=str(store / "optsweep.journal"),
            tracking_uri=str(store / "mlflow.db") if track else None,
            workdir=store,
            track=track,
        )
        done = _complete(plan, path)
        if done is not None:
            seconds[name] = done
            reused.add(name)
            say(f"sweep {name}: complete in {store} (it took {done:.0f} s), reused")
        else:
            queue.append((name, plan))
    running: dict[str, tuple] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                name, plan = queue.pop(0)
                say(f"sweep {name}: {plan.spec.trials} trials on 1 worker")
                running[name] = (*_launch(plan, store / f"{Path(name).stem}.log"), plan)
            time.sleep(0.2)
            for name, (proc, t0, log, plan) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                seconds[name] = time.perf_counter() - t0
                _finished(plan, name, proc.returncode, log, seconds[name])
                say(f"  {name}: {seconds[name]:.0f} s")
    except BaseException:  # Ctrl-C (which reached the workers too) or a failed sweep
        workers_mod.stop_workers([proc for proc, *_ in running.values()], first_wait=1.0)
        raise
    return seconds, reused, time.perf_counter() - start


def _launch(plan, log: Path):
    """A worker process for the whole sweep (`optsweep worker`, as on another machine)."""
    import subprocess

    from sweeps import workers as workers_mod

    with log.open("wb") as out:  # the child keeps its own handle
        proc = workers_mod.launch_worker(
            plan, 0, None, gated=False, stdout=out, stderr=subprocess.STDOUT
        )
    return proc, time.perf_counter(), log


def _finished(plan, name: str, returncode: int, log: Path, seconds: float) -> None:
    """Check a sweep's worker ended well; stamp its study with the file's hash and its time."""
    import optuna

    from core.errors import ConfigError
    from sweeps import storage as storage_mod

    if returncode != 0:
        lines = log.read_text(errors="replace").strip().splitlines() or ["(no output)"]
        raise ConfigError(f"sweep {name} failed (exit {returncode}): {lines[-1]}; see {log}")
    storage = storage_mod.open_storage(plan.storage)
    study = optuna.load_study(study_name=plan.spec.name, storage=storage)
    study.set_user_attr(FINGERPRINT_ATTR, _fingerprint(plan.spec.path))
    study.set_user_attr(SECONDS_ATTR, seconds)


def _fingerprint(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(plan, path: Path) -> float | None:
    """The seconds the sweep took when its study is in the store with its whole budget, else
    None; a ConfigError when its sweep file has changed since (its numbers would not be this
    file's)."""
    import optuna

    from core.errors import ConfigError
    from sweeps import storage as storage_mod
    from sweeps.study import progress

    if not Path(plan.storage.url).exists():
        return None
    storage = storage_mod.open_storage(plan.storage)
    if plan.spec.name not in optuna.get_all_study_names(storage):
        return None
    study = optuna.load_study(study_name=plan.spec.name, storage=storage)
    known = study.user_attrs.get(FINGERPRINT_ATTR)
    if known is not None and known != _fingerprint(path):
        raise ConfigError(
            f"{path.name} changed since study {plan.spec.name!r} in {plan.storage.shown} ran; "
            "delete the store folder (or pass another --store) to run the claims again"
        )
    if known is None or progress(study, plan.spec.trials).done < plan.spec.trials:
        return None
    return float(study.user_attrs.get(SECONDS_ATTR, math.nan))
