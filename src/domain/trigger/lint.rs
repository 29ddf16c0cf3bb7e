//! Lint of a trigger definition: every rule of `../shared/triggers.md` §3 (the definition's own
//! fields, its filters, which service-plugin methods it implements) and §4 (its payload
//! schema), one finding each, with the page that states the rule. Where the sources disagree
//! the finding is a warning that names them.

use super::events::is_guid;
pub use super::rules::{
    SOURCE_IDENTITY, SOURCE_PAYLOAD, SOURCE_PAYLOAD_LEGACY, SOURCE_PROVIDER, SOURCE_TRIGGER_KEY,
    SOURCE_TRIGGER_OBJECT,
};
use super::rules::{error, json_type, warning};
use crate::domain::findings::LintFinding;
pub use crate::domain::findings::is_trigger_definition;
use serde_json::{Map, Value};

const CONFLICT_NAME: &str = "conflict: the legacy internal guide (2024) says a name of at most 50 characters; the newer Trigger Catalog object says 5 to 80";
const CONFLICT_DESCRIPTION: &str = "conflict: the legacy internal guide (2024) has a description of at most 250 characters; the newer catalog object and the trigger-configuration skills page have none";
const METHODS: [&str; 5] = [
    "validateConfiguration",
    "getDynamicSchema",
    "refreshPayload",
    "onAutomationSaved",
    "onAutomationDeleted",
];
const MATURITIES: [&str; 4] = ["CREATED", "BETA", "GA", "ARCHIVED"];
const VALUE_INPUTS: [&str; 3] = ["ENTITY_SELECTOR", "USER_INPUT", "STATIC_ITEMS"];
const FIELD_KEY_TYPES: [&str; 2] = ["STATIC_FIELD_KEY", "DYNAMIC_FIELD_KEY"];

/// A second definition with the key of `first`'s: keys are unique within an app.
pub fn duplicate_key(key: &str, first: &std::path::Path) -> LintFinding {
    error(
        "triggerKey",
        "trigger-key-unique",
        format!(
            "{key:?} is also the key of {}: a trigger key is unique within the app",
            first.display()
        ),
        SOURCE_TRIGGER_KEY,
    )
}

/// The payload schema, under either name the sources use.
pub fn payload_schema(d: &Map<String, Value>) -> Option<&Value> {
    d.get("payloadSchema")
        .or_else(|| d.get("payloadDataSchema"))
}

/// Every rule of §3 and §4 on a trigger definition as written.
pub fn lint(d: &Map<String, Value>) -> Vec<LintFinding> {
    let mut out = vec![];
    key_and_name(d, &mut out);
    match payload_schema(d) {
        Some(s) => super::payload::lint(s, "payloadSchema", &mut out),
        None => out.push(error(
            "payloadSchema",
            "payload-schema-required",
            "a trigger needs a payload schema: Wix builds the automation builder's fields and the actions' data from it",
            SOURCE_PAYLOAD,
        )),
    }
    filters(d, &mut out);
    provider(d, &mut out);
    if let Some(s) = d.get("automationConfigSchema") {
        match s {
            Value::Object(_) => {
                if let Err(e) = crate::domain::schema::Schema::compile(s) {
                    out.push(error(
                        "automationConfigSchema",
                        "automation-config-schema",
                        format!("{e}: Wix stores the user's values against it"),
                        SOURCE_TRIGGER_OBJECT,
                    ));
                }
            }
            other => out.push(error(
                "automationConfigSchema",
                "automation-config-schema",
                format!(
                    "automationConfigSchema must be a JSON Schema object, not {}",
                    json_type(other)
                ),
                SOURCE_TRIGGER_OBJECT,
            )),
        }
    }
    out
}

