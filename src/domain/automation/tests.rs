//! Reading Wix's automation JSON: Wix's own examples (shared/automations-v2.md §6, verbatim in
//! tests/fixtures/wix-automations) and its node snippets (§2).

use super::{NodeInfo, TimeUnit, looks_like, read};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wix-automations")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn wixs_linear_example_reads_with_its_trigger_roots_and_successors() {
    let v = fixture("f1-linear.json");
    assert!(looks_like(&v));
    let a = read(&v).expect("reads").remove(0);
    assert_eq!(a.name, "New contact welcome tasks");
    assert!(!a.active, "INACTIVE, as Wix creates them");
    assert_eq!(a.status, "INACTIVE");
    assert_eq!(a.trigger.trigger_key, "contacts-new_contact_was_created");
    assert_eq!(a.trigger.app_id, "74bff718-5977-47f2-9e5f-a9fd0047fd1f");
    assert_eq!(a.roots, vec!["3f6c1d2e-8a4b-4c7d-9e1f-2a3b4c5d6e01"]);
    assert_eq!(a.actions.len(), 2);
    let (id, first) = &a.actions[0];
    assert_eq!(id, "3f6c1d2e-8a4b-4c7d-9e1f-2a3b4c5d6e01");
    assert_eq!(first.namespace.as_deref(), Some("createTask-1"));
    assert_eq!(first.display_name.as_deref(), Some("Create welcome task"));
    let NodeInfo::AppDefined {
        action_key,
        input_mapping,
        next,
        ..
    } = &first.info
    else {
        panic!("APP_DEFINED: {:?}", first.info)
    };
    assert_eq!(action_key, "createTask");
    assert_eq!(
        input_mapping["title"],
        "Welcome {{var(\"contact.name.first\")}}"
    );
    assert_eq!(
        next,
        &vec!["3f6c1d2e-8a4b-4c7d-9e1f-2a3b4c5d6e02".to_string()]
    );
    assert_eq!(
        first.successors(),
        vec!["3f6c1d2e-8a4b-4c7d-9e1f-2a3b4c5d6e02"]
    );
}

#[test]
fn wixs_branching_example_reads_a_condition_with_two_paths() {
    let a = read(&fixture("f2-branching.json"))
        .expect("reads")
        .remove(0);
    let cond = &a
        .actions
        .iter()
        .find(|(k, _)| k == "<uuid-1>")
        .expect("the condition")
        .1;
    let NodeInfo::Condition { groups, yes, no } = &cond.info else {
        panic!("CONDITION: {:?}", cond.info)
    };
    assert_eq!(groups.len(), 1);
    assert!(groups[0].and);
    assert_eq!(
        groups[0].expressions,
        vec!["{{numberGt(var(\"totals.total\");100)}}"]
    );
    assert_eq!(
        (yes.as_slice(), no.as_slice()),
        (&["<uuid-2>".to_string()][..], &["<uuid-3>".to_string()][..])
    );
    assert_eq!(cond.successors(), vec!["<uuid-2>", "<uuid-3>"]);
}

#[test]
fn a_real_automation_without_the_wrapper_reads_with_its_filter_and_read_back_fields() {
    let v = fixture("f3-cms-filter.json");
    assert!(looks_like(&v), "a bare automation");
    let a = read(&v).expect("reads").remove(0);
    assert!(a.active);
    assert_eq!(a.trigger.filters.len(), 1);
    assert_eq!(a.trigger.filters[0].field_key, "dataCollectionId");
    assert_eq!(
        a.trigger.filters[0].expression,
        "{{contains([\"WebsitePages\"];var(\"dataCollectionId\"))}}"
    );
    let NodeInfo::AppDefined { skip_groups, .. } = &a.actions[0].1.info else {
        panic!("APP_DEFINED")
    };
    assert!(skip_groups.is_empty(), "read back as []");
}

#[test]
fn query_answers_and_the_sdks_underscored_ids_read_too() {
    let one = json!({ "_id": "a-1", "name": "One", "configuration": { "status": "ACTIVE",
        "trigger": { "appId": "x", "triggerKey": "k" }, "rootActionIds": [], "actions": {} } });
    let many = json!({ "automations": [one.clone(), one.clone()], "pagingMetadata": {} });
    let read_many = read(&many).expect("reads");
    assert_eq!(read_many.len(), 2);
    assert_eq!(read_many[0].id.as_deref(), Some("a-1"));
    assert!(looks_like(&many));
    assert!(!looks_like(
        &json!({ "name": "a flow", "trigger": {}, "steps": [] })
    ));
    let err = read(&json!({ "automations": [one, { "name": "broken" }] })).expect_err("refused");
    assert!(
        err.contains("automations[1]") && err.contains("configuration"),
        "{err}"
    );
    let err = read(&json!({ "automation": { "configuration": { "trigger": {} } } }))
        .expect_err("refused");
    assert!(err.contains("triggerKey"), "{err}");
}

