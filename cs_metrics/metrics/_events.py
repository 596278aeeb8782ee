"""Facts about a run's events frame that several metrics ask for, computed once per frame.

`report` runs dau-mau, usage, sessions, health and the active-customer counts on the same events
frame, for two periods; each asked Arrow again which of ten million rows are active events (a
string hash per row, about a third of a second each time). The answer is kept for as long as the
frame lives (a weak reference guards against a new frame at an old one's address); metrics never
change their frames, and the array handed out is read-only, so a caller cannot change it either.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

_ACTIVE: dict[tuple, tuple[weakref.ref, np.ndarray]] = {}


def is_active(events: pd.DataFrame, active_events) -> np.ndarray:
    """`events["event"].isin(active_events)` as a read-only array of flags, one per row."""
    key = (id(events), tuple(active_events))
    hit = _ACTIVE.get(key)
    if hit is not None and hit[0]() is events and len(hit[1]) == len(events):
        return hit[1]
    flags = events["event"].isin(list(active_events)).to_numpy(dtype=bool)
    flags.setflags(write=False)
    for gone in [k for k, (ref, _) in list(_ACTIVE.items()) if ref() is None]:
        _ACTIVE.pop(gone, None)  # report's threads may both find it gone
    _ACTIVE[key] = (weakref.ref(events), flags)
    return flags
