//! Action definitions: every documented lint rule and every breaking-change rule, one case
//! each (the rule fires on the place it names, and a clean definition has no finding); the
//! shipped definitions pass; `actionbench lint` exits 0, 1 or 2 and writes JUnit.

mod common;

use actionbench::domain::definition::{Definition, Level, breaking_changes, lint};
use common::*;
use serde_json::{Value, json};

/// An edit of the clean definition.
type Edit = Box<dyn Fn(&mut Value)>;

/// Removes `keys` from the object `v`.
fn drop_keys(v: &mut Value, keys: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
}

/// A definition that breaks no rule.
fn clean() -> Value {
    json!({
        "actionKey": "send-invoice",
        "displayName": "Send an invoice",
        "description": "Emails an invoice to a contact.",
        "inputSchema": {
            "$schema": "http://json-schema.org/draft-07/schema",
            "type": "object",
            "additionalProperties": true,
            "properties": {
                "contactId": { "type": "string", "title": "Contact", "format": "uuid", "identityType": "contact" },
                "amount": { "type": "number", "title": "Amount", "examples": [12.5] },
                "currency": { "type": "string", "title": "Currency", "enum": ["EUR", "USD"] },
                "price": { "type": "string", "title": "Price", "format": "number", "examples": ["12.50"] },
                "opensAt": { "type": "string", "title": "Opens", "format": "time" },
                "lines": { "type": "array", "title": "Lines", "uniqueItems": true,
                           "items": { "type": "object", "properties": {
                               "sku": { "type": "string", "title": "SKU" },
                               "qty": { "type": "integer", "title": "Quantity" } } } },
                "address": { "type": "object", "title": "Address", "required": ["city"],
                             "properties": { "city": { "type": "string", "title": "City" },
                                             "geo": { "type": "object", "title": "Geo",
                                                      "properties": { "lat": { "type": "number", "title": "Latitude" } } } } }
            },
            "required": ["contactId", "amount"]
        },
        "outputSchema": {
            "type": "object",
            "properties": { "invoiceId": { "type": "string", "title": "Invoice" } }
        }
    })
}

fn definition(v: &Value) -> Definition {
    Definition::parse(&v.to_string()).expect("a definition")
}

/// `edit` applied to the clean definition.
fn with(edit: impl FnOnce(&mut Value)) -> Definition {
    let mut v = clean();
    edit(&mut v);
    definition(&v)
}

/// The findings of `def` as (level, path, rule).
fn found(def: &Definition) -> Vec<(Level, String, &'static str)> {
    lint(def)
        .into_iter()
        .map(|f| (f.level, f.path, f.rule))
        .collect()
}

#[test]
fn a_clean_definition_has_no_finding() {
    assert_eq!(found(&definition(&clean())), vec![]);
}

