//! Action definitions (Wix's action configuration: `actionKey`, `displayName`, `description`,
//! `inputSchema`, `outputSchema`, `uiSchema`) and the rules Wix applies to them: what it
//! refuses or rewrites on save (lint), and what it forbids once an action is published
//! (breaking changes). Each finding names the place as a JSON path, the rule, why it matters
//! and the source of the rule. Pure data and rules: no IO beyond reading a file.

use serde_json::{Map, Value};
use std::path::Path;

/// Where the rules come from (protocol.md, "Action definitions and their schemas").
pub const SOURCE_INPUT_SCHEMA: &str =
    "dev.wix.com/docs/rest/business-management/automations/actions/the-action-input-schema";
pub const SOURCE_ACTION_OBJECT: &str =
    "dev.wix.com/docs/rest/business-management/automations/actions/action-catalog/action-object";
pub const SOURCE_EDITING: &str = "wix-rest-docs input_schema.md, \"Editing a saved input schema\"";
pub const SOURCE_IMPLIED: &str = "Wix's own output schemas (draft-07, root object, a title on each property): implied, not documented";

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
    fn new(
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

/// What a file holds: an action definition, or a sample (which carries schemas too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    Definition,
    Sample,
}

/// A definition or a sample, read as JSON.
#[derive(Clone, Debug)]
pub struct Definition {
    pub kind: DefinitionKind,
    pub value: Map<String, Value>,
}

impl Definition {
    /// Reads `path`: an error (for exit code 2) when it cannot be read, is not JSON, or is
    /// neither a definition (`actionKey` and `inputSchema`) nor a sample (`request`).
    pub fn load(path: &Path) -> Result<Definition, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Definition::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Definition, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(o) = v else {
            return Err("not an action definition: a JSON object is expected".into());
        };
        let kind = if o.contains_key("actionKey") || o.contains_key("displayName") {
            DefinitionKind::Definition
        } else if o.contains_key("request")
            && (o.contains_key("inputSchema") || o.contains_key("outputSchema"))
        {
            DefinitionKind::Sample
        } else {
            return Err(
                "not an action definition (no actionKey) nor a sample with schemas (no request and inputSchema)"
                    .into(),
            );
        };
        Ok(Definition { kind, value: o })
    }

    pub fn action_key(&self) -> Option<&str> {
        match self.kind {
            DefinitionKind::Definition => self.value.get("actionKey").and_then(Value::as_str),
            DefinitionKind::Sample => self
                .value
                .get("request")
                .and_then(|r| r.get("actionKey"))
                .and_then(Value::as_str),
        }
    }

    pub fn input_schema(&self) -> Option<&Value> {
        self.value.get("inputSchema")
    }

    pub fn output_schema(&self) -> Option<&Value> {
        self.value.get("outputSchema")
    }

    /// The name site owners see: `displayName`, else the key.
    pub fn display_name(&self) -> String {
        self.value
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| self.action_key().map(str::to_string))
            .unwrap_or_default()
    }

    /// An Invoke sample of the action (empty params, its schemas), for sending generated calls.
    pub fn to_sample(&self, path: Option<&Path>) -> Result<super::sample::LoadedSample, String> {
        let key = self.action_key().ok_or("no actionKey")?.to_string();
        let sample = super::sample::Sample {
            name: self.display_name(),
            description: format!("generated calls of {key}"),
            method: super::wire::Method::Invoke,
            request: serde_json::json!({ "actionKey": key, "actionParams": {},
                "activationContext": { "activationId": "generated", "invocationToken": "generated" } }),
            metadata: Default::default(),
            input_schema: self.input_schema().cloned(),
            output_schema: self.output_schema().cloned(),
            example_answer: None,
            extra: Default::default(),
        };
        super::sample::LoadedSample::new(sample, path.map(Path::to_path_buf))
    }
}

/// The action definitions in a folder, where each came from, and the files that failed.
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    pub loaded: Vec<(std::path::PathBuf, Definition)>,
    pub errors: Vec<String>,
}

impl Definitions {
    /// Every `*.json` in `dir` (none when it does not exist).
    pub fn load_dir(dir: &Path) -> Definitions {
        if !dir.is_dir() {
            return Definitions::default();
        }
        let (loaded, errors) = super::sample::load_json_files(dir, |p| {
            Definition::load(p).map(|d| (p.to_path_buf(), d))
        });
        Definitions { loaded, errors }
    }

