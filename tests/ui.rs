//! The window, driven with egui_kittest (no GPU, no display): calls arrive over a real socket,
//! answers are crafted in the composer, completion and deadlines move the timeline.

mod common;

use actionbench::domain::clock::ManualClock;
use actionbench::domain::invocation::Phase;
use actionbench::engine::{Engine, Mode};
use actionbench::server::{self, ServerHandle};
use actionbench::ui::{App, Core, SamplePicker};
use chrono::Duration;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

struct Bench {
    rt: tokio::runtime::Runtime,
    engine: Arc<Engine>,
    clock: Arc<ManualClock>,
    server: Option<ServerHandle>,
    url: String,
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.stop(std::time::Duration::from_secs(2)));
        }
    }
}

struct FixedPicker(PathBuf);

impl SamplePicker for FixedPicker {
    fn pick(&self) -> Option<PathBuf> {
        Some(self.0.clone())
    }
}

fn bench() -> Bench {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (engine, clock) = engine(Mode::Hold);
    let server = rt
        .block_on(server::start(
            engine.clone(),
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("starts");
    let url = format!("http://{}", server.addr);
    Bench {
        rt,
        engine,
        clock,
        server: Some(server),
        url,
    }
}

fn harness(b: &Bench) -> Harness<'static, App> {
    let core = Core {
        engine: b.engine.clone(),
        runtime: b.rt.handle().clone(),
        inbox_url: b.url.clone(),
        remote_warning: None,
        samples: samples(),
        sample_errors: vec![],
        picker: Arc::new(FixedPicker(
            root().join("tests/fixtures/opened-sample.json"),
        )),
    };
    // New content (a held call, an opened sample) can take a few sizing passes to settle; a
    // window that never settles still fails.
    Harness::builder()
        .with_max_steps(8)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(core, &cc.egui_ctx))
}

/// Posts a sample to the inbox over HTTP; the answer comes back through the join handle.
fn post_sample(b: &Bench, prefix: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let body = sample(prefix).sample.envelope(false).to_string();
    let url = format!("{}/v1/invoke", b.url);
    b.rt.spawn(async move {
        let res = reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json answer"))
    })
}

/// Waits (bounded) until the engine holds `n` calls: the HTTP request is in flight on another thread.
fn wait_held(b: &Bench, n: usize) {
    for _ in 0..2000 {
        if b.engine
            .snapshot()
            .iter()
            .filter(|e| e.phase.is_held())
            .count()
            >= n
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the call never arrived");
}

#[test]
fn a_call_arrives_and_shows_in_the_list_with_its_details() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    assert!(h.query_by_label("#1").is_none());
    let _caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    h.run();
    h.get_by_label("#1");
    assert!(
        h.query_all_by_label_contains("send-email").count() >= 2,
        "in the list and the detail"
    );
    h.get_by_label_contains("Held calls (1)");
    // The detail shows the request's parts as trees.
    h.get_by_label_contains("actionParams");
    h.get_by_label_contains("activationContext");
    h.get_by_label_contains("metadata");
    assert_eq!(
        h.state().selected(),
        Some(1),
        "the first held call is selected when nothing was"
    );
}

#[test]
fn answering_in_the_composer_completes_the_held_request_with_the_crafted_body() {
    let b = bench();
    let mut h = harness(&b);
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    h.run();
    // The composer starts from the output schema: messageId is required and empty is allowed.
    h.get_by_label("Result (JSON)")
        .set_text_value_accesskit(r#"{"messageId": "msg-42"}"#);
    h.run();
    h.get_by_label("Meets the contract");
    h.get_by_label("Send answer").click();
    h.run();
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "msg-42"}})
    );
    h.run();
    assert_eq!(b.engine.exchange(1).expect("ex").phase, Phase::Answered);
    h.get_by_label_contains("Response: HTTP 200 (crafted in the window)");
}

#[test]
fn contract_findings_show_live_and_an_invalid_answer_is_sent_only_on_purpose() {
    let b = bench();
    let mut h = harness(&b);
    let caller = post_sample(&b, "06-");
    wait_held(&b, 1);
    h.run();
    // The shipping sample's typical answer breaks its output schema.
    assert!(
        h.query_all_by_label_contains("Error: result.amount:")
            .count()
            == 1
    );
    h.get_by_label("Send anyway (breaks the contract)").click();
    h.run();
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!(
        (status, body["result"]["amount"].clone()),
        (200, json!("12.50"))
    );
    h.run();
    let ex = b.engine.exchange(1).expect("ex");
    assert!(ex.is_flagged());
    assert!(
        ex.timeline
            .iter()
            .any(|t| t.text.contains("sent on purpose"))
    );
}

#[test]
fn a_new_arrival_does_not_take_the_focus_from_the_answer_being_written() {
    let b = bench();
    let mut h = harness(&b);
    let _first = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    h.get_by_label("TIMEOUT_DATE").click();
    h.run();
    let _second = post_sample(&b, "01-");
    wait_held(&b, 2);
    h.run();
    assert_eq!(h.state().selected(), Some(1));
    h.get_by_label("Timeout date (RFC 3339)");
    h.get_by_label_contains("Held calls (2)");
}

