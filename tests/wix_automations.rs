//! Wix's own automations, run as Wix runs them: Wix's examples read as flows, a condition's two
//! paths, a SPLIT whose paths both run and never see each other, delays relative and absolute,
//! a rate limit hit twice for one contact, variables, skips, filters, what ActionBench does not
//! run, and the payload each action receives (its ancestors' outputs under their namespaces).
//! The workbench answers each action here; tests/automations.rs runs them against an action on
//! Wix's SDK.

mod common;

use actionbench::domain::flow::{FlowEventKind, LoadedFlow, Step, StepEnd, StepStatus, Test};
use actionbench::engine::{Engine, Mode};
use actionbench::play::Player;
use actionbench::play::automation::{self, FlowEvent, RunHandle, RunOptions};
use chrono::Duration;
use common::*;
use serde_json::{Value, json};
use std::sync::Arc;

struct Bench {
    rt: tokio::runtime::Runtime,
    engine: Arc<Engine>,
    clock: Arc<actionbench::domain::clock::ManualClock>,
}

fn bench() -> Bench {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (engine, clock) = engine(Mode::Auto);
    Bench { rt, engine, clock }
}

fn fixture(name: &str) -> LoadedFlow {
    LoadedFlow::load(&root().join("tests/fixtures/wix-automations").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// An automation of `actions` with `roots`, as Wix's API returns it (ACTIVE), with `payload`.
fn automation(roots: Value, actions: Value, payload: Value) -> LoadedFlow {
    let text =
        json!({ "automation": { "id": "a-test", "name": "A test automation", "origin": "USER",
        "configuration": { "status": "ACTIVE",
            "trigger": { "appId": "app-1", "triggerKey": "order-paid", "filters": [] },
            "rootActionIds": roots, "actions": actions } } })
        .to_string();
    let mut f = LoadedFlow::parse(&text, None).expect("an automation reads as a flow");
    f.flow.trigger.payload = payload;
    // Each action answers at once with an output of its own: `{"<key>Id": "<key>-out"}`.
    for s in &mut f.flow.steps {
        if let Step::Action(a) = s {
            a.answer = Some(json!({ "invokeTimeoutType": "IMMEDIATE",
                "result": { format!("{}Id", a.action_key): format!("{}-out", a.action_key) } }));
        }
    }
    f
}

fn app(id: &str, ns: &str, key: &str, mapping: Value, next: &[&str]) -> Value {
    json!({ "id": id, "type": "APP_DEFINED", "namespace": ns,
        "appDefinedInfo": { "appId": "app-1", "actionKey": key, "inputMapping": mapping, "postActionIds": next } })
}

/// Starts `flow` (its actions answered by the workbench).
fn start(b: &Bench, flow: LoadedFlow) -> RunHandle {
    automation::start(
        b.rt.handle(),
        b.engine.clone(),
        Player::new(b.engine.clone(), None),
        flow,
        RunOptions::default(),
    )
}

/// The run's events until it ends (finished, skipped), moving the clock `step` each poll;
/// fails after 20 s of real time.
fn drive(b: &Bench, run: &RunHandle, step: Duration) -> Vec<FlowEvent> {
    let mut events = vec![];
    let start = std::time::Instant::now();
    loop {
        while let Ok(ev) = run.events.try_recv() {
            let done = matches!(
                ev.kind,
                FlowEventKind::Finished { .. } | FlowEventKind::RunSkipped { .. }
            );
            events.push(ev);
            if done {
                return events;
            }
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the run did not end within 20 s; events so far: {events:#?}"
        );
        b.clock.advance(step);
        b.engine.tick();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The Invoke request step `i` of `run` sent (from the engine's log).
fn invoke(b: &Bench, run: &RunHandle, i: usize) -> Value {
    let id = run.snapshot().steps[i]
        .exchange
        .unwrap_or_else(|| panic!("step {i} was not asked"));
    let ex = b.engine.exchange(id).expect("logged");
    let body: Value = serde_json::from_slice(&ex.arrival.body).expect("json");
    body["request"].clone()
}

fn step_of(f: &LoadedFlow, id: &str) -> usize {
    f.flow
        .steps
        .iter()
        .position(|s| s.id() == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn end_of(run: &RunHandle, i: usize) -> StepEnd {
    match &run.snapshot().steps[i].status {
        StepStatus::Ended(e) => e.clone(),
        other => panic!("step {i} has not ended: {other:?}"),
    }
}

#[test]
fn wixs_linear_example_runs_with_its_mapping_and_namespaced_outputs() {
    let b = bench();
    let mut f = fixture("f1-linear.json");
    assert!(f.flow.is_wix());
    assert_eq!(f.flow.name, "New contact welcome tasks");
    assert_eq!(f.flow.trigger.key, "contacts-new_contact_was_created");
    assert!(!f.flow.trigger.active, "INACTIVE as written");
    assert_eq!(
        f.flow.steps.iter().map(Step::name).collect::<Vec<_>>(),
        vec!["Create welcome task", "Create follow-up task"]
    );
    f.flow.trigger.payload =
        json!({ "contactId": "c-1", "contact": { "name": { "first": "Dana" } } });
    let run = start(&b, f);
    let events = drive(&b, &run, Duration::seconds(1));
    assert!(
        matches!(
            events.last().map(|e| &e.kind),
            Some(FlowEventKind::Finished { passed: true })
        ),
        "{events:#?}"
    );
    let first = invoke(&b, &run, 0);
    assert_eq!(first["actionKey"], "createTask");
    assert_eq!(
        first["actionParams"],
        json!({ "contactId": "c-1", "title": "Welcome Dana" })
    );
    let cx = &first["activationContext"];
    assert_eq!(
        cx["actionId"], "3f6c1d2e-8a4b-4c7d-9e1f-2a3b4c5d6e01",
        "the node's id"
    );
    assert_eq!(cx["actionAppId"], "146c0d71-352e-4464-9a03-2e868aabe7b9");
    assert_eq!(cx["triggerKey"], "contacts-new_contact_was_created");
    let second = invoke(&b, &run, 1);
    assert_eq!(second["actionParams"]["title"], "Follow up with Dana");
    // The first action's output, under its namespace, in the second's payload; one activation.
    assert!(
        second["activationContext"]["payload"]
            .get("createTask-1")
            .is_some(),
        "{second:#}"
    );
    assert_eq!(
        second["activationContext"]["activationId"],
        first["activationContext"]["activationId"]
    );
}

fn branching(total: Value) -> LoadedFlow {
    automation(
        json!(["c"]),
        json!({
            "c": { "id": "c", "type": "CONDITION", "namespace": "CONDITION-1", "displayName": "Check if order is over 100",
                   "conditionInfo": { "orExpressionGroups": [ { "operator": "AND",
                        "booleanExpressions": ["{{numberGt(var(\"totals.total\");100)}}"] } ],
                       "truePostActionIds": ["yes"], "falsePostActionIds": ["no"] } },
            "yes": app("yes", "thank-2", "thank", json!({ "to": "{{var(\"email\")}}" }), &["after"]),
            "after": app("after", "log-3", "log", json!({ "thanked": "{{var(\"thank-2.thankId\")}}" }), &[]),
            "no": app("no", "task-4", "task", json!({ "title": "Follow up on order {{var(\"number\")}}",
                        "saw": "{{var(\"thank-2.thankId\")}}" }), &[])
        }),
        json!({ "email": "a@example.com", "number": "1001", "totals": { "total": total } }),
    )
}

#[test]
fn a_condition_takes_one_path_and_says_why_the_other_is_not_taken() {
    let b = bench();
    let f = branching(json!("150.00"));
    let (c, yes, after, no) = (
        step_of(&f, "c"),
        step_of(&f, "yes"),
        step_of(&f, "after"),
        step_of(&f, "no"),
    );
    let run = start(&b, f);
    let events = drive(&b, &run, Duration::seconds(1));
    let decided = events
        .iter()
        .find(|e| matches!(e.kind, FlowEventKind::Decided { .. }))
        .expect("a decision");
    assert_eq!(decided.step, Some(c));
    let FlowEventKind::Decided { value, why } = &decided.kind else {
        unreachable!()
    };
    assert_eq!(*value, Some(true));
    assert!(
        why.contains("totals.total") && why.contains("150.00"),
        "{why}"
    );
    assert!(decided.caption.contains("true"), "{}", decided.caption);
    assert!(matches!(end_of(&run, no), StepEnd::NotTaken { .. }));
    assert!(matches!(end_of(&run, after), StepEnd::Answered { .. }));
    // The step after reads the true path's output under its namespace.
    let after_call = invoke(&b, &run, after);
    assert_eq!(
        after_call["actionParams"]["thanked"], "thank-out",
        "{after_call:#}"
    );
    let _ = yes;

    let b = bench();
    let f = branching(json!(50));
    let run = start(&b, f);
    drive(&b, &run, Duration::seconds(1));
    assert!(matches!(end_of(&run, yes), StepEnd::NotTaken { .. }));
    assert!(
        matches!(end_of(&run, after), StepEnd::NotTaken { .. }),
        "below the path not taken"
    );
    let task = invoke(&b, &run, no);
    assert_eq!(task["actionParams"]["title"], "Follow up on order 1001");
    // The false path never sees the true path: no output, the field left out and said missing.
    assert!(task["actionParams"].get("saw").is_none(), "{task:#}");
    assert!(
        task["activationContext"]["payload"]
            .get("thank-2")
            .is_none()
    );
    assert_eq!(run.snapshot().steps[no].missing, vec!["thank-2.thankId"]);
}

#[test]
fn a_split_runs_every_path_and_no_path_sees_another() {
    let b = bench();
    let f = automation(
        json!(["s"]),
        json!({
            "s": { "id": "s", "type": "SPLIT", "namespace": "SPLIT-1", "displayName": "Notify customer and team",
                   "splitInfo": { "paths": [
                       { "id": "p1", "name": "Notify customer", "postActionId": "a" },
                       { "id": "p2", "name": "Notify team", "postActionId": "b" },
                       { "id": "p3", "name": "Nothing" } ] } },
            "a": app("a", "mail-2", "mail", json!({ "other": "{{var(\"chat-3.chatId\")}}" }), &[]),
            "b": app("b", "chat-3", "chat", json!({ "other": "{{var(\"mail-2.mailId\")}}" }), &[])
        }),
        json!({}),
    );
    let (a, bb) = (step_of(&f, "a"), step_of(&f, "b"));
    let run = start(&b, f);
    let events = drive(&b, &run, Duration::seconds(1));
    assert!(
        events
            .iter()
            .any(|e| e.kind == FlowEventKind::Split { paths: 3 })
    );
    for (i, other) in [(a, "chat-3"), (bb, "mail-2")] {
        let call = invoke(&b, &run, i);
        assert!(
            call["activationContext"]["payload"].get(other).is_none(),
            "a path saw the other's output: {call:#}"
        );
        assert!(call["actionParams"].get("other").is_none());
    }
}

#[test]
fn delays_wait_relative_absolute_or_not_at_all_on_the_simulated_clock() {
    let b = bench();
    let start_at = b.engine.now();
    let due = (start_at + Duration::days(2)).to_rfc3339();
    let f = automation(
        json!(["d1"]),
        json!({
            "d1": { "id": "d1", "type": "DELAY", "namespace": "DELAY-1",
                    "delayInfo": { "offsetExpression": "{{3}}", "offsetTimeUnit": "HOURS", "postActionIds": ["d2"] } },
            "d2": { "id": "d2", "type": "DELAY", "namespace": "DELAY-2",
                    "delayInfo": { "dueDateExpression": "{{var(\"due\")}}", "offsetTimeUnit": "UNKNOWN_TIME_UNIT", "postActionIds": ["d3"] } },
            "d3": { "id": "d3", "type": "DELAY", "namespace": "DELAY-3",
                    "delayInfo": { "dueDateExpression": "2020-01-01T10:00:00+00:00", "postActionIds": ["x"] } },
            "x": app("x", "mail-4", "mail", json!({}), &[])
        }),
        json!({ "due": due }),
    );
    let names: Vec<String> = f.flow.steps.iter().map(Step::name).collect();
    assert_eq!(names[0], "Wait 3 hours");
    let run = start(&b, f);
    let events = drive(&b, &run, Duration::minutes(5));
    let starts: Vec<_> = events
        .iter()
        .filter_map(|e| match e.kind {
            FlowEventKind::DelayStarted { until } => Some((e.at, until)),
            _ => None,
        })
        .collect();
    assert_eq!(starts.len(), 3, "{events:#?}");
    assert_eq!(
        starts[0].1 - starts[0].0,
        Duration::hours(3),
        "relative to when it started"
    );
    assert_eq!(starts[1].1.to_rfc3339(), due, "until the payload's date");
    assert!(starts[2].1 < starts[2].0, "a date already past");
    let asked = events
        .iter()
        .find(|e| e.kind == FlowEventKind::Asked)
        .expect("the action ran");
    assert!(asked.at >= start_at + Duration::days(2));
    assert!(
        asked.at - starts[2].0 < Duration::minutes(10),
        "a past date runs the next step at once"
    );
}

#[test]
fn a_rate_limit_lets_a_contact_through_once_a_day() {
    let b = bench();
    let limited = || {
        automation(
            json!(["r"]),
            json!({
                "r": { "id": "r", "type": "RATE_LIMIT", "namespace": "RATE_LIMIT-1",
                       "rateLimitInfo": { "maxActivationsExpression": "{{1}}", "rateLimitDurationExpression": "{{24}}",
                           "rateLimitDurationTimeUnit": "HOURS", "uniqueIdentifierExpression": "{{var(\"contactId\")}}",
                           "postActionIds": ["x"] } },
                "x": app("x", "remind-2", "remind", json!({}), &[])
            }),
            json!({ "contactId": "dana" }),
        )
    };
    let x = step_of(&limited(), "x");
    let first = start(&b, limited());
    drive(&b, &first, Duration::seconds(1));
    assert!(matches!(end_of(&first, x), StepEnd::Answered { .. }));
    let second = start(&b, limited());
    let events = drive(&b, &second, Duration::seconds(1));
    let limited_ev = events
        .iter()
        .find(|e| matches!(e.kind, FlowEventKind::RateLimited { .. }))
        .expect("the limit said");
    assert!(
        matches!(&limited_ev.kind, FlowEventKind::RateLimited { passed: false, why } if why.contains("dana")),
        "{limited_ev:#?}"
    );
    assert!(limited_ev.caption.contains("RATE_LIMIT_EXCEEDED"));
    assert!(matches!(end_of(&second, x), StepEnd::NotTaken { .. }));
    // A day later the same contact goes through again.
    b.clock.advance(Duration::hours(24));
    let third = start(&b, limited());
    drive(&b, &third, Duration::seconds(1));
    assert!(matches!(end_of(&third, x), StepEnd::Answered { .. }));
}

#[test]
fn variables_skips_filters_and_nodes_not_run_locally() {
    let b = bench();
    let mut f = automation(
        json!(["v"]),
        json!({
            "v": { "id": "v", "type": "SET_VARIABLES", "namespace": "setVariable",
                   "setVariablesInfo": { "outputMapping": {
                        "greet": "Dear {{var(\"contact.name.first\")}},",
                        "tax": "{{multiply(toNumber(var(\"totals.subtotal\"));divide(8;100))}}" },
                     "outputSchema": { "type": "object", "properties": {
                        "greet": { "type": "string", "title": "Greeting" }, "tax": { "type": "number", "title": "Tax" } } },
                     "postActionIds": ["skip"] } },
            "skip": { "id": "skip", "type": "APP_DEFINED", "namespace": "never-2", "skipActionExpression": "{{true}}",
                      "appDefinedInfo": { "appId": "app-1", "actionKey": "never", "inputMapping": {}, "postActionIds": ["m"] } },
            "m": { "id": "m", "type": "MERGE", "mergeInfo": { "postActionIds": ["x"] } },
            "x": app("x", "mail-3", "mail", json!({ "greeting": "{{var(\"setVariable.greet\")}}", "tax": "{{var(\"setVariable.tax\")}}" }), &[])
        }),
        json!({ "contact": { "name": { "first": "Dana" } }, "totals": { "subtotal": "50" } }),
    );
    let (skip, m, x) = (step_of(&f, "skip"), step_of(&f, "m"), step_of(&f, "x"));
    let run = start(&b, f.clone());
    let events = drive(&b, &run, Duration::seconds(1));
    assert!(
        matches!(end_of(&run, skip), StepEnd::Skipped { .. }),
        "{events:#?}"
    );
    assert!(
        run.snapshot().steps[skip].exchange.is_none(),
        "a skipped action is never called"
    );
    assert!(matches!(end_of(&run, m), StepEnd::NotRunLocally { .. }));
    let call = invoke(&b, &run, x);
    assert_eq!(call["actionParams"]["greeting"], "Dear Dana,");
    assert_eq!(call["actionParams"]["tax"].as_f64(), Some(4.0), "{call:#}");
    assert_eq!(
        call["activationContext"]["payload"]["setVariable"]["greet"],
        "Dear Dana,"
    );

    // A filter that does not pass skips the whole run, and says why.
    if let Some(w) = f.flow.wix.as_mut() {
        w.automation
            .trigger
            .filters
            .push(actionbench::domain::automation::WixFilter {
                id: "f".into(),
                field_key: "contact.name.first".into(),
                expression: "{{stringContains([\"Noa\"];var(\"contact.name.first\"))}}".into(),
            });
    }
    let b = bench();
    let run = start(&b, f);
    let events = drive(&b, &run, Duration::seconds(1));
    let Some(FlowEventKind::RunSkipped { why }) = events.last().map(|e| &e.kind) else {
        panic!("{events:#?}")
    };
    assert!(
        why.contains("TRIGGER_FILTERS_NOT_PASSED") && why.contains("Dana"),
        "{why}"
    );
    assert!(
        run.snapshot()
            .steps
            .iter()
            .all(|s| matches!(s.status, StepStatus::Ended(StepEnd::NotTaken { .. }))),
        "nothing runs"
    );
}

#[test]
fn a_code_condition_reads_only_what_it_declares() {
    let mut f = automation(
        json!(["cc"]),
        json!({
            "cc": { "id": "cc", "type": "CODE_CONDITION", "namespace": "CONDITION-1",
                    "codeConditionInfo": { "snippet": { "language": "JAVASCRIPT",
                        "code": "export default function (payload) { return payload.vip === true && payload.secret === undefined; }" },
                      "dynamicVariableExpressions": ["{{var(\"vip\")}}"],
                      "truePostActionIds": ["yes"], "falsePostActionIds": ["no"] } },
            "yes": app("yes", "yes-2", "yes", json!({}), &[]),
            "no": app("no", "no-3", "no", json!({}), &[])
        }),
        json!({ "vip": true, "secret": "hidden" }),
    );
    assert!(matches!(&f.flow.steps[0], Step::Condition(c) if matches!(c.test, Test::Code { .. })));
    let (yes, no) = (step_of(&f, "yes"), step_of(&f, "no"));
    let b = bench();
    let run = start(&b, f.clone());
    drive(&b, &run, Duration::seconds(1));
    assert!(matches!(end_of(&run, yes), StepEnd::Answered { .. }));
    assert!(matches!(end_of(&run, no), StepEnd::NotTaken { .. }));
    f.flow.trigger.payload = json!({ "vip": false });
    let b = bench();
    let run = start(&b, f);
    drive(&b, &run, Duration::seconds(1));
    assert!(matches!(end_of(&run, no), StepEnd::Answered { .. }));
}

#[test]
fn lint_names_each_broken_rule_of_an_automation_with_its_place() {
    let broken = root().join("tests/fixtures/wix-automations/broken.json");
    let (code, said) = run_actionbench(
        &[
            "lint",
            broken.to_str().expect("path"),
            "--actions",
            root().join("samples/actions").to_str().expect("path"),
            "--triggers",
            root().join("samples/triggers").to_str().expect("path"),
        ],
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(1), "{said}");
    for (place, rule) in [
        (
            "configuration.actions.a.appDefinedInfo.inputMapping.to",
            "[UNKNOWN_FUNCTION]",
        ),
        (
            "configuration.actions.b.appDefinedInfo.inputMapping.to",
            "[VAR_NOT_VISIBLE]",
        ),
        (
            "configuration.actions.a.appDefinedInfo.inputMapping.subject",
            "[VAR_NOT_VISIBLE]",
        ),
        (
            "configuration.actions.a.appDefinedInfo.inputMapping.cc",
            "[MAPPING_SCHEMA_MISMATCH]",
        ),
        (
            "configuration.actions.a.appDefinedInfo.inputMapping.body",
            "[MAPPING_MISSING_REQUIRED_FIELD]",
        ),
        (
            "configuration.actions.b.appDefinedInfo.inputMapping.subject",
            "[LAX_UNQUOTED_PATH]",
        ),
    ] {
        assert!(
            said.lines().any(|l| l.contains(place) && l.contains(rule)),
            "no {rule} at {place} in:\n{said}"
        );
    }
    assert!(said.contains("Wix has no function trim"), "{said}");
    // Wix's own examples and the shipped automations break no rule.
    for f in [
        "tests/fixtures/wix-automations/f1-linear.json",
        "tests/fixtures/wix-automations/f2-branching.json",
        "samples/flows/08-wix-big-spender.json",
        "samples/flows/10-big-order-split.json",
    ] {
        let (code, said) = run_actionbench(
            &["lint", root().join(f).to_str().expect("path")],
            std::time::Duration::from_secs(30),
        );
        assert_eq!(code, Some(0), "{f}: {said}");
    }
}