    /// Gives `sample` the schemas it does not write from the definition of its action key (a
    /// schema written in the sample wins), and says so in its `schemas_from`.
    pub fn fill(&self, sample: &mut super::sample::LoadedSample) {
        let this = sample;
        let Some(key) = this.sample.action_key() else {
            return;
        };
        let Some((path, def)) = self.find(key) else {
            return;
        };
        let mut took = false;
        if this.sample.input_schema.is_none()
            && let Some(s) = def.input_schema()
            && let Ok(compiled) = super::schema::Schema::compile(s)
        {
            this.sample.input_schema = Some(s.clone());
            this.params_findings = this
                .sample
                .request
                .get("actionParams")
                .map(|p| super::contract::check_action_params(p, &compiled))
                .unwrap_or_default();
            this.input = Some(compiled);
            took = true;
        }
        if this.sample.output_schema.is_none()
            && let Some(s) = def.output_schema()
            && let Ok(compiled) = super::schema::Schema::compile(s)
        {
            this.sample.output_schema = Some(s.clone());
            this.output = Some(compiled);
            took = true;
        }
        if took {
            this.schemas_from = Some(path.to_path_buf());
        }
    }

    /// The definition of `action_key`, and its file.
    pub fn find(&self, action_key: &str) -> Option<(&Path, &Definition)> {
        self.loaded
            .iter()
            .find(|(_, d)| {
                d.kind == DefinitionKind::Definition && d.action_key() == Some(action_key)
            })
            .map(|(p, d)| (p.as_path(), d))
    }
}

const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];
const BUILDER_FORMATS: [&str; 5] = ["uuid", "date-time", "date", "email", "uri"];
const IDENTITY_TYPES: [&str; 3] = ["contact", "member", "visitor"];
const COMPOSITION: [&str; 3] = ["allOf", "anyOf", "oneOf"];

/// Every documented rule, checked on `def`: its own fields (a definition's), its input schema
/// (errors) and its output schema (the same rules, as warnings where Wix only implies them).
pub fn lint(def: &Definition) -> Vec<LintFinding> {
    let mut out = vec![];
    if def.kind == DefinitionKind::Definition {
        definition_fields(&def.value, &mut out);
    }
    match def.input_schema() {
        Some(s) => schema(s, "inputSchema", Strict::Input, &mut out),
        None if def.kind == DefinitionKind::Definition => out.push(LintFinding::new(
            Level::Error,
            "inputSchema",
            "input-schema-required",
            "an action needs an input schema: Wix builds the action's form in the automation builder from it",
            SOURCE_ACTION_OBJECT,
        )),
        None => {}
    }
    if let Some(s) = def.output_schema() {
        schema(s, "outputSchema", Strict::Output, &mut out);
    }
    out
}

fn definition_fields(d: &Map<String, Value>, out: &mut Vec<LintFinding>) {
    let text_len = |k: &str| d.get(k).and_then(Value::as_str).map(|s| s.chars().count());
    match (d.get("actionKey"), text_len("actionKey")) {
        (None, _) => out.push(LintFinding::new(
            Level::Error,
            "actionKey",
            "action-key-required",
            "the action has no actionKey: Wix identifies the action by it, and it cannot change once saved",
            SOURCE_ACTION_OBJECT,
        )),
        (Some(_), None) => out.push(LintFinding::new(
            Level::Error,
            "actionKey",
            "action-key-length",
            "actionKey must be a string of 5 to 50 characters",
            SOURCE_ACTION_OBJECT,
        )),
        (Some(_), Some(n)) if !(5..=50).contains(&n) => out.push(LintFinding::new(
            Level::Error,
            "actionKey",
            "action-key-length",
            format!("actionKey has {n} characters; Wix takes 5 to 50, and refuses to save the action otherwise"),
            SOURCE_ACTION_OBJECT,
        )),
        _ => {}
    }
    match (d.get("displayName"), text_len("displayName")) {
        (None, _) => out.push(LintFinding::new(
            Level::Error,
            "displayName",
            "display-name-length",
            "the action has no displayName: site owners pick actions by it in the automation builder",
            SOURCE_ACTION_OBJECT,
        )),
        (Some(_), Some(n)) if (1..=80).contains(&n) => {}
        (Some(_), n) => out.push(LintFinding::new(
            Level::Error,
            "displayName",
            "display-name-length",
            format!(
                "displayName must be a string of 1 to 80 characters{}: Wix refuses to save the action otherwise",
                n.map_or(String::new(), |n| format!(", it has {n}"))
            ),
            SOURCE_ACTION_OBJECT,
        )),
    }
    if let Some(v) = d.get("description")
        && !v.is_string()
    {
        out.push(LintFinding::new(
            Level::Error,
            "description",
            "description-type",
            "description must be a string",
            SOURCE_ACTION_OBJECT,
        ));
    }
    if let Some(n) = text_len("baseUri")
        && n > 256
    {
        out.push(LintFinding::new(
            Level::Error,
            "baseUri",
            "base-uri-length",
            format!("baseUri has {n} characters; Wix takes at most 256"),
            SOURCE_ACTION_OBJECT,
        ));
    }
}