#[test]
fn reporting_completion_in_the_window_moves_the_timeline() {
    let b = bench();
    let mut h = harness(&b);
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    // The approval sample's example answer waits a day.
    h.get_by_label("Send answer").click();
    h.run();
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!(
        (status, body["invokeTimeoutType"].clone()),
        (200, json!("TIMEOUT_LENGTH"))
    );
    h.run();
    h.get_by_label_contains("Deadline in 1 d 00 h 00 min");
    // The success result starts from the schema skeleton, which is valid (decision = APPROVED).
    h.get_by_label("Success result (JSON)")
        .set_text_value_accesskit(r#"{"decision": "MAYBE"}"#);
    h.run();
    h.get_by_label_contains("Error: successInfo.result.decision:");
    h.get_by_label("Success result (JSON)")
        .set_text_value_accesskit(r#"{"decision": "APPROVED", "decidedBy": "maria"}"#);
    h.run();
    h.get_by_label("Report success").click();
    h.run();
    assert_eq!(
        b.engine.exchange(1).expect("ex").phase,
        Phase::Completed {
            result: json!({"decision": "APPROVED", "decidedBy": "maria"})
        }
    );
    h.get_by_label_contains("completion report from the window: SUCCESS");
    h.get_by_label_contains("Completion report for #1 accepted");
}

#[test]
fn a_deadline_passing_marks_the_invocation_timed_out() {
    let b = bench();
    let mut h = harness(&b);
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    h.get_by_label("TIMEOUT_LENGTH").click();
    h.run();
    h.get_by_label("Timeout in minutes")
        .set_value_accesskit(90.0);
    h.run();
    h.get_by_label("Send answer").click();
    h.run();
    assert_eq!(
        b.rt.block_on(caller).expect("answered").1["timeoutLengthOptions"]["timeoutInMinutes"],
        json!(90)
    );
    h.run();
    h.get_by_label_contains("Deadline in 1 h 30 min");
    b.clock.advance(Duration::minutes(90));
    b.engine.tick();
    h.run();
    assert!(matches!(
        b.engine.exchange(1).expect("ex").phase,
        Phase::TimedOut { .. }
    ));
    h.get_by_label("timed out");
    h.get_by_label_contains("no completion report before the deadline");
}

#[test]
fn time_warp_is_switched_from_the_top_bar() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("×3600").click();
    h.run();
    assert_eq!(b.engine.warp().factor(), 3600);
    h.get_by_label_contains("Simulated");
}

#[test]
fn send_to_inbox_posts_a_sample_to_the_embedded_server() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.query_all_by_label("Send to inbox")
        .next()
        .expect("a send button")
        .click();
    h.run();
    wait_held(&b, 1);
    h.run();
    let ex = b.engine.exchange(1).expect("arrived over HTTP");
    assert_eq!(ex.action_key.as_deref(), Some("send-email"));
    assert_eq!(ex.envelope.map(|e| e.label()), Some("JSON envelope"));
    assert_ne!(
        ex.invocation_token.as_deref(),
        Some("tok-send-email-0001"),
        "each send gets a fresh token"
    );
    h.get_by_label("#1");
}

#[test]
fn switching_a_key_to_auto_answers_its_next_calls_at_once() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    b.engine.set_policy(
        "send-email",
        actionbench::engine::Policy::new(Mode::Auto, json!({"result": {"messageId": "m"}})),
    );
    let caller = post_sample(&b, "01-");
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!((status, body), (200, json!({"result": {"messageId": "m"}})));
    h.run();
    h.get_by_label_contains("answered 200");
}

#[test]
fn bad_calls_show_flagged_in_the_list() {
    let b = bench();
    let mut h = harness(&b);
    let url = format!("{}/v1/invoke", b.url);
    let (status, body) = b.rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .body("{\"actionKey\": 3}")
            .send()
            .await
            .expect("sent");
        (r.status().as_u16(), r.text().await.expect("text"))
    });
    assert_eq!(status, 400);
    assert!(body.contains("actionKey must be a string"));
    h.run();
    h.get_by_label("FLAGGED rejected 400");
    h.get_by_label("#1").click();
    h.run();
    h.get_by_label("actionKey must be a string, got a number");
}

#[test]
fn open_sample_adds_it_to_the_list() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("Open sample…").click();
    h.run();
    for _ in 0..2000 {
        if h.query_by_label("Refund order (opened from a file)")
            .is_some()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        // A step, not a run: the file arrives from another thread at any moment.
        h.step();
    }
    h.run();
    h.get_by_label("Refund order (opened from a file)");
    assert!(b.engine.schemas("refund-order").output.is_some());
}

#[test]
fn a_key_set_to_fail_in_the_window_answers_with_its_status_and_code() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("send-email").click();
    h.run();
    h.get_by_label("fail").click();
    h.run();
    h.get_by_label("code")
        .set_text_value_accesskit("QUOTA_EXCEEDED");
    h.run();
    h.get_by_label("HTTP").set_value_accesskit(429.0);
    h.run();
    let policy = b.engine.policy("send-email");
    assert_eq!(
        (policy.mode, policy.fail_status, policy.fail_code.as_str()),
        (Mode::Fail, 429, "QUOTA_EXCEEDED")
    );
    let (status, body) = b.rt.block_on(post_sample(&b, "01-")).expect("answered");
    assert_eq!(
        (status, body),
        (
            429,
            json!({"applicationError": {"code": "QUOTA_EXCEEDED", "data": {}}})
        )
    );
}
