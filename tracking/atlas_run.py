"""The atlas in MLflow: one run (optsweep.role = atlas) carrying the atlas's table and heatmap
as artifacts, found again by its tags when the atlas is rewritten; and the tag naming the atlas
on each cell study's own parent run.

    run_id = log_atlas(uri, "atlas", [page, png], {"optsweep.atlas.cells": "12"})
    tag_parent(uri, parent_run_id, "atlas")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tracking import values
from tracking.runs import ROLE_TAG, open_client
from tracking.store import artifact_location

ATLAS_TAG = "optsweep.atlas"
ROLE = "atlas"


def tag_parent(tracking_uri: str, parent_run_id: str, atlas: str) -> None:
    """Mark a cell's study parent run as part of atlas `atlas`."""
    open_client(tracking_uri).set_tag(parent_run_id, ATLAS_TAG, atlas)


def log_atlas(
    tracking_uri: str,
    atlas: str,
    files: Sequence[Path],
    tags: Mapping[str, object] | None = None,
    metrics: Mapping[str, float] | None = None,
) -> str:
    """Log `files` as artifacts of the atlas's run (made on first use, in an experiment named
    after the atlas), with `tags` and `metrics`; its run id."""
    client = open_client(tracking_uri)
    name = f"atlas {atlas}"
    exp = client.get_experiment_by_name(name)
    exp_id = (
        exp.experiment_id
        if exp is not None
        else client.create_experiment(
            name, artifact_location=artifact_location(tracking_uri, name), tags={ATLAS_TAG: atlas}
        )
    )
    found = client.search_runs(
        [exp_id], filter_string=f"tags.`{ROLE_TAG}` = '{ROLE}' and tags.`{ATLAS_TAG}` = '{atlas}'",
        max_results=1, order_by=["attributes.start_time ASC"],
    )  # fmt: skip
    if found:
        run_id = found[0].info.run_id
    else:
        run_id = client.create_run(exp_id, tags={ROLE_TAG: ROLE, ATLAS_TAG: atlas},
                                   run_name=name).info.run_id  # fmt: skip
    for key, value in values.tags(tags or {}).items():
        client.set_tag(run_id, key, value)
    for key, value in (metrics or {}).items():
        client.log_metric(run_id, values.key(key), float(value))
    for f in files:
        client.log_artifact(run_id, str(f))
    client.set_terminated(run_id, "FINISHED")
    return run_id
