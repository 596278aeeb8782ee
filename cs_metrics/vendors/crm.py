"""CRM exports, the customer master: HubSpot companies, Salesforce accounts, Pipedrive organizations.

Headers and value formats: tests/data/exports/<tool>/SOURCE.md.
"""

from __future__ import annotations

from cs_metrics.vendors import Export, Key, Master, Rx

EXPORTS = [
    Export(
        "HubSpot", "companies export", "customers",
        signature=("Record ID", "Company name", "Company Domain Name", "Create Date"),
        columns={
            "customer_id": "Record ID",
            "name": ("Company name", "Name"),
            "created_at": "Create Date",
            "referred_by": "Referred By",
        },
        keys=(Key("Record ID", "id"),),
        master=Master(name=("Company name", "Name"), domain=("Company Domain Name", "Website URL"), aliases=Rx(r"(?<!record)\s+id$")),
        reasons={"customer_id": "Record ID is HubSpot's id of the company", "referred_by": "Referred By holds the referrer's company name"},
    ),
    Export(
        "Salesforce", "accounts report", "customers",
        signature=("Account ID", "Account Name", "Account Owner", "Created Date"),
        columns={
            "customer_id": ("Account ID", "Account ID (18)"),
            "name": "Account Name",
            "created_at": "Created Date",
        },
        keys=(Key(("Account ID", "Account ID (18)"), "id"),),
        master=Master(name="Account Name", domain="Website", aliases=Rx(r"\bid$")),
        reasons={"customer_id": "Account ID is Salesforce's id of the account (15 characters in a report, case-sensitive)"},
    ),
    Export(
        "Pipedrive", "organizations export", "customers",
        signature=("Organization - ID", "Organization - Name", "Organization - Owner", "Organization - Add time"),
        columns={
            "customer_id": "Organization - ID",
            "name": "Organization - Name",
            "created_at": "Organization - Add time",
        },
        keys=(Key("Organization - ID", "id"),),
        master=Master(name="Organization - Name", domain="Organization - Website"),
        reasons={"customer_id": "Organization - ID is Pipedrive's id of the organization"},
    ),
]  # fmt: skip
