//! Trigger definitions: every rule of `../shared/triggers.md` §3–4 and every forbidden edit
//! after publishing, one case each (the rule fires at the place it names, at its level, and
//! nothing else is an error); a clean definition and schemas as Wix writes them have no error;
//! `actionbench lint` tells triggers from actions.

mod common;

use actionbench::domain::definition::Level;
use actionbench::domain::trigger::lint::lint;
use actionbench::domain::trigger::published::published_changes;
use common::*;
use serde_json::{Map, Value, json};

type Edit = Box<dyn Fn(&mut Value)>;

/// A trigger that breaks no rule (and touches no conflict).
fn clean() -> Value {
    json!({
        "triggerKey": "bookings-class_signup",
        "displayName": "Class sign-up submitted",
        "payloadSchema": {
            "$schema": "http://json-schema.org/draft-07/schema",
            "type": "object",
            "additionalProperties": true,
            "properties": {
                "contactId": { "type": "string", "format": "uuid", "title": "Contact", "identityType": "contact", "examples": ["5b2ac3a4-4a3c-4f9a-a0c1-6c1a27d4a0b1"] },
                "startsAt": { "type": "string", "format": "date-time", "title": "Class starts", "futureDate": true, "examples": ["2027-01-01T10:00:00Z"] },
                "seats": { "type": "integer", "title": "Seats", "examples": [2], "enum": [1, 2, 3] },
                "price": { "$id": "#/properties/price", "type": "number", "title": "Price", "description": "What was paid", "examples": [12.5] },
                "email": { "type": "string", "format": "email", "title": "Email", "examples": ["dana@example.com"] },
                "tags": { "type": "array", "title": "Tags", "uniqueItems": true, "examples": [[{"name": "yoga"}]],
                          "items": { "type": "object", "required": ["name"], "properties": {
                              "name": { "type": "string", "title": "Name" } } } }
            },
            "required": ["contactId", "startsAt"]
        },
        "filters": [
            { "id": "466d2067-05bd-44f9-99c7-d029b93e4feb", "staticFieldKey": "seats", "fieldKeyType": "STATIC_FIELD_KEY",
              "valueInput": { "type": "STATIC_ITEMS", "label": "Seats", "staticItems": { "multiSelect": false } } }
        ],
        "implementedMethods": { "validateConfiguration": true, "getDynamicSchema": false, "refreshPayload": true },
        "baseUri": "https://example.com/triggers",
        "automationConfigSchema": { "type": "object", "properties": { "notify": { "type": "boolean" } } }
    })
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(o) => o,
        _ => panic!("a definition is an object"),
    }
}

fn found(v: &Value) -> Vec<(Level, String, &'static str)> {
    lint(&object(v.clone()))
        .into_iter()
        .map(|f| (f.level, f.path, f.rule))
        .collect()
}

fn drop_key(v: &mut Value, k: &str) {
    if let Some(o) = v.as_object_mut() {
        o.remove(k);
    }
}

#[test]
fn a_clean_trigger_has_no_finding() {
    assert_eq!(found(&clean()), vec![]);
}

/// Checks each case: the rule fires at `path` at `level`; no other error.
fn check_cases(
    cases: Vec<(&str, Edit, Level, &str, &str)>,
    run: impl Fn(&Value) -> Vec<(Level, String, &'static str)>,
) {
    for (what, edit, level, path, rule) in cases {
        let mut v = clean();
        edit(&mut v);
        let got = run(&v);
        assert!(
            got.iter()
                .any(|(l, p, r)| *l == level && p == path && *r == rule),
            "{what}: expected {level:?} {rule} at {path}, got {got:?}"
        );
        let others: Vec<_> = got
            .iter()
            .filter(|(l, p, r)| *l == Level::Error && !(p == path && *r == rule))
            .collect();
        assert!(others.is_empty(), "{what}: unexpected errors {others:?}");
    }
}

fn prop<'a>(v: &'a mut Value, k: &str) -> &'a mut Value {
    &mut v["payloadSchema"]["properties"][k]
}

