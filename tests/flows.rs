//! Flows: templates, the payload that grows step by step, waits that complete or time out,
//! the run going on after a failure, test runs and reruns, and a run against a provider on
//! loopback that must see step 1's output and the same activationId in step 2.

mod common;

use actionbench::domain::as_wix::Ids;
use actionbench::domain::flow::{
    self, Expect, FlowEventKind, FlowRun, LoadedFlow, Scope, StepEnd, fill,
};
use actionbench::engine::{Engine, Mode};
use actionbench::play::automation::{self, FlowEvent, RunHandle, RunOptions};
use actionbench::play::{Player, Target};
use chrono::Duration;
use common::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn shipped(name: &str) -> LoadedFlow {
    LoadedFlow::load(&root().join("samples/flows").join(name)).expect("a shipped flow loads")
}

#[test]
fn every_shipped_flow_loads() {
    let (ok, errs) = LoadedFlow::load_dir(&root().join("samples/flows"));
    assert!(errs.is_empty(), "{errs:?}");
    assert!(ok.len() >= 4, "four flows ship");
}

#[test]
fn templates_take_values_with_their_type_and_name_what_is_missing() {
    let payload = json!({"contact": {"email": "a@b.c", "tags": ["x"]}, "total": 86.5});
    let mut steps = Map::new();
    steps.insert(
        "quote".into(),
        json!({"result": {"amount": 12.5, "carrier": "DHL"}}),
    );
    let scope = Scope {
        payload: &payload,
        steps: &steps,
    };
    let t = json!({
        "to": "{{payload.contact.email}}",
        "amount": "{{ steps.quote.result.amount }}",
        "total": "{{payload.total}}",
        "subject": "Shipping {{steps.quote.result.amount}} with {{steps.quote.result.carrier}}",
        "decision": "{{steps.approve.result.decision}}",
        "note": "Decision: {{steps.approve.result.decision}}.",
        "tags": "{{payload.contact.tags}}",
        "fixed": 10,
        "nested": {"first": "{{payload.contact.tags.0}}"}
    });
    let f = fill(&t, &scope);
    assert_eq!(f.value["to"], "a@b.c");
    assert_eq!(
        f.value["amount"],
        json!(12.5),
        "a whole template keeps its type"
    );
    assert_eq!(f.value["total"], json!(86.5));
    assert_eq!(f.value["subject"], "Shipping 12.5 with DHL");
    assert!(
        f.value.get("decision").is_none(),
        "a missing whole-template field is left out"
    );
    assert_eq!(f.value["note"], "Decision: .");
    assert_eq!(f.value["tags"], json!(["x"]));
    assert_eq!(f.value["fixed"], 10);
    assert_eq!(f.value["nested"]["first"], "x");
    assert_eq!(
        f.missing,
        vec![
            "steps.approve.result.decision".to_string(),
            "steps.approve.result.decision".to_string()
        ]
    );
    assert!(f.problems.is_empty(), "{:?}", f.problems);

    // Wrong types and bad templates are problems, named.
    let bad = fill(
        &json!({"a": "Tags: {{payload.contact.tags}}", "b": "{{nowhere.x}}", "c": "open {{payload.total"}),
        &scope,
    );
    assert_eq!(bad.problems.len(), 3, "{:?}", bad.problems);
    assert!(bad.problems[0].contains("an array"), "{:?}", bad.problems);
    assert!(
        bad.problems
            .iter()
            .any(|p| p.contains("neither payload nor steps"))
    );
    assert!(bad.problems.iter().any(|p| p.contains("never closed")));
}

#[test]
fn durations_parse_and_bad_ones_say_how_to_write_them() {
    assert_eq!(flow::parse_duration("90m"), Ok(Duration::minutes(90)));
    assert_eq!(flow::parse_duration("1h30m"), Ok(Duration::minutes(90)));
    assert_eq!(flow::parse_duration("2d"), Ok(Duration::days(2)));
    assert!(flow::parse_duration("2 weeks").is_err());
    assert!(flow::parse_duration("15").is_err());
}

