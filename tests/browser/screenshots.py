"""The README's pictures, taken from a real sweep's stores in headless Chromium.

    make sweep                                          # in a folder: its stores land there
    .venv/bin/python -m tests.browser.screenshots --store . --out docs/img

Pages are driven with the same helpers as the browser test (tests/browser/mlflow_ui.py), so
what the README shows is what the test checks.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.browser import mlflow_ui as ui


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parent_run(db: Path, study: str) -> tuple[str, str]:
    """(experiment id, parent run id) of `study`, read-only."""
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as c:
        row = c.execute(
            "SELECT r.experiment_id, r.run_uuid FROM runs r JOIN experiments e "
            "ON e.experiment_id = r.experiment_id JOIN tags t ON t.run_uuid = r.run_uuid "
            "WHERE e.name = ? AND t.key = 'optsweep.role' AND t.value = 'study'",
            (study,),
        ).fetchone()
    if row is None:
        sys.exit(f"no study {study!r} in {db}: run `make sweep` there first")
    return str(row[0]), row[1]


def mlflow_pages(page, base: str, exp: str, parent: str, study: str, out: Path) -> None:
    # the trials, best first: filtered on the trial runs' tag, sorted by the objective
    trials = "tags.`optsweep.role` = 'trial'"
    page.goto(ui.runs_url(base, exp, trials, "metrics.`val_cost`"), wait_until="domcontentloaded")
    page.locator(ui.RUN_NAME_CELL).filter(has_text="trial-").first.wait_for()
    page.wait_for_timeout(2000)
    ui.fit_run_names(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=out / "mlflow-runs.png")

    ui.open_chart_view(page, "val_cost")  # the first ten runs of that list: the best trials
    chart = ui.metric_chart(page, "val_cost")
    chart.locator("path.js-line").first.wait_for()
    chart.locator("[data-component-id=fullscreen_button_chartcard]").click()
    page.get_by_role("dialog").locator("path.js-line").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=out / "mlflow-compare.png")
    page.keyboard.press("Escape")

    page.goto(f"{base}/#/experiments/{exp}/runs/{parent}/artifacts?{ui.ML}")
    page.get_by_text("report", exact=True).first.click()
    page.get_by_text(f"{study}.md", exact=True).first.click()
    page.get_by_text("Parameters with a default").first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=out / "defaults-report.png")


def dashboard_page(browser, store: Path, study: str, out: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "optsweep", "dashboard", study, "--port", str(port)],
        cwd=store, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        proc.stdout.readline()
        url = proc.stdout.readline().split()[1]
        page = ui.new_page(browser)
        page.set_default_timeout(90_000)
        page.goto(url)
        page.get_by_text("Hyperparameter Importance").first.wait_for()
        page.wait_for_timeout(3000)
        page.screenshot(path=out / "optuna-dashboard.png")
        page.context.close()
    finally:
        ui.stop(proc)


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=".", help="folder holding mlflow.db and the journal")
    ap.add_argument("--study", default="default")
    ap.add_argument("--out", default="docs/img")
    args = ap.parse_args()
    store, out = Path(args.store).resolve(), Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db = store / "mlflow.db"
    exp, parent = parent_run(db, args.study)
    overlay = store / "mlartifacts" / args.study / parent / "artifacts" / "val_cost_curves.png"
    shutil.copy(overlay, out / "val_cost_curves.png")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "ui.log"
        with ui.ui_server(f"sqlite:///{db}", port, log, cwd=store) as proc:
            ui.wait_healthy(proc, base, log)
            with sync_playwright() as pw:
                browser = ui.launch(pw)
                page = ui.new_page(browser)
                page.set_default_timeout(90_000)  # a one-off: patient on a busy machine
                mlflow_pages(page, base, exp, parent, args.study, out)
                dashboard_page(browser, store, args.study, out)
                browser.close()
    for png in sorted(out.glob("*.png")):
        print(f"{png.relative_to(Path.cwd()) if png.is_relative_to(Path.cwd()) else png}  "
              f"{png.stat().st_size // 1024} KiB")  # fmt: skip


if __name__ == "__main__":
    main()