/// Input schemas are held to every rule; output schemas to the same, as warnings (the docs
/// publish no rules for them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strict {
    Input,
    Output,
}

impl Strict {
    fn level(self) -> Level {
        match self {
            Strict::Input => Level::Error,
            Strict::Output => Level::Warning,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Strict::Input => SOURCE_INPUT_SCHEMA,
            Strict::Output => SOURCE_IMPLIED,
        }
    }
}

fn schema(s: &Value, at: &str, strict: Strict, out: &mut Vec<LintFinding>) {
    let (lvl, src) = (strict.level(), strict.source());
    let Some(o) = s.as_object() else {
        out.push(LintFinding::new(
            lvl,
            at,
            "schema-object",
            "the schema must be a JSON object",
            src,
        ));
        return;
    };
    if let Some(v) = o.get("$schema")
        && v.as_str().is_none_or(|v| !v.contains("draft-07"))
    {
        out.push(LintFinding::new(
            Level::Warning,
            format!("{at}.$schema"),
            "schema-draft",
            format!("$schema is {v}: Wix rewrites it to http://json-schema.org/draft-07/schema on save and judges the schema as draft-07"),
            SOURCE_INPUT_SCHEMA,
        ));
    }
    if let Some(v) = o.get("additionalProperties")
        && v != &Value::Bool(true)
    {
        out.push(LintFinding::new(
            Level::Warning,
            format!("{at}.additionalProperties"),
            "additional-properties",
            format!("additionalProperties is {v}: Wix sets it to true on save, so params with other fields are still sent"),
            SOURCE_INPUT_SCHEMA,
        ));
    }
    match o.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(t) => out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "root-object",
            format!("the root type is {t}: it must be \"object\" (the action's params are an object of fields)"),
            src,
        )),
        None => out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "root-object",
            "the root has no type: it must be \"object\"",
            src,
        )),
    }
    composition(o, at, out);
    let mut identity = vec![];
    match o.get("properties") {
        Some(Value::Object(props)) => {
            required(o, props, at, strict, out);
            for (k, p) in props {
                property(
                    k,
                    p,
                    &format!("{at}.properties.{k}"),
                    strict,
                    Nest::Root,
                    &mut identity,
                    out,
                );
            }
        }
        Some(_) => out.push(LintFinding::new(
            lvl,
            format!("{at}.properties"),
            "properties-required",
            "properties must be an object of fields",
            src,
        )),
        None => out.push(LintFinding::new(
            lvl,
            format!("{at}.properties"),
            "properties-required",
            "the root has no properties: Wix needs them to build the action's form",
            src,
        )),
    }
    if identity.len() > 1 {
        for p in &identity[1..] {
            out.push(LintFinding::new(
                lvl,
                format!("{p}.identityType"),
                "one-identity-type",
                format!(
                    "a second field with identityType (the first is {}): Wix allows at most one per schema, the field it links to a contact, member or visitor",
                    identity[0]
                ),
                src,
            ));
        }
    }
}

/// Where a property sits: at the root or in a nested object (any type but array), or in an
/// array's item (only flat fields).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nest {
    Root,
    InObject,
    InArrayItem,
}

