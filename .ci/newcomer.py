#!/usr/bin/env python3
"""The newcomer check: run the README's commands, copied literally, in this fresh clone.

    python3 .ci/newcomer.py [README.md]        # from the clone's root; stdlib only

Every ```bash block of the README is run, line by line, in order, each line as `bash -c LINE`
from the clone's root, exactly as written (comments after `#` are bash's own). A ```toml block
announced by `<!-- file: NAME -->` on the line before is written to NAME first, as a reader
copies it into an editor. Any command that exits non-zero fails the check.

Two kinds of lines are treated differently, and say so in the output:
- servers (`make ui`, `make dashboard`) run until Ctrl-C: each is started, must answer on its
  address within SERVER_WAIT seconds, and is then stopped, as a reader closes it after a look;
- `make test` is not run here: .ci/run runs it right after this check, in the same clone, and
  running it from here as well would run the whole suite twice.

Stdlib only: it runs before `make` has built .venv, which is the point (the first README
command builds it).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SERVER_WAIT = 120  # seconds for a server to answer (MLflow's UI takes ~5-10 s, more when busy)
COMMAND_TIMEOUT = 900  # seconds for any other command (`make sweep` with the install: ~5 min)
# a server command -> the URL that answers once it is up (the Makefile's default ports)
SERVERS = {
    "make ui": "http://127.0.0.1:5000/health",
    "make dashboard": "http://127.0.0.1:8080/api/studies",
}
DEFERRED = {"make test": ".ci/run runs it right after this check, in this same clone"}
FILE_MARK = re.compile(r"<!--\s*file:\s*(\S+)")
FENCE = re.compile(r"^```(\w*)\s*$")


def blocks(readme: str) -> list[tuple[str, str, str | None]]:
    """(language, body, file name or None) of every fenced block, in order."""
    out = []
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang = m.group(1)
        mark = None
        for back in range(i - 1, max(i - 3, -1), -1):  # the mark may stand a blank line above
            found = FILE_MARK.search(lines[back])
            if found:
                mark = found.group(1)
                break
            if lines[back].strip():
                break
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append((lang, "\n".join(body) + "\n", mark))
        i += 1
    return out


def steps(readme: str) -> list[tuple[str, str, str]]:
    """(kind, text, body) in order: ("file", name, content), or ("run" / "server" /
    "deferred", the line as written, "")."""
    out = []
    for lang, body, name in blocks(readme):
        if name:
            out.append(("file", name, body))
        elif lang == "bash":
            for line in body.splitlines():
                command = line.split(" #", 1)[0].strip()
                if not command or command.startswith("#"):
                    continue
                kind = (
                    "server" if command in SERVERS else "deferred" if command in DEFERRED else "run"
                )
                out.append((kind, line.strip(), ""))
    return out


def run(line: str) -> None:
    print(f"\n$ {line}", flush=True)
    start = time.monotonic()
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {line}"], timeout=COMMAND_TIMEOUT)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"newcomer check: `{line}` exited with {proc.returncode} after {took:.0f} s")
    print(f"[newcomer] ok in {took:.0f} s", flush=True)


def serve(line: str) -> None:
    command = line.split(" #", 1)[0].strip()
    url = SERVERS[command]
    print(f"\n$ {line}    [a server: started, must answer {url}, then stopped]", flush=True)
    start = time.monotonic()
    # Ctrl-C must stop it as in a terminal: a background job of a non-interactive shell (as
    # CI may run this) starts with SIGINT ignored, and the server would inherit that
    proc = subprocess.Popen(
        ["bash", "-c", line],
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(
                    f"newcomer check: `{line}` exited with {proc.returncode} instead of serving"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - start > SERVER_WAIT:
                sys.exit(f"newcomer check: `{line}` did not answer {url} in {SERVER_WAIT} s")
            time.sleep(0.5)
        print(f"[newcomer] {url} answered after {time.monotonic() - start:.0f} s", flush=True)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as the reader stops it
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def main() -> None:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    plan = steps(readme.read_text())
    if not any(kind == "run" for kind, _, _ in plan):
        sys.exit(f"newcomer check: no ```bash commands found in {readme}")
    start = time.monotonic()
    for kind, what, body in plan:
        if kind == "file":
            print(f"\n[newcomer] writing {what} from the README", flush=True)
            Path(what).write_text(body)
        elif kind == "run":
            run(what)
        elif kind == "server":
            serve(what)
        else:
            print(f"\n[newcomer] not here: `{what}`: {DEFERRED[what.split(' #')[0].strip()]}")
    print(f"\nnewcomer check: every README command ran, in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
