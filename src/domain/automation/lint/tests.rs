//! One case per builder rule: a small automation that breaks it, and the finding it gets.

use super::structure;
use crate::domain::automation::read;
use crate::domain::definition::Level;
use serde_json::{Value, json};

fn automation(roots: Value, actions: Value) -> crate::domain::automation::WixAutomation {
    read(
        &json!({ "name": "A test", "configuration": { "status": "ACTIVE",
        "trigger": { "appId": "a", "triggerKey": "k", "filters": [] },
        "rootActionIds": roots, "actions": actions } }),
    )
    .expect("reads")
    .remove(0)
}

fn app(id: &str, next: &[&str]) -> Value {
    json!({ "id": id, "type": "APP_DEFINED", "namespace": format!("send-{id}"),
        "appDefinedInfo": { "appId": "a", "actionKey": "send", "inputMapping": {}, "postActionIds": next } })
}

/// The rules of `a`'s findings at `level`, sorted.
fn rules(a: &crate::domain::automation::WixAutomation, level: Level) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = structure(a)
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.rule)
        .collect();
    r.sort();
    r
}

#[test]
fn wixs_own_examples_break_no_rule() {
    for name in ["f1-linear.json", "f2-branching.json", "f3-cms-filter.json"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/wix-automations")
            .join(name);
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("json");
        let a = read(&v).expect("reads").remove(0);
        let f = structure(&a);
        assert!(f.is_empty(), "{name}: {f:#?}");
    }
}

#[test]
fn a_join_a_cycle_an_orphan_and_an_unknown_successor_are_found() {
    let a = automation(
        json!(["a"]),
        json!({ "a": app("a", &["b", "c"]), "b": app("b", &["d"]), "c": app("c", &["d"]),
                "d": app("d", &["nowhere"]), "o": app("o", &[]),
                "x": app("x", &["y"]), "y": app("y", &["x"]) }),
    );
    let errors = rules(&a, Level::Error);
    assert!(errors.contains(&"single-parent"), "{errors:?}");
    assert!(errors.contains(&"post-action-not-found"), "{errors:?}");
    assert_eq!(
        errors.iter().filter(|r| **r == "no-cycles").count(),
        2,
        "{errors:?}"
    );
    let warnings = rules(&a, Level::Warning);
    assert_eq!(
        warnings.iter().filter(|r| **r == "orphan").count(),
        1,
        "o is an orphan; x and y are a cycle, said once each: {warnings:?}"
    );
    assert!(
        warnings.contains(&"successors"),
        "two successors of a: {warnings:?}"
    );
}

#[test]
fn roots_ids_and_the_cap_on_actions() {
    let none = automation(json!([]), json!({ "a": app("a", &[]) }));
    assert_eq!(rules(&none, Level::Error), vec!["one-root"]);
    let two = automation(
        json!(["a", "b"]),
        json!({ "a": app("a", &[]), "b": app("b", &[]) }),
    );
    assert_eq!(rules(&two, Level::Warning), vec!["one-root"]);
    let mismatch = automation(json!(["a"]), json!({ "a": app("b", &[]) }));
    assert_eq!(rules(&mismatch, Level::Error), vec!["id-is-key"]);
    let mut actions = serde_json::Map::new();
    let ids: Vec<String> = (0..46).map(|i| format!("n{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let next: Vec<&str> = ids.get(i + 1).map(String::as_str).into_iter().collect();
        actions.insert(id.clone(), app(id, &next));
    }
    let big = automation(json!(["n0"]), Value::Object(actions));
    assert_eq!(rules(&big, Level::Error), vec!["max-actions"]);
}

#[test]
fn a_rate_limit_only_as_the_root() {
    let limit = |next: &[&str]| {
        json!({ "id": "r", "type": "RATE_LIMIT", "namespace": "RATE_LIMIT-1",
        "rateLimitInfo": { "maxActivationsExpression": "{{1}}", "rateLimitDurationExpression": "{{24}}",
            "rateLimitDurationTimeUnit": "HOURS", "uniqueIdentifierExpression": "{{var(\"contactId\")}}", "postActionIds": next } })
    };
    let root = automation(
        json!(["r"]),
        json!({ "r": limit(&["a"]), "a": app("a", &[]) }),
    );
    assert!(structure(&root).is_empty(), "{:#?}", structure(&root));
    let mut r = limit(&[]);
    r["id"] = json!("r");
    let deep = automation(json!(["a"]), json!({ "a": app("a", &["r"]), "r": r }));
    assert_eq!(rules(&deep, Level::Error), vec!["rate-limit-root"]);
}

#[test]
fn conditions_splits_delays_variables_and_code_keep_their_limits() {
    let a = automation(
        json!(["c"]),
        json!({
            "c": { "id": "c", "type": "CONDITION", "namespace": "CONDITION-1",
                   "conditionInfo": { "orExpressionGroups": [], "truePostActionIds": [], "falsePostActionIds": [] } },
            "s": { "id": "s", "type": "SPLIT", "namespace": "SPLIT-2",
                   "splitInfo": { "paths": [ { "id": "p", "name": "Only one" } ] } },
            "d": { "id": "d", "type": "DELAY", "namespace": "DELAY-3",
                   "delayInfo": { "offsetExpression": "{{400}}", "offsetTimeUnit": "DAYS", "postActionIds": [] } },
            "e": { "id": "e", "type": "DELAY", "namespace": "DELAY-4", "delayInfo": { "postActionIds": [] } },
            "v": { "id": "v", "type": "SET_VARIABLES", "namespace": "vars",
                   "setVariablesInfo": { "outputMapping": { "k": "{{1}}" },
                       "outputSchema": { "type": "object", "properties": { "k": { "type": "object" } } } } },
            "j": { "id": "j", "type": "CODE_CONDITION", "namespace": "CONDITION-5",
                   "codeConditionInfo": { "snippet": { "language": "JAVASCRIPT", "code": "function f(p) { return true; }" },
                       "dynamicVariableExpressions": ["contact.email"], "truePostActionIds": ["x"] } },
            "x": { "id": "x", "type": "OUTPUT", "outputInfo": { "outputMapping": {} } },
            "t": { "id": "t", "type": "CONDITION", "appDefinedInfo": { "actionKey": "send" } }
        }),
    );
    let errors = rules(&a, Level::Error);
    for rule in [
        "condition-groups",
        "split-paths",
        "delay-mode",
        "variable-title",
        "variable-type",
        "code-default-export",
        "code-declared",
        "info-matches-type",
    ] {
        assert!(errors.contains(&rule), "{rule} missing from {errors:?}");
    }
    let warnings = rules(&a, Level::Warning);
    for rule in [
        "condition-dead-end",
        "delay-bounds",
        "set-variable-namespace",
        "not-run-locally",
        "orphan",
    ] {
        assert!(warnings.contains(&rule), "{rule} missing from {warnings:?}");
    }
    // Every finding names its place.
    assert!(
        structure(&a)
            .iter()
            .all(|f| f.path.starts_with("configuration.actions.")),
        "{:#?}",
        structure(&a)
    );
}
