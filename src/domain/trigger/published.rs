//! The edits Wix forbids once a trigger is published (`../shared/triggers.md` §3, "Editing
//! after publishing"), against the published definition. Allowed edits (a new name, hiding, a
//! new optional field, a new title or description, a first identity field, required made
//! optional or back, new filters, a filter's label or entity) are not findings.

use super::lint::payload_schema;
use crate::domain::findings::{Level, LintFinding};
use serde_json::{Map, Value};

/// The dashboard's list of what may and may not change after publishing.
pub const SOURCE_EDITING: &str = "wix-rest-docs triggered-events/docs/internal-creating-new-trigger.md (2024), editing after publishing";
const CONFLICT_IMMUTABLE: &str = "conflict: the Trigger Catalog (newer, SDK trigger-catalog 1.0.1) marks payloadDataSchema immutable; the dashboard's list (legacy internal guide, 2024) allows this edit";

fn error(path: impl Into<String>, rule: &'static str, why: impl Into<String>) -> LintFinding {
    LintFinding::new(Level::Error, path, rule, why, SOURCE_EDITING)
}

/// One property of a payload schema, flattened: its path and what the rules compare.
struct Field<'a> {
    path: String,
    p: &'a Map<String, Value>,
    required: bool,
}

impl Field<'_> {
    fn text(&self, k: &str) -> Option<&str> {
        self.p.get(k).and_then(Value::as_str)
    }

    fn future(&self) -> bool {
        self.p.get("futureDate") == Some(&Value::Bool(true))
    }
}

fn fields(s: &Value) -> Vec<Field<'_>> {
    let mut out = vec![];
    crate::domain::findings::each_property(s, "payloadSchema", &mut |path, p, required| {
        if let Some(p) = p.as_object() {
            out.push(Field { path, p, required });
        }
    });
    out
}

/// What changed from the published definition `old` to `new` that Wix forbids, as errors;
/// and, when the payload schema changed at all, the warning that the sources disagree on
/// whether it may.
pub fn published_changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<LintFinding> {
    let mut out = vec![];
    for (k, rule) in [
        ("triggerKey", "trigger-key-fixed"),
        ("baseUri", "base-uri-fixed"),
    ] {
        if let Some(a) = old.get(k)
            && new.get(k) != Some(a)
        {
            out.push(error(
                k,
                rule,
                format!(
                    "{k} changed from {a} to {}: it cannot change once the app is published",
                    new.get(k).map_or("nothing".to_string(), Value::to_string)
                ),
            ));
        }
    }
    if let (Some(o), Some(n)) = (payload_schema(old), payload_schema(new)) {
        compare_fields(o, n, &mut out);
        if o != n {
            out.push(LintFinding::new(
                Level::Warning,
                "payloadSchema",
                "payload-schema-immutable",
                "the payload schema changed: the dashboard allows the edits above that are not errors, the catalog API says it never changes",
                CONFLICT_IMMUTABLE,
            ));
        }
    }
    compare_filters(old.get("filters"), new.get("filters"), "filters", &mut out);
    out
}

fn compare_fields(old: &Value, new: &Value, out: &mut Vec<LintFinding>) {
    let before = fields(old);
    let after = fields(new);
    for o in &before {
        let Some(n) = after.iter().find(|n| n.path == o.path) else {
            out.push(error(&o.path, "field-removed", "a field was deleted (or its key changed): Wix forbids it once published; automations that use it would break"));
            continue;
        };
        if let Some(id) = o.text("$id")
            && n.text("$id") != Some(id)
        {
            out.push(error(
                &o.path,
                "field-id-fixed",
                format!("$id changed from {id:?}: a published trigger's field keeps its id"),
            ));
        }
        for (k, rule) in [
            ("type", "field-type-fixed"),
            ("format", "field-format-fixed"),
        ] {
            if o.text(k) != n.text(k) {
                out.push(error(
                    &o.path,
                    rule,
                    format!(
                        "{k} changed from {} to {}: a published trigger's field keeps its {k}",
                        o.text(k).unwrap_or("none"),
                        n.text(k).unwrap_or("none")
                    ),
                ));
            }
        }
        match (o.p.get("identityType"), n.p.get("identityType")) {
            (Some(a), None) => out.push(error(&o.path, "identity-fixed", format!("identityType {a} removed: a published trigger cannot remove or switch its identity type"))),
            (Some(a), Some(b)) if a != b => out.push(error(&o.path, "identity-fixed", format!("identityType changed from {a} to {b}: a published trigger cannot switch it"))),
            _ => {}
        }
        if o.future() != n.future() {
            out.push(error(
                &o.path,
                "future-date-fixed",
                format!(
                    "the futureDate mark was {}: a published trigger cannot add or remove it (it decides whether the trigger is scheduled)",
                    if o.future() { "removed" } else { "added" }
                ),
            ));
        }
    }
    let had_identity = before.iter().any(|f| f.p.contains_key("identityType"));
    for n in &after {
        if before.iter().any(|o| o.path == n.path) {
            continue;
        }
        if n.required {
            out.push(error(&n.path, "no-new-required", "a new required field: only non-required fields may be added once published; events your app already reports do not carry it"));
        }
        if n.future() {
            out.push(error(
                &n.path,
                "future-date-fixed",
                "a new field marked futureDate: a published trigger cannot add the mark",
            ));
        }
        if had_identity && n.p.contains_key("identityType") {
            out.push(error(
                &n.path,
                "identity-fixed",
                "a new identity field: one may be added only when none exists",
            ));
        }
    }
}

/// A filter's identity across versions: its `id`, else its field key, else its place.
fn same_filter(a: &Value, b: &Value) -> bool {
    match (a.get("id"), b.get("id")) {
        (Some(x), Some(y)) => x == y,
        _ => field_key(a) == field_key(b),
    }
}

fn field_key(f: &Value) -> Option<&Value> {
    f.get("staticFieldKey").or_else(|| f.get("dynamicFieldKey"))
}

/// Whether the filter lets a user select several values.
fn multi(f: &Value) -> bool {
    let v = f.get("valueInput");
    ["entitySelector", "staticItems"].iter().any(|k| {
        v.and_then(|v| v.get(*k)).and_then(|x| x.get("multiSelect")) == Some(&Value::Bool(true))
    })
}

fn compare_filters(old: Option<&Value>, new: Option<&Value>, at: &str, out: &mut Vec<LintFinding>) {
    let none = vec![];
    let old = old.and_then(Value::as_array).unwrap_or(&none);
    let new = new.and_then(Value::as_array).unwrap_or(&none);
    for (i, o) in old.iter().enumerate() {
        let path = format!("{at}[{i}]");
        let Some(n) = new.iter().find(|n| same_filter(o, n)) else {
            out.push(error(&path, "filter-removed", "a filter was removed (or its field changed): a published trigger keeps its filters; automations filtered by it would break"));
            continue;
        };
        if field_key(o) != field_key(n) {
            out.push(error(
                &path,
                "filter-field-fixed",
                "the filter's field changed: a published trigger's filter keeps its property",
            ));
        }
        if multi(o) != multi(n) {
            out.push(error(&path, "filter-select-fixed", "the filter changed between single and multiple select: Wix forbids it once published"));
        }
        compare_filters(
            o.get("followUpFilters"),
            n.get("followUpFilters"),
            &format!("{path}.followUpFilters"),
            out,
        );
    }
}