#[test]
fn every_lint_rule_fires_at_its_place() {
    use Level::{Error as E, Warning as W};
    let cases: Vec<(&str, Edit, Level, &str, &str)> = vec![
        (
            "actionKey too short",
            Box::new(|v| v["actionKey"] = json!("abc")),
            E,
            "actionKey",
            "action-key-length",
        ),
        (
            "actionKey too long",
            Box::new(|v| v["actionKey"] = json!("k".repeat(51))),
            E,
            "actionKey",
            "action-key-length",
        ),
        (
            "actionKey missing",
            Box::new(|v| {
                drop_keys(v, &["actionKey"]);
                v["displayName"] = json!("x");
            }),
            E,
            "actionKey",
            "action-key-required",
        ),
        (
            "displayName empty",
            Box::new(|v| v["displayName"] = json!("")),
            E,
            "displayName",
            "display-name-length",
        ),
        (
            "displayName too long",
            Box::new(|v| v["displayName"] = json!("d".repeat(81))),
            E,
            "displayName",
            "display-name-length",
        ),
        (
            "description not text",
            Box::new(|v| v["description"] = json!(3)),
            E,
            "description",
            "description-type",
        ),
        (
            "baseUri too long",
            Box::new(|v| v["baseUri"] = json!(format!("https://{}", "a".repeat(250)))),
            E,
            "baseUri",
            "base-uri-length",
        ),
        (
            "no input schema",
            Box::new(|v| {
                drop_keys(v, &["inputSchema"]);
            }),
            E,
            "inputSchema",
            "input-schema-required",
        ),
        (
            "another $schema",
            Box::new(|v| {
                v["inputSchema"]["$schema"] = json!("http://json-schema.org/draft-04/schema")
            }),
            W,
            "inputSchema.$schema",
            "schema-draft",
        ),
        (
            "additionalProperties false",
            Box::new(|v| v["inputSchema"]["additionalProperties"] = json!(false)),
            W,
            "inputSchema.additionalProperties",
            "additional-properties",
        ),
        (
            "root not an object",
            Box::new(|v| v["inputSchema"]["type"] = json!("array")),
            E,
            "inputSchema.type",
            "root-object",
        ),
        (
            "root without type",
            Box::new(|v| {
                drop_keys(&mut v["inputSchema"], &["type"]);
            }),
            E,
            "inputSchema.type",
            "root-object",
        ),
        (
            "root without properties",
            Box::new(|v| {
                drop_keys(&mut v["inputSchema"], &["properties"]);
                v["inputSchema"]["required"] = json!([]);
            }),
            E,
            "inputSchema.properties",
            "properties-required",
        ),
        (
            "required not a list",
            Box::new(|v| v["inputSchema"]["required"] = json!("amount")),
            E,
            "inputSchema.required",
            "required-list",
        ),
        (
            "required names an unknown field",
            Box::new(|v| v["inputSchema"]["required"] = json!(["amount", "ghost"])),
            W,
            "inputSchema.required",
            "required-unknown",
        ),
        (
            "a key with a dash",
            Box::new(|v| {
                v["inputSchema"]["properties"]["first-name"] =
                    json!({"type": "string", "title": "First"})
            }),
            E,
            "inputSchema.properties.first-name",
            "key-chars",
        ),
        (
            "a key starting with _",
            Box::new(|v| {
                v["inputSchema"]["properties"]["_id"] = json!({"type": "string", "title": "Id"})
            }),
            E,
            "inputSchema.properties._id",
            "key-chars",
        ),
        (
            "a property without type",
            Box::new(|v| v["inputSchema"]["properties"]["note"] = json!({"title": "Note"})),
            E,
            "inputSchema.properties.note.type",
            "type-required",
        ),
        (
            "an unknown type",
            Box::new(|v| {
                v["inputSchema"]["properties"]["when"] = json!({"type": "date", "title": "When"})
            }),
            E,
            "inputSchema.properties.when.type",
            "type-allowed",
        ),
        (
            "a property without title",
            Box::new(|v| v["inputSchema"]["properties"]["note"] = json!({"type": "string"})),
            E,
            "inputSchema.properties.note.title",
            "title-required",
        ),
        (
            "format on a number",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["format"] = json!("email")),
            E,
            "inputSchema.properties.amount.format",
            "format-on-string",
        ),
        (
            "a format the builder ignores",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["format"] = json!("ipv4")),
            W,
            "inputSchema.properties.currency.format",
            "format-builder",
        ),
        (
            "a format neither Wix's guides nor JSON Schema know",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["format"] = json!("currency")),
            W,
            "inputSchema.properties.currency.format",
            "format-builder",
        ),
        (
            "items on a field that is not an array",
            Box::new(|v| {
                v["inputSchema"]["properties"]["amount"]["items"] = json!({"type": "object"})
            }),
            E,
            "inputSchema.properties.amount.items",
            "items-on-array",
        ),
        (
            "properties on a field that is not an object",
            Box::new(|v| {
                v["inputSchema"]["properties"]["currency"]["properties"] =
                    json!({"a": {"type": "string", "title": "A"}})
            }),
            E,
            "inputSchema.properties.currency.properties",
            "properties-on-object",
        ),
        (
            "examples that are not an array",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["examples"] = json!(12.5)),
            E,
            "inputSchema.properties.amount.examples",
            "examples-array",
        ),
        (
            "enum that is not an array",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["enum"] = json!("EUR")),
            E,
            "inputSchema.properties.currency.enum",
            "enum-array",
        ),
        (
            "uniqueItems that is not a boolean",
            Box::new(|v| v["inputSchema"]["properties"]["lines"]["uniqueItems"] = json!("yes")),
            E,
            "inputSchema.properties.lines.uniqueItems",
            "unique-items-boolean",
        ),
        (
            "a title that is not a string",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["title"] = json!(7)),
            E,
            "inputSchema.properties.amount.title",
            "title-string",
        ),
        (
            "examples of another type",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["examples"] = json!(["12.5"])),
            E,
            "inputSchema.properties.amount.examples",
            "examples-type",
        ),
        (
            "an unknown identityType",
            Box::new(|v| {
                v["inputSchema"]["properties"]["contactId"]["identityType"] = json!("customer")
            }),
            E,
            "inputSchema.properties.contactId.identityType",
            "identity-type",
        ),
        (
            "identityType user",
            Box::new(|v| {
                v["inputSchema"]["properties"]["contactId"]["identityType"] = json!("user")
            }),
            W,
            "inputSchema.properties.contactId.identityType",
            "identity-type",
        ),
        (
            "two identityTypes",
            Box::new(|v| {
                v["inputSchema"]["properties"]["memberId"] =
                    json!({"type": "string", "title": "Member", "identityType": "member"})
            }),
            E,
            "inputSchema.properties.memberId.identityType",
            "one-identity-type",
        ),
        (
            "identityType on a number",
            Box::new(|v| {
                v["inputSchema"]["properties"]["contactId"] =
                    json!({"type": "number", "title": "Contact", "identityType": "contact"});
            }),
            W,
            "inputSchema.properties.contactId.identityType",
            "identity-on-string",
        ),
        (
            "uniqueItems on a string",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["uniqueItems"] = json!(true)),
            E,
            "inputSchema.properties.currency.uniqueItems",
            "unique-items-on-array",
        ),
        (
            "a nested required on a string",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["required"] = json!(["x"])),
            E,
            "inputSchema.properties.currency.required",
            "nested-required",
        ),
        (
            "enum values of another type",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["enum"] = json!([1, 2])),
            W,
            "inputSchema.properties.currency.enum",
            "enum-type",
        ),
        (
            "an array without items",
            Box::new(|v| {
                drop_keys(&mut v["inputSchema"]["properties"]["lines"], &["items"]);
            }),
            E,
            "inputSchema.properties.lines.items",
            "array-items",
        ),
        (
            "an array of strings",
            Box::new(|v| {
                v["inputSchema"]["properties"]["lines"]["items"] = json!({"type": "string"})
            }),
            E,
            "inputSchema.properties.lines.items.type",
            "array-items-object",
        ),
        (
            "an object in an array's items",
            Box::new(|v| {
                v["inputSchema"]["properties"]["lines"]["items"]["properties"]["meta"] =
                    json!({"type": "object", "title": "Meta", "properties": {}})
            }),
            E,
            "inputSchema.properties.lines.items.properties.meta.type",
            "flat-array-items",
        ),
        (
            "an array in a nested object",
            Box::new(
                |v| v["inputSchema"]["properties"]["address"]["properties"]["tags"] = json!({"type": "array", "title": "Tags", "items": {"type": "object", "properties": {}}}),
            ),
            E,
            "inputSchema.properties.address.properties.tags.type",
            "object-fields",
        ),
        (
            "an object without properties",
            Box::new(|v| {
                drop_keys(
                    &mut v["inputSchema"]["properties"]["address"],
                    &["properties", "required"],
                );
            }),
            E,
            "inputSchema.properties.address.properties",
            "object-properties",
        ),
        (
            "a composed schema",
            Box::new(|v| v["inputSchema"]["oneOf"] = json!([{"required": ["amount"]}])),
            W,
            "inputSchema.oneOf",
            "composition",
        ),
        (
            "a nested key with a dash",
            Box::new(|v| {
                v["inputSchema"]["properties"]["address"]["properties"]["zip-code"] =
                    json!({"type": "string", "title": "Zip"})
            }),
            E,
            "inputSchema.properties.address.properties.zip-code",
            "key-chars",
        ),
        (
            "an output field without title: a warning",
            Box::new(|v| v["outputSchema"]["properties"]["invoiceId"] = json!({"type": "string"})),
            W,
            "outputSchema.properties.invoiceId.title",
            "title-required",
        ),
        (
            "an output root that is not an object: a warning",
            Box::new(|v| v["outputSchema"]["type"] = json!("string")),
            W,
            "outputSchema.type",
            "root-object",
        ),
    ];
    for (what, edit, level, path, rule) in cases {
        let def = with(|v| edit(v));
        let got = found(&def);
        assert!(
            got.iter()
                .any(|(l, p, r)| *l == level && p == path && *r == rule),
            "{what}: expected {level:?} {rule} at {path}, got {got:?}"
        );
        // Nothing else is an error, unless the same edit breaks a second rule on purpose.
        let other_errors: Vec<_> = got
            .iter()
            .filter(|(l, p, r)| *l == Level::Error && !(p == path && *r == rule))
            .collect();
        assert!(
            other_errors.len() <= 1,
            "{what}: unexpected errors {other_errors:?}"
        );
    }
}

