//! Resolving an action's `inputMapping` (or a SET_VARIABLES `outputMapping`) against the
//! payload, each field typed as its schema says (facts §3.3):
//!
//! - text: plain text, one `{{…}}`, or text with any number of them (numbers and booleans are
//!   written as JSON, null as nothing; a list or object inside text is a problem);
//! - number / integer (and text with `format: number`): one `{{…}}` covering the whole value
//!   that gives a number (numeric text is converted), or a plain number literal;
//! - boolean: one `{{…}}` giving true or false (`"true"`/`"false"` text is converted), or a
//!   plain `true`/`false`;
//! - list / object: a literal built field by field (resolved with the sub-schema), or one
//!   `{{var(…)}}` of the same shape.
//!
//! Without a schema, one whole-value expression keeps its type and text with parts is text. A
//! whole-value expression whose var is missing leaves the field out and lists the path; a
//! missing part inside text is written as nothing and listed. A null is passed on as it is.

use crate::domain::expr::coerce::number_in_text;
use crate::domain::expr::eval::eval;
use crate::domain::expr::literal::{describe, number_value};
use crate::domain::expr::parse::parse_text;
use crate::domain::expr::whole::written;
use crate::domain::expr::{Env, EvalError, Part, Problem, Resolved, Text};
use serde_json::{Map, Value};

/// The kind a field's schema asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Text,
    /// Text with `format: number`: a number, written as text.
    NumberText,
    Number,
    Integer,
    Boolean,
    List,
    Object,
    Any,
}

impl Want {
    fn words(self) -> &'static str {
        match self {
            Want::Text => "a text field",
            Want::NumberText | Want::Number => "a number field",
            Want::Integer => "an integer field",
            Want::Boolean => "a boolean field",
            Want::List => "a list field",
            Want::Object => "an object field",
            Want::Any => "a field",
        }
    }
}

fn want_of(schema: Option<&Value>) -> Want {
    let Some(s) = schema.and_then(Value::as_object) else {
        return Want::Any;
    };
    let ty = match s.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    match ty {
        Some("string") if s.get("format").and_then(Value::as_str) == Some("number") => {
            Want::NumberText
        }
        Some("string") => Want::Text,
        Some("number") => Want::Number,
        Some("integer") => Want::Integer,
        Some("boolean") => Want::Boolean,
        Some("array") => Want::List,
        Some("object") => Want::Object,
        None if s.contains_key("properties") => Want::Object,
        None if s.contains_key("items") => Want::List,
        _ => Want::Any,
    }
}

/// Resolves `mapping` against `env`, typed by `schema` (the action's input schema, or a
/// variables step's output schema) when it is known.
pub fn resolve_mapping(mapping: &Value, schema: Option<&Value>, env: &Env) -> Resolved {
    let mut r = Resolver {
        env,
        missing: Vec::new(),
        problems: Vec::new(),
    };
    let value = r.value(mapping, schema, "").unwrap_or(Value::Null);
    Resolved {
        value,
        missing: r.missing,
        problems: r.problems,
    }
}

fn join(field: &str, key: &str) -> String {
    if field.is_empty() {
        key.to_string()
    } else {
        format!("{field}.{key}")
    }
}

struct Resolver<'e> {
    env: &'e Env<'e>,
    missing: Vec<String>,
    problems: Vec<Problem>,
}

