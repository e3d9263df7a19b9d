"""Plain Python values made fit for MLflow: flat string params and tags within MLflow's limits.

MLflow stores params and tags as strings under keys of at most 250 characters drawn from
[alphanumerics _ - . space : /]; a param value holds at most 6000 characters and a tag 8000, and
one `log_batch` call carries at most 1000 metrics, 100 params, 100 tags and 1000 entities in all.
Everything here is masked (no password in a URL reaches the store) and cut to those limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from tracking.store import mask

MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000

_BAD_KEY_CHARS = re.compile(r"[^\w.\- :/]")

Metric = tuple[str, float, int, int]  # key, value, timestamp (ms), step


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys: {"space": {"alpha": 1}} -> {"space.alpha": 1}."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def text(value: Any) -> str:
    """A value as MLflow shows it: floats round-trip (repr), containers as JSON, masked."""
    if isinstance(value, str):
        s = value
    elif isinstance(value, bool) or value is None:
        s = str(value)
    elif isinstance(value, float):
        s = repr(float(value))  # numpy's float64 reprs as 'np.float64(0.1)'; this as '0.1'
    elif isinstance(value, list | tuple | dict | set):
        items = sorted(value, key=str) if isinstance(value, set) else value
        s = json.dumps(items, default=str, separators=(",", ":"))
    else:
        s = str(value)
    return mask(s)


def key(name: Any) -> str:
    """A key MLflow accepts: bad characters become '_', no leading '/', no '..', <= 250 chars."""
    k = _BAD_KEY_CHARS.sub("_", str(name)).strip()
    k = re.sub(r"/+", "/", k).strip("/")
    k = "/".join(part if part not in (".", "..") else "_" for part in k.split("/"))
    return (k or "_")[:MAX_KEY]


def truncate(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 3] + "..."


def params(values: Mapping[str, Any] | None) -> dict[str, str]:
    """Flattened, stringified, masked and truncated params, keyed by valid MLflow keys."""
    return {key(k): truncate(text(v), MAX_PARAM_VALUE) for k, v in flatten(values or {}).items()}


def tags(values: Mapping[str, Any] | None) -> dict[str, str]:
    """Stringified, masked and truncated tags, keyed by valid MLflow keys."""
    return {key(k): truncate(text(v), MAX_TAG_VALUE) for k, v in (values or {}).items()}


def number(value: Any) -> float | None:
    """A metric value, or None for what MLflow cannot store as a number (None, text)."""
    if value is None or isinstance(value, str | bytes):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def batches(
    metrics: list[Metric],
    params: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Iterator[tuple[list[Metric], list[tuple[str, str]], list[tuple[str, str]]]]:
    """Split metrics, params and tags into `log_batch` calls within MLflow's limits.

    Params and tags ride along with the first metric batches, 100 of each per call, so a run's
    end costs as few round trips as the limits allow.
    """
    p_items, t_items = list((params or {}).items()), list((tags or {}).items())
    i = 0
    while i < len(metrics) or p_items or t_items:
        p = p_items[:MAX_PARAMS_TAGS_PER_BATCH]
        t = t_items[:MAX_PARAMS_TAGS_PER_BATCH]
        del p_items[: len(p)], t_items[: len(t)]
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(p) - len(t))
        m = metrics[i : i + room]
        i += len(m)
        yield m, p, t