#[test]
fn the_payload_grows_with_each_output_keyed_as_the_flow_says() {
    for (under, path) in [
        ("", "/approve/decision"),
        ("steps", "/steps/approve/decision"),
    ] {
        let mut f = shipped("01-trainer-approval.json");
        f.flow.outputs_under = under.into();
        let mut run = FlowRun::new(f, "act-1".into());
        let mut branch = run.start_branch();
        let ids1 = Ids::fresh();
        let first = run
            .invoke_request(0, &ids1, &branch, chrono::Utc::now())
            .expect("an action");
        assert_eq!(
            first["actionParams"]["trainerEmail"],
            "noa.trainer@example.com"
        );
        assert!(
            first["activationContext"]["payload"]
                .pointer(path)
                .is_none()
        );
        run.end_step(
            0,
            StepEnd::Completed {
                result: json!({"decision": "APPROVED"}),
            },
            &mut branch,
        );
        let ids2 = Ids::fresh();
        let second = run
            .invoke_request(1, &ids2, &branch, chrono::Utc::now())
            .expect("an action");
        let ctx = &second["activationContext"];
        assert_eq!(
            ctx["payload"].pointer(path),
            Some(&json!("APPROVED")),
            "{under:?}"
        );
        assert_eq!(
            ctx["payload"]["email"], "dana.levi@example.com",
            "the trigger's payload stays"
        );
        assert_eq!(second["actionParams"]["decision"], "APPROVED");
        assert_eq!(ctx["activationId"], "act-1");
        assert_eq!(first["activationContext"]["activationId"], "act-1");
        assert_ne!(
            ctx["invocationToken"],
            first["activationContext"]["invocationToken"]
        );
        assert!(run.steps[1].missing.is_empty());
    }
}

#[test]
fn a_failed_step_adds_nothing_and_later_references_are_missing() {
    let mut run = FlowRun::new(shipped("01-trainer-approval.json"), "act-2".into());
    let mut branch = run.start_branch();
    run.invoke_request(0, &Ids::fresh(), &branch, chrono::Utc::now());
    run.end_step(0, StepEnd::TimedOut, &mut branch);
    let second = run
        .invoke_request(1, &Ids::fresh(), &branch, chrono::Utc::now())
        .expect("an action");
    assert!(
        second["activationContext"]["payload"]
            .get("approve")
            .is_none()
    );
    assert!(second["actionParams"].get("decision").is_none());
    assert_eq!(run.steps[1].missing, vec!["steps.approve.result.decision"]);
    assert!(
        run.steps[1]
            .problems
            .iter()
            .any(|p| p.field.as_deref() == Some("actionParams.decision")),
        "the input schema names the gap: {:?}",
        run.steps[1].problems
    );
}

#[test]
fn test_runs_and_reruns_say_so_in_every_request() {
    let mut run = FlowRun::new(shipped("04-draft-test-run.json"), "act-3".into());
    let branch = run.start_branch();
    assert!(run.skip_delays);
    let r = run
        .invoke_request(0, &Ids::fresh(), &branch, chrono::Utc::now())
        .expect("an action");
    assert_eq!(
        r.pointer("/activationContext/activationSourceInfo"),
        Some(&json!({"activationInitiationSource": "MANUAL_ACTIVATION",
                     "manualActivationInfo": {"testMode": true}}))
    );
    let mut f = shipped("03-shop-order.json");
    f.flow.source = flow::FlowSource::Rerun {
        original_activation_id: Some("act-original".into()),
    };
    f.flow.skip_delays = true;
    let mut run = FlowRun::new(f, "act-4".into());
    let branch = run.start_branch();
    let r = run
        .invoke_request(0, &Ids::fresh(), &branch, chrono::Utc::now())
        .expect("an action");
    assert_eq!(
        r.pointer("/activationContext/activationSourceInfo/rerunActivationInfo"),
        Some(&json!({"originalActivationId": "act-original", "skipDelays": true}))
    );
}

#[test]
fn expectations_follow_the_saved_answer_and_completion() {
    let f = shipped("01-trainer-approval.json");
    assert_eq!(f.expected(0), Some(Expect::Completed));
    assert_eq!(f.expected(1), Some(Expect::Answered));
    let f = shipped("02-trainer-approval-no-answer.json");
    assert_eq!(f.expected(0), Some(Expect::TimedOut));
    let f = shipped("04-draft-test-run.json");
    assert_eq!(f.expected(1), None, "a delay has no expectation");
}

// ---- runs through the engine ---------------------------------------------------------------

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