fn key_and_name(d: &Map<String, Value>, out: &mut Vec<LintFinding>) {
    match d.get("triggerKey") {
        None => out.push(error(
            "triggerKey",
            "trigger-key-required",
            "the trigger has no triggerKey: your app reports events by it",
            SOURCE_TRIGGER_OBJECT,
        )),
        Some(Value::String(k)) => {
            let n = k.chars().count();
            if !(1..=100).contains(&n) {
                out.push(error(
                    "triggerKey",
                    "trigger-key-length",
                    format!("triggerKey has {n} characters: Wix takes 1 to 100"),
                    SOURCE_TRIGGER_OBJECT,
                ));
            } else if !k.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
                out.push(error("triggerKey", "trigger-key-chars", format!("{k:?} must start with a lowercase letter or a digit: the dashboard refuses it"), SOURCE_TRIGGER_KEY));
            } else if let Some(c) = k
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
            {
                out.push(error("triggerKey", "trigger-key-chars", format!("{k:?} has {c:?}: a trigger key is lowercase letters, digits, - and _ (the dashboard refuses others)"), SOURCE_TRIGGER_KEY));
            }
        }
        Some(other) => out.push(error(
            "triggerKey",
            "trigger-key-required",
            format!("triggerKey must be a string, not {}", json_type(other)),
            SOURCE_TRIGGER_OBJECT,
        )),
    }
    match d.get("displayName") {
        None => out.push(error(
            "displayName",
            "display-name-required",
            "the trigger has no displayName: site owners pick triggers by it",
            SOURCE_TRIGGER_OBJECT,
        )),
        Some(Value::String(name)) => {
            let n = name.chars().count();
            if !(5..=80).contains(&n) {
                out.push(error(
                    "displayName",
                    "display-name-length",
                    format!("displayName has {n} characters: Wix takes 5 to 80"),
                    SOURCE_TRIGGER_OBJECT,
                ));
            } else if n > 50 {
                out.push(warning("displayName", "display-name-length", format!("displayName has {n} characters: the catalog takes it, the older dashboard guide would not"), CONFLICT_NAME));
            }
        }
        Some(other) => out.push(error(
            "displayName",
            "display-name-required",
            format!("displayName must be a string, not {}", json_type(other)),
            SOURCE_TRIGGER_OBJECT,
        )),
    }
    if d.contains_key("description") {
        out.push(warning(
            "description",
            "trigger-description",
            "a trigger description: the current catalog has no such field, so Wix may drop it",
            CONFLICT_DESCRIPTION,
        ));
    }
    if let Some(ns) = d.get("namespace") {
        let n = ns.as_str().map(|s| s.chars().count());
        if !n.is_some_and(|n| (1..=50).contains(&n)) {
            out.push(error(
                "namespace",
                "namespace-length",
                "namespace must be a string of 1 to 50 characters",
                SOURCE_TRIGGER_OBJECT,
            ));
        }
    }
    if let Some(m) = d.get("maturity")
        && !m.as_str().is_some_and(|m| MATURITIES.contains(&m))
    {
        out.push(error(
            "maturity",
            "maturity",
            format!("maturity {m} is none of {}", MATURITIES.join(", ")),
            SOURCE_TRIGGER_OBJECT,
        ));
    }
}

/// `filters`: at most five, each on one field key, with a known input; follow-ups likewise.
fn filters(d: &Map<String, Value>, out: &mut Vec<LintFinding>) {
    let Some(f) = d.get("filters") else { return };
    let props = payload_schema(d)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    filter_list(f, "filters", props, out);
}

fn filter_list(
    f: &Value,
    at: &str,
    props: Option<&Map<String, Value>>,
    out: &mut Vec<LintFinding>,
) {
    let Some(list) = f.as_array() else {
        out.push(error(
            at,
            "filters",
            format!("{at} must be an array of filters, not {}", json_type(f)),
            SOURCE_TRIGGER_OBJECT,
        ));
        return;
    };
    if list.len() > 5 {
        out.push(error(
            at,
            "filters-count",
            format!("{} filters: Wix takes at most 5", list.len()),
            SOURCE_TRIGGER_OBJECT,
        ));
    }
    for (i, one) in list.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let Some(o) = one.as_object() else {
            out.push(error(
                &at,
                "filter-object",
                "a filter must be a JSON object",
                SOURCE_TRIGGER_OBJECT,
            ));
            continue;
        };
        match (o.get("staticFieldKey"), o.get("dynamicFieldKey")) {
            (Some(_), Some(_)) | (None, None) => out.push(error(
                &at,
                "filter-field-key",
                "a filter has exactly one of staticFieldKey and dynamicFieldKey",
                SOURCE_TRIGGER_OBJECT,
            )),
            (Some(Value::String(k)), None) => {
                if props.is_some_and(|p| !p.contains_key(k.split('.').next().unwrap_or(k))) {
                    out.push(warning(format!("{at}.staticFieldKey"), "filter-field-key", format!("the filter is on {k:?}, which is not a property of the payload schema: it can never pass"), SOURCE_TRIGGER_OBJECT));
                }
            }
            (Some(other), None) => out.push(error(
                format!("{at}.staticFieldKey"),
                "filter-field-key",
                format!("staticFieldKey must be a string, not {}", json_type(other)),
                SOURCE_TRIGGER_OBJECT,
            )),
            (None, Some(_)) => {}
        }
        if let Some(t) = o.get("fieldKeyType")
            && !t.as_str().is_some_and(|t| FIELD_KEY_TYPES.contains(&t))
        {
            out.push(error(
                format!("{at}.fieldKeyType"),
                "filter-field-key-type",
                format!("fieldKeyType {t} is none of {}", FIELD_KEY_TYPES.join(", ")),
                SOURCE_TRIGGER_OBJECT,
            ));
        }
        if let Some(id) = o.get("id")
            && !id.as_str().is_some_and(is_guid)
        {
            out.push(error(
                format!("{at}.id"),
                "filter-id",
                format!("a filter's id is a GUID, not {id}"),
                SOURCE_TRIGGER_OBJECT,
            ));
        }
        match o.get("valueInput").map(|v| v.get("type")) {
            Some(Some(t)) if t.as_str().is_some_and(|t| VALUE_INPUTS.contains(&t)) => {}
            Some(Some(t)) => out.push(error(
                format!("{at}.valueInput.type"),
                "filter-value-input",
                format!("valueInput.type {t} is none of {}", VALUE_INPUTS.join(", ")),
                SOURCE_TRIGGER_OBJECT,
            )),
            Some(None) => out.push(error(
                format!("{at}.valueInput.type"),
                "filter-value-input",
                format!(
                    "valueInput needs a type, one of {}",
                    VALUE_INPUTS.join(", ")
                ),
                SOURCE_TRIGGER_OBJECT,
            )),
            None => {}
        }
        if let Some(f) = o.get("followUpFilters") {
            filter_list(f, &format!("{at}.followUpFilters"), props, out);
        }
    }
}

