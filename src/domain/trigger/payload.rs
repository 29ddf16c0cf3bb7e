//! Lint of a payload schema (`../shared/triggers.md` §4): the root, each property's key, type,
//! title and examples, nesting, formats, and at most one contact identity and one future date.
//! A trigger definition's schema and a Get Dynamic Schema answer are held to the same rules.

use super::events::check_payload_key;
use super::rules::{
    CONFLICT_IDENTITY, CONFLICT_ITEM_FIELDS, CONFLICT_TOP_OBJECT, SOURCE_IDENTITY, SOURCE_PAYLOAD,
    SOURCE_PAYLOAD_LEGACY, TYPES, error, json_type, warning,
};
use crate::domain::findings::{LintFinding, of_type, unknown_format};
use serde_json::{Map, Value};

const CONFLICT_IDENTITY_EXAMPLES: &str = "conflict: the payload-schema guide (legacy, 2024) requires examples on every first-level property; Wix's own example schemas (the internal trigger guide, the SDK's TriggerProviderSPIConfig) leave them out on the contact-ID property";

/// A payload schema (also what Get Dynamic Schema answers), at `at`.
pub fn lint(s: &Value, at: &str, out: &mut Vec<LintFinding>) {
    let Some(o) = s.as_object() else {
        out.push(error(
            at,
            "schema-object",
            format!(
                "the payload schema must be a JSON object, not {}",
                json_type(s)
            ),
            SOURCE_PAYLOAD,
        ));
        return;
    };
    if let Some(v) = o.get("$schema")
        && v.as_str().is_none_or(|v| !v.contains("draft-07"))
    {
        out.push(warning(format!("{at}.$schema"), "schema-draft", format!("$schema is {v}: Wix rewrites it to http://json-schema.org/draft-07/schema on save and judges the schema as draft-07"), SOURCE_PAYLOAD_LEGACY));
    }
    if let Some(v) = o.get("additionalProperties")
        && v != &Value::Bool(true)
    {
        out.push(warning(format!("{at}.additionalProperties"), "additional-properties", format!("additionalProperties is {v}: Wix sets it to true on save, so payloads with other keys are still taken"), SOURCE_PAYLOAD_LEGACY));
    }
    match o.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(t) => out.push(error(
            format!("{at}.type"),
            "root-object",
            format!("the root type is {t}: a payload is an object, so it must be \"object\""),
            SOURCE_PAYLOAD,
        )),
        None => out.push(error(
            format!("{at}.type"),
            "root-object",
            "the root has no type: it must be \"object\"",
            SOURCE_PAYLOAD,
        )),
    }
    let props = match o.get("properties") {
        Some(Value::Object(p)) if !p.is_empty() => p,
        Some(Value::Object(_)) => {
            out.push(error(
                format!("{at}.properties"),
                "properties-required",
                "the payload schema needs at least one property",
                SOURCE_PAYLOAD,
            ));
            return;
        }
        Some(p) => {
            out.push(error(
                format!("{at}.properties"),
                "properties-required",
                format!(
                    "properties must be an object of fields, not {}",
                    json_type(p)
                ),
                SOURCE_PAYLOAD,
            ));
            return;
        }
        None => {
            out.push(error(
                format!("{at}.properties"),
                "properties-required",
                "the payload schema has no properties: Wix needs at least one",
                SOURCE_PAYLOAD,
            ));
            return;
        }
    };
    required(o, props, at, out);
    let mut marks = Marks::default();
    for (k, p) in props {
        property(
            k,
            p,
            &format!("{at}.properties.{k}"),
            Depth::First,
            &mut marks,
            out,
        );
    }
    for extra in marks.identity.iter().skip(1) {
        out.push(error(format!("{extra}.identityType"), "one-identity-type", format!("a second property with identityType (the first is {}): a payload schema may connect at most one property to a contact", marks.identity[0]), SOURCE_IDENTITY));
    }
    for extra in marks.future.iter().skip(1) {
        out.push(error(format!("{extra}.futureDate"), "one-future-date", format!("a second property marked futureDate (the first is {}): a scheduled trigger is scheduled by one date", marks.future[0]), SOURCE_PAYLOAD_LEGACY));
    }
}