/// Collects the run's events until it finishes, moving the manual clock `step` each poll and
/// ticking the engine (as the server would); fails after 20 s of real time.
fn drive(b: &Bench, run: &RunHandle, step: Duration) -> Vec<FlowEvent> {
    let mut events = vec![];
    let start = std::time::Instant::now();
    loop {
        while let Ok(ev) = run.events.try_recv() {
            let done = matches!(ev.kind, FlowEventKind::Finished { .. });
            events.push(ev);
            if done {
                return events;
            }
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the run did not finish within 20 s; events so far: {events:#?}"
        );
        b.clock.advance(step);
        b.engine.tick();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn kinds(events: &[FlowEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let k = format!("{:?}", e.kind);
            let k = k.split([' ', '{']).next().unwrap_or("").to_string();
            match e.step {
                Some(i) => format!("{}:{k}", i + 1),
                None => k,
            }
        })
        .collect()
}

#[test]
fn a_wait_completed_by_its_scripted_report_moves_the_run_on() {
    let b = bench();
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        shipped("01-trainer-approval.json"),
        RunOptions::default(),
    );
    let events = drive(&b, &run, Duration::minutes(10));
    assert_eq!(
        kinds(&events),
        vec![
            "Started",
            "1:Asked",
            "1:Waiting",
            "1:Completed",
            "2:Asked",
            "2:Answered",
            "Finished"
        ]
    );
    assert_eq!(
        events.last().map(|e| &e.kind),
        Some(&FlowEventKind::Finished { passed: true })
    );
    let waiting = &events[2];
    assert_eq!(
        waiting.caption,
        "The approval step asks Wix to wait up to 1 day for Noa's answer"
    );
    let state = run.snapshot();
    let (a, c) = (
        state.steps[0].exchange.expect("logged"),
        state.steps[1].exchange.expect("logged"),
    );
    let first = b.engine.exchange(a).expect("ex");
    assert!(first.tag.as_deref().is_some_and(|t| t.contains("step 1/2")));
    assert!(
        first
            .timeline
            .iter()
            .any(|t| t.text().contains("completion report")),
        "{:?}",
        first.timeline
    );
    // The report came about 3 h (simulated) after the answer, not at once.
    let completed_at = events[3].at;
    assert!(completed_at - events[2].at >= Duration::hours(3) - Duration::minutes(10));
    // Step 2's request carried the decision.
    let second = b.engine.exchange(c).expect("ex");
    let body: Value = serde_json::from_slice(&second.arrival.body).expect("json");
    assert_eq!(body["request"]["actionParams"]["decision"], "APPROVED");
}

#[test]
fn a_wait_nobody_answers_times_out_and_the_run_goes_on_without_its_output() {
    let b = bench();
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        shipped("02-trainer-approval-no-answer.json"),
        RunOptions::default(),
    );
    let events = drive(&b, &run, Duration::minutes(30));
    assert_eq!(
        kinds(&events),
        vec![
            "Started",
            "1:Asked",
            "1:Waiting",
            "1:TimedOut",
            "2:NotRun",
            "Finished"
        ]
    );
    let state = run.snapshot();
    assert_eq!(
        state.steps[1].missing,
        vec!["steps.approve.result.decision"]
    );
    // Wix does not run a step whose params miss a required field: no request was made.
    assert_eq!(state.steps[1].exchange, None);
    let not_run = state.steps[1].not_run.clone().expect("why it was not run");
    assert_eq!(not_run.field, "decision");
    assert_eq!(not_run.title.as_deref(), Some("Trainer's decision"));
    assert_eq!(not_run.from.as_ref().map(|f| f.0.as_str()), Some("approve"));
    assert!(
        not_run.reason.contains("{{steps.approve.result.decision}}")
            && not_run.reason.contains("timed out"),
        "{}",
        not_run.reason
    );
    assert_eq!(
        b.engine.len(),
        1,
        "only the approval step's invoke reached the inbox"
    );
    assert!(
        events[4].caption.contains("Wix does not run this step"),
        "{}",
        events[4].caption
    );
    assert!(
        state.passed(),
        "the flow expects the time-out and the skipped step"
    );
    // The deadline counted a day from the answer.
    assert!(events[3].at - events[2].at >= Duration::hours(24));
}

#[test]
fn a_test_run_skips_its_delay_and_a_normal_run_waits_it_out() {
    let b = bench();
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player.clone(),
        shipped("04-draft-test-run.json"),
        RunOptions::default(),
    );
    let events = drive(&b, &run, Duration::seconds(1));
    assert!(kinds(&events).contains(&"2:DelaySkipped".to_string()));
    // The same flow without skipping: the delay waits two simulated days.
    let mut f = shipped("04-draft-test-run.json");
    f.flow.skip_delays = false;
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        f,
        RunOptions::default(),
    );
    let events = drive(&b, &run, Duration::hours(1));
    let k = kinds(&events);
    assert!(
        k.contains(&"2:DelayStarted".to_string()) && k.contains(&"2:DelayDone".to_string()),
        "{k:?}"
    );
    let started = events.iter().find(|e| e.step == Some(1)).expect("delay").at;
    let done = events
        .iter()
        .rev()
        .find(|e| e.step == Some(1))
        .expect("delay")
        .at;
    assert!(done - started >= Duration::days(2));
}

