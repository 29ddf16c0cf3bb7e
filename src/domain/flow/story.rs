//! What a run tells: its events with their captions, and the payload as cards.

use super::FlowEventKind;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Something that happened in a run, with its caption.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowEvent {
    /// Simulated time.
    pub at: DateTime<Utc>,
    /// The step (index in the flow), or None for the run itself.
    pub step: Option<usize>,
    pub kind: FlowEventKind,
    pub caption: String,
    /// The payload later steps see, as it stands after this event.
    pub payload: Value,
}

/// The payload as friendly key/value pairs (for cards): scalars as text; an object's fields
/// each a card of their own, two levels down (`steps · quote · carrier`), so a step's output
/// shows its values rather than a count of them.
pub fn cards(payload: &Value) -> Vec<(String, String)> {
    let mut out = vec![];
    if let Some(o) = payload.as_object() {
        for (k, v) in o {
            card(&mut out, k.clone(), v, 0);
        }
    }
    out
}

fn card(out: &mut Vec<(String, String)>, label: String, v: &Value, depth: usize) {
    match v {
        Value::Object(inner) if !inner.is_empty() && depth < 2 => {
            for (k, iv) in inner {
                card(out, format!("{label} · {k}"), iv, depth + 1);
            }
        }
        v => out.push((label, friendly(v))),
    }
}

fn friendly(v: &Value) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        // A short list of plain values reads as a list; anything else is counted.
        Value::Array(a) if a.len() <= 4 && a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            if a.is_empty() {
                "none".into()
            } else {
                a.iter().map(friendly).collect::<Vec<_>>().join(", ")
            }
        }
        Value::Array(a) => count(a.len(), "item", "items"),
        Value::Object(o) if o.is_empty() => "—".into(),
        Value::Object(o) => count(o.len(), "field", "fields"),
    }
}

#[cfg(test)]
mod tests {
    use super::cards;
    use serde_json::json;

    #[test]
    fn cards_show_an_outputs_values_never_a_count_of_one() {
        let payload = json!({
            "email": "a@example.com",
            "steps": { "quote": { "carrier": "UPS", "amount": 9.9 }, "confirm": { "messageId": "m-1" } },
            "tags": ["vip", "new"],
            "deep": { "a": { "b": { "c": 1 } } },
        });
        let c = cards(&payload);
        let get = |k: &str| c.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str());
        assert_eq!(get("steps · quote · carrier"), Some("UPS"));
        assert_eq!(get("steps · quote · amount"), Some("9.9"));
        assert_eq!(get("steps · confirm · messageId"), Some("m-1"));
        assert_eq!(get("tags"), Some("vip, new"));
        assert_eq!(get("deep · a · b"), Some("1 field"));
        assert!(c.iter().all(|(_, v)| !v.contains("1 fields")), "{c:?}");
    }
}
