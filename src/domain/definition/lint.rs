//! Lint: every documented rule of Wix's action definitions, on the definition's own fields, its
//! input schema (errors) and its output schema (the same rules, as warnings).

use super::{
    COMPOSITION, Definition, DefinitionKind, Level, LintFinding, Map, SOURCE_ACTION_OBJECT,
    SOURCE_IMPLIED, SOURCE_INPUT_SCHEMA, Value,
};
use crate::domain::findings::{of_type, unknown_format};

const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];
const IDENTITY_TYPES: [&str; 3] = ["contact", "member", "visitor"];

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

/// One property of a schema as it is linted: where it is, what it is, and its type.
struct Field<'a> {
    at: &'a str,
    o: &'a serde_json::Map<String, Value>,
    ty: Option<&'a str>,
    lvl: Level,
    src: &'static str,
}

impl Field<'_> {
    /// A finding at `at` plus `sub` (`.type`, `.format`…), at the strictness of the schema.
    fn finding(&self, sub: &str, rule: &'static str, message: impl Into<String>) -> LintFinding {
        LintFinding::new(
            self.lvl,
            format!("{}{sub}", self.at),
            rule,
            message,
            self.src,
        )
    }

    /// A warning at `at` plus `sub`, citing the input schema's page.
    fn warning(&self, sub: &str, rule: &'static str, message: impl Into<String>) -> LintFinding {
        LintFinding::new(
            Level::Warning,
            format!("{}{sub}", self.at),
            rule,
            message,
            SOURCE_INPUT_SCHEMA,
        )
    }
}

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
    let f = Field {
        at,
        o,
        ty: o.get("type").and_then(Value::as_str),
        lvl,
        src,
    };
    type_and_title(&f, nest, out);
    format(&f, out);
    examples(&f, out);
    identity_type(&f, identity, out);
    modifiers(&f, out);
    composition(o, at, out);
    children(&f, strict, identity, out);
}

/// The field's type (present, one of the allowed, allowed where it is nested) and its title.
fn type_and_title(f: &Field, nest: Nest, out: &mut Vec<LintFinding>) {
    match f.o.get("type") {
        None => out.push(f.finding(
            ".type",
            "type-required",
            "the field has no type: Wix cannot show an input for it",
        )),
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(t) => out.push(f.finding(
            ".type",
            "type-allowed",
            format!("type {t} is none of {}", TYPES.join(", ")),
        )),
    }
    match f.o.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => {}
        Some(Value::String(_)) => out.push(f.finding(
            ".title",
            "title-required",
            "the field's title is empty: it is the label site owners see in the automation builder",
        )),
        Some(t) => out.push(f.finding(
            ".title",
            "title-string",
            format!(
                "title must be a string, and this one is {}: it is the label site owners see in the automation builder",
                crate::domain::wire::json_type(t)
            ),
        )),
        None => out.push(f.finding(
            ".title",
            "title-required",
            "the field has no title: it is the label site owners see in the automation builder",
        )),
    }
    if nest == Nest::InArrayItem && matches!(f.ty, Some("array" | "object")) {
        out.push(f.finding(
            ".type",
            "flat-array-items",
            "an array's items may hold only strings, numbers, integers and booleans: Wix supports arrays of flat objects",
        ));
    }
    if nest == Nest::InObject && f.ty == Some("array") {
        out.push(f.finding(
            ".type",
            "object-fields",
            "a nested object may hold strings, numbers, integers, booleans and objects, not arrays",
        ));
    }
}

/// `format`: only on strings; one the builder interprets.
fn format(f: &Field, out: &mut Vec<LintFinding>) {
    let Some(format) = f.o.get("format") else {
        return;
    };
    if f.ty != Some("string") {
        out.push(f.finding(
            ".format",
            "format-on-string",
            format!(
                "format is only for type string, and this field is {}",
                f.ty.unwrap_or("untyped")
            ),
        ));
    } else if let Some(name) = format.as_str() {
        if let Some(why) = unknown_format(name) {
            out.push(f.warning(".format", "format-builder", why));
        }
    } else {
        out.push(f.finding(
            ".format",
            "format-string",
            format!("format must be a string, not {format}"),
        ));
    }
}

/// `examples` of the field's type.
fn examples(f: &Field, out: &mut Vec<LintFinding>) {
    let Some(examples) = f.o.get("examples") else {
        return;
    };
    let Value::Array(a) = examples else {
        out.push(f.finding(
            ".examples",
            "examples-array",
            format!(
                "examples must be an array of values, not {}",
                crate::domain::wire::json_type(examples)
            ),
        ));
        return;
    };
    if a.iter().any(|v| !of_type(v, f.ty)) {
        out.push(f.finding(
            ".examples",
            "examples-type",
            format!(
                "examples must be of the field's type ({})",
                f.ty.unwrap_or("untyped")
            ),
        ));
    }
}