#[test]
fn every_trigger_rule_fires_at_its_place() {
    use Level::{Error as E, Warning as W};
    let cases: Vec<(&str, Edit, Level, &str, &str)> = vec![
        (
            "no trigger key",
            Box::new(|v| drop_key(v, "triggerKey")),
            E,
            "triggerKey",
            "trigger-key-required",
        ),
        (
            "a trigger key of 101",
            Box::new(|v| v["triggerKey"] = json!("k".repeat(101))),
            E,
            "triggerKey",
            "trigger-key-length",
        ),
        (
            "an upper-case key",
            Box::new(|v| v["triggerKey"] = json!("Class-signup")),
            E,
            "triggerKey",
            "trigger-key-chars",
        ),
        (
            "a key with a dot",
            Box::new(|v| v["triggerKey"] = json!("class.signup")),
            E,
            "triggerKey",
            "trigger-key-chars",
        ),
        (
            "a key starting with -",
            Box::new(|v| v["triggerKey"] = json!("-signup")),
            E,
            "triggerKey",
            "trigger-key-chars",
        ),
        (
            "no display name",
            Box::new(|v| drop_key(v, "displayName")),
            E,
            "displayName",
            "display-name-required",
        ),
        (
            "a name of 4",
            Box::new(|v| v["displayName"] = json!("Abcd")),
            E,
            "displayName",
            "display-name-length",
        ),
        (
            "a name of 81",
            Box::new(|v| v["displayName"] = json!("n".repeat(81))),
            E,
            "displayName",
            "display-name-length",
        ),
        (
            "a name of 60: sources disagree",
            Box::new(|v| v["displayName"] = json!("n".repeat(60))),
            W,
            "displayName",
            "display-name-length",
        ),
        (
            "a description: sources disagree",
            Box::new(|v| v["description"] = json!("About it")),
            W,
            "description",
            "trigger-description",
        ),
        (
            "a namespace of 51",
            Box::new(|v| v["namespace"] = json!("n".repeat(51))),
            E,
            "namespace",
            "namespace-length",
        ),
        (
            "an unknown maturity",
            Box::new(|v| v["maturity"] = json!("LIVE")),
            E,
            "maturity",
            "maturity",
        ),
        (
            "no payload schema",
            Box::new(|v| drop_key(v, "payloadSchema")),
            E,
            "payloadSchema",
            "payload-schema-required",
        ),
        (
            "a payload schema that is a list",
            Box::new(|v| v["payloadSchema"] = json!([])),
            E,
            "payloadSchema",
            "schema-object",
        ),
        (
            "another $schema",
            Box::new(|v| {
                v["payloadSchema"]["$schema"] = json!("http://json-schema.org/draft-04/schema")
            }),
            W,
            "payloadSchema.$schema",
            "schema-draft",
        ),
        (
            "additionalProperties false",
            Box::new(|v| v["payloadSchema"]["additionalProperties"] = json!(false)),
            W,
            "payloadSchema.additionalProperties",
            "additional-properties",
        ),
        (
            "a root of type array",
            Box::new(|v| v["payloadSchema"]["type"] = json!("array")),
            E,
            "payloadSchema.type",
            "root-object",
        ),
        (
            "no properties",
            Box::new(|v| drop_key(&mut v["payloadSchema"], "properties")),
            E,
            "payloadSchema.properties",
            "properties-required",
        ),
        (
            "empty properties",
            Box::new(|v| v["payloadSchema"]["properties"] = json!({})),
            E,
            "payloadSchema.properties",
            "properties-required",
        ),
        (
            "required not a list",
            Box::new(|v| v["payloadSchema"]["required"] = json!("contactId")),
            E,
            "payloadSchema.required",
            "required-list",
        ),
        (
            "required names no property",
            Box::new(|v| v["payloadSchema"]["required"] = json!(["contactId", "nope"])),
            E,
            "payloadSchema.required",
            "required-unknown",
        ),
        (
            "a key with a dash",
            Box::new(|v| {
                let x = prop(v, "price").clone();
                v["payloadSchema"]["properties"]["unit-price"] = x;
            }),
            E,
            "payloadSchema.properties.unit-price",
            "key-chars",
        ),
        (
            "a key starting with _",
            Box::new(|v| {
                let x = prop(v, "price").clone();
                v["payloadSchema"]["properties"]["_price"] = x;
            }),
            E,
            "payloadSchema.properties._price",
            "key-chars",
        ),
        (
            "a property that is a string",
            Box::new(|v| *prop(v, "price") = json!("number")),
            E,
            "payloadSchema.properties.price",
            "property-object",
        ),
        (
            "no type",
            Box::new(|v| drop_key(prop(v, "price"), "type")),
            E,
            "payloadSchema.properties.price.type",
            "type-required",
        ),
        (
            "type null",
            Box::new(|v| prop(v, "price")["type"] = json!("null")),
            E,
            "payloadSchema.properties.price.type",
            "type-allowed",
        ),
        (
            "no title",
            Box::new(|v| drop_key(prop(v, "price"), "title")),
            E,
            "payloadSchema.properties.price.title",
            "title-required",
        ),
        (
            "a title that is a number",
            Box::new(|v| prop(v, "price")["title"] = json!(3)),
            E,
            "payloadSchema.properties.price.title",
            "title-string",
        ),
        (
            "a description that is a number",
            Box::new(|v| prop(v, "price")["description"] = json!(3)),
            E,
            "payloadSchema.properties.price.description",
            "description-string",
        ),
        (
            "no examples at the first level",
            Box::new(|v| drop_key(prop(v, "price"), "examples")),
            E,
            "payloadSchema.properties.price.examples",
            "examples-required",
        ),
        (
            "no examples on the contact ID: sources disagree",
            Box::new(|v| drop_key(prop(v, "contactId"), "examples")),
            W,
            "payloadSchema.properties.contactId.examples",
            "examples-required",
        ),
        (
            "examples not a list",
            Box::new(|v| prop(v, "price")["examples"] = json!(12.5)),
            E,
            "payloadSchema.properties.price.examples",
            "examples-array",
        ),
        (
            "examples of another type",
            Box::new(|v| prop(v, "price")["examples"] = json!(["12.5"])),
            E,
            "payloadSchema.properties.price.examples",
            "examples-type",
        ),
        (
            "examples at the second level",
            Box::new(|v| {
                prop(v, "tags")["items"]["properties"]["name"]["examples"] = json!(["yoga"])
            }),
            W,
            "payloadSchema.properties.tags.items.properties.name.examples",
            "examples-nested",
        ),
        (
            "format on a number",
            Box::new(|v| prop(v, "price")["format"] = json!("uuid")),
            E,
            "payloadSchema.properties.price.format",
            "format-on-string",
        ),
        (
            "format not a string",
            Box::new(|v| prop(v, "email")["format"] = json!(1)),
            E,
            "payloadSchema.properties.email.format",
            "format-string",
        ),
        (
            "a format nobody knows",
            Box::new(|v| prop(v, "email")["format"] = json!("phone")),
            W,
            "payloadSchema.properties.email.format",
            "format-known",
        ),
        (
            "a first-level object: sources disagree",
            Box::new(
                |v| v["payloadSchema"]["properties"]["address"] = json!({"type": "object", "title": "Address", "examples": [{"city": "Oslo"}], "properties": {"city": {"type": "string", "title": "City"}}}),
            ),
            W,
            "payloadSchema.properties.address.type",
            "top-level-object",
        ),
        (
            "an object in an object",
            Box::new(
                |v| v["payloadSchema"]["properties"]["address"] = json!({"type": "object", "title": "Address", "examples": [{}], "properties": {"geo": {"type": "object", "title": "Geo", "properties": {"lat": {"type": "number", "title": "Lat"}}}}}),
            ),
            E,
            "payloadSchema.properties.address.properties.geo.type",
            "nesting",
        ),
        (
            "an array in an array's items: sources disagree",
            Box::new(
                |v| prop(v, "tags")["items"]["properties"]["more"] = json!({"type": "array", "title": "More", "items": {"type": "object", "properties": {"x": {"type": "string", "title": "X"}}}}),
            ),
            W,
            "payloadSchema.properties.tags.items.properties.more.type",
            "array-item-fields",
        ),
        (
            "an array without items",
            Box::new(|v| drop_key(prop(v, "tags"), "items")),
            E,
            "payloadSchema.properties.tags.items",
            "array-items",
        ),
        (
            "an array of strings",
            Box::new(|v| prop(v, "tags")["items"] = json!({"type": "string"})),
            E,
            "payloadSchema.properties.tags.items.type",
            "array-items-object",
        ),
        (
            "an object without properties",
            Box::new(|v| {
                v["payloadSchema"]["properties"]["address"] =
                    json!({"type": "object", "title": "Address", "examples": [{}]})
            }),
            E,
            "payloadSchema.properties.address.properties",
            "object-properties",
        ),
        (
            "items on a string",
            Box::new(|v| prop(v, "email")["items"] = json!({"type": "object"})),
            E,
            "payloadSchema.properties.email.items",
            "items-on-array",
        ),
        (
            "properties on a number",
            Box::new(|v| prop(v, "price")["properties"] = json!({})),
            E,
            "payloadSchema.properties.price.properties",
            "properties-on-object",
        ),
        (
            "uniqueItems on a number",
            Box::new(|v| prop(v, "price")["uniqueItems"] = json!(true)),
            E,
            "payloadSchema.properties.price.uniqueItems",
            "unique-items-on-array",
        ),
        (
            "uniqueItems not a boolean",
            Box::new(|v| prop(v, "tags")["uniqueItems"] = json!("yes")),
            E,
            "payloadSchema.properties.tags.uniqueItems",
            "unique-items-boolean",
        ),
        (
            "enum not a list",
            Box::new(|v| prop(v, "seats")["enum"] = json!(1)),
            E,
            "payloadSchema.properties.seats.enum",
            "enum-array",
        ),
        (
            "enum of another type",
            Box::new(|v| prop(v, "seats")["enum"] = json!(["one"])),
            W,
            "payloadSchema.properties.seats.enum",
            "enum-type",
        ),
        (
            "required on a string",
            Box::new(|v| prop(v, "email")["required"] = json!([])),
            E,
            "payloadSchema.properties.email.required",
            "nested-required",
        ),
        (
            "identityType on an email",
            Box::new(|v| {
                drop_key(prop(v, "contactId"), "identityType");
                prop(v, "email")["identityType"] = json!("contact");
            }),
            E,
            "payloadSchema.properties.email.identityType",
            "identity-on-uuid",
        ),
        (
            "identityType visitor: sources disagree",
            Box::new(|v| prop(v, "contactId")["identityType"] = json!("visitor")),
            W,
            "payloadSchema.properties.contactId.identityType",
            "identity-type",
        ),
        (
            "identityType customer",
            Box::new(|v| prop(v, "contactId")["identityType"] = json!("customer")),
            E,
            "payloadSchema.properties.contactId.identityType",
            "identity-type",
        ),
        (
            "two identity fields",
            Box::new(
                |v| v["payloadSchema"]["properties"]["ownerId"] = json!({"type": "string", "format": "uuid", "title": "Owner", "identityType": "contact", "examples": ["5b2ac3a4-4a3c-4f9a-a0c1-6c1a27d4a0b1"]}),
            ),
            E,
            "payloadSchema.properties.ownerId.identityType",
            "one-identity-type",
        ),
        (
            "futureDate on a date",
            Box::new(|v| prop(v, "startsAt")["format"] = json!("date")),
            E,
            "payloadSchema.properties.startsAt.futureDate",
            "future-date-on-date-time",
        ),
        (
            "futureDate not a boolean",
            Box::new(|v| prop(v, "startsAt")["futureDate"] = json!("yes")),
            E,
            "payloadSchema.properties.startsAt.futureDate",
            "future-date-boolean",
        ),
        (
            "two futureDate fields",
            Box::new(
                |v| v["payloadSchema"]["properties"]["zendsAt"] = json!({"type": "string", "format": "date-time", "title": "Ends", "futureDate": true, "examples": ["2027-01-01T11:00:00Z"]}),
            ),
            E,
            "payloadSchema.properties.zendsAt.futureDate",
            "one-future-date",
        ),
        (
            "filters not a list",
            Box::new(|v| v["filters"] = json!({})),
            E,
            "filters",
            "filters",
        ),
        (
            "six filters",
            Box::new(|v| {
                let f = v["filters"][0].clone();
                v["filters"] = json!(
                    (0..6)
                        .map(|i| {
                            let mut f = f.clone();
                            f["id"] = json!(format!("466d2067-05bd-44f9-99c7-d029b93e4fe{i}"));
                            f
                        })
                        .collect::<Vec<_>>()
                );
            }),
            E,
            "filters",
            "filters-count",
        ),
        (
            "a filter that is a string",
            Box::new(|v| v["filters"][0] = json!("seats")),
            E,
            "filters[0]",
            "filter-object",
        ),
        (
            "a filter with both keys",
            Box::new(|v| v["filters"][0]["dynamicFieldKey"] = json!({"label": "x"})),
            E,
            "filters[0]",
            "filter-field-key",
        ),
        (
            "a filter on a field not in the payload",
            Box::new(|v| v["filters"][0]["staticFieldKey"] = json!("room")),
            W,
            "filters[0].staticFieldKey",
            "filter-field-key",
        ),
        (
            "an unknown fieldKeyType",
            Box::new(|v| v["filters"][0]["fieldKeyType"] = json!("STATIC")),
            E,
            "filters[0].fieldKeyType",
            "filter-field-key-type",
        ),
        (
            "a filter id that is no GUID",
            Box::new(|v| v["filters"][0]["id"] = json!("f1")),
            E,
            "filters[0].id",
            "filter-id",
        ),
        (
            "an unknown value input",
            Box::new(|v| v["filters"][0]["valueInput"]["type"] = json!("DROPDOWN")),
            E,
            "filters[0].valueInput.type",
            "filter-value-input",
        ),
        (
            "six follow-up filters",
            Box::new(|v| {
                v["filters"][0]["followUpFilters"] =
                    json!(vec![json!({"staticFieldKey": "seats"}); 6]);
            }),
            E,
            "filters[0].followUpFilters",
            "filters-count",
        ),
        (
            "implementedMethods a list",
            Box::new(|v| v["implementedMethods"] = json!(["refreshPayload"])),
            E,
            "implementedMethods",
            "implemented-methods",
        ),
        (
            "a method that is a string",
            Box::new(|v| v["implementedMethods"]["refreshPayload"] = json!("yes")),
            E,
            "implementedMethods.refreshPayload",
            "implemented-methods",
        ),
        (
            "an unknown method",
            Box::new(|v| v["implementedMethods"]["refresh"] = json!(true)),
            W,
            "implementedMethods.refresh",
            "implemented-methods",
        ),
        (
            "onAutomationSaved, which the SDK does not dispatch",
            Box::new(|v| v["implementedMethods"]["onAutomationSaved"] = json!(true)),
            W,
            "implementedMethods.onAutomationSaved",
            "implemented-methods",
        ),
        (
            "methods but no baseUri",
            Box::new(|v| drop_key(v, "baseUri")),
            E,
            "baseUri",
            "base-uri-required",
        ),
        (
            "a baseUri of 257",
            Box::new(|v| v["baseUri"] = json!(format!("https://{}", "a".repeat(249)))),
            E,
            "baseUri",
            "base-uri-length",
        ),
        (
            "a baseUri that is no URL",
            Box::new(|v| v["baseUri"] = json!("example.com/triggers")),
            E,
            "baseUri",
            "base-uri-url",
        ),
        (
            "a config schema that is a string",
            Box::new(|v| v["automationConfigSchema"] = json!("object")),
            E,
            "automationConfigSchema",
            "automation-config-schema",
        ),
    ];
    check_cases(cases, found);
}

