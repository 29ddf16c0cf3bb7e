//! After proptest's shrinking, a failing case is simplified field by field, while it still
//! fails the same way: an optional field dropped, a value replaced by the simplest its schema
//! allows (the shortest string, the number nearest zero, false, the first enum value, an empty
//! array), a whole number written as one. Every candidate passes the input schema (Wix sends
//! no other params), and every one tried is a call, counted against the budget.

use crate::domain::schema::Schema;
use serde_json::{Map, Value, json};

/// Simplifies `params` (valid for `schema`, compiled as `compiled`) while `fails` still says
/// yes, trying at most `budget` candidates. Returns the simplest failing params and the calls
/// made.
pub fn simplify(
    params: &Value,
    schema: &Value,
    compiled: &Schema,
    mut fails: impl FnMut(&Value) -> bool,
    budget: usize,
) -> (Value, usize) {
    let mut best = params.clone();
    let mut calls = 0;
    // Passes until nothing more can be simplified (a field dropped can let another go).
    for _ in 0..4 {
        let mut changed = false;
        for path in field_paths(&best) {
            let Some(current) = get(&best, &path).cloned() else {
                continue;
            };
            let field_schema = schema_at(schema, &path);
            let optional = !required_at(schema, &path);
            let mut candidates: Vec<Option<Value>> = vec![];
            if optional {
                candidates.push(None);
            }
            candidates.extend(
                simplest(&field_schema, &current)
                    .into_iter()
                    .filter(|c| simpler(&field_schema, c, &current))
                    .map(Some),
            );
            for candidate in candidates {
                if candidate.as_ref() == Some(&current) {
                    continue;
                }
                let mut next = best.clone();
                set(&mut next, &path, candidate);
                // Only params Wix would send; and none already tried is sent again.
                if !compiled.violations(&next).is_empty() {
                    continue;
                }
                if calls >= budget {
                    return (best, calls);
                }
                calls += 1;
                if fails(&next) {
                    best = next;
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (best, calls)
}

/// The fields of `v`, deepest last: `["a"]`, then `["a", "b"]` for an object's fields, and
/// `["items", "0"]`… for an array's items.
fn field_paths(v: &Value) -> Vec<Vec<String>> {
    let mut out = vec![];
    fn walk(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    at.push(k.clone());
                    out.push(at.clone());
                    walk(child, at, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    at.push(i.to_string());
                    walk(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    walk(v, &mut vec![], &mut out);
    out
}

fn get<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| match v {
        Value::Object(o) => o.get(k),
        Value::Array(a) => a.get(k.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Sets the value at `path` (removes it when `to` is None).
fn set(v: &mut Value, path: &[String], to: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = v;
    for k in parents {
        at = match at {
            Value::Object(o) => match o.get_mut(k) {
                Some(x) => x,
                None => return,
            },
            Value::Array(a) => match k.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    if let Value::Object(o) = at {
        match to {
            Some(x) => {
                o.insert(last.clone(), x);
            }
            None => {
                o.remove(last);
            }
        }
    }
}

/// The schema of the field at `path` in params of `schema` (an array's items by index).
fn schema_at(schema: &Value, path: &[String]) -> Value {
    let mut s = schema.clone();
    for k in path {
        s = if s.get("type").and_then(Value::as_str) == Some("array") {
            s.get("items").cloned().unwrap_or(json!({}))
        } else {
            s.pointer(&format!("/properties/{}", escape(k)))
                .cloned()
                .unwrap_or(json!({}))
        };
    }
    s
}

/// Whether the field at `path` is required by its parent object's schema.
fn required_at(schema: &Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return true;
    };
    let parent = schema_at(schema, parents);
    parent
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|k| k.as_str() == Some(last)))
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// The simplest values of a field of schema `s` that holds `current`, simplest first (an
/// object is simplified field by field instead, not replaced).
fn simplest(s: &Value, current: &Value) -> Vec<Value> {
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return vec![first.clone()];
    }
    match current {
        Value::String(_) => strings(s),
        Value::Number(n) => numbers(s, n),
        Value::Bool(_) => vec![json!(false)],
        Value::Array(a) => {
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let mut out = vec![];
            if a.len() > min {
                out.push(Value::Array(a[..min].to_vec()));
            }
            if min < a.len().saturating_sub(1) {
                // Fewer items, the first ones kept.
                out.push(Value::Array(a[..a.len() / 2].to_vec()));
            }
            out
        }
        _ => vec![],
    }
}

/// Whether `a` is simpler than `b` (both values of a field of schema `s`): an earlier enum
/// value, a shorter string (or a format's plainest value), a number nearer zero (or the same
/// one written whole), false before true, fewer items. Only simpler values are tried, so
/// simplifying ends.
fn simpler(s: &Value, a: &Value, b: &Value) -> bool {
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        let at = |v: &Value| e.iter().position(|x| x == v).unwrap_or(usize::MAX);
        return at(a) < at(b);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if s.get("format").is_some() {
                return x != y;
            }
            x.chars().count() < y.chars().count()
        }
        (Value::Number(x), Value::Number(y)) => {
            let (fx, fy) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            fx.abs() < fy.abs() || (fx == fy && !x.is_f64() && y.is_f64())
        }
        (Value::Bool(x), Value::Bool(y)) => !x & y,
        (Value::Array(x), Value::Array(y)) => x.len() < y.len(),
        _ => false,
    }
}

fn strings(s: &Value) -> Vec<Value> {
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let by_format = match s.get("format").and_then(Value::as_str) {
        Some("uuid") => Some("00000000-0000-4000-8000-000000000000"),
        Some("email") => Some("a@b.co"),
        Some("date") => Some("2000-01-01"),
        Some("date-time") => Some("2000-01-01T00:00:00Z"),
        Some("time") => Some("00:00:00Z"),
        Some("uri") => Some("https://example.com"),
        _ => None,
    };
    match by_format {
        Some(v) => vec![json!(v)],
        None => {
            let mut out = vec![json!("a".repeat(min))];
            if min == 0 {
                out.push(json!("a"));
            }
            out
        }
    }
}

fn numbers(s: &Value, n: &serde_json::Number) -> Vec<Value> {
    let min = s.get("minimum").and_then(Value::as_f64);
    let max = s.get("maximum").and_then(Value::as_f64);
    let fits = |x: f64| min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m);
    let whole = |x: f64| -> Value {
        if x.fract() == 0.0 && x.abs() < 9.0e15 {
            json!(x as i64)
        } else {
            serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
        }
    };
    let mut out = vec![];
    if fits(0.0) {
        out.push(json!(0));
    } else {
        // The bound nearest zero.
        let nearest = [min, max]
            .into_iter()
            .flatten()
            .min_by(|a, b| a.abs().total_cmp(&b.abs()));
        if let Some(b) = nearest {
            out.push(whole(b.ceil().min(max.unwrap_or(f64::MAX))));
        }
    }
    // A whole number written as one (4.0 as 4).
    if let Some(x) = n.as_f64()
        && n.is_f64()
        && x.fract() == 0.0
    {
        out.push(whole(x));
    }
    out
}

/// The fields of an object value, for explaining: its keys and its nested objects' keys, as
/// dotted paths (`address.city`).
pub fn dotted_fields(schema: &Value) -> Vec<String> {
    let mut out = vec![];
    fn walk(s: &Value, prefix: &str, out: &mut Vec<String>) {
        let Some(props) = s.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (k, p) in props {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            if p.get("type").and_then(Value::as_str) == Some("object") {
                walk(p, &path, out);
            }
        }
    }
    walk(schema, "", &mut out);
    out
}

/// The value at dotted path `path` in `v`.
pub fn at_dotted<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| {
        v.as_object().and_then(|o: &Map<String, Value>| o.get(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "amount": {"type": "number", "title": "Amount"},
                "customerName": {"type": "string", "title": "Customer"},
                "quantity": {"type": "integer", "title": "Quantity", "minimum": 1},
                "vip": {"type": "boolean", "title": "VIP"},
                "email": {"type": "string", "title": "Email", "format": "email"},
                "address": {"type": "object", "title": "Address", "properties": {
                    "city": {"type": "string", "title": "City"},
                    "zip": {"type": "string", "title": "Zip", "minLength": 3}},
                    "required": ["zip"]}
            },
            "required": ["amount", "customerName"]
        })
    }

    #[test]
    fn a_failing_case_loses_every_field_the_failure_does_not_need() {
        let schema = order_schema();
        let compiled = Schema::compile(&schema).expect("schema");
        // Fails whenever quantity is absent: nothing else matters.
        let fails = |v: &Value| v.get("quantity").is_none();
        let start = json!({
            "amount": 0.0,
            "customerName": "O'Brien \"the quote\" \\ back",
            "vip": true,
            "email": "first.last+tag@sub.example.co.uk",
            "address": {"city": "Zoë", "zip": "12345"}
        });
        let (best, calls) = simplify(&start, &schema, &compiled, fails, 200);
        assert_eq!(best, json!({"amount": 0, "customerName": ""}), "{best}");
        assert!(calls <= 200);
    }

    #[test]
    fn what_the_failure_needs_stays_and_values_go_to_the_simplest_the_schema_allows() {
        let schema = order_schema();
        let compiled = Schema::compile(&schema).expect("schema");
        // Fails when the quantity is above 3 and the zip is kept: those stay, simplified as far
        // as they still fail (a quantity cannot be 0 below minimum 1; zip keeps 3 characters).
        let fails = |v: &Value| {
            v.get("quantity")
                .and_then(Value::as_i64)
                .is_some_and(|q| q > 3)
                && v.pointer("/address/zip").is_some()
        };
        let start = json!({
            "amount": -52.5,
            "customerName": "Zoë Ågren",
            "quantity": 77,
            "address": {"city": "x", "zip": "98765"}
        });
        let (best, _) = simplify(&start, &schema, &compiled, fails, 200);
        assert_eq!(best["amount"], json!(0));
        assert_eq!(best["customerName"], json!(""));
        assert_eq!(
            best["quantity"],
            json!(77),
            "1 does not fail: it stays as it was"
        );
        assert_eq!(best["address"], json!({"zip": "aaa"}));
        assert!(compiled.violations(&best).is_empty());
    }

    #[test]
    fn the_budget_is_kept() {
        let schema = order_schema();
        let compiled = Schema::compile(&schema).expect("schema");
        let mut tried = 0;
        let start = json!({"amount": 3.5, "customerName": "abc", "vip": true});
        let (best, calls) = simplify(
            &start,
            &schema,
            &compiled,
            |_| {
                tried += 1;
                true
            },
            2,
        );
        assert_eq!((calls, tried), (2, 2));
        assert_ne!(best, start, "two simplifications taken");
    }

    #[test]
    fn a_whole_number_is_written_as_one() {
        let s = json!({"type": "number", "minimum": 5});
        assert_eq!(
            numbers(&s, &serde_json::Number::from_f64(7.0).expect("n")),
            vec![json!(5), json!(7)]
        );
    }
}