/// The properties carrying `identityType` and `futureDate`, in order (at most one each).
#[derive(Default)]
struct Marks {
    identity: Vec<String>,
    future: Vec<String>,
}

/// Where a property sits: at the first level, in a first-level object, or in an array's item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    First,
    InObject,
    InArrayItem,
}

fn required(
    o: &Map<String, Value>,
    props: &Map<String, Value>,
    at: &str,
    out: &mut Vec<LintFinding>,
) {
    let Some(r) = o.get("required") else { return };
    let Some(list) = r.as_array().filter(|l| l.iter().all(Value::is_string)) else {
        out.push(error(
            format!("{at}.required"),
            "required-list",
            "required must be a list of property keys",
            SOURCE_PAYLOAD,
        ));
        return;
    };
    for k in list.iter().filter_map(Value::as_str) {
        if !props.contains_key(k) {
            out.push(error(format!("{at}.required"), "required-unknown", format!("required lists {k:?}, which is not among the properties: no payload could carry it, so no automation would run"), SOURCE_PAYLOAD));
        }
    }
}

fn property(
    key: &str,
    p: &Value,
    at: &str,
    depth: Depth,
    marks: &mut Marks,
    out: &mut Vec<LintFinding>,
) {
    if let Err(why) = check_payload_key(key) {
        out.push(error(
            at,
            "key-chars",
            format!("{why}: Wix refuses the schema on save"),
            SOURCE_PAYLOAD,
        ));
    }
    let Some(o) = p.as_object() else {
        out.push(error(
            at,
            "property-object",
            "a property must be a JSON object",
            SOURCE_PAYLOAD,
        ));
        return;
    };
    let ty = o.get("type").and_then(Value::as_str);
    match o.get("type") {
        None => out.push(error(
            format!("{at}.type"),
            "type-required",
            "the property has no type",
            SOURCE_PAYLOAD_LEGACY,
        )),
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
        Some(t) => out.push(error(
            format!("{at}.type"),
            "type-allowed",
            format!("type {t} is none of {}", TYPES.join(", ")),
            SOURCE_PAYLOAD_LEGACY,
        )),
    }
    match o.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => {}
        Some(Value::String(_)) | None => out.push(error(
            format!("{at}.title"),
            "title-required",
            "the property has no title: it is the label site owners see in the automation builder",
            SOURCE_PAYLOAD_LEGACY,
        )),
        Some(t) => out.push(error(
            format!("{at}.title"),
            "title-string",
            format!("title must be a string, not {}", json_type(t)),
            SOURCE_PAYLOAD_LEGACY,
        )),
    }
    if let Some(d) = o.get("description")
        && !d.is_string()
    {
        out.push(error(
            format!("{at}.description"),
            "description-string",
            format!("description must be a string, not {}", json_type(d)),
            SOURCE_PAYLOAD_LEGACY,
        ));
    }
    examples(o, at, ty, depth, out);
    nesting(ty, at, depth, out);
    format(o, at, ty, out);
    marks_of(o, at, ty, marks, out);
    modifiers(o, at, ty, out);
    children(o, at, ty, depth, marks, out);
}

fn examples(
    o: &Map<String, Value>,
    at: &str,
    ty: Option<&str>,
    depth: Depth,
    out: &mut Vec<LintFinding>,
) {
    match (o.get("examples"), depth) {
        // Wix's own example schemas leave them out on the contact-ID property.
        (None, Depth::First) if o.contains_key("identityType") => out.push(warning(
            format!("{at}.examples"),
            "examples-required",
            "the contact-ID property has no examples: test runs have no value to show for it",
            CONFLICT_IDENTITY_EXAMPLES,
        )),
        (None, Depth::First) => out.push(error(format!("{at}.examples"), "examples-required", "a first-level property needs examples (of its type): the builder shows them, and test runs use them", SOURCE_PAYLOAD_LEGACY)),
        (None, _) => {}
        (Some(Value::Array(a)), _) => {
            if a.iter().any(|v| !of_type(v, ty)) {
                out.push(error(format!("{at}.examples"), "examples-type", format!("examples must be of the property's type ({})", ty.unwrap_or("untyped")), SOURCE_PAYLOAD_LEGACY));
            }
            if depth != Depth::First {
                out.push(warning(format!("{at}.examples"), "examples-nested", "examples below the first level are left out by Wix", SOURCE_PAYLOAD_LEGACY));
            }
        }
        (Some(v), _) => out.push(error(format!("{at}.examples"), "examples-array", format!("examples must be an array of values, not {}", json_type(v)), SOURCE_PAYLOAD_LEGACY)),
    }
}

