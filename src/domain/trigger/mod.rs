//! Triggers: the definition files (one per trigger: its key, name and payload schema), and
//! what a reported payload must be to start an automation (`../shared/triggers.md` §3–4).
//! The Triggered Events API's requests are read in [`events`]. Pure data and rules: no clock,
//! no HTTP.

pub mod events;
pub mod lint;
pub mod payload;
pub mod provider;
pub mod published;
mod rules;

use super::contract::Finding;
use super::findings::{Level, LintFinding};
use super::schema::Schema;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A trigger definition file, as written (the Trigger Catalog's fields that matter here).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerDefinition {
    pub trigger_key: String,
    pub display_name: String,
    /// The payload's JSON Schema (the catalog calls it `payloadDataSchema`).
    #[serde(alias = "payloadDataSchema")]
    pub payload_schema: Value,
    #[serde(default)]
    pub filters: Vec<Value>,
    #[serde(default)]
    pub automation_config_schema: Option<Value>,
    #[serde(default)]
    pub implemented_methods: Option<Map<String, Value>>,
    #[serde(default)]
    pub base_uri: Option<String>,
}

/// A definition read and compiled: its schema as Wix judges a reported payload (draft-07,
/// unknown keys allowed), the property that schedules it, and what is wrong with it.
#[derive(Clone, Debug)]
pub struct LoadedTrigger {
    pub def: TriggerDefinition,
    pub path: Option<PathBuf>,
    /// The payload schema with `additionalProperties: true` at its root, as Wix saves it.
    pub schema: Option<Schema>,
    /// The `date-time` property marked `futureDate`: the trigger is scheduled by it.
    pub future_date: Option<String>,
    /// What breaks Wix's rules for the definition and its payload schema, one finding each.
    pub findings: Vec<LintFinding>,
}

impl LoadedTrigger {
    pub fn load(path: &Path) -> Result<LoadedTrigger, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut t = LoadedTrigger::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        t.path = Some(path.to_path_buf());
        Ok(t)
    }

    pub fn parse(text: &str) -> Result<LoadedTrigger, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        LoadedTrigger::from_value(v)
    }

    /// A definition as written: linted as it is, then read.
    pub fn from_value(v: Value) -> Result<LoadedTrigger, String> {
        let findings = match &v {
            Value::Object(o) => lint::lint(o),
            _ => vec![],
        };
        let def: TriggerDefinition =
            serde_json::from_value(v).map_err(|e| format!("not a trigger definition: {e}"))?;
        let mut as_saved = def.payload_schema.clone();
        if let Some(o) = as_saved.as_object_mut() {
            o.insert("additionalProperties".into(), Value::Bool(true));
        }
        let mut t = LoadedTrigger {
            future_date: future_date_property(&def.payload_schema),
            def,
            path: None,
            schema: None,
            findings,
        };
        match Schema::compile(&as_saved) {
            Ok(s) => t.schema = Some(s),
            Err(e) => t.findings.push(LintFinding::new(
                Level::Error,
                "payloadSchema",
                "schema-compiles",
                format!("{e}: reports cannot be judged against it"),
                lint::SOURCE_PAYLOAD,
            )),
        }
        Ok(t)
    }

    /// The findings that are errors (what Wix would refuse).
    pub fn errors(&self) -> impl Iterator<Item = &LintFinding> {
        self.findings.iter().filter(|f| f.level == Level::Error)
    }

    pub fn key(&self) -> &str {
        &self.def.trigger_key
    }

    /// A payload made of the first example of each first-level property (what the window's
    /// Report event… starts from).
    pub fn example_payload(&self) -> Value {
        let mut out = Map::new();
        if let Some(props) = self
            .def
            .payload_schema
            .get("properties")
            .and_then(Value::as_object)
        {
            for (k, p) in props {
                let v = p
                    .get("examples")
                    .and_then(Value::as_array)
                    .and_then(|a| a.first().cloned())
                    .or_else(|| p.get("default").cloned())
                    .unwrap_or_else(|| super::schema::skeleton(p));
                out.insert(k.clone(), v);
            }
        }
        Value::Object(out)
    }

    /// Where a reported payload breaks the schema, one finding each (`payload.x`).
    pub fn payload_violations(&self, payload: &Value) -> Vec<Finding> {
        let Some(schema) = &self.schema else {
            return vec![];
        };
        schema
            .violations(payload)
            .into_iter()
            .map(|v| {
                Finding::error(
                    "payload-schema",
                    format!(
                        "{}: the payload breaks the trigger's schema",
                        if v.path.is_empty() {
                            v.message.clone()
                        } else {
                            format!("{} {}", v.path, v.message)
                        }
                    ),
                )
                .at(v.under("payload"))
                .rule(v.rule)
            })
            .collect()
    }

    /// When a scheduled trigger's event happens: the `futureDate` property's value, or why it
    /// cannot be read. None for a real-time trigger.
    pub fn scheduled_for(&self, payload: &Value) -> Option<Result<DateTime<Utc>, String>> {
        let name = self.future_date.as_ref()?;
        Some(match payload.get(name) {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| format!("payload.{name} {s:?} is not a date-time: {e}")),
            Some(_) => Err(format!("payload.{name} is not a date-time string")),
            None => Err(format!(
                "payload.{name} is missing: the trigger is scheduled by it"
            )),
        })
    }
}