/// The findings of `new` against the clean definition as published.
fn changes(v: &Value) -> Vec<(Level, String, &'static str)> {
    published_changes(&object(clean()), &object(v.clone()))
        .into_iter()
        .map(|f| (f.level, f.path, f.rule))
        .collect()
}

#[test]
fn every_forbidden_edit_after_publishing_is_an_error() {
    use Level::{Error as E, Warning as W};
    let cases: Vec<(&str, Edit, Level, &str, &str)> = vec![
        (
            "the trigger key",
            Box::new(|v| v["triggerKey"] = json!("bookings-class_signed")),
            E,
            "triggerKey",
            "trigger-key-fixed",
        ),
        (
            "the base URI",
            Box::new(|v| v["baseUri"] = json!("https://example.com/t2")),
            E,
            "baseUri",
            "base-uri-fixed",
        ),
        (
            "a field deleted",
            Box::new(|v| drop_key(&mut v["payloadSchema"]["properties"], "price")),
            E,
            "payloadSchema.properties.price",
            "field-removed",
        ),
        (
            "a field's key changed",
            Box::new(|v| {
                let x = prop(v, "price").clone();
                drop_key(&mut v["payloadSchema"]["properties"], "price");
                v["payloadSchema"]["properties"]["cost"] = x;
            }),
            E,
            "payloadSchema.properties.price",
            "field-removed",
        ),
        (
            "a nested field deleted",
            Box::new(|v| drop_key(&mut prop(v, "tags")["items"]["properties"], "name")),
            E,
            "payloadSchema.properties.tags.items.properties.name",
            "field-removed",
        ),
        (
            "a type changed",
            Box::new(|v| prop(v, "price")["type"] = json!("integer")),
            E,
            "payloadSchema.properties.price",
            "field-type-fixed",
        ),
        (
            "a format changed",
            Box::new(|v| prop(v, "email")["format"] = json!("uri")),
            E,
            "payloadSchema.properties.email",
            "field-format-fixed",
        ),
        (
            "the identity type removed",
            Box::new(|v| drop_key(prop(v, "contactId"), "identityType")),
            E,
            "payloadSchema.properties.contactId",
            "identity-fixed",
        ),
        (
            "the identity type switched",
            Box::new(|v| prop(v, "contactId")["identityType"] = json!("visitor")),
            E,
            "payloadSchema.properties.contactId",
            "identity-fixed",
        ),
        (
            "the future-date mark removed",
            Box::new(|v| drop_key(prop(v, "startsAt"), "futureDate")),
            E,
            "payloadSchema.properties.startsAt",
            "future-date-fixed",
        ),
        (
            "the future-date mark added",
            Box::new(|v| prop(v, "email")["futureDate"] = json!(true)),
            E,
            "payloadSchema.properties.email",
            "future-date-fixed",
        ),
        (
            "a new required field",
            Box::new(|v| {
                v["payloadSchema"]["properties"]["room"] =
                    json!({"type": "string", "title": "Room", "examples": ["A"]});
                v["payloadSchema"]["required"] = json!(["contactId", "startsAt", "room"]);
            }),
            E,
            "payloadSchema.properties.room",
            "no-new-required",
        ),
        (
            "a field's $id changed",
            Box::new(|v| prop(v, "price")["$id"] = json!("#/properties/cost")),
            E,
            "payloadSchema.properties.price",
            "field-id-fixed",
        ),
        (
            "a filter removed",
            Box::new(|v| v["filters"] = json!([])),
            E,
            "filters[0]",
            "filter-removed",
        ),
        (
            "a filter's property changed",
            Box::new(|v| v["filters"][0]["staticFieldKey"] = json!("price")),
            E,
            "filters[0]",
            "filter-field-fixed",
        ),
        (
            "a filter made multi-select",
            Box::new(|v| v["filters"][0]["valueInput"]["staticItems"]["multiSelect"] = json!(true)),
            E,
            "filters[0]",
            "filter-select-fixed",
        ),
        (
            "an allowed edit of the schema: the sources disagree",
            Box::new(|v| prop(v, "price")["title"] = json!("Amount paid")),
            W,
            "payloadSchema",
            "payload-schema-immutable",
        ),
    ];
    check_cases(cases, changes);
}

