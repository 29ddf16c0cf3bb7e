//! What the expression tests evaluate against: one payload shaped like Wix's (text totals,
//! hyphenated namespaces, lists of objects) and a fixed clock.

use crate::domain::expr::Env;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// 2026-12-05T10:30:00Z, a Saturday.
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-05T10:30:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// The payload the tests read.
pub(crate) fn payload() -> Value {
    json!({
        "contactId": "c-1",
        "contact": {"name": {"first": "Ada"}, "email": "ada@example.com", "birthdate": "1990-12-05"},
        "totals": {"total": "150.00", "subtotal": "19.99"},
        "customer_tier": "Premium",
        "order_count": 7,
        "start_date": "2026-12-31T23:59:00+02:00",
        "service_id": "<id-2>",
        "dataCollectionId": "WebsitePages",
        "formId": "guid2",
        "someBooleanField": true,
        "tags": ["vip", "new"],
        "lineItems": [{"product": {"id": "p1"}}, {"product": {"id": "p2"}}],
        "account": {"points": {"balance": 40}},
        "nothing": null,
        "blank": "",
        "createTask-1": {"taskId": "t-9"}
    })
}

/// An environment over `payload` at [`now`].
pub(crate) fn env(payload: &Value) -> Env<'_> {
    Env {
        payload,
        now: now(),
    }
}