/// `implementedMethods` and `baseUri`: booleans for the five known methods, and where Wix
/// calls the ones implemented.
fn provider(d: &Map<String, Value>, out: &mut Vec<LintFinding>) {
    let mut implemented = vec![];
    match d.get("implementedMethods") {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if !METHODS.contains(&k.as_str()) {
                    out.push(warning(
                        format!("implementedMethods.{k}"),
                        "implemented-methods",
                        format!(
                            "{k} is not a method of the Trigger Provider service plugin ({})",
                            METHODS.join(", ")
                        ),
                        SOURCE_TRIGGER_OBJECT,
                    ));
                } else if !matches!(v, Value::Bool(_) | Value::Null) {
                    out.push(error(
                        format!("implementedMethods.{k}"),
                        "implemented-methods",
                        format!("{k} must be true or false, not {v}"),
                        SOURCE_TRIGGER_OBJECT,
                    ));
                } else if v == &Value::Bool(true) {
                    implemented.push(k.as_str());
                    if matches!(k.as_str(), "onAutomationSaved" | "onAutomationDeleted") {
                        out.push(warning(format!("implementedMethods.{k}"), "implemented-methods", format!("{k} is in the catalog, but the SDK's provideHandlers dispatches only validateConfiguration, getDynamicSchema and refreshPayload: there is no path for it"), SOURCE_PROVIDER));
                    }
                }
            }
        }
        Some(other) => out.push(error(
            "implementedMethods",
            "implemented-methods",
            format!(
                "implementedMethods must be an object of booleans, not {}",
                json_type(other)
            ),
            SOURCE_TRIGGER_OBJECT,
        )),
    }
    match d.get("baseUri") {
        None if !implemented.is_empty() => out.push(error(
            "baseUri",
            "base-uri-required",
            format!(
                "{} implemented, but no baseUri: Wix has nowhere to call",
                implemented.join(", ")
            ),
            SOURCE_TRIGGER_OBJECT,
        )),
        None => {}
        Some(Value::String(u)) => {
            let n = u.chars().count();
            if n > 256 {
                out.push(error(
                    "baseUri",
                    "base-uri-length",
                    format!("baseUri has {n} characters: Wix takes at most 256"),
                    SOURCE_TRIGGER_OBJECT,
                ));
            }
            if !reqwest::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                out.push(error(
                    "baseUri",
                    "base-uri-url",
                    format!(
                        "baseUri {u:?} is not an http(s) URL: Wix calls the service plugin there"
                    ),
                    SOURCE_TRIGGER_OBJECT,
                ));
            }
        }
        Some(other) => out.push(error(
            "baseUri",
            "base-uri-url",
            format!("baseUri must be a URL string, not {}", json_type(other)),
            SOURCE_TRIGGER_OBJECT,
        )),
    }
}