#[test]
fn allowed_edits_after_publishing_are_not_errors() {
    let allowed: Vec<(&str, Edit)> = vec![
        (
            "renamed",
            Box::new(|v| v["displayName"] = json!("Class booked")),
        ),
        (
            "hidden",
            Box::new(|v| v["metadata"] = json!({"hidden": true})),
        ),
        (
            "a new optional field",
            Box::new(|v| {
                v["payloadSchema"]["properties"]["room"] =
                    json!({"type": "string", "title": "Room", "examples": ["A"]})
            }),
        ),
        (
            "a title and a description",
            Box::new(|v| {
                prop(v, "price")["title"] = json!("Paid");
                prop(v, "price")["description"] = json!("In EUR");
            }),
        ),
        (
            "a field made required",
            Box::new(|v| {
                v["payloadSchema"]["required"] = json!(["contactId", "startsAt", "price"])
            }),
        ),
        (
            "a field made optional",
            Box::new(|v| v["payloadSchema"]["required"] = json!(["contactId"])),
        ),
        (
            "a filter added",
            Box::new(|v| {
                let mut f = v["filters"][0].clone();
                f["id"] = json!("b45f8475-bd44-4971-8820-7031ee12a708");
                f["staticFieldKey"] = json!("price");
                v["filters"].as_array_mut().expect("a list").push(f);
            }),
        ),
        (
            "a filter's label",
            Box::new(|v| v["filters"][0]["valueInput"]["label"] = json!("How many seats")),
        ),
        (
            "reevaluate schema toggled",
            Box::new(|v| v["filters"][0]["valueInput"]["reevaluateDynamicSchema"] = json!(true)),
        ),
    ];
    for (what, edit) in allowed {
        let mut v = clean();
        edit(&mut v);
        let errors: Vec<_> = changes(&v)
            .into_iter()
            .filter(|(l, _, _)| *l == Level::Error)
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}");
    }
    // An identity field may be added when none exists.
    let mut old = clean();
    drop_key(prop(&mut old, "contactId"), "identityType");
    let got = published_changes(&object(old), &object(clean()));
    assert!(got.iter().all(|f| f.level != Level::Error), "{got:?}");
}

