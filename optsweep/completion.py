"""Tab completion of study names: `optsweep dashboard <TAB>` lists the studies in the storage.

Runs at every TAB press, so it never raises, never creates a storage, and gives up quietly
(no suggestions) on anything it cannot read.
"""

from __future__ import annotations

import os


def study_names(ctx, incomplete: str) -> list[str]:
    """Studies in the storage the command would use (--storage, $OPTSWEEP_STORAGE, or the
    journal file here) whose names start with what was typed."""
    try:
        import optuna

        from sweeps import storage as storage_mod

        url = (ctx.params or {}).get("storage") or os.environ.get("OPTSWEEP_STORAGE")
        cfg = storage_mod.resolve(url)
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        storage = storage_mod.open_storage(cfg, must_exist=True, repair=False)
        names = optuna.get_all_study_names(storage)
    except Exception:  # no storage yet, a server down, a bad URL: nothing to suggest
        return []
    return sorted(n for n in names if n.startswith(incomplete))
