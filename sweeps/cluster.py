"""A sweep's workers as tasks on a Dask cluster: `--cluster local` starts a LocalCluster on
this machine, `--cluster tcp://host:8786` (or `tls://`) uses a running scheduler, whatever
started it (dask-jobqueue on SLURM or PBS, dask-kubernetes, a cloud service).

    with cluster.connect("local", workers=2) as client:      # or "tcp://scheduler:8786"
        cluster.run(client, plan, workers=2, deadline=None, on_look=...)

Each task is one worker loop (`sweeps.workers.work_task`): it claims populations of trials from the
study storage under the budget lock, trains them, and logs to the tracking store, exactly as a
local worker process does, so the budget stays exact and a worker lost mid-trial is noticed
(heartbeat, or its dead pid with a journal) and its trial run again by the others. The task gets
its order (the checked options, the sweep document) as an argument: the cluster needs the same
stores the sweep checked, reachable from every node. One thread per Dask worker: a trial's
kernel keeps its core busy, and two trials on one core only take turns.

`tls://` addresses use Dask's own security configuration (`distributed.comm.tls.*` in
~/.config/dask/*.yaml or DASK_DISTRIBUTED__COMM__TLS__* variables).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from core.errors import ConfigError
from sweeps.options import SealedOrder, WorkerOrder
from tracking.store import mask

if TYPE_CHECKING:
    from distributed import Client

    from sweeps.sweep import Sweep

LOCAL = "local"
SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://")
CONNECT_SECONDS = 20  # to reach a running scheduler
LOOK_SECONDS = 0.25  # between looks at the study while the tasks run
STOP_GRACE = 30.0  # seconds a remote cluster's tasks get to finish their trials after a stop
LOCAL_STOP_GRACE = 2.0  # a local cluster's processes are stopped, their trials closed by us


def check_address(address: str) -> str:
    """`local` or a scheduler address; ConfigError (one line) for anything else."""
    address = address.strip()
    if address == LOCAL or address.startswith(SCHEMES):
        return address
    raise ConfigError(
        f"--cluster {address!r}: give local (a Dask cluster on this machine) or a scheduler "
        "address such as tcp://host:8786 or tls://host:8786"
    )


def check_stores(address: str, plan: Sweep) -> None:
    """A remote cluster's workers must reach the sweep's stores: a journal file or a SQLite
    file only works on this machine (or a shared folder), so with a remote scheduler they are
    refused in one line, before anything starts."""
    if address == LOCAL:
        return
    local_only = []
    if plan.storage.is_journal or plan.storage.url.startswith("sqlite:"):
        local_only.append(f"study storage {plan.storage.shown}")
    if plan.tracking_uri is not None and plan.tracking_uri.startswith(("sqlite:", "file:")):
        local_only.append(f"tracking store {mask(plan.tracking_uri)}")
    if local_only:
        raise ConfigError(
            f"--cluster {address} runs workers on other machines, which cannot reach the "
            f"{' or the '.join(local_only)} of this one; pass --storage postgresql://... (or "
            "mysql://...) and --tracking-uri http://... (optsweep server), or use --cluster local"
        )


def _dask():
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "--cluster needs Dask's distributed scheduler: pip install 'optsweep[cluster]'"
        ) from None
    return distributed


@contextlib.contextmanager
def connect(address: str, workers: int) -> Iterator[Client]:
    """A client of the cluster at `address`; `local` starts (and then stops) a LocalCluster of
    `workers` single-threaded worker processes."""
    distributed = _dask()
    address = check_address(address)
    if address == LOCAL:
        with _deaf_children(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "port 8787 is in use": it takes another
            local = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=50,
            )  # fmt: skip
        with local, distributed.Client(local) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as e:
        raise ConfigError(
            f"--cluster {address}: no Dask scheduler answered within {CONNECT_SECONDS} s "
            f"({' '.join(str(e).split())[:200]}); start one (dask scheduler) or fix the address"
        ) from None
    with client:
        yield client


@contextlib.contextmanager
def _deaf_children() -> Iterator[None]:
    """The LocalCluster's processes start with Ctrl-C ignored (Python keeps an ignored SIGINT
    ignored): a terminal's Ctrl-C reaches the whole process group, and this sweep, not each of
    them, is to stop them (they printed a KeyboardInterrupt traceback each)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    client: Client,
    plan: Sweep,
    workers: int,
    deadline: float | None,
    task: Callable[[str, str], list[tuple[int, str]]],
    on_look: Callable[[], None] | None = None,
) -> list[tuple[int, str]]:
    """Run `workers` worker loops as Dask tasks, each `task(order_json, stop_event_name)`
    (sweeps.workers.work_task), until the budget is spent; call `on_look` between looks.
    Ctrl-C (KeyboardInterrupt) stops them: each closes its trials and returns. Returns what
    they ran; ConfigError (one line) when a task failed."""
    distributed = _dask()
    stop = distributed.Event(f"optsweep-stop-{uuid.uuid4().hex}", client=client)
    options = plan.options.replace(warm_start=None, warm_start_storage=None)  # done: the study
    orders = [  # exists, with any warm start's trials, before the tasks start
        SealedOrder(WorkerOrder(str(plan.spec.path), str(plan.workdir), options, i, deadline,
                                plan.spec.doc).to_json())
        for i in range(workers)
    ]  # fmt: skip
    futures = [  # no retries: Dask reschedules a lost worker's task by itself; a task that
        client.submit(task, order, stop.name, pure=False,  # failed would fail again
                      key=f"optsweep-{plan.spec.name}-{i}-{uuid.uuid4().hex[:8]}")
        for i, order in enumerate(orders)
    ]  # fmt: skip
    try:
        while not all(f.done() for f in futures):
            if any(f.status == "error" for f in futures):
                break  # the others are told to stop below
            if on_look is not None:
                on_look()
            time.sleep(LOOK_SECONDS)
        failed = [f for f in futures if f.status == "error"]
        if failed:
            _stop(distributed, client, stop, futures)
            _raise(failed[0].exception())
    except BaseException:
        local = getattr(client.cluster, "processes", None) is not None  # a LocalCluster
        _stop(distributed, client, stop, futures, LOCAL_STOP_GRACE if local else STOP_GRACE)
        raise
    return [pair for f in futures for pair in f.result()]


def worker_pids(client: Client) -> set[int]:
    """The process ids of the cluster's workers (for a LocalCluster: processes of this host)."""
    import os

    with contextlib.suppress(Exception):
        return set(client.run(os.getpid, wait=True).values())
    return set()


def _stop(distributed, client: Client, stop, futures, grace: float = STOP_GRACE) -> None:
    """Tell the tasks to stop (they return at their next claim), give them `grace` seconds,
    then cancel what is left."""
    with contextlib.suppress(Exception):
        stop.set()
        distributed.wait(futures, timeout=grace)
    with contextlib.suppress(Exception):
        client.cancel(futures)


def _raise(error: BaseException) -> None:
    from sweeps.outage import OutageError, StorageOutage

    text = " ".join(str(error).split())
    if isinstance(error, OutageError):
        raise StorageOutage(text)
    if isinstance(error, ConfigError):
        raise ConfigError(text)
    raise ConfigError(f"a Dask worker task failed ({type(error).__name__}: {text[:300]})")
