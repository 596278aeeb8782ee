"""Product-analytics exports: Amplitude, Mixpanel, PostHog, Segment (raw events, one row per event).

Headers and value formats: tests/data/exports/<tool>/SOURCE.md.
"""

from __future__ import annotations

import json

from cs_metrics.vendors import Export, Key, Rx

ACCOUNT = Rx(r"^(company|account|organi[sz]ation|org|group|workspace)[ _]?(id|key)?$")


def _groups(p, sample) -> None:
    """Amplitude's `groups` is a JSON object {group type: group name}: the account is one group."""
    names: dict[str, int] = {}
    for value in sample.values("groups"):
        try:
            obj = json.loads(value)
        except ValueError:
            continue
        if isinstance(obj, dict):
            for k, v in obj.items():
                if v not in (None, "", []):
                    names[k] = names.get(k, 0) + 1
    if not names:
        p.note("groups holds no group: customer_id is the user's e-mail domain")
        return
    group = max(names, key=lambda k: (names[k], -list(names).index(k)))
    p.map("customer_id", "groups")
    p.add_key(Key("groups", "id", group=group), first=True)
    p.reason("customer_id", f"the account is the group {group!r} of the JSON column groups")


EXPORTS = [
    Export(
        "Amplitude", "events export", "events",
        signature=("amplitude_id", "user_id", "device_id", "event_time", "event_type", "session_id"),
        columns={"user_id": "user_id", "occurred_at": "event_time", "event": "event_type", "session_id": "session_id"},
        keys=(Key("user_id", "email"),),
        settings={"timezone": "UTC"},
        reasons={
            "timezone": "Amplitude's Export API writes event_time in UTC",
            "session_id": "a session is the user's session_id (the start in epoch ms, shared by users): -1 is no session",
        },
        refine=_groups,
    ),
    Export(
        "Mixpanel", "raw event export", "events",
        signature=("event", "time", "distinct_id", "$insert_id"),
        columns={"user_id": "distinct_id", "occurred_at": "time", "event": "event", "duration_seconds": "$duration", "customer_id": ACCOUNT},
        keys=(Key(ACCOUNT, "id"), Key("distinct_id", "email")),
        reasons={"occurred_at": "time is Unix seconds (UTC)", "duration_seconds": "$duration is the time an event took (time_event)"},
        notes=("Mixpanel keeps no session id: sessions are cut after 30 minutes without events",),
    ),
    Export(
        "PostHog", "events", "events",
        signature=("uuid", "event", "timestamp", "distinct_id"),
        columns={
            "user_id": "distinct_id",
            "occurred_at": "timestamp",
            "event": "event",
            "session_id": Rx(r"\$session_id$"),
            "customer_id": Rx(r"^\$group_\d$"),
        },
        keys=(Key(Rx(r"^\$group_\d$"), "id"), Key(Rx(r"person\.properties\.\$?email$"), "email")),
        reasons={"customer_id": "$group_0 is the key of the first group type (the account)"},
    ),
    Export(
        "Segment", "warehouse tracks table", "events",
        signature=("id", "anonymous_id", "user_id", "event", "event_text", "timestamp", "received_at", "sent_at"),
        columns={"user_id": "user_id", "occurred_at": "timestamp", "event": "event_text", "customer_id": "context_group_id"},
        keys=(Key("context_group_id", "id"),),
        reasons={"event": "event_text is the event's name as sent (event is its snake_case form)", "occurred_at": "timestamp is corrected for the device's clock"},
        notes=("Segment's tracks carry no session id: sessions are cut after 30 minutes without events",),
        prefer=1,
    ),
]  # fmt: skip