/// The breaking changes of `edit` applied to the clean definition, as published.
fn changes(edit: impl FnOnce(&mut Value)) -> Vec<(Level, String, &'static str)> {
    let old = definition(&clean());
    let new = with(edit);
    breaking_changes(&old, &new)
        .into_iter()
        .map(|f| (f.level, f.path, f.rule))
        .collect()
}

#[test]
fn every_forbidden_edit_is_an_error_naming_the_field() {
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "a new required field",
            Box::new(|v| {
                v["inputSchema"]["properties"]["dueDate"] =
                    json!({"type": "string", "title": "Due", "format": "date"});
                v["inputSchema"]["required"] = json!(["contactId", "amount", "dueDate"]);
            }),
            "inputSchema.properties.dueDate",
            "no-new-required",
        ),
        (
            "an optional field made required",
            Box::new(|v| v["inputSchema"]["required"] = json!(["contactId", "amount", "currency"])),
            "inputSchema.properties.currency",
            "no-optional-to-required",
        ),
        (
            "a type changed",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["type"] = json!("string")),
            "inputSchema.properties.amount",
            "no-type-change",
        ),
        (
            "a format changed",
            Box::new(|v| v["inputSchema"]["properties"]["contactId"]["format"] = json!("email")),
            "inputSchema.properties.contactId",
            "no-format-change",
        ),
        (
            "a format added",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["format"] = json!("uri")),
            "inputSchema.properties.currency",
            "no-format-change",
        ),
        (
            "identityType removed",
            Box::new(|v| {
                drop_keys(
                    &mut v["inputSchema"]["properties"]["contactId"],
                    &["identityType"],
                );
            }),
            "inputSchema.properties.contactId",
            "no-identity-change",
        ),
        (
            "identityType changed",
            Box::new(|v| {
                v["inputSchema"]["properties"]["contactId"]["identityType"] = json!("member")
            }),
            "inputSchema.properties.contactId",
            "no-identity-change",
        ),
        (
            "the action key changed",
            Box::new(|v| v["actionKey"] = json!("send-invoice-v2")),
            "actionKey",
            "action-key-fixed",
        ),
        (
            "a nested field's type changed",
            Box::new(|v| {
                v["inputSchema"]["properties"]["address"]["properties"]["city"]["type"] =
                    json!("integer")
            }),
            "inputSchema.properties.address.properties.city",
            "no-type-change",
        ),
        (
            "a new required field in an array's items",
            Box::new(|v| {
                v["inputSchema"]["properties"]["lines"]["items"]["properties"]["price"] =
                    json!({"type": "number", "title": "Price"});
                v["inputSchema"]["properties"]["lines"]["items"]["required"] = json!(["price"]);
            }),
            "inputSchema.properties.lines.items.properties.price",
            "no-new-required",
        ),
    ];
    for (what, edit, path, rule) in cases {
        let got = changes(|v| edit(v));
        assert!(
            got.iter()
                .any(|(l, p, r)| *l == Level::Error && p == path && *r == rule),
            "{what}: expected an error {rule} at {path}, got {got:?}"
        );
    }
}

