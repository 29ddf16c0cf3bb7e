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
    /// Whether `other` is this very schema (the same compiled validator), not only an equal one.
    pub fn same(&self, other: &Schema) -> bool {
        Arc::ptr_eq(&self.validator, &other.validator)
    }

    /// Compiles `source` (Wix stores schemas as draft-07).
    pub fn compile(source: &Value) -> Result<Schema, String> {
        let validator =
            jsonschema::draft7::new(source).map_err(|e| format!("invalid JSON Schema: {e}"))?;
        Ok(Schema {
            source: Arc::new(source.clone()),
            validator: Arc::new(validator),
        })
    }

    /// Every way `instance` breaks the schema, each naming the field (as a path below
    /// `instance`) and the rule.
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(instance)
            .map(|e| {
                let mut path = dotted(&e.instance_path().to_string());
                // A missing required property is named itself, not its parent.
                if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind()
                    && let Some(p) = property.as_str()
                {
                    path = join_path(&path, p);
                }
                Violation {
                    path,
                    message: e.to_string(),
                    rule: violated_rule(e.kind().keyword()),
                }
            })
            .collect()
    }

    /// A value shaped like the schema, to start editing from.
    pub fn skeleton(&self) -> Value {
        skeleton(&self.source)
    }
}

/// One way a value breaks a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a path below the checked value: `amount`, `items[0].sku`; empty for the value itself.
    pub path: String,
    pub message: String,
    /// Wix's name for the rule (`fieldViolations[].violatedRule`).
    pub rule: &'static str,
}

impl Violation {
    /// The path below `parent` (`result` + `amount` = `result.amount`).
    pub fn under(&self, parent: &str) -> String {
        join_path(parent, &self.path)
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

/// `parent.child`, or `parent[0]` for an index; either side may be empty.
pub fn join_path(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (_, true) => parent.to_string(),
        (true, false) => child.to_string(),
        (false, false) if child.starts_with('[') => format!("{parent}{child}"),
        (false, false) => format!("{parent}.{child}"),
    }
}

/// A JSON pointer (`/items/0/sku`) as a field path (`items[0].sku`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            out = join_path(&out, &seg);
        }
    }
    out
}

/// Wix's `violatedRule` for a JSON Schema keyword.
fn violated_rule(keyword: &str) -> &'static str {
    match keyword {
        "required" => "REQUIRED_FIELD",
        "maximum" | "exclusiveMaximum" => "MAX",
        "minimum" | "exclusiveMinimum" => "MIN",
        "maxLength" => "MAX_LENGTH",
        "minLength" => "MIN_LENGTH",
        "maxItems" | "maxProperties" => "MAX_SIZE",
        "minItems" | "minProperties" => "MIN_SIZE",
        "format" | "pattern" => "FORMAT",
        "enum" | "const" => "INVALID_ENUM_VALUE",
        "oneOf" => "ONE_OF_ALIGNMENT",
        "additionalProperties" => "FIELD_NOT_ALLOWED",
        "type" => "VALIDATION",
        _ => "OTHER",
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
        assert_eq!((v[0].path.as_str(), v[0].rule), ("amount", "VALIDATION"));
        assert_eq!(v[0].under("result"), "result.amount");
        let missing = s.violations(&json!({}));
        assert_eq!(
            (missing[0].path.as_str(), missing[0].rule),
            ("amount", "REQUIRED_FIELD")
        );
        assert_eq!(dotted("/items/0/a~1b"), "items[0].a/b");
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