/// Objects and arrays only at the first level; an object of primitives; arrays of flat objects.
fn nesting(ty: Option<&str>, at: &str, depth: Depth, out: &mut Vec<LintFinding>) {
    let Some(ty @ ("object" | "array")) = ty else {
        return;
    };
    match depth {
        Depth::First if ty == "object" => out.push(warning(format!("{at}.type"), "top-level-object", "a first-level object: ActionBench takes it (with primitive properties), Wix's sources disagree", CONFLICT_TOP_OBJECT)),
        Depth::First => {}
        Depth::InObject => out.push(error(format!("{at}.type"), "nesting", format!("an {ty} inside an object: only first-level properties may be objects or arrays, and an object's properties are strings, numbers, integers and booleans"), SOURCE_PAYLOAD_LEGACY)),
        Depth::InArrayItem => out.push(warning(format!("{at}.type"), "array-item-fields", format!("an {ty} inside an array's items: arrays of flat objects are what every source allows"), CONFLICT_ITEM_FIELDS)),
    }
}

fn format(o: &Map<String, Value>, at: &str, ty: Option<&str>, out: &mut Vec<LintFinding>) {
    let Some(f) = o.get("format") else { return };
    if ty != Some("string") {
        out.push(error(
            format!("{at}.format"),
            "format-on-string",
            format!(
                "format is only for strings, and this property is {}",
                ty.unwrap_or("untyped")
            ),
            SOURCE_PAYLOAD_LEGACY,
        ));
    } else if let Some(name) = f.as_str() {
        // The guide allows JSON Schema's built-in formats.
        if crate::domain::findings::JSON_SCHEMA_FORMATS.contains(&name) {
            return;
        }
        if let Some(why) = unknown_format(name) {
            out.push(warning(
                format!("{at}.format"),
                "format-known",
                why,
                SOURCE_PAYLOAD_LEGACY,
            ));
        }
    } else {
        out.push(error(
            format!("{at}.format"),
            "format-string",
            format!("format must be a string, not {f}"),
            SOURCE_PAYLOAD_LEGACY,
        ));
    }
}

/// `identityType` (on a `uuid` string, `contact`) and `futureDate` (on a `date-time` string).
fn marks_of(
    o: &Map<String, Value>,
    at: &str,
    ty: Option<&str>,
    marks: &mut Marks,
    out: &mut Vec<LintFinding>,
) {
    let format = o.get("format").and_then(Value::as_str);
    if let Some(id) = o.get("identityType") {
        marks.identity.push(at.to_string());
        if ty != Some("string") || format != Some("uuid") {
            out.push(error(
                format!("{at}.identityType"),
                "identity-on-uuid",
                "identityType goes only on a string with format uuid (the contact's ID)",
                SOURCE_IDENTITY,
            ));
        }
        match id.as_str() {
            Some("contact") => {}
            Some(t @ ("visitor" | "member" | "user")) => out.push(warning(
                format!("{at}.identityType"),
                "identity-type",
                format!("identityType {t:?}: Wix currently connects only contacts"),
                CONFLICT_IDENTITY,
            )),
            _ => out.push(error(
                format!("{at}.identityType"),
                "identity-type",
                format!("identityType {id} is not \"contact\""),
                SOURCE_IDENTITY,
            )),
        }
    }
    match o.get("futureDate") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            marks.future.push(at.to_string());
            if ty != Some("string") || format != Some("date-time") {
                out.push(error(format!("{at}.futureDate"), "future-date-on-date-time", "futureDate goes only on a string with format date-time: it is when the scheduled event happens", SOURCE_PAYLOAD_LEGACY));
            }
        }
        Some(v) => out.push(error(
            format!("{at}.futureDate"),
            "future-date-boolean",
            format!("futureDate must be true or false, not {v}"),
            SOURCE_PAYLOAD_LEGACY,
        )),
    }
}

