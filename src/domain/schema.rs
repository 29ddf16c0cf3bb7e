//! JSON Schema support: compiled validators for an action's input and output schemas, their
//! violations in words, and a starting value shaped like a schema.

use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A compiled schema with its source, cheap to clone.
#[derive(Clone)]
pub struct Schema {
    pub source: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("source", &self.source)
            .finish()
    }
}

impl Schema {
    /// Compiles `source` (Wix stores schemas as draft-07).
    pub fn compile(source: &Value) -> Result<Schema, String> {
        let validator =
            jsonschema::draft7::new(source).map_err(|e| format!("invalid JSON Schema: {e}"))?;
        Ok(Schema {
            source: Arc::new(source.clone()),
            validator: Arc::new(validator),
        })
    }

    /// Every way `instance` breaks the schema, each naming where.
    pub fn violations(&self, instance: &Value) -> Vec<String> {
        self.validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".to_string() } else { at };
                format!("at {at}: {e}")
            })
            .collect()
    }

    /// A value shaped like the schema, to start editing from.
    pub fn skeleton(&self) -> Value {
        skeleton(&self.source)
    }
}

/// A value shaped like `schema`: each property gets a placeholder of its type (the first
/// `enum` value, a `default` or an `examples[0]` where the schema gives one).
pub fn skeleton(schema: &Value) -> Value {
    if let Some(v) = schema
        .get("default")
        .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
    {
        return v.clone();
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(first) = ["allOf", "anyOf", "oneOf"]
        .iter()
        .find_map(|k| schema.get(*k).and_then(|v| v.get(0)))
    {
        return skeleton(first);
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .find_map(|t| t.as_str().filter(|t| *t != "null"))
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "object",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(Value::Object(props)) = schema.get("properties") {
                for (k, v) in props {
                    out.insert(k.clone(), skeleton(v));
                }
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("email") => json!("someone@example.com"),
            Some("uri") | Some("url") => json!("https://example.com"),
            _ => json!(""),
        },
        "integer" | "number" => json!(0),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_name_where_and_what() {
        let s = Schema::compile(&json!({
            "type": "object",
            "properties": {"amount": {"type": "number", "title": "Amount"}},
            "required": ["amount"]
        }))
        .expect("schema compiles");
        assert!(s.violations(&json!({"amount": 3.5})).is_empty());
        let v = s.violations(&json!({"amount": "3.5"}));
        assert_eq!(v.len(), 1);
        assert!(v[0].contains("/amount"), "{v:?}");
        let missing = s.violations(&json!({}));
        assert!(missing[0].contains("amount"), "{missing:?}");
    }

    #[test]
    fn skeleton_follows_types_enums_and_formats() {
        let schema = json!({
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["APPROVED", "REJECTED"]},
                "count": {"type": "integer"},
                "when": {"type": "string", "format": "date-time"},
                "ok": {"type": "boolean"},
                "items": {"type": "array", "items": {"type": "object"}},
                "nested": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        });
        assert_eq!(
            skeleton(&schema),
            json!({"status": "APPROVED", "count": 0, "when": "2026-01-01T00:00:00Z", "ok": false,
                   "items": [], "nested": {"name": ""}})
        );
        let s = Schema::compile(&schema).expect("compiles");
        assert!(s.violations(&s.skeleton()).is_empty());
    }

    #[test]
    fn an_invalid_schema_is_an_error_not_a_panic() {
        assert!(Schema::compile(&json!({"type": 12})).is_err());
    }
}
