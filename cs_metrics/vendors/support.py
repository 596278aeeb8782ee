"""Support exports: Zendesk tickets, Freshdesk tickets, Intercom conversations, Help Scout conversations.

Headers and value formats: tests/data/exports/<tool>/SOURCE.md.
"""

from __future__ import annotations

from cs_metrics.vendors import Export, Key, Rx

ACCOUNT_ZONE = "times are written in the helpdesk account's time zone, without an offset: read in the config's timezone"
NO_CONTACTS = {"fcr": {"definition": "within_hours"}}
NO_CONTACTS_WHY = "the export has no count of agent replies: FCR counts tickets resolved within 24 hours"

EXPORTS = [
    Export(
        "Zendesk", "tickets export", "tickets",
        signature=("Id", "Requester", "Organization", "Created at", "Solved at", "Reopens", "Replies", "Via"),
        columns={
            "ticket_id": "Id",
            "customer_id": "Organization",
            "created_at": "Created at",
            "first_response_at": "First reply time in minutes",
            "resolved_at": "Solved at",
            "contacts": "Replies",
            "reopened": "Reopens",
            "category": Rx(r"categor.*\[list\]$"),
            "channel": "Via",
            "priority": "Priority",
            "agent": "Assignee",
        },
        keys=(Key("Organization", "name"), Key("Requester email", "email"), Key("Requester domain", "domain")),
        settings={"elapsed": {"first_response_at": "minutes"}},
        reasons={
            "elapsed": "the export gives the first reply as minutes after Created at (calendar time, not business hours)",
            "reopened": "Reopens is a count: a ticket reopened at least once is reopened",
            "contacts": "Replies counts the agents' public replies",
            "customer_id": "an empty Organization is an anonymous ticket (a requester without organization)",
        },
        notes=(ACCOUNT_ZONE,),
    ),
    Export(
        "Freshdesk", "tickets export", "tickets",
        signature=("Ticket ID", "Subject", "Status", "Created time", "Resolved time", "Agent interactions"),
        columns={
            "ticket_id": "Ticket ID",
            "customer_id": "Company Name",
            "created_at": "Created time",
            "first_response_at": "Initial response time",
            "resolved_at": "Resolved time",
            "contacts": "Agent interactions",
            "channel": "Source",
            "priority": "Priority",
            "agent": "Agent",
        },
        keys=(Key("Company Name", "name"), Key("Email", "email")),
        reasons={"resolved_at": "Resolved time, not Closed time: Freshdesk closes a resolved ticket days later"},
        notes=(ACCOUNT_ZONE, "Freshdesk exports no reopen count: no ticket counts as reopened"),
    ),
    Export(
        "Intercom", "conversations export", "tickets",
        signature=("Conversation ID", Rx(r"^Conversation started at"), "Replies to close a conversation", "Current conversation state"),
        columns={
            "ticket_id": "Conversation ID",
            "customer_id": "Company name",
            "created_at": Rx(r"^Conversation started at\b"),
            "first_response_at": Rx(r"^Conversation first replied at\b"),
            "resolved_at": Rx(r"^Conversation last closed at\b"),
            "contacts": "Replies to close a conversation",
            "channel": "Channel",
            "agent": "Teammate currently assigned",
        },
        keys=(Key("Company ID", "id"), Key("Company name", "name"), Key("User email", "email")),
        reasons={"resolved_at": "the last close: a conversation closed twice was reopened"},
        notes=("the workspace's time zone is written in the time headers",),
    ),
    Export(
        "Help Scout", "conversations (API fields)", "tickets",
        signature=("id", "number", "threads", "status", "createdAt", "closedAt", "primaryCustomer.email"),
        columns={
            "ticket_id": "id",
            "customer_id": "primaryCustomer.email",
            "created_at": "createdAt",
            "resolved_at": "closedAt",
            "channel": "type",
            "agent": "assignee.email",
        },
        keys=(Key("primaryCustomer.email", "email"),),
        metrics=NO_CONTACTS,
        reasons={"fcr": NO_CONTACTS_WHY},
        notes=("threads counts every message, not agent replies: it is not used as contacts",),
    ),
]  # fmt: skip