fn modifiers(o: &Map<String, Value>, at: &str, ty: Option<&str>, out: &mut Vec<LintFinding>) {
    if let Some(u) = o.get("uniqueItems") {
        if ty != Some("array") {
            out.push(error(
                format!("{at}.uniqueItems"),
                "unique-items-on-array",
                "uniqueItems is only for arrays",
                SOURCE_PAYLOAD_LEGACY,
            ));
        }
        if !u.is_boolean() {
            out.push(error(
                format!("{at}.uniqueItems"),
                "unique-items-boolean",
                format!("uniqueItems must be true or false, not {u}"),
                SOURCE_PAYLOAD_LEGACY,
            ));
        }
    }
    match o.get("enum") {
        None => {}
        Some(Value::Array(a)) if a.iter().any(|v| !of_type(v, ty)) => out.push(warning(
            format!("{at}.enum"),
            "enum-type",
            "enum should list values of the property's type",
            SOURCE_PAYLOAD_LEGACY,
        )),
        Some(Value::Array(_)) => {}
        Some(e) => out.push(error(
            format!("{at}.enum"),
            "enum-array",
            format!("enum must be an array of values, not {}", json_type(e)),
            SOURCE_PAYLOAD_LEGACY,
        )),
    }
    if o.contains_key("required") && !matches!(ty, Some("object" | "array")) {
        out.push(error(
            format!("{at}.required"),
            "nested-required",
            "a nested required is only for objects and arrays",
            SOURCE_PAYLOAD_LEGACY,
        ));
    }
    if ty != Some("array") && o.contains_key("items") {
        out.push(error(
            format!("{at}.items"),
            "items-on-array",
            format!(
                "items is only for arrays, and this property is {}",
                ty.unwrap_or("untyped")
            ),
            SOURCE_PAYLOAD_LEGACY,
        ));
    }
    if ty != Some("object") && o.contains_key("properties") {
        out.push(error(
            format!("{at}.properties"),
            "properties-on-object",
            format!(
                "properties is only for objects, and this property is {}",
                ty.unwrap_or("untyped")
            ),
            SOURCE_PAYLOAD_LEGACY,
        ));
    }
}

/// An object's properties (primitives) and an array's items (objects with properties).
fn children(
    o: &Map<String, Value>,
    at: &str,
    ty: Option<&str>,
    depth: Depth,
    marks: &mut Marks,
    out: &mut Vec<LintFinding>,
) {
    let walk = |props: &Map<String, Value>,
                at: &str,
                inner: Depth,
                marks: &mut Marks,
                out: &mut Vec<LintFinding>| {
        for (k, p) in props {
            property(k, p, &format!("{at}.properties.{k}"), inner, marks, out);
        }
    };
    match ty {
        Some("object") => match o.get("properties") {
            Some(Value::Object(p)) if depth == Depth::First => {
                required(o, p, at, out);
                walk(p, at, Depth::InObject, marks, out);
            }
            Some(Value::Object(_)) => {}
            _ => out.push(error(
                format!("{at}.properties"),
                "object-properties",
                "an object needs properties",
                SOURCE_PAYLOAD_LEGACY,
            )),
        },
        Some("array") => {
            let Some(items) = o.get("items") else {
                out.push(error(
                    format!("{at}.items"),
                    "array-items",
                    "an array needs items (an object with properties)",
                    SOURCE_PAYLOAD_LEGACY,
                ));
                return;
            };
            let at = format!("{at}.items");
            if items.get("type").and_then(Value::as_str) != Some("object") {
                out.push(error(
                    format!("{at}.type"),
                    "array-items-object",
                    "an array's items must be of type \"object\" (arrays of flat objects)",
                    SOURCE_PAYLOAD_LEGACY,
                ));
                return;
            }
            match items.get("properties") {
                Some(Value::Object(p)) if depth == Depth::First => {
                    if let Some(io) = items.as_object() {
                        required(io, p, &at, out);
                    }
                    walk(p, &at, Depth::InArrayItem, marks, out);
                }
                Some(Value::Object(_)) => {}
                _ => out.push(error(
                    format!("{at}.properties"),
                    "array-items-object",
                    "an array's items need properties",
                    SOURCE_PAYLOAD_LEGACY,
                )),
            }
        }
        _ => {}
    }
}