#[test]
fn harmless_edits_are_not_findings_and_unaddressed_ones_are_warnings() {
    let harmless: Vec<(&str, Edit)> = vec![
        (
            "a new optional field",
            Box::new(|v| {
                v["inputSchema"]["properties"]["memo"] = json!({"type": "string", "title": "Memo"})
            }),
        ),
        (
            "a new title",
            Box::new(|v| v["inputSchema"]["properties"]["amount"]["title"] = json!("Total")),
        ),
        (
            "a field made optional",
            Box::new(|v| v["inputSchema"]["required"] = json!(["contactId"])),
        ),
        (
            "a new description and display name",
            Box::new(|v| {
                v["displayName"] = json!("Invoice");
                v["description"] = json!("Sends it.");
            }),
        ),
        (
            "a new output field",
            Box::new(|v| {
                v["outputSchema"]["properties"]["url"] = json!({"type": "string", "title": "URL"})
            }),
        ),
    ];
    for (what, edit) in harmless {
        assert_eq!(changes(|v| edit(v)), vec![], "{what}");
    }
    let warned: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "a field removed",
            Box::new(|v| {
                drop_keys(&mut v["inputSchema"]["properties"], &["currency"]);
            }),
            "inputSchema.properties.currency",
            "field-removed",
        ),
        (
            "enum values changed",
            Box::new(|v| v["inputSchema"]["properties"]["currency"]["enum"] = json!(["EUR"])),
            "inputSchema.properties.currency",
            "enum-changed",
        ),
        (
            "an output field removed",
            Box::new(|v| {
                drop_keys(&mut v["outputSchema"]["properties"], &["invoiceId"]);
            }),
            "outputSchema.properties.invoiceId",
            "output-field-removed",
        ),
        (
            "an output field retyped",
            Box::new(|v| v["outputSchema"]["properties"]["invoiceId"]["type"] = json!("integer")),
            "outputSchema.properties.invoiceId",
            "output-field-retyped",
        ),
        (
            "a composed schema",
            Box::new(|v| v["inputSchema"]["anyOf"] = json!([{"required": ["amount"]}])),
            "inputSchema",
            "composition",
        ),
    ];
    for (what, edit, path, rule) in warned {
        let got = changes(|v| edit(v));
        assert!(
            got.iter()
                .any(|(l, p, r)| *l == Level::Warning && p == path && *r == rule),
            "{what}: expected a warning {rule} at {path}, got {got:?}"
        );
    }
    // Adding an identityType where there was none is not addressed by the docs: a warning.
    let old = with(|v| {
        drop_keys(
            &mut v["inputSchema"]["properties"]["contactId"],
            &["identityType"],
        );
    });
    let new = definition(&clean());
    let got: Vec<_> = breaking_changes(&old, &new)
        .into_iter()
        .map(|f| (f.level, f.rule))
        .collect();
    assert_eq!(got, vec![(Level::Warning, "identity-added")]);
}

