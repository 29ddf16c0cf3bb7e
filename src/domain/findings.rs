//! What the lints of action and trigger definitions share: a finding and how much it matters,
//! the string formats Wix's builder knows, the type test and the walk over a schema's
//! properties, and which file is a trigger's definition. Both `definition` and `trigger`
//! import it; neither imports the other.

use serde_json::{Map, Value};

/// How much a finding matters: an error is what Wix refuses (or forbids once published); a
/// warning is what it rewrites, cannot check, or what the docs only imply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One finding of `lint` or of a comparison with the published definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintFinding {
    pub level: Level,
    /// The place, as a JSON path: `inputSchema.properties.first-name`.
    pub path: String,
    /// The rule's short name: `key-chars`.
    pub rule: &'static str,
    /// What is wrong, and what Wix or a site owner then sees.
    pub message: String,
    pub source: &'static str,
}

impl LintFinding {
    pub(crate) fn new(
        level: Level,
        path: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
        source: &'static str,
    ) -> Self {
        LintFinding {
            level,
            path: path.into(),
            rule,
            message: message.into(),
            source,
        }
    }

    /// One line: `error inputSchema.properties.x [key-chars] … (source: …)`.
    pub fn line(&self) -> String {
        format!(
            "{} {} [{}] {} (source: {})",
            self.level.label(),
            self.path,
            self.rule,
            self.message,
            self.source
        )
    }
}

/// Every property of schema `s` at every depth (an object's properties, an array's items'),
/// with its path under `at` (`properties.a.items.properties.b`) and whether its parent lists it
/// as required.
pub(crate) fn each_property<'a>(
    s: &'a Value,
    at: &str,
    f: &mut dyn FnMut(String, &'a Value, bool),
) {
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, p) in props {
        let path = if at.is_empty() {
            format!("properties.{k}")
        } else {
            format!("{at}.properties.{k}")
        };
        f(path.clone(), p, required.contains(&k.as_str()));
        each_property(p, &path, f);
        if let Some(items) = p.get("items") {
            each_property(items, &format!("{path}.items"), f);
        }
    }
}

/// The formats Wix's guides list for fields the builder shows: `number` is a numeric string.
pub(crate) const BUILDER_FORMATS: [&str; 7] = [
    "uuid",
    "date-time",
    "date",
    "time",
    "email",
    "uri",
    "number",
];
/// JSON Schema's built-in formats (2020-12, which Wix's guides point at).
pub(crate) const JSON_SCHEMA_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "uuid",
    "duration",
];

/// Why a string format is one the builder does not interpret (None when it does): a format
/// JSON Schema knows is validated but shown as plain text; one it does not know is not checked.
pub(crate) fn unknown_format(name: &str) -> Option<String> {
    if BUILDER_FORMATS.contains(&name) {
        return None;
    }
    let listed = BUILDER_FORMATS.join(", ");
    Some(if JSON_SCHEMA_FORMATS.contains(&name) {
        format!(
            "format {name:?} is a JSON Schema format, but Wix's guides list only {listed} for the automation builder: it shows a plain text field"
        )
    } else {
        format!(
            "format {name:?} is not a format Wix's guides list ({listed}) nor one of JSON Schema's: nothing checks values against it"
        )
    })
}

/// Whether `v` is of JSON Schema type `ty` (anything fits no type).
pub(crate) fn of_type(v: &Value, ty: Option<&str>) -> bool {
    match ty {
        Some("string") => v.is_string(),
        Some("number") => v.is_number(),
        Some("integer") => v.as_i64().is_some() || v.as_u64().is_some(),
        Some("boolean") => v.is_boolean(),
        Some("array") => v.is_array(),
        Some("object") => v.is_object(),
        _ => true,
    }
}

/// Whether a file's JSON is a trigger definition rather than an action's.
pub fn is_trigger_definition(v: &Map<String, Value>) -> bool {
    ["triggerKey", "payloadSchema", "payloadDataSchema"]
        .iter()
        .any(|k| v.contains_key(*k))
}
