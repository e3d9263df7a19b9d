"""Driving MLflow 3's UI as a user does: the pages, the clicks, and what to look for on them.

Shared by the browser test (tests/browser/test_mlflow_ui.py) and the README screenshots
(python -m tests.browser.screenshots). Everything MLflow-version-specific lives here: selectors
were read off MLflow 3.17's UI.

MLflow 3 opens in its "GenAI" view; `?workflowType=machine_learning` selects "Model training",
the one with runs, charts and artifacts (tracking.ui.experiment_url adds it). Its "Assistant"
side panel opens by itself on a first visit: `BROWSER_INIT` marks it as already shown, so it
does not cover the page.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tracking.ui import MODEL_TRAINING

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as root in a container, and no calls to outside hosts (the network is closed)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 860}
# Each page as on a first visit (the UI keeps expanded rows, views and modes in localStorage),
# but for the assistant's panel, marked as already shown.
BROWSER_INIT = """
if (!sessionStorage.getItem('optsweep.fresh')) {
    localStorage.clear();
    sessionStorage.setItem('optsweep.fresh', '1');
}
localStorage.setItem('mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', 'true');
"""
RUN_NAME_CELL = '[role=gridcell][col-id="attributes.`Run Name`"]'
RUN_NAME_HEADER = '.ag-header-cell[col-id="attributes.`Run Name`"]'
ML = MODEL_TRAINING  # "workflowType=machine_learning"
TIMEOUT_MS = 45_000  # any one wait on a page (a busy 2-core machine needs it)
FIRST_LOAD_MS = 120_000  # the first page of a browser context compiles MLflow's scripts


def launch(playwright):
    """Debian's headless Chromium through Playwright (its own browser download does not work
    here); raises with a message naming the fix when it cannot start."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: apt-get install -y chromium (.ci/run does it in CI)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=30_000)


def new_context(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.add_init_script(BROWSER_INIT)
    return context


def new_page(browser):
    page = new_context(browser).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


# --- the MLflow UI server ----------------------------------------------------------------------


@contextlib.contextmanager
def ui_server(tracking_uri: str, port: int, log: Path, cwd: Path | None = None):
    """`optsweep ui` on `tracking_uri` at 127.0.0.1:`port`, its output in `log`; yields the
    process at once (`wait_healthy` waits for it), so it can start while a sweep runs.

    The process is stopped (its whole process group: MLflow's uvicorn has workers) on exit.
    """
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    argv = [sys.executable, "-m", "optsweep", "ui", "--tracking-uri", tracking_uri,
            "--port", str(port)]  # fmt: skip
    with open(log, "w") as out:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=default_sigint,
        )  # fmt: skip
    try:
        yield proc
    finally:
        stop(proc)


def default_sigint() -> None:
    """Ctrl-C as in a terminal: a background job of a non-interactive shell (CI runners) starts
    with SIGINT ignored, and its children would inherit that."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_healthy(proc: subprocess.Popen, base: str, log: Path, timeout: float = 120.0) -> float:
    """Seconds until GET /health answered; raises with the server's log when it did not."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the MLflow UI exited with {proc.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the MLflow UI did not answer /health in {timeout:.0f} s:\n{tail(log)}")


def stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- pages ---------------------------------------------------------------------------------------


def runs_url(base: str, experiment_id: str, search: str = "", order_by: str = "") -> str:
    """The run list; `search` is MLflow's filter (e.g. tags.`optsweep.role` = 'trial'),
    `order_by` a column to sort on, ascending (e.g. metrics.`val_cost`)."""
    query = {"searchFilter": search} if search else {}
    if order_by:
        query.update(orderByKey=order_by, orderByAsc="true")
    extra = f"&{urllib.parse.urlencode(query)}" if query else ""
    return f"{base}/#/experiments/{experiment_id}/runs?{ML}{extra}"


def open_runs(page, base: str, experiment_id: str, parent_name: str, search: str = "") -> None:
    """The experiment's run list with the parent run's children expanded under it (those that
    match `search`, when given: MLflow still nests them under their parent)."""
    page.goto(runs_url(base, experiment_id, search), wait_until="domcontentloaded")
    parent = page.locator(RUN_NAME_CELL).filter(has_text=parent_name).first
    parent.wait_for(timeout=FIRST_LOAD_MS)
    before = page.locator(RUN_NAME_CELL).count()
    parent.locator("button").first.click()  # the [+] before a parent run's name
    page.wait_for_function(
        f"document.querySelectorAll({RUN_NAME_CELL!r}).length > {before}", timeout=TIMEOUT_MS
    )


def listed_run_names(page) -> list[str]:
    """The names in the run list, as shown (each cell also holds its colour swatch's label)."""
    names = []
    for text in page.locator(RUN_NAME_CELL).all_inner_texts():
        lines = [s for s in text.splitlines() if s.strip() and not s.startswith("#")]
        names.append(lines[-1].strip() if lines else "")
    return names


def fit_run_names(page) -> None:
    """Double-click the Run Name column's edge: the grid fits it to the names (as a user would)."""
    page.locator(RUN_NAME_HEADER).first.hover()
    page.locator(f"{RUN_NAME_HEADER} .ag-header-cell-resize").first.dblclick(force=True)


def open_chart_view(page, search: str) -> None:
    """The run list's chart view ("compare runs"), its charts filtered by `search`."""
    page.locator("label:has(input[value=CHART])").click()
    box = page.get_by_placeholder("Search metric charts")
    box.fill(search)


def open_run_by_name(page, name: str) -> None:
    """Click a run's name in the run list (table or chart view): its page opens on Overview."""
    grid = page.locator("[role=grid]")  # not the breadcrumb's link of the same name
    grid.get_by_role("link", name=name, exact=True).first.click()
    page.get_by_role("tab", name="Overview").first.wait_for()


def open_tab(page, name: str) -> None:
    """A run page's tab: Overview, Model metrics, System metrics, Traces, Artifacts."""
    page.get_by_role("tab", name=name).first.click()


def metric_chart(page, metric: str):
    """The card of one metric's chart on a run page's "Model metrics" tab or the run list's
    chart view, found through the chart search (cards below the fold are drawn lazily)."""
    page.get_by_placeholder("Search metric charts").fill(metric)
    title = page.get_by_text(metric, exact=True)
    return page.locator("[data-testid=experiment-view-compare-runs-card]").filter(has=title).first


def plotted_points(chart) -> list[int]:
    """Markers per line that Plotly drew in `chart` (one entry per run shown; empty while
    nothing is drawn)."""
    return chart.evaluate(
        """c => [...c.querySelectorAll('.scatterlayer .trace')]
                 .filter(t => t.querySelector('path.js-line'))
                 .map(t => t.querySelectorAll('path.point').length)
                 .filter(n => n > 0)"""
    )