#[test]
fn a_step_that_fails_is_marked_and_the_run_goes_on() {
    let b = bench();
    let mut f = shipped("03-shop-order.json");
    if let flow::Step::Action(a) = &mut f.flow.steps[1] {
        a.fail = Some(flow::FailAnswer {
            status: 503,
            code: "COUPONS_DOWN".into(),
        });
    }
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        f,
        RunOptions::default(),
    );
    let events = drive(&b, &run, Duration::seconds(1));
    let k = kinds(&events);
    assert!(k.contains(&"2:Failed".to_string()), "{k:?}");
    assert!(
        k.contains(&"3:Answered".to_string()),
        "the run goes on: {k:?}"
    );
    assert!(
        events.iter().any(|e| e.step == Some(1)
            && e.caption.contains("Create a loyalty coupon failed")
            && e.caption.contains("the automation goes on")),
        "{events:#?}"
    );
    let state = run.snapshot();
    assert!(
        state.steps[2]
            .missing
            .contains(&"steps.coupon.result.couponCode".to_string()),
        "{:?}",
        state.steps[2].missing
    );
}

#[test]
fn against_a_provider_step_two_sees_step_ones_output_and_the_same_activation() {
    let b = bench();
    let (base, received) = recording_provider(
        &b.rt,
        200,
        json!({"invokeTimeoutType": "IMMEDIATE",
               "result": {"amount": 9.9, "currency": "EUR", "carrier": "UPS", "couponCode": "P-1", "messageId": "m"}}),
    );
    let target = Target::new(
        &base,
        None,
        Some("inst"),
        false,
        std::time::Duration::from_secs(5),
    )
    .expect("target");
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        shipped("03-shop-order.json"),
        RunOptions {
            all_to: Some(target),
            ..RunOptions::default()
        },
    );
    let events = drive(&b, &run, Duration::seconds(1));
    assert_eq!(
        events.last().map(|e| &e.kind),
        Some(&FlowEventKind::Finished { passed: true })
    );
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 3, "three action steps reached the provider");
    let bodies: Vec<Value> = got
        .iter()
        .map(|(path, _, b)| {
            assert_eq!(path, "/wix/actions/v1/invoke");
            serde_json::from_slice(b).expect("plain JSON")
        })
        .collect();
    let ctx = |i: usize| &bodies[i]["request"]["activationContext"];
    assert_eq!(ctx(0)["activationId"], ctx(1)["activationId"]);
    assert_eq!(ctx(1)["activationId"], ctx(2)["activationId"]);
    assert_ne!(ctx(0)["invocationToken"], ctx(1)["invocationToken"]);
    assert!(ctx(0)["payload"].get("steps").is_none());
    assert_eq!(
        ctx(1)["payload"]["steps"]["quote"]["carrier"],
        "UPS",
        "step 2 sees step 1's output (outputsUnder: steps)"
    );
    assert_eq!(
        bodies[2]["request"]["actionParams"]["subject"],
        "Order 10482: shipping 9.9 EUR with UPS"
    );
    assert_eq!(bodies[2]["request"]["actionParams"]["coupon"], "P-1");
}

/// Runs `actionbench flow run` with `args`, bounded to 60 s.
fn flow_run(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["flow", "run", "--port", "0"];
    all.extend_from_slice(args);
    run_actionbench(&all, std::time::Duration::from_secs(60))
}

#[test]
fn flow_run_prints_each_event_and_exits_by_the_flows_expectations() {
    let dir = TempDir::new("flow-run");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let junit = dir.path().join("flow.xml");
    let shipped_path = root().join("samples/flows/02-trainer-approval-no-answer.json");
    let (code, text) = flow_run(&[
        "--warp",
        "100000",
        "--junit",
        junit.to_str().expect("path"),
        shipped_path.to_str().expect("path"),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("A day passes and Noa never answers"),
        "{text}"
    );
    assert!(
        text.contains("PASS step 1 Ask the trainer to approve: expected timed out, timed out"),
        "{text}"
    );
    assert!(
        text.contains("missing: {{steps.approve.result.decision}} had no value"),
        "{text}"
    );
    assert!(
        text.contains("PASS step 2 Send the confirmation: expected skipped, skipped (not run)"),
        "{text}"
    );
    assert!(
        text.contains(
            "not run, no request was made: actionParams.decision is required and missing"
        ),
        "{text}"
    );
    assert!(
        !text.contains("step 2 Send the confirmation: Wix still asks"),
        "the step was never asked: {text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<testcase").count(), 2, "{xml}");

    // The same flow expecting an approval that never comes fails, and says which step.
    let mut flow: Value =
        serde_json::from_str(&std::fs::read_to_string(&shipped_path).expect("read")).expect("json");
    flow["steps"][0]["expect"] = json!("completed");
    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, flow.to_string()).expect("write");
    let (code, text) = flow_run(&["--warp", "100000", wrong.to_str().expect("path")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL step 1 Ask the trainer to approve: expected completed, timed out"),
        "{text}"
    );

    let (code, text) = flow_run(&[dir.path().join("missing.json").to_str().expect("path")]);
    assert_eq!(code, Some(2), "{text}");
}