impl Resolver<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn miss(&mut self, path: String) {
        if !self.missing.contains(&path) {
            self.missing.push(path);
        }
    }

    /// An evaluation error: a missing var is listed, anything else is a problem.
    fn failed(&mut self, field: &str, e: EvalError) {
        match e {
            EvalError::Missing { path, .. } => self.miss(path),
            e => self.problem(field, e.to_string()),
        }
    }

    /// The resolved value of one field; `None` leaves the field out.
    fn value(&mut self, v: &Value, schema: Option<&Value>, field: &str) -> Option<Value> {
        let want = want_of(schema);
        match v {
            Value::String(s) => self.string(s, want, field),
            Value::Array(items) => Some(self.list(items, schema, want, field)),
            Value::Object(o) => Some(self.object(o, schema, want, field)),
            lit => {
                self.literal(lit, want, field);
                Some(lit.clone())
            }
        }
    }

    fn string(&mut self, s: &str, want: Want, field: &str) -> Option<Value> {
        let t = match parse_text(s) {
            Ok(t) => t,
            Err(e) => {
                self.problem(field, format!("cannot read {s:?} {e}"));
                return None;
            }
        };
        if let Some(e) = t.single() {
            return match eval(e, self.env) {
                Ok(v) => self.typed(v, want, field),
                Err(e) => {
                    self.failed(field, e);
                    None
                }
            };
        }
        match want {
            Want::Text | Want::Any => Some(Value::String(self.text(&t, field))),
            _ if t.parts.iter().all(|p| matches!(p, Part::Text(_))) => {
                self.problem(
                    field,
                    format!(
                        "{} takes a literal of its type or one {{{{…}}}}, and this is the text {s:?}",
                        want.words()
                    ),
                );
                None
            }
            _ => {
                self.problem(
                    field,
                    format!(
                        "{} takes exactly one {{{{…}}}} covering the whole value, with no text around it",
                        want.words()
                    ),
                );
                None
            }
        }
    }

    /// Text with its parts filled in: a missing part is written as nothing and listed.
    fn text(&mut self, t: &Text, field: &str) -> String {
        let mut out = String::new();
        for part in &t.parts {
            match part {
                Part::Text(s) => out.push_str(s),
                Part::Expr { expr, source } => {
                    match eval(expr, self.env).and_then(|v| written(&v, source)) {
                        Ok(s) => out.push_str(&s),
                        Err(e) => self.failed(field, e),
                    }
                }
            }
        }
        out
    }

    /// A whole-value expression's result, as the field's kind.
    fn typed(&mut self, v: Value, want: Want, field: &str) -> Option<Value> {
        let converted = match (want, &v) {
            (_, Value::Null) | (Want::Any, _) => Some(v.clone()),
            (Want::Text, _) => written(&v, "…").ok().map(Value::String),
            (Want::Number | Want::NumberText | Want::Integer, Value::Number(_)) => Some(v.clone()),
            (Want::Number | Want::NumberText | Want::Integer, Value::String(s)) => {
                number_in_text(s).and_then(number_value)
            }
            (Want::Boolean, Value::Bool(_)) => Some(v.clone()),
            (Want::Boolean, Value::String(s)) => match s.as_str() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            (Want::List, Value::Array(_)) | (Want::Object, Value::Object(_)) => Some(v.clone()),
            _ => None,
        };
        let converted = match (want, converted) {
            (Want::Integer, Some(n)) if n.as_f64().is_some_and(|x| x.fract() != 0.0) => None,
            (Want::NumberText, Some(Value::Number(n))) => Some(Value::String(n.to_string())),
            (_, c) => c,
        };
        if converted.is_none() {
            self.problem(
                field,
                format!("{} cannot take {}", want.words(), describe(&v)),
            );
        }
        converted
    }

    /// A literal kept as written; a kind the schema does not want is a problem.
    fn literal(&mut self, v: &Value, want: Want, field: &str) {
        let fits = match (want, v) {
            (Want::Any, _) | (_, Value::Null) => true,
            (Want::Number | Want::NumberText, Value::Number(_)) => true,
            (Want::Integer, Value::Number(n)) => n.as_f64().is_some_and(|x| x.fract() == 0.0),
            (Want::Boolean, Value::Bool(_)) => true,
            _ => false,
        };
        if !fits {
            self.problem(
                field,
                format!("{} cannot take {}", want.words(), describe(v)),
            );
        }
    }

    fn list(&mut self, items: &[Value], schema: Option<&Value>, want: Want, field: &str) -> Value {
        if !matches!(want, Want::List | Want::Any) {
            self.problem(field, format!("{} cannot take a list", want.words()));
        }
        let item_schema = schema
            .and_then(|s| s.get("items"))
            .filter(|s| s.is_object());
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(v) = self.value(item, item_schema, &format!("{field}[{i}]")) {
                out.push(v);
            }
        }
        Value::Array(out)
    }

    fn object(
        &mut self,
        o: &Map<String, Value>,
        schema: Option<&Value>,
        want: Want,
        field: &str,
    ) -> Value {
        if !matches!(want, Want::Object | Want::Any) {
            self.problem(field, format!("{} cannot take an object", want.words()));
        }
        let props = schema.and_then(|s| s.get("properties"));
        let extra = schema
            .and_then(|s| s.get("additionalProperties"))
            .filter(|s| s.is_object());
        let mut out = Map::new();
        for (k, v) in o {
            let sub = props.and_then(|p| p.get(k)).or(extra);
            if let Some(r) = self.value(v, sub, &join(field, k)) {
                out.insert(k.clone(), r);
            }
        }
        let required = schema
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !out.contains_key(name) {
                self.problem(
                    &join(field, name),
                    "the schema requires this field, and it has no value",
                );
            }
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-05T10:30:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }
    fn payload() -> Value {
        json!({
            "contactId": "c-1",
            "contact": {"name": {"first": "Ada"}},
            "order": {"total": {"value": "49.90", "currency": "USD"}},
            "order_number": 1001,
            "createTask-1": {"taskId": "t-9"},
            "totals": {"subtotal": "19.99"},
            "account": {"points": {"balance": 40}},
            "tags": ["vip"],
            "flag": "true",
            "half": 2.5
        })
    }
    fn resolve(mapping: Value, schema: Option<Value>) -> Resolved {
        let p = payload();
        resolve_mapping(
            &mapping,
            schema.as_ref(),
            &Env {
                payload: &p,
                now: now(),
            },
        )
    }
    /// The fields with problems, sorted (a map's order depends on serde_json's features).
    fn fields(r: &Resolved) -> Vec<&str> {
        let mut f: Vec<&str> = r.problems.iter().map(|p| p.field.as_str()).collect();
        f.sort_unstable();
        f
    }
    fn message<'r>(r: &'r Resolved, field: &str) -> &'r str {
        r.problems
            .iter()
            .find(|p| p.field == field)
            .map_or("", |p| p.message.as_str())
    }

    #[test]
    fn f1_mapping_without_a_schema() {
        let r = resolve(
            json!({"contactId": "{{var(\"contactId\")}}", "title": "Welcome {{var(\"contact.name.first\")}}"}),
            None,
        );
        assert_eq!(r.value, json!({"contactId": "c-1", "title": "Welcome Ada"}));
        assert!(r.missing.is_empty() && r.problems.is_empty(), "{r:?}");
    }

    #[test]
    fn f2_mapping_with_a_missing_part_in_text() {
        let r = resolve(
            json!({"<input-key>": "Follow up on order {{var(\"number\")}}"}),
            None,
        );
        assert_eq!(r.value, json!({"<input-key>": "Follow up on order "}));
        assert_eq!(r.missing, vec!["number"]);
        assert!(r.problems.is_empty(), "{r:?}");
    }

    fn sk_act_schema() -> Value {
        json!({"type": "object", "properties": {
            "subject": {"type": "string"}, "priority": {"type": "string"},
            "notifyCustomer": {"type": "boolean"},
            "amount": {"type": "object", "properties": {"value": {"type": "number"}, "currency": {"type": "string"}}},
            "contactId": {"type": "string"},
            "labelKeys": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string"}
        }})
    }

    #[test]
    fn the_sk_act_example_typed_by_its_schema() {
        let mapping = json!({ "subject": "Welcome, {{var(\"contact.name.first\")}}!", "priority": "HIGH", "notifyCustomer": true,
          "amount": { "value": "{{var(\"order.total.value\")}}", "currency": "{{var(\"order.total.currency\")}}" },
          "contactId": "{{var(\"contactId\")}}", "labelKeys": ["<label-key-1>"],
          "note": "Order {{var(\"order_number\")}} from {{var(\"createTask-1.taskId\")}}" });
        let r = resolve(mapping, Some(sk_act_schema()));
        assert_eq!(
            r.value,
            json!({"subject": "Welcome, Ada!", "priority": "HIGH", "notifyCustomer": true,
                "amount": {"value": 49.9, "currency": "USD"}, "contactId": "c-1",
                "labelKeys": ["<label-key-1>"], "note": "Order 1001 from t-9"})
        );
        assert!(r.missing.is_empty() && r.problems.is_empty(), "{r:?}");
    }

    #[test]
    fn the_set_variables_example() {
        let mapping = json!({
          "3f2b8c1e-7a4d-4e9b-9c21-5d6f0a1b2c3d": "Dear {{var(\"contact.name.first\")}},",
          "8a9e4f20-1b3c-4d5e-8f6a-7b8c9d0e1f2a": "{{multiply(toNumber(var(\"totals.subtotal\"));divide(8;100))}}" });
        let schema = json!({ "type": "object",
          "properties": {
            "3f2b8c1e-7a4d-4e9b-9c21-5d6f0a1b2c3d": { "type": "string", "title": "Customer greeting" },
            "8a9e4f20-1b3c-4d5e-8f6a-7b8c9d0e1f2a": { "type": "number", "title": "Tax amount" } },
          "required": ["3f2b8c1e-7a4d-4e9b-9c21-5d6f0a1b2c3d", "8a9e4f20-1b3c-4d5e-8f6a-7b8c9d0e1f2a"] });
        let r = resolve(mapping, Some(schema));
        assert_eq!(
            r.value,
            json!({"3f2b8c1e-7a4d-4e9b-9c21-5d6f0a1b2c3d": "Dear Ada,",
                   "8a9e4f20-1b3c-4d5e-8f6a-7b8c9d0e1f2a": 1.5992})
        );
        assert!(r.problems.is_empty(), "{r:?}");
    }

    #[test]
    fn the_older_sdk_example_keeps_types() {
        let r = resolve(
            json!({"someField": "{{10}}", "someOtherField": "{{multiply( var('account.points.balance') ;2 )}}" }),
            None,
        );
        assert_eq!(r.value, json!({"someField": 10, "someOtherField": 80}));
    }

    #[test]
    fn a_missing_whole_value_leaves_the_field_out() {
        let schema = json!({"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]});
        let r = resolve(
            json!({"email": "{{var(\"contact.email\")}}", "id": "{{var(\"contactId\")}}"}),
            Some(schema),
        );
        assert_eq!(r.value, json!({"id": "c-1"}));
        assert_eq!(r.missing, vec!["contact.email"]);
        assert_eq!(
            r.problems,
            vec![Problem {
                field: "email".into(),
                message: "the schema requires this field, and it has no value".into(),
            }]
        );
    }

    #[test]
    fn number_fields_take_one_whole_expression() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "number"}, "b": {"type": "number"}, "c": {"type": "integer"},
            "d": {"type": "number"}, "e": {"type": ["number", "null"]}, "f": {"type": "string", "format": "number"}}});
        let r = resolve(
            json!({"a": "Total: {{var(\"order_number\")}}", "b": "{{var(\"contactId\")}}",
                   "c": "{{var(\"half\")}}", "d": "5", "e": "{{var(\"order.total.value\")}}",
                   "f": "{{var(\"order_number\")}}"}),
            Some(schema),
        );
        assert_eq!(r.value, json!({"e": 49.9, "f": "1001"}));
        assert_eq!(fields(&r), vec!["a", "b", "c", "d"]);
        let m = |f: &str| message(&r, f);
        assert!(
            m("a").contains("exactly one {{…}} covering the whole value"),
            "{}",
            m("a")
        );
        assert_eq!(m("b"), "a number field cannot take the text \"c-1\"");
        assert_eq!(m("c"), "an integer field cannot take the number 2.5");
        assert!(m("d").contains("this is the text \"5\""), "{}", m("d"));
    }

    #[test]
    fn boolean_fields() {
        let schema = json!({"properties": {"x": {"type": "boolean"}, "y": {"type": "boolean"}, "z": {"type": "boolean"}}});
        let r = resolve(
            json!({"x": "{{var(\"flag\")}}", "y": "{{var(\"order_number\")}}", "z": false}),
            Some(schema),
        );
        assert_eq!(r.value, json!({"x": true, "z": false}));
        assert_eq!(fields(&r), vec!["y"]);
        assert_eq!(
            message(&r, "y"),
            "a boolean field cannot take the number 1001"
        );
    }

    #[test]
    fn lists_and_objects() {
        let schema = json!({"type": "object", "properties": {
            "tags": {"type": "array", "items": {"type": "number"}},
            "copy": {"type": "array"}, "obj": {"type": "object"}, "note": {"type": "string"}}});
        let r = resolve(
            json!({"tags": [1, "{{var(\"contactId\")}}", "{{var(\"order_number\")}}"],
                   "copy": "{{var(\"tags\")}}", "obj": "{{var(\"contactId\")}}",
                   "note": "Tags: {{var(\"tags\")}}"}),
            Some(schema),
        );
        assert_eq!(
            r.value,
            json!({"tags": [1, 1001], "copy": ["vip"], "note": "Tags: "})
        );
        assert_eq!(fields(&r), vec!["note", "obj", "tags[1]"]);
        assert_eq!(
            message(&r, "note"),
            "{{var(\"tags\")}}: gives a list of 1, which cannot be written into text"
        );
        assert_eq!(
            message(&r, "obj"),
            "an object field cannot take the text \"c-1\""
        );
        assert_eq!(
            message(&r, "tags[1]"),
            "a number field cannot take the text \"c-1\""
        );
    }

    #[test]
    fn literals_of_the_wrong_kind_are_kept_and_reported() {
        let schema = json!({"properties": {"name": {"type": "string"}, "n": {"type": "number"}, "o": {"type": "string"}}});
        let r = resolve(json!({"name": 5, "n": [1], "o": {"a": 1}}), Some(schema));
        assert_eq!(r.value, json!({"name": 5, "n": [1], "o": {"a": 1}}));
        assert_eq!(fields(&r), vec!["n", "name", "o"]);
        assert_eq!(message(&r, "name"), "a text field cannot take the number 5");
        assert_eq!(message(&r, "n"), "a number field cannot take a list");
        assert_eq!(message(&r, "o"), "a text field cannot take an object");
    }

    #[test]
    fn errors_name_the_field_and_the_function() {
        let r = resolve(
            json!({"amount": {"value": "{{multiply(var(\"order.total.value\");2)}}"}, "x": "{{trim(\"a\")}}", "y": "{{oops("}),
            None,
        );
        assert_eq!(r.value, json!({"amount": {}}));
        assert_eq!(fields(&r), vec!["amount.value", "x", "y"]);
        let value = message(&r, "amount.value");
        assert!(
            value.starts_with("multiply:") && value.contains("toNumber"),
            "{value}"
        );
        assert!(
            message(&r, "x").starts_with("Wix has no function trim"),
            "{r:?}"
        );
        let y = message(&r, "y");
        assert!(y.contains("cannot read") && y.contains("oops"), "{y}");
    }

    #[test]
    fn without_a_schema_a_whole_value_keeps_its_type() {
        let r = resolve(
            json!({"n": "{{var(\"order_number\")}}", "l": "{{var(\"tags\")}}", "t": "n={{var(\"order_number\")}}"}),
            None,
        );
        assert_eq!(r.value, json!({"n": 1001, "l": ["vip"], "t": "n=1001"}));
    }

    #[test]
    fn missing_paths_are_listed_once() {
        let r = resolve(
            json!({"a": "{{var(\"x\")}}", "b": "{{var(\"x\")}} {{var(\"y\")}}"}),
            None,
        );
        assert_eq!(r.missing, vec!["x", "y"]);
        assert_eq!(r.value, json!({"b": " "}));
    }

    #[test]
    fn odd_mappings_never_panic() {
        for m in [
            json!(null),
            json!("{{"),
            json!([[[]]]),
            json!({"": {"": ""}}),
            json!(1.5),
        ] {
            for s in [
                None,
                Some(json!(true)),
                Some(json!({"type": 5})),
                Some(json!({"properties": []})),
            ] {
                let _ = resolve(m.clone(), s);
            }
        }
    }
}
