//! Two invocations side by side, field by field: the request (params, context, metadata, JWT
//! claims), the answer, the findings and the timeline. Fields every call has anew (ids,
//! tokens, times) are volatile: told apart, so a view can hide them by default.

use super::envelope;
use super::invocation::Exchange;
use serde_json::{Value, json};

/// One difference: where, and each side's value (None: absent on that side).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub path: String,
    pub left: Option<Value>,
    pub right: Option<Value>,
    /// An id, token or time that differs on every call.
    pub volatile: bool,
}

/// Field names whose values are new on every call.
const VOLATILE: &[&str] = &[
    "activationId",
    "actionId",
    "invocationToken",
    "requestId",
    "instanceId",
    "originalActivationId",
    "iat",
    "exp",
    "nbf",
    "jti",
    "at",
];

/// Whether the field at `path` is volatile.
pub fn is_volatile(path: &str) -> bool {
    let last = path.rsplit(['.', '[']).next().unwrap_or(path);
    VOLATILE.contains(&last.trim_end_matches(']'))
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Difference>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(&format!("{path}[{i}]"), x.get(i), y.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Difference {
            path: path.to_string(),
            left: a.cloned(),
            right: b.cloned(),
            volatile: is_volatile(path),
        }),
    }
}

/// Every difference between `a` and `b` as values.
pub fn diff_values(a: &Value, b: &Value) -> Vec<Difference> {
    let mut out = vec![];
    walk("", Some(a), Some(b), &mut out);
    out
}

/// An exchange as the values a diff compares: request, metadata, JWT claims, answer,
/// findings, timeline (texts; their times are volatile).
pub fn view(ex: &Exchange) -> Value {
    let parts = envelope::inspect(&ex.arrival.body);
    let findings: Vec<Value> = ex
        .findings
        .iter()
        .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
        .map(|f| {
            json!(format!(
                "{}{}",
                f.code,
                f.field
                    .as_ref()
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default()
            ))
        })
        .collect();
    json!({
        "method": ex.method_label(),
        "actionKey": ex.action_key,
        "envelope": ex.envelope.map(|e| e.label()),
        "request": parts.request.unwrap_or(Value::Null),
        "metadata": parts.metadata.unwrap_or(Value::Null),
        "jwt": parts.jwt_claims.map(|mut c| {
            // The request is compared above; the claims around it here.
            if let Some(o) = c.as_object_mut() {
                o.remove("data");
            }
            c
        }).unwrap_or(Value::Null),
        "answer": {
            "status": ex.response.as_ref().map(|r| r.status),
            "body": ex.response.as_ref().map(|r| (*r.body).clone()),
        },
        "phase": ex.phase.label(),
        "findings": findings,
        "timeline": ex.timeline.iter().map(|t| t.note.to_string()).collect::<Vec<_>>(),
    })
}

/// Every difference between two exchanges.
pub fn diff(a: &Exchange, b: &Exchange) -> Vec<Difference> {
    diff_values(&view(a), &view(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named_by_path_and_ids_are_volatile() {
        let a = json!({"request": {"actionParams": {"to": "a@x", "n": 1},
                        "activationContext": {"activationId": "1", "invocationToken": "t1"}},
                       "list": [1, 2]});
        let b = json!({"request": {"actionParams": {"to": "b@x", "n": 1, "cc": "c@x"},
                        "activationContext": {"activationId": "2", "invocationToken": "t2"}},
                       "list": [1]});
        let d = diff_values(&a, &b);
        let paths: Vec<(&str, bool)> = d.iter().map(|x| (x.path.as_str(), x.volatile)).collect();
        assert_eq!(
            paths,
            vec![
                ("list[1]", false),
                ("request.actionParams.cc", false),
                ("request.actionParams.to", false),
                ("request.activationContext.activationId", true),
                ("request.activationContext.invocationToken", true),
            ]
        );
        assert_eq!(d[1].left, None);
        assert_eq!(d[1].right, Some(json!("c@x")));
        assert!(diff_values(&a, &a).is_empty());
    }
}