/// The trigger definitions loaded, by key.
#[derive(Clone, Debug, Default)]
pub struct Triggers {
    pub list: Vec<LoadedTrigger>,
    /// Files that could not be read, and why.
    pub errors: Vec<String>,
}

impl Triggers {
    /// Every `*.json` definition in `dir`, sorted by file name.
    pub fn load_dir(dir: &Path) -> Triggers {
        if !dir.is_dir() {
            return Triggers::default();
        }
        let (list, errors) = super::sample::load_json_files(dir, LoadedTrigger::load);
        Triggers::of(list, errors)
    }

    /// [`Triggers::load_dir`] again, keeping the last good version of a file that no longer
    /// loads.
    pub fn reload_dir(dir: &Path, kept: &mut super::sample::Kept<LoadedTrigger>) -> Triggers {
        if !dir.is_dir() {
            kept.clear();
            return Triggers::default();
        }
        let (list, errors) = super::sample::load_json_files_keeping(dir, LoadedTrigger::load, kept);
        Triggers::of(list, errors)
    }

    /// The triggers loaded, a key defined twice said in its second definition's findings.
    fn of(mut list: Vec<LoadedTrigger>, errors: Vec<String>) -> Triggers {
        // A key defined twice: the first definition is the one reports are judged against.
        for i in 1..list.len() {
            let (before, rest) = list.split_at_mut(i);
            let this = &mut rest[0];
            if let Some(first) = before.iter().find(|t| t.key() == this.key()) {
                let at = first.path.clone().unwrap_or_default();
                this.findings.push(lint::duplicate_key(this.key(), &at));
            }
        }
        Triggers { list, errors }
    }

    pub fn find(&self, key: &str) -> Option<&LoadedTrigger> {
        self.list.iter().find(|t| t.def.trigger_key == key)
    }
}

/// The first-level property marked `futureDate: true`, when it is a `date-time` string.
fn future_date_property(schema: &Value) -> Option<String> {
    schema
        .get("properties")?
        .as_object()?
        .iter()
        .find(|(_, p)| {
            p.get("futureDate") == Some(&Value::Bool(true))
                && p.get("type").and_then(Value::as_str) == Some("string")
                && p.get("format").and_then(Value::as_str) == Some("date-time")
        })
        .map(|(k, _)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trigger(schema: Value) -> LoadedTrigger {
        LoadedTrigger::from_value(json!({
            "triggerKey": "class-signup",
            "displayName": "Class sign-up",
            "payloadSchema": schema,
        }))
        .expect("a trigger definition")
    }

    #[test]
    fn a_scheduled_trigger_is_read_from_its_future_date_property() {
        let t = trigger(json!({"type": "object", "properties": {
            "startsAt": {"type": "string", "format": "date-time", "title": "Starts", "futureDate": true, "examples": ["2027-01-01T10:00:00Z"]},
            "name": {"type": "string", "title": "Name", "examples": ["Dana"]}
        }, "required": ["name"]}));
        assert!(t.findings.is_empty(), "{:?}", t.findings);
        assert_eq!(t.future_date.as_deref(), Some("startsAt"));
        let at = t
            .scheduled_for(&json!({"startsAt": "2027-01-01T10:00:00+02:00"}))
            .expect("as expected")
            .expect("as expected");
        assert_eq!(at.to_rfc3339(), "2027-01-01T08:00:00+00:00");
        assert!(t.scheduled_for(&json!({})).expect("as expected").is_err());
        assert_eq!(
            t.example_payload(),
            json!({"startsAt": "2027-01-01T10:00:00Z", "name": "Dana"})
        );
        // Unknown keys are allowed, as Wix saves every schema; a missing required one is not.
        assert!(
            t.payload_violations(&json!({"name": "x", "extra": 1}))
                .is_empty()
        );
        let v = t.payload_violations(&json!({"extra": 1}));
        assert_eq!(v[0].field.as_deref(), Some("payload.name"));
    }

    #[test]
    fn a_schema_that_breaks_wix_rules_says_where() {
        let t = trigger(json!({"type": "object", "properties": {
            "_id": {"type": "string", "title": "Id", "examples": ["x"]},
            "a": {"type": "string", "futureDate": true, "examples": ["x"]},
            "b": {"type": "number", "title": "B", "futureDate": true}
        }}));
        let codes: Vec<&str> = t.findings.iter().map(|f| f.rule).collect();
        assert!(codes.contains(&"key-chars"), "{codes:?}");
        assert!(codes.contains(&"title-required"), "{codes:?}");
        assert!(codes.contains(&"examples-required"), "{codes:?}");
        assert_eq!(
            codes
                .iter()
                .filter(|c| c.starts_with("future-date") || **c == "one-future-date")
                .count(),
            3,
            "{codes:?}"
        );
        // Neither is a date-time string, so nothing schedules it.
        assert_eq!(t.future_date, None);
    }
}