#[test]
fn a_step_whose_required_input_never_came_is_not_sent_to_the_provider() {
    let b = bench();
    // The provider fails every call: step 1 gives no output, step 2 needs it, step 3 does not.
    let (base, received) = recording_provider(
        &b.rt,
        500,
        json!({"applicationError": {"code": "DOWN", "data": {}}}),
    );
    let target = Target::new(
        &base,
        None,
        Some("inst"),
        false,
        std::time::Duration::from_secs(5),
    )
    .expect("target");
    let text = json!({
        "name": "Needs an output that never comes",
        "trigger": {"name": "An order", "key": "order", "payload": {"email": "a@example.com"}},
        "steps": [
            {"type": "action", "id": "quote", "name": "Get a quote", "actionKey": "quote",
             "params": {"email": "{{payload.email}}"}, "expect": "failed"},
            {"type": "action", "id": "notify", "name": "Tell the buyer", "actionKey": "notify",
             "params": {"to": "{{payload.email}}", "price": "{{steps.quote.result.price}}"},
             "inputSchema": {"type": "object",
                             "properties": {"to": {"type": "string", "title": "To"},
                                            "price": {"type": "number", "title": "Price"}},
                             "required": ["to", "price"]},
             "expect": "skipped"},
            {"type": "action", "id": "log", "name": "Log the order", "actionKey": "log",
             "params": {"email": "{{payload.email}}"}, "expect": "failed"}
        ]
    })
    .to_string();
    let flow = actionbench::domain::flow::LoadedFlow::parse(&text, None).expect("flow");
    let player = Player::new(b.engine.clone(), None);
    let run = automation::start(
        b.rt.handle(),
        b.engine.clone(),
        player,
        flow,
        RunOptions {
            all_to: Some(target),
            ..RunOptions::default()
        },
    );
    let events = drive(&b, &run, Duration::seconds(1));
    assert_eq!(
        kinds(&events),
        vec![
            "Started", "1:Asked", "1:Failed", "2:NotRun", "3:Asked", "3:Failed", "Finished"
        ]
    );
    let got = received.lock().expect("lock").clone();
    let keys: Vec<String> = got
        .iter()
        .map(|(_, _, body)| {
            let v: Value = serde_json::from_slice(body).expect("JSON");
            v["request"]["actionKey"].as_str().unwrap_or("").to_string()
        })
        .collect();
    assert_eq!(
        keys,
        vec!["quote", "log"],
        "the skipped step made no request"
    );
    let state = run.snapshot();
    assert!(state.passed(), "{:?}", state.verdict());
    let reason = match &state.steps[1].status {
        actionbench::domain::flow::StepStatus::Ended(StepEnd::NotRun { reason }) => reason.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        reason.contains("actionParams.price is required")
            && reason.contains("{{steps.quote.result.price}}")
            && reason.contains("\"Get a quote\" failed"),
        "{reason}"
    );
    assert!(
        events[3].caption.contains("\"Price\" is missing")
            && events[3].caption.contains("Get a quote"),
        "{}",
        events[3].caption
    );
}

#[test]
fn a_step_whose_params_break_the_schema_otherwise_is_not_run_either() {
    let text = json!({
        "name": "Bad value",
        "trigger": {"name": "T", "key": "t", "payload": {"n": -5}},
        "steps": [
            {"type": "action", "id": "a", "name": "A", "actionKey": "a",
             "params": {"n": "{{payload.n}}"},
             "inputSchema": {"type": "object",
                             "properties": {"n": {"type": "integer", "title": "Count", "minimum": 0}}}}
        ]
    })
    .to_string();
    let flow = actionbench::domain::flow::LoadedFlow::parse(&text, None).expect("flow");
    let mut run = FlowRun::new(flow, "act".into());
    let branch = run.start_branch();
    run.invoke_request(0, &Ids::fresh(), &branch, chrono::Utc::now())
        .expect("an action");
    let n = run.steps[0].not_run.clone().expect("not run");
    assert_eq!(n.field, "n");
    assert!(
        n.reason.contains("actionParams.n:") && n.reason.contains("minimum"),
        "{}",
        n.reason
    );
}
