//! Templates in a step's params: `{{payload.x}}` and `{{steps.id.result.x}}` filled from what
//! the run knows, keeping the referenced value's type, naming what was missing.

use super::{Map, Value, wire};

/// What a template can read: the payload so far, and each finished step's output.
pub struct Scope<'a> {
    pub payload: &'a Value,
    /// Step id → `{"result": output}` for steps that succeeded.
    pub steps: &'a Map<String, Value>,
}

/// A template filled in: the value, the references that were missing, and problems (a wrong
/// type, an unclosed `{{`, an unknown root).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filled {
    pub value: Value,
    pub missing: Vec<String>,
    pub problems: Vec<String>,
}

impl Scope<'_> {
    /// The value at `path` (`payload.contact.email`, `steps.approve.result.decision`).
    fn get(&self, path: &str) -> Result<Option<&Value>, String> {
        let mut parts = path.split('.');
        let root = match parts.next() {
            Some("payload") => self.payload,
            Some("steps") => {
                let Some(id) = parts.next() else {
                    return Err(format!(
                        "{{{{{path}}}}} names no step: write steps.<id>.result…"
                    ));
                };
                match self.steps.get(id) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            _ => {
                return Err(format!(
                    "{{{{{path}}}}} starts with neither payload nor steps"
                ));
            }
        };
        let mut at = root;
        for p in parts {
            let next = match at {
                Value::Object(o) => o.get(p),
                Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            match next {
                Some(v) => at = v,
                None => return Ok(None),
            }
        }
        Ok(Some(at))
    }
}

/// Fills every `{{…}}` in `template`. A string that is exactly one template takes the value
/// referenced, of any type (a missing one leaves the field out); templates inside longer text
/// are written as text (a missing one as nothing; an object or array is a problem).
pub fn fill(template: &Value, scope: &Scope<'_>) -> Filled {
    let mut out = Filled::default();
    out.value =
        fill_value(template, scope, &mut out.missing, &mut out.problems).unwrap_or(Value::Null);
    out
}

pub(super) fn fill_value(
    v: &Value,
    scope: &Scope<'_>,
    missing: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Option<Value> {
    match v {
        Value::String(s) => fill_string(s, scope, missing, problems),
        Value::Array(a) => Some(Value::Array(
            a.iter()
                .map(|x| fill_value(x, scope, missing, problems).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(o) => Some(Value::Object(
            o.iter()
                .filter_map(|(k, x)| {
                    fill_value(x, scope, missing, problems).map(|v| (k.clone(), v))
                })
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

pub(super) fn fill_string(
    s: &str,
    scope: &Scope<'_>,
    missing: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Option<Value> {
    let trimmed = s.trim();
    // Exactly one template: the value itself, with its type.
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .filter(|i| !i.contains("{{") && !i.contains("}}"))
    {
        let path = inner.trim();
        return match scope.get(path) {
            Ok(Some(v)) => Some(v.clone()),
            Ok(None) => {
                missing.push(path.to_string());
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        };
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            problems.push(format!("{s:?} has a {{{{ that is never closed"));
            out.push_str(&rest[start..]);
            return Some(Value::String(out));
        };
        let path = after[..end].trim();
        match scope.get(path) {
            Ok(Some(Value::String(t))) => out.push_str(t),
            Ok(Some(v @ (Value::Object(_) | Value::Array(_)))) => {
                problems.push(format!(
                    "{{{{{path}}}}} is {}, which cannot be written into text ({s:?})",
                    wire::json_type(v)
                ));
                out.push_str(&v.to_string());
            }
            Ok(Some(Value::Null)) => {}
            Ok(Some(v)) => out.push_str(&v.to_string()),
            Ok(None) => missing.push(path.to_string()),
            Err(e) => problems.push(e),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(Value::String(out))
}