#[test]
fn every_node_type_of_the_builder_reads_by_its_info() {
    let a = read(&json!({ "configuration": { "status": "ACTIVE",
        "trigger": { "appId": "x", "triggerKey": "k", "filters": [],
            "scheduledEventOffset": { "preScheduledEventOffsetExpression": "{{1}}", "scheduledEventOffsetTimeUnit": "HOURS" } },
        "rootActionIds": ["rl"],
        "actions": {
            "rl": { "id": "rl", "type": "RATE_LIMIT", "namespace": "RATE_LIMIT-1",
                "rateLimitInfo": { "maxActivationsExpression": "{{1}}", "rateLimitDurationExpression": "{{24}}",
                    "rateLimitDurationTimeUnit": "HOURS", "uniqueIdentifierExpression": "{{var(\"contactId\")}}",
                    "postActionIds": ["d1"] } },
            "d1": { "id": "d1", "type": "DELAY", "namespace": "DELAY-2",
                "delayInfo": { "offsetExpression": "{{3}}", "offsetTimeUnit": "DAYS", "postActionIds": ["d2"] } },
            "d2": { "id": "d2", "type": "DELAY", "namespace": "DELAY-3",
                "delayInfo": { "dueDateExpression": "{{subtractFromDate(var(\"start_date\");0;0;1)}}",
                    "offsetTimeUnit": "UNKNOWN_TIME_UNIT", "postActionIds": ["cc"] } },
            "cc": { "id": "cc", "type": "CODE_CONDITION", "namespace": "CONDITION-4",
                "codeConditionInfo": { "snippet": { "language": "JAVASCRIPT", "code": "export default function (payload) { return true; }" },
                    "dynamicVariableExpressions": ["{{var(\"contact.birthdate\")}}"],
                    "truePostActionIds": ["sv"], "falsePostActionIds": [] } },
            "sv": { "id": "sv", "type": "SET_VARIABLES", "namespace": "setVariable",
                "setVariablesInfo": { "outputMapping": { "k1": "Dear {{var(\"contact.name.first\")}}," },
                    "outputSchema": { "type": "object", "properties": { "k1": { "type": "string", "title": "Greeting" } } },
                    "postActionIds": ["sp"] } },
            "sp": { "id": "sp", "type": "SPLIT", "namespace": "SPLIT-5",
                "splitInfo": { "paths": [
                    { "id": "p1", "name": "Notify customer", "displayName": "Notify customer", "postActionId": "m1" },
                    { "id": "p2", "name": "Nothing" } ] } },
            "m1": { "id": "m1", "type": "MERGE", "mergeInfo": { "postActionIds": [] }, "futureField": 1 }
        } } }))
    .expect("reads")
    .remove(0);
    let node = |id: &str| &a.actions.iter().find(|(k, _)| k == id).expect(id).1;
    assert_eq!(
        a.trigger.scheduled_offset,
        Some(("{{1}}".to_string(), TimeUnit::Hours))
    );
    assert!(matches!(&node("rl").info, NodeInfo::RateLimit { limit, .. }
        if limit.unit == TimeUnit::Hours && limit.identifier.as_deref() == Some("{{var(\"contactId\")}}")));
    assert!(
        matches!(&node("d1").info, NodeInfo::Delay { offset: Some(o), unit: TimeUnit::Days, .. } if o == "{{3}}")
    );
    assert!(matches!(
        &node("d2").info,
        NodeInfo::Delay {
            due_date: Some(_),
            unit: TimeUnit::Unknown,
            ..
        }
    ));
    assert!(
        matches!(&node("cc").info, NodeInfo::CodeCondition { declared, .. } if declared.len() == 1)
    );
    assert!(matches!(
        &node("sv").info,
        NodeInfo::SetVariables {
            schema: Some(_),
            ..
        }
    ));
    let NodeInfo::Split { paths } = &node("sp").info else {
        panic!("SPLIT")
    };
    assert_eq!(paths[1].next, None, "an empty path");
    assert_eq!(node("sp").successors(), vec!["m1"]);
    let m = node("m1");
    assert!(matches!(&m.info, NodeInfo::NotRunLocally { why, .. } if why.contains("MERGE")));
    assert_eq!(m.unread_fields(), vec!["futureField".to_string()]);
    assert_eq!(m.raw["futureField"], 1, "kept verbatim");
}

#[test]
fn the_info_decides_when_the_type_disagrees_and_months_clamp() {
    let a = read(
        &json!({ "configuration": { "trigger": { "triggerKey": "k" },
        "actions": { "x": { "type": "DELAY", "appDefinedInfo": { "actionKey": "send" } } } } }),
    )
    .expect("reads")
    .remove(0);
    let n = &a.actions[0].1;
    assert_eq!(n.kind, "DELAY");
    assert_eq!(n.info_kind(), Some("APP_DEFINED"));
    let jan31 = chrono::DateTime::parse_from_rfc3339("2027-01-31T10:00:00Z")
        .expect("a date")
        .to_utc();
    assert_eq!(
        TimeUnit::Months.add(jan31, 1).map(|d| d.to_rfc3339()),
        Some("2027-02-28T10:00:00+00:00".into())
    );
    assert_eq!(TimeUnit::Unknown.add(jan31, 1), None);
}