fn composition(o: &Map<String, Value>, at: &str, out: &mut Vec<LintFinding>) {
    for k in COMPOSITION {
        if o.contains_key(k) {
            out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.{k}"),
                "composition",
                format!("{k} is allowed, but Wix does not check breaking changes in composed schemas: your action must accept every shape it ever published"),
                SOURCE_INPUT_SCHEMA,
            ));
        }
    }
}

/// `required` lists keys of `properties`.
fn required(
    o: &Map<String, Value>,
    props: &Map<String, Value>,
    at: &str,
    strict: Strict,
    out: &mut Vec<LintFinding>,
) {
    let Some(r) = o.get("required") else { return };
    let Some(list) = r.as_array().filter(|l| l.iter().all(Value::is_string)) else {
        out.push(LintFinding::new(
            strict.level(),
            format!("{at}.required"),
            "required-list",
            "required must be a list of field keys",
            strict.source(),
        ));
        return;
    };
    for k in list.iter().filter_map(Value::as_str) {
        if !props.contains_key(k) {
            out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.required"),
                "required-unknown",
                format!("required lists {k:?}, which is not among the properties: no params can ever pass, so Wix would never run the action"),
                strict.source(),
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn property(
    key: &str,
    p: &Value,
    at: &str,
    strict: Strict,
    nest: Nest,
    identity: &mut Vec<String>,
    out: &mut Vec<LintFinding>,
) {
    let (lvl, src) = (strict.level(), strict.source());
    let key_ok = !key.is_empty()
        && !key.starts_with('_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !key_ok {
        out.push(LintFinding::new(
            lvl,
            at,
            "key-chars",
            format!("the key {key:?} may use only A-Z a-z 0-9 and _, and may not start with _: Wix refuses the schema on save"),
            src,
        ));
    }
    let Some(o) = p.as_object() else {
        out.push(LintFinding::new(
            lvl,
            at,
            "property-object",
            "a property must be a JSON object",
            src,
        ));
        return;
    };
    let ty = o.get("type").and_then(Value::as_str);
    match o.get("type") {
        None => out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "type-required",
            "the field has no type: Wix cannot show an input for it",
            src,
        )),
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(t) => out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "type-allowed",
            format!("type {t} is none of {}", TYPES.join(", ")),
            src,
        )),
    }
    match o.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => {}
        _ => out.push(LintFinding::new(
            lvl,
            format!("{at}.title"),
            "title-required",
            "the field has no title: it is the label site owners see in the automation builder",
            src,
        )),
    }
    if nest == Nest::InArrayItem && matches!(ty, Some("array" | "object")) {
        out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "flat-array-items",
            "an array's items may hold only strings, numbers, integers and booleans: Wix supports arrays of flat objects",
            src,
        ));
    }
    if nest == Nest::InObject && ty == Some("array") {
        out.push(LintFinding::new(
            lvl,
            format!("{at}.type"),
            "object-fields",
            "a nested object may hold strings, numbers, integers, booleans and objects, not arrays",
            src,
        ));
    }
    if let Some(f) = o.get("format") {
        if ty != Some("string") {
            out.push(LintFinding::new(
                lvl,
                format!("{at}.format"),
                "format-on-string",
                format!(
                    "format is only for type string, and this field is {}",
                    ty.unwrap_or("untyped")
                ),
                src,
            ));
        } else if let Some(f) = f.as_str()
            && !BUILDER_FORMATS.contains(&f)
        {
            out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.format"),
                "format-builder",
                format!("format {f:?} is valid JSON Schema, but the automation builder only interprets {}", BUILDER_FORMATS.join(", ")),
                SOURCE_INPUT_SCHEMA,
            ));
        }
    }
    if let Some(examples) = o.get("examples") {
        let fits = |v: &Value| match ty {
            Some("string") => v.is_string(),
            Some("number") => v.is_number(),
            Some("integer") => v.as_i64().is_some() || v.as_u64().is_some(),
            Some("boolean") => v.is_boolean(),
            Some("array") => v.is_array(),
            Some("object") => v.is_object(),
            _ => true,
        };
        let bad = match examples {
            Value::Array(a) => a.iter().any(|v| !fits(v)),
            v => !fits(v),
        };
        if bad {
            out.push(LintFinding::new(
                lvl,
                format!("{at}.examples"),
                "examples-type",
                format!(
                    "examples must be of the field's type ({})",
                    ty.unwrap_or("untyped")
                ),
                src,
            ));
        }
    }
    if let Some(id) = o.get("identityType") {
        identity.push(at.to_string());
        match id.as_str() {
            Some(t) if IDENTITY_TYPES.contains(&t) => {}
            Some("user") => out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.identityType"),
                "identity-type",
                "identityType \"user\" is named by one source only; the others list contact, member and visitor",
                SOURCE_INPUT_SCHEMA,
            )),
            _ => out.push(LintFinding::new(
                lvl,
                format!("{at}.identityType"),
                "identity-type",
                format!("identityType {id} is none of contact, member, visitor"),
                src,
            )),
        }
        if ty != Some("string") {
            out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.identityType"),
                "identity-on-string",
                "identityType belongs on a string field (a uuid): Wix's guides put it there",
                SOURCE_INPUT_SCHEMA,
            ));
        }
    }
    if o.contains_key("uniqueItems") && ty != Some("array") {
        out.push(LintFinding::new(
            lvl,
            format!("{at}.uniqueItems"),
            "unique-items-on-array",
            "uniqueItems is only for arrays",
            src,
        ));
    }
    if o.contains_key("required") && !matches!(ty, Some("object" | "array")) {
        out.push(LintFinding::new(
            lvl,
            format!("{at}.required"),
            "nested-required",
            "a nested required is only for objects and arrays",
            src,
        ));
    }
    if let Some(e) = o.get("enum") {
        let fits_all = e.as_array().is_some_and(|a| {
            a.iter().all(|v| match ty {
                Some("string") => v.is_string(),
                Some("number") => v.is_number(),
                Some("integer") => v.as_i64().is_some(),
                Some("boolean") => v.is_boolean(),
                _ => true,
            })
        });
        if !fits_all {
            out.push(LintFinding::new(
                Level::Warning,
                format!("{at}.enum"),
                "enum-type",
                "enum should list values of the field's type: the builder shows them as a dropdown",
                SOURCE_INPUT_SCHEMA,
            ));
        }
    }
    composition(o, at, out);
    match ty {
        Some("array") => match o.get("items") {
            None => out.push(LintFinding::new(
                lvl,
                format!("{at}.items"),
                "array-items",
                "an array needs items: Wix supports arrays of flat objects",
                src,
            )),
            Some(items) => {
                if items.get("type").and_then(Value::as_str) != Some("object") {
                    out.push(LintFinding::new(
                        lvl,
                        format!("{at}.items.type"),
                        "array-items-object",
                        "an array's items must be of type \"object\" (arrays of flat objects)",
                        src,
                    ));
                }
                if let Some(Value::Object(props)) = items.get("properties") {
                    for (k, ip) in props {
                        property(
                            k,
                            ip,
                            &format!("{at}.items.properties.{k}"),
                            strict,
                            Nest::InArrayItem,
                            identity,
                            out,
                        );
                    }
                }
            }
        },
        Some("object") => match o.get("properties") {
            Some(Value::Object(props)) => {
                for (k, ip) in props {
                    property(
                        k,
                        ip,
                        &format!("{at}.properties.{k}"),
                        strict,
                        Nest::InObject,
                        identity,
                        out,
                    );
                }
            }
            _ => out.push(LintFinding::new(
                lvl,
                format!("{at}.properties"),
                "object-properties",
                "an object field needs properties",
                src,
            )),
        },
        _ => {}
    }
}

// ---- breaking changes ------------------------------------------------------------------------

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
    walk(s, "", &mut out);
    out
}

fn walk(s: &Value, at: &str, out: &mut Vec<(String, Field)>) {
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
        let text = |name: &str| p.get(name).and_then(Value::as_str).map(str::to_string);
        out.push((
            path.clone(),
            Field {
                ty: text("type"),
                format: text("format"),
                identity: text("identityType"),
                required: required.contains(&k.as_str()),
                enumeration: p.get("enum").cloned(),
            },
        ));
        walk(p, &path, out);
        if let Some(items) = p.get("items") {
            walk(items, &format!("{path}.items"), out);
        }
    }
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
            SOURCE_EDITING,
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