#[test]
fn lint_tells_triggers_from_actions_and_compares_like_with_like() {
    let dir = TempDir::new("trigger-lint");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let p = |x: &std::path::Path| x.to_str().expect("path").to_string();
    let write = |name: &str, v: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, v.to_string()).expect("written");
        p(&path)
    };
    let trigger = write("trigger.json", &clean());
    let mut b = clean();
    b["triggerKey"] = json!("Bad Key");
    let broken = write("broken.json", &b);
    let mut e = clean();
    prop(&mut e, "price")["type"] = json!("string");
    prop(&mut e, "price")["examples"] = json!(["12.5"]);
    let edited = write("edited.json", &e);
    let action = format!(
        "{}/samples/actions/send-email.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let lint = |args: &[&str]| {
        let mut all = vec!["lint"];
        all.extend_from_slice(args);
        run_actionbench(&all, std::time::Duration::from_secs(30))
    };

    let (code, text) = lint(&[&trigger, &action]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 files checked: 0 errors"), "{text}");

    let (code, text) = lint(&[&broken]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("error triggerKey [trigger-key-chars]")
            && text.contains("(source: dev.wix.com/docs/rest/business-management/automations/triggers/add-a-trigger-in-the-dev-center)"),
        "{text}"
    );

    let (code, text) = lint(&[&edited, "--published", &trigger]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[field-type-fixed]"), "{text}");
    assert!(
        text.contains("warning payloadSchema [payload-schema-immutable]"),
        "{text}"
    );

    // A key is unique within the app.
    let twin = write("twin.json", &clean());
    let (code, text) = lint(&[&trigger, &twin]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("twin.json: error triggerKey [trigger-key-unique]"),
        "{text}"
    );

    let (code, text) = lint(&[&trigger, "--published", &action]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("compare like with like"), "{text}");
}

#[test]
fn triggers_wix_wrote_have_no_error() {
    let dir = format!("{}/tests/fixtures/wix-written", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let errors: Vec<_> = found(&v)
            .into_iter()
            .filter(|(l, _, _)| *l == Level::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        seen += 1;
    }
    assert!(seen >= 3, "the Wix-written fixtures are there");
}
