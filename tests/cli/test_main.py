"""The console script's exit: the command's exit code, without the interpreter's last sweep."""

from __future__ import annotations

import gc

import pytest

from optsweep import cli


def test_main_exits_with_the_command_s_code_and_skips_the_final_collection(monkeypatch):
    def command():
        raise SystemExit(2)

    monkeypatch.setattr(cli, "app", command)
    before = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        assert exit_.value.code == 2
        assert gc.get_freeze_count() > before  # every object so far is out of gc's reach
    finally:
        gc.unfreeze()