/// `identityType`: a known one, on a string field; noted in `identity` (at most one per schema).
fn identity_type(f: &Field, identity: &mut Vec<String>, out: &mut Vec<LintFinding>) {
    let Some(id) = f.o.get("identityType") else {
        return;
    };
    identity.push(f.at.to_string());
    match id.as_str() {
        Some(t) if IDENTITY_TYPES.contains(&t) => {}
        Some("user") => out.push(f.warning(
            ".identityType",
            "identity-type",
            "identityType \"user\" is named by one source only; the others list contact, member and visitor",
        )),
        _ => out.push(f.finding(
            ".identityType",
            "identity-type",
            format!("identityType {id} is none of contact, member, visitor"),
        )),
    }
    if f.ty != Some("string") {
        out.push(f.warning(
            ".identityType",
            "identity-on-string",
            "identityType belongs on a string field (a uuid): Wix's guides put it there",
        ));
    }
}

/// `uniqueItems` only on arrays, a nested `required` only on objects and arrays, `enum`
/// values of the field's type.
fn modifiers(f: &Field, out: &mut Vec<LintFinding>) {
    if let Some(u) = f.o.get("uniqueItems") {
        if f.ty != Some("array") {
            out.push(f.finding(
                ".uniqueItems",
                "unique-items-on-array",
                "uniqueItems is only for arrays",
            ));
        }
        if !u.is_boolean() {
            out.push(f.finding(
                ".uniqueItems",
                "unique-items-boolean",
                format!("uniqueItems must be true or false, not {u}"),
            ));
        }
    }
    if f.o.contains_key("required") && !matches!(f.ty, Some("object" | "array")) {
        out.push(f.finding(
            ".required",
            "nested-required",
            "a nested required is only for objects and arrays",
        ));
    }
    if let Some(e) = f.o.get("enum")
        && !e.is_array()
    {
        out.push(f.finding(
            ".enum",
            "enum-array",
            format!(
                "enum must be an array of the values to offer, not {}",
                crate::domain::wire::json_type(e)
            ),
        ));
    } else if let Some(e) = f.o.get("enum") {
        let fits_all = e.as_array().is_some_and(|a| {
            a.iter().all(|v| match f.ty {
                Some("array" | "object") => true,
                Some("integer") => v.as_i64().is_some(),
                ty => of_type(v, ty),
            })
        });
        if !fits_all {
            out.push(f.warning(
                ".enum",
                "enum-type",
                "enum should list values of the field's type: the builder shows them as a dropdown",
            ));
        }
    }
}

/// An array's items (objects of flat fields) and an object's properties, each linted.
fn children(f: &Field, strict: Strict, identity: &mut Vec<String>, out: &mut Vec<LintFinding>) {
    let at = f.at;
    match f.ty {
        Some("array") => match f.o.get("items") {
            None => out.push(f.finding(
                ".items",
                "array-items",
                "an array needs items: Wix supports arrays of flat objects",
            )),
            Some(items) => {
                if items.get("type").and_then(Value::as_str) != Some("object") {
                    out.push(f.finding(
                        ".items.type",
                        "array-items-object",
                        "an array's items must be of type \"object\" (arrays of flat objects)",
                    ));
                }
                if let Some(Value::Object(props)) = items.get("properties") {
                    for (k, ip) in props {
                        let at = format!("{at}.items.properties.{k}");
                        property(k, ip, &at, strict, Nest::InArrayItem, identity, out);
                    }
                }
            }
        },
        Some("object") => match f.o.get("properties") {
            Some(Value::Object(props)) => {
                for (k, ip) in props {
                    let at = format!("{at}.properties.{k}");
                    property(k, ip, &at, strict, Nest::InObject, identity, out);
                }
            }
            _ => out.push(f.finding(
                ".properties",
                "object-properties",
                "an object field needs properties",
            )),
        },
        _ => {}
    }
    if f.ty != Some("array") && f.o.contains_key("items") {
        out.push(f.finding(
            ".items",
            "items-on-array",
            format!(
                "items is only for arrays, and this field is {}: Wix would ignore it",
                f.ty.unwrap_or("untyped")
            ),
        ));
    }
    if f.ty != Some("object") && f.o.contains_key("properties") {
        out.push(f.finding(
            ".properties",
            "properties-on-object",
            format!(
                "properties is only for objects, and this field is {}: Wix would ignore them",
                f.ty.unwrap_or("untyped")
            ),
        ));
    }
}
