//! Breaking changes: the edits Wix forbids once an action is published, against the published
//! definition.

use super::{
    COMPOSITION, Definition, Level, LintFinding, SOURCE_ACTIONS_INTRO, SOURCE_EDITING,
    SOURCE_IMPLIED, Value, each_property,
};

/// A field of a schema, flattened: its path (`properties.a.properties.b`), and what the rules
/// compare.
#[derive(Clone, Debug, PartialEq)]
struct Field {
    ty: Option<String>,
    format: Option<String>,
    identity: Option<String>,
    required: bool,
    enumeration: Option<Value>,
}

fn fields(s: &Value) -> Vec<(String, Field)> {
    let mut out = vec![];
    each_property(s, "", &mut |path, p, required| {
        let text = |name: &str| p.get(name).and_then(Value::as_str).map(str::to_string);
        out.push((
            path,
            Field {
                ty: text("type"),
                format: text("format"),
                identity: text("identityType"),
                required,
                enumeration: p.get("enum").cloned(),
            },
        ));
    });
    out
}

/// What changed from the published definition `old` to `new`: each edit Wix forbids once an
/// action is published is an error naming the field and the rule; what the docs do not
/// address is a warning; harmless edits (a new optional field, a new title, a field made
/// optional) are not findings.
pub fn breaking_changes(old: &Definition, new: &Definition) -> Vec<LintFinding> {
    let mut out = vec![];
    if let (Some(a), Some(b)) = (old.action_key(), new.action_key())
        && a != b
    {
        out.push(LintFinding::new(
            Level::Error,
            "actionKey",
            "action-key-fixed",
            format!("actionKey changed from {a:?} to {b:?}: it cannot change once saved; sites' automations point at the old key"),
            SOURCE_ACTIONS_INTRO,
        ));
    }
    if let (Some(o), Some(n)) = (old.input_schema(), new.input_schema()) {
        compare_input(o, n, &mut out);
    }
    if let (Some(o), Some(n)) = (old.output_schema(), new.output_schema()) {
        compare_output(o, n, &mut out);
    } else if old.output_schema().is_some() && new.output_schema().is_none() {
        out.push(LintFinding::new(
            Level::Warning,
            "outputSchema",
            "output-removed",
            "the output schema was removed: later steps that read this action's output will find nothing",
            SOURCE_IMPLIED,
        ));
    }
    out
}

fn composed(s: &Value) -> bool {
    let mut found = false;
    fn go(v: &Value, found: &mut bool) {
        if let Value::Object(o) = v {
            if COMPOSITION.iter().any(|k| o.contains_key(*k)) {
                *found = true;
            }
            o.values().for_each(|x| go(x, found));
        }
    }
    go(s, &mut found);
    found
}

fn compare_input(old: &Value, new: &Value, out: &mut Vec<LintFinding>) {
    if composed(old) || composed(new) {
        out.push(LintFinding::new(
            Level::Warning,
            "inputSchema",
            "composition",
            "the schema uses allOf/anyOf/oneOf: Wix does not check breaking changes there, so the comparison below may miss some",
            SOURCE_EDITING,
        ));
    }
    let before = fields(old);
    let after = fields(new);
    let at = |p: &str| format!("inputSchema.{p}");
    for (path, n) in &after {
        let Some((_, o)) = before.iter().find(|(p, _)| p == path) else {
            if n.required {
                out.push(LintFinding::new(
                    Level::Error,
                    at(path),
                    "no-new-required",
                    "a new required field: published actions cannot add one; sites' saved automations do not fill it, so Wix would stop running them",
                    SOURCE_EDITING,
                ));
            }
            continue;
        };
        if n.required && !o.required {
            out.push(LintFinding::new(
                Level::Error,
                at(path),
                "no-optional-to-required",
                "an optional field made required: published actions cannot; automations that leave it empty would stop running",
                SOURCE_EDITING,
            ));
        }
        if n.ty != o.ty {
            out.push(LintFinding::new(
                Level::Error,
                at(path),
                "no-type-change",
                format!(
                    "type changed from {} to {}: published actions cannot change a field's type; values sites already map would no longer fit",
                    o.ty.as_deref().unwrap_or("none"),
                    n.ty.as_deref().unwrap_or("none")
                ),
                SOURCE_EDITING,
            ));
        }
        if n.format != o.format {
            out.push(LintFinding::new(
                Level::Error,
                at(path),
                "no-format-change",
                format!(
                    "format changed from {} to {}: published actions cannot change a field's format",
                    o.format.as_deref().unwrap_or("none"),
                    n.format.as_deref().unwrap_or("none")
                ),
                SOURCE_EDITING,
            ));
        }
        match (&o.identity, &n.identity) {
            (Some(a), None) => out.push(LintFinding::new(
                Level::Error,
                at(path),
                "no-identity-change",
                format!("identityType {a:?} removed: published actions cannot remove or change it"),
                SOURCE_EDITING,
            )),
            (Some(a), Some(b)) if a != b => out.push(LintFinding::new(
                Level::Error,
                at(path),
                "no-identity-change",
                format!("identityType changed from {a:?} to {b:?}: published actions cannot remove or change it"),
                SOURCE_EDITING,
            )),
            (None, Some(b)) => out.push(LintFinding::new(
                Level::Warning,
                at(path),
                "identity-added",
                format!("identityType {b:?} added: the docs do not say whether this is allowed"),
                SOURCE_EDITING,
            )),
            _ => {}
        }
        if n.enumeration != o.enumeration && o.enumeration.is_some() {
            out.push(LintFinding::new(
                Level::Warning,
                at(path),
                "enum-changed",
                "the enum values changed: automations saved with a value no longer listed may send it (not addressed by the docs)",
                SOURCE_EDITING,
            ));
        }
    }
    for (path, _) in &before {
        if !after.iter().any(|(p, _)| p == path) {
            out.push(LintFinding::new(
                Level::Warning,
                at(path),
                "field-removed",
                "a field was removed: sites that map a value into it lose it silently (not addressed by the docs)",
                SOURCE_EDITING,
            ));
        }
    }
}

fn compare_output(old: &Value, new: &Value, out: &mut Vec<LintFinding>) {
    let before = fields(old);
    let after = fields(new);
    for (path, o) in &before {
        match after.iter().find(|(p, _)| p == path) {
            None => out.push(LintFinding::new(
                Level::Warning,
                format!("outputSchema.{path}"),
                "output-field-removed",
                "an output field was removed: later steps that read it will get nothing",
                SOURCE_IMPLIED,
            )),
            Some((_, n)) if n.ty != o.ty => out.push(LintFinding::new(
                Level::Warning,
                format!("outputSchema.{path}"),
                "output-field-retyped",
                format!(
                    "an output field's type changed from {} to {}: later steps that read it will break",
                    o.ty.as_deref().unwrap_or("none"),
                    n.ty.as_deref().unwrap_or("none")
                ),
                SOURCE_IMPLIED,
            )),
            _ => {}
        }
    }
}