#[test]
fn a_sample_file_is_linted_by_its_schemas() {
    let s = sample("01-");
    let text = std::fs::read_to_string(s.path.as_ref().expect("path")).expect("read");
    let def = Definition::parse(&text).expect("a sample with schemas");
    assert_eq!(def.action_key(), Some("send-email"));
    assert!(
        lint(&def).iter().all(|f| f.level != Level::Error),
        "{:?}",
        lint(&def)
    );
}

#[test]
fn the_shipped_definitions_have_no_error() {
    let dir = root().join("samples/actions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("samples/actions") {
        let path = e.expect("entry").path();
        let def = Definition::load(&path).expect("loads");
        let errors: Vec<_> = lint(&def)
            .into_iter()
            .filter(|f| f.level == Level::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        n += 1;
    }
    assert!(n >= 10, "a definition for each shipped action: {n}");
}

fn lint_cmd(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    run_actionbench(&all, std::time::Duration::from_secs(60))
}

#[test]
fn lint_exits_0_1_or_2_and_writes_junit() {
    let dir = TempDir::new("lint");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let good = dir.path().join("good.json");
    std::fs::write(&good, clean().to_string()).expect("write");
    let mut bad = clean();
    bad["inputSchema"]["properties"]["first-name"] = json!({"type": "string", "title": "First"});
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_string()).expect("write");
    let p = |x: &std::path::Path| x.to_str().expect("path").to_string();

    let (code, text) = lint_cmd(&[&p(&good)]);
    assert_eq!(code, Some(0), "{text}");
    let junit = dir.path().join("lint.xml");
    let (code, text) = lint_cmd(&[&p(&good), &p(&bad_path), "--junit", &p(&junit)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("bad.json: error inputSchema.properties.first-name [key-chars]"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<testcase").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");

    // Against the published one: a type change is an error naming the field.
    let mut changed = clean();
    changed["inputSchema"]["properties"]["amount"]["type"] = json!("string");
    let changed_path = dir.path().join("changed.json");
    std::fs::write(&changed_path, changed.to_string()).expect("write");
    let (code, text) = lint_cmd(&[&p(&changed_path), "--published", &p(&good)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("inputSchema.properties.amount [no-type-change]"),
        "{text}"
    );

    // Could not run: a missing file, not JSON, not a definition.
    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "{").expect("write");
    let not_def = dir.path().join("y.json");
    std::fs::write(&not_def, "{\"hello\": 1}").expect("write");
    for f in [dir.path().join("missing.json"), not_json, not_def] {
        let (code, text) = lint_cmd(&[&p(&f)]);
        assert_eq!(code, Some(2), "{text}");
        assert!(!text.trim().is_empty());
    }
}

#[test]
fn samples_flows_and_the_inbox_take_schemas_from_the_definition_and_inline_ones_win() {
    use actionbench::domain::definition::Definitions;
    use actionbench::domain::sample::{LoadedSample, Sample};
    let dir = TempDir::new("defs");
    std::fs::create_dir_all(dir.path()).expect("dir");
    std::fs::write(dir.path().join("send-invoice.json"), clean().to_string()).expect("write");
    let defs = Definitions::load_dir(dir.path());
    assert_eq!(defs.loaded.len(), 1, "{:?}", defs.errors);

    // A sample that writes no schema takes both, and says from where; its params are judged.
    let bare = Sample::parse(
        &json!({"request": {"actionKey": "send-invoice", "actionParams": {"amount": "12"}}})
            .to_string(),
    )
    .expect("sample");
    let mut s = LoadedSample::new(bare, None).expect("loads");
    assert!(s.input.is_none());
    defs.fill(&mut s);
    assert!(s.input.is_some() && s.output.is_some());
    assert_eq!(
        s.schemas_from.as_deref(),
        Some(dir.path().join("send-invoice.json").as_path())
    );
    assert!(
        s.params_findings
            .iter()
            .any(|f| f.field.as_deref() == Some("actionParams.contactId")),
        "judged with the definition's input schema: {:?}",
        s.params_findings
    );
    // One that writes its own input schema keeps it.
    let own = Sample::parse(
        &json!({"request": {"actionKey": "send-invoice", "actionParams": {}},
                "inputSchema": {"type": "object", "properties": {}}})
        .to_string(),
    )
    .expect("sample");
    let mut s = LoadedSample::new(own, None).expect("loads");
    defs.fill(&mut s);
    assert_eq!(
        s.sample.input_schema,
        Some(json!({"type": "object", "properties": {}}))
    );
    assert!(
        s.output.is_some(),
        "the output schema it does not write comes from the definition"
    );

    // A flow step without schemas takes them.
    let flow = json!({
        "name": "F", "trigger": {"name": "T", "key": "t", "payload": {}},
        "steps": [{"type": "action", "id": "a", "name": "A", "actionKey": "send-invoice", "params": {}}]
    });
    let mut f =
        actionbench::domain::flow::LoadedFlow::parse(&flow.to_string(), None).expect("flow");
    assert!(f.schemas[0].as_ref().is_some_and(|s| s.input.is_none()));
    f.take_schemas_from(&defs);
    assert!(
        f.schemas[0]
            .as_ref()
            .is_some_and(|s| s.input.is_some() && s.output.is_some())
    );

    // The inbox judges the key's answers with the definition's output schema.
    let (engine, _clock) = engine_with(actionbench::engine::Mode::Auto, |_| {});
    engine.add_definitions(&defs);
    assert!(engine.schemas("send-invoice").output.is_some());
}
