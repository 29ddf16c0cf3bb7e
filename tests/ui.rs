//! The window, driven with egui_kittest (no GPU, no display): calls arrive over a real socket,
//! answers are crafted in the composer, completion and deadlines move the timeline.

mod common;

use actionbench::domain::flow::LoadedFlow;
use actionbench::domain::invocation::Phase;
use actionbench::engine::Mode;
use actionbench::play::{Forwarder, Player};
use actionbench::ui::app::Picked;
use actionbench::ui::{App, Core, SamplePicker, TargetForm};
use chrono::Duration;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// A served engine in hold mode, and what the window starts with.
struct Bench {
    served: Served,
    /// The developer's action, for "Send to your action" and forward mode.
    target: Option<String>,
    /// A flow to present at once, as --present does.
    present: Option<LoadedFlow>,
}

impl std::ops::Deref for Bench {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// A file dialog that answers at once: a file, or why no dialog can open.
enum FixedPicker {
    File(PathBuf),
    NoService(&'static str),
}

impl SamplePicker for FixedPicker {
    fn save(
        &self,
        title: &str,
        _name: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        self.pick(title)
    }

    fn pick(
        &self,
        _title: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        let picked = match self {
            FixedPicker::File(p) => Ok(Some(p.clone())),
            FixedPicker::NoService(why) => Err(why.to_string()),
        };
        Box::pin(std::future::ready(picked))
    }
}

fn bench() -> Bench {
    bench_with(|_| {})
}

fn bench_with(configure: impl FnOnce(&mut actionbench::engine::EngineConfig)) -> Bench {
    Bench {
        served: served(Mode::Hold, configure),
        target: None,
        present: None,
    }
}

fn harness(b: &Bench) -> Harness<'static, App> {
    harness_with(
        b,
        FixedPicker::File(root().join("tests/fixtures/opened-sample.json")),
        egui::vec2(1280.0, 800.0),
    )
}

fn harness_with(b: &Bench, picker: FixedPicker, size: egui::Vec2) -> Harness<'static, App> {
    let player = Player::new(b.engine.clone(), None);
    let target = Arc::new(std::sync::RwLock::new(None));
    b.engine.set_relay(Some(Arc::new(Forwarder::new(
        player.clone(),
        target.clone(),
    ))));
    let core = Core {
        player,
        target,
        target_form: TargetForm::new(b.target.as_deref(), None, Some("inst-ui")),
        flows: LoadedFlow::load_dir(&root().join("samples/flows")).0,
        flow_errors: vec![],
        present: b.present.clone(),
        session: None,
        public_key: Ok("-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n".into()),
        engine: b.engine.clone(),
        runtime: b.rt.handle().clone(),
        inbox_url: b.url.clone(),
        remote_warning: None,
        samples: samples(),
        sample_errors: vec![],
        picker: Arc::new(picker),
        port: 0,
    };
    // New content (a held call, an opened sample) can take a few sizing passes to settle; a
    // window that never settles still fails.
    Harness::builder()
        .with_max_steps(8)
        .with_size(size)
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
    h.get_by_label_contains("1 held call");
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
    h.get_by_label_contains("2 held calls");
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
    // The completion API's URL is there to copy for the action's own code.
    h.get_by_label("Copy URL").click();
    h.run();
    h.get_by_label_contains("Copied http://127.0.0.1:");
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
    let (status, body) = answered(&b, post_sample(&b, "01-"));
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

/// Steps (bounded) until `label` shows: for what arrives from another thread.
fn step_until(h: &mut Harness<'static, App>, label: &str) {
    for _ in 0..2000 {
        if h.query_all_by_label_contains(label).next().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    panic!("{label:?} never showed");
}

#[test]
fn without_a_file_dialog_the_window_says_what_is_missing() {
    let b = bench();
    let mut h = harness_with(
        &b,
        FixedPicker::NoService("no file dialog here: drop the sample file onto the window instead"),
        egui::vec2(1280.0, 800.0),
    );
    h.run();
    h.get_by_label("Open sample…").click();
    h.run();
    step_until(&mut h, "no file dialog here");
}

#[derive(Debug)]
struct TestDrop(PathBuf);

impl egui::DroppedFile for TestDrop {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_sample_file_dropped_onto_the_window_opens() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.input_mut().dropped_files.push(Arc::new(TestDrop(
        root().join("tests/fixtures/opened-sample.json"),
    )));
    h.run();
    step_until(&mut h, "Refund order (opened from a file)");
    h.run();
    // One entry in the list (the status line names it too).
    h.get_by_label("Refund order (opened from a file)");
    assert!(b.engine.schemas("refund-order").output.is_some());
}

/// 40 held calls at 1024×640: one compact strip, the log and its Status column still in view.
#[test]
fn many_held_calls_make_one_strip_and_the_log_stays_in_view() {
    let b = bench();
    let mut h = harness_with(
        &b,
        FixedPicker::NoService("none"),
        egui::vec2(1024.0, 640.0),
    );
    let callers: Vec<_> = (0..40).map(|_| post_sample(&b, "01-")).collect();
    wait_held(&b, 40);
    h.run();
    h.get_by_label("40 held calls");
    // The strip lists none of them until asked; the log shows the latest rows and statuses.
    assert!(h.query_by_label_contains("#3 send-email ·").is_none());
    h.get_by_label("Status");
    assert!(h.query_all_by_label_contains("held").count() >= 2);
    h.get_by_label("Answer next").click();
    h.run();
    // The oldest is selected: its composer is open.
    h.get_by_label("Send answer");
    h.get_by_label("Show all").click();
    h.run();
    h.get_by_label_contains("#1 send-email ·");
    h.get_by_label("Send answer").click();
    h.run();
    assert_eq!(b.engine.exchange(1).expect("#1").phase, Phase::Answered);
    h.get_by_label("39 held calls");
    b.engine.close();
    for c in callers {
        let _ = b.rt.block_on(c);
    }
}

#[test]
fn simulated_time_ahead_of_real_time_is_said_until_back_to_now() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    assert!(h.query_by_label("Back to now").is_none());
    b.engine.set_warp(3600);
    b.clock.advance(Duration::seconds(10));
    b.engine.set_warp(1);
    h.run();
    // At ×1, ten hours ahead: still said.
    h.get_by_label_contains("Simulated");
    h.get_by_label("Back to now").click();
    h.run();
    assert_eq!(
        b.engine.now(),
        b.engine.real_now(),
        "simulated time is real time again"
    );
    assert!(h.query_by_label("Back to now").is_none());
}

#[test]
fn protocol_assumptions_are_named_and_switchable_in_the_window() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("Protocol assumptions").click();
    h.run();
    h.get_by_label_contains("A second completion report for the same token");
    h.get_by_label("Refuse reports without Authorization (401)")
        .scroll_to_me();
    h.run();
    h.get_by_label("Refuse reports without Authorization (401)")
        .click();
    h.run();
    assert!(b.engine.assumptions().require_authorization);
}

#[test]
fn without_an_app_id_the_window_says_the_audience_is_not_checked() {
    let b = bench_with(|c| {
        c.jwt = actionbench::domain::envelope::JwtConfig::from_pem(
            &fixture("test-wix-public.pem"),
            None,
        )
        .expect("key");
    });
    let mut h = harness(&b);
    h.run();
    h.get_by_label("JWT audience not checked (no --app-id)");
    // A token for any audience is taken, and the log does not call it verified.
    let mut c = claims(invoke_request("send-email", "tok-aud"));
    c["aud"] = json!("someone-else");
    let token = sign(&c, "test-wix-private.pem");
    let url = format!("{}/v1/invoke", b.url);
    let caller = b.rt.spawn(async move {
        reqwest::Client::new()
            .post(url)
            .body(token)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    wait_held(&b, 1);
    h.run();
    h.get_by_label("JWT ok, aud?");
    h.get_by_label_contains("the audience was not checked");
    // Trees count their children in words: "(1 field)", never "(1 fields)".
    assert!(h.query_all_by_label_contains("(1 fields)").next().is_none());
    assert!(h.query_all_by_label_contains("(1 field)").next().is_some());
    b.engine.close();
    let _ = b.rt.block_on(caller);
}

#[test]
fn the_public_key_shows_with_a_copy_button() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("Public key").click();
    h.run();
    h.get_by_label_contains("Paste this where your app's public key goes");
    h.get_by_label("Copy").click();
    h.run();
    h.get_by_label("Public key copied");
}

/// Clicks the `nth` button labelled exactly `label` (one per sample).
fn click_nth(h: &mut Harness<'static, App>, label: &str, nth: usize) {
    h.get_all_by_label(label)
        .nth(nth)
        .unwrap_or_else(|| panic!("no button {nth} labelled {label:?}"))
        .click();
}

/// Index of the sample whose file starts with `prefix`, among those with valid params.
fn sample_index(prefix: &str) -> usize {
    samples()
        .iter()
        .filter(|s| s.params_findings.is_empty())
        .position(|s| {
            s.path.as_ref().is_some_and(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        })
        .unwrap_or_else(|| panic!("no valid sample {prefix}"))
}

/// Runs frames until `done` holds, for up to 10 s of real time.
fn run_until(h: &mut Harness<'static, App>, what: &str, mut done: impl FnMut(&App) -> bool) {
    let start = std::time::Instant::now();
    loop {
        h.run();
        if done(h.state()) {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "gave up after 10 s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_sample_sent_to_the_action_shows_its_answer_and_findings() {
    let mut b = bench();
    let broken = json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                        "timeoutLengthOptions": {"timeoutInMinutes": 2000}});
    let (base, received) = recording_provider(&b.rt, 200, broken);
    b.target = Some(base.clone());
    let mut h = harness(&b);
    h.run();
    h.get_by_label_contains(&format!("Invoke: {base}/v1/invoke"));
    // Send the expense approval as a test run.
    h.get_by_label("Source").click();
    h.run();
    h.get_by_label("Manual run, test mode").click();
    h.run();
    click_nth(&mut h, "Send to your action", sample_index("02-"));
    // The exchange comes as an event, the send's result as a message after it: both.
    run_until(&mut h, "the outbound exchange, selected", |app| {
        app.log().iter().any(|e| e.response.is_some()) && app.selected().is_some()
    });
    h.run();
    let ex = h.state().log().get(0).expect("a row").into_owned();
    assert_eq!(h.state().selected(), Some(ex.id), "the send is selected");
    assert_eq!(ex.tag.as_deref(), Some("test run"));
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_slice(&got[0].2).expect("plain JSON");
    assert_eq!(
        sent.pointer(
            "/request/activationContext/activationSourceInfo/manualActivationInfo/testMode"
        ),
        Some(&json!(true))
    );
    assert_eq!(
        sent.pointer("/metadata/instanceId"),
        Some(&json!("inst-ui"))
    );
    // The list and the detail show what came back and what is wrong with it, and why.
    assert!(
        h.query_all_by_label_contains("» invoke (test run)").count() >= 2,
        "in the list and the detail"
    );
    h.get_by_label_contains("Response: HTTP 200 (your action)");
    assert!(
        h.query_all_by_label_contains("Error: timeoutLengthOptions.timeoutInMinutes")
            .next()
            .is_some(),
        "the finding names the field"
    );
    h.get_by_label_contains("Why it matters: Wix waits at most 24 hours");
    h.get_by_label_contains("sent to your action");
}

#[test]
fn a_forwarded_call_pauses_and_the_edited_answer_goes_back() {
    let mut b = bench();
    let (base, received) = recording_provider(
        &b.rt,
        200,
        json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "from-action"}}),
    );
    b.target = Some(base);
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Forward;
    p.pause = true;
    b.engine.set_policy("send-email", p);
    let mut h = harness(&b);
    h.run();
    h.get_by_label("Pause answers");
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    run_until(&mut h, "the paused call in the window", |app| {
        app.log().get(0).is_some_and(|e| e.phase.is_held())
    });
    h.run();
    assert_eq!(received.lock().expect("lock").len(), 1, "relayed once");
    h.get_by_label_contains("Your action answered HTTP 200");
    // The composer starts from the action's answer, as raw JSON, to edit.
    let body = h.get_by_label("Answer body (JSON)");
    assert!(
        body.value().is_some_and(|v| v.contains("from-action")),
        "{:?}",
        body.value()
    );
    body.set_text_value_accesskit(
        r#"{"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "edited"}}"#,
    );
    h.run();
    h.get_by_label("Meets the contract");
    h.get_by_label("Send answer").click();
    h.run();
    let (status, answer) = b.rt.block_on(caller).expect("answered");
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["messageId"], "edited");
    let ex = b.engine.exchange(1).expect("logged");
    assert_eq!(
        ex.target_answer.expect("kept").body["result"]["messageId"],
        "from-action"
    );
}

/// The caption of the latest event of the presented run.
fn shown_caption(app: &App) -> String {
    let p = app.presenter().expect("presenting");
    let events = &app.runs()[p.run].events;
    let i = p.cursor.unwrap_or(events.len().saturating_sub(1));
    events.get(i).map(|e| e.caption.clone()).unwrap_or_default()
}

#[test]
fn presenter_mode_steps_through_a_flow_with_the_keyboard() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    // The Flows tab lists the flow files; the shop order flow is the third. Present starts
    // it step by step, full window.
    h.get_by_label("Flows").click();
    h.run();
    click_nth(&mut h, "Present", 2);
    run_until(&mut h, "the flow to start", |app| {
        app.runs().first().is_some_and(|r| !r.events.is_empty())
    });
    assert!(h.state().presenter().is_some());
    assert!(
        h.query_by_label("Samples").is_none(),
        "the window's panels give way"
    );
    h.get_by_label("Lukas orders two books from the shop");
    h.get_by_label("Press Space for the next step");
    // Space: step 1 asks and is answered; the run then waits for the next Space.
    h.key_press(egui::Key::Space);
    run_until(&mut h, "step 1 to be answered", |app| {
        shown_caption(app).starts_with("DHL can ship it")
    });
    h.get_by_label("DHL can ship it for 12.50 EUR: the quote joins the order's data");
    // The payload shows as cards, the quote's output among them: its values, not a count of
    // its fields.
    h.get_by_label("steps · quote · carrier");
    h.get_by_label("DHL");
    assert!(h.query_all_by_label_contains("fields").next().is_none());
    // Right arrow: step 2.
    h.key_press(egui::Key::ArrowRight);
    run_until(&mut h, "step 2 to be answered", |app| {
        shown_caption(app).starts_with("A 10% coupon")
    });
    // Left looks back without touching the run; Right comes forward again.
    h.key_press(egui::Key::ArrowLeft);
    h.run();
    assert_eq!(
        shown_caption(h.state()),
        "Wix asks Create a loyalty coupon to run"
    );
    h.get_by_label("Wix asks Create a loyalty coupon to run");
    h.key_press(egui::Key::ArrowRight);
    h.run();
    assert!(shown_caption(h.state()).starts_with("A 10% coupon"));
    // J shows the payload as JSON, and back.
    h.key_press(egui::Key::J);
    h.run();
    assert!(h.state().presenter().is_some_and(|p| p.show_json));
    h.key_press(egui::Key::J);
    // To the end.
    h.key_press(egui::Key::Space);
    run_until(&mut h, "the end", |app| app.runs()[0].finished().is_some());
    h.run();
    assert_eq!(h.state().runs()[0].finished(), Some(true));
    h.get_by_label_contains("every step ended as expected");
    // Esc leaves: the window is back, with the run in the Flows panel.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.state().presenter().is_none());
    h.get_by_label("Samples");
    h.get_by_label_contains("#1 Order placed");
    // The run's invocations are in the log, tagged with the flow and step.
    assert!(
        h.state()
            .log()
            .iter()
            .filter(|e| e
                .tag
                .as_deref()
                .is_some_and(|t| t.starts_with("flow: Order placed")))
            .count()
            == 3
    );
}

#[test]
fn a_step_held_for_the_presenter_is_answered_with_a_key() {
    let mut b = bench();
    b.present =
        Some(LoadedFlow::load(&root().join("tests/fixtures/live-flow.json")).expect("a flow"));
    let mut h = harness(&b);
    run_until(&mut h, "the run to start", |app| {
        app.runs().first().is_some_and(|r| !r.events.is_empty())
    });
    assert!(
        h.state().presenter().is_some(),
        "--present opens presenter mode"
    );
    h.key_press(egui::Key::Space);
    run_until(&mut h, "the presenter's turn", |app| {
        shown_caption(app).contains("waits for you")
    });
    h.get_by_label_contains("Press A to send the step's saved answer");
    let id = h.state().runs()[0].handle.snapshot().steps[0]
        .exchange
        .expect("the held call");
    assert!(b.engine.exchange(id).expect("ex").phase.is_held());
    // One pass: the answer A sends is applied in the pass the key is pressed (commands a
    // command sends are drained with it), not one pass late. (egui may otherwise run a second
    // pass in the same step, which would hide the lag.)
    h.ctx
        .options_mut(|o| o.max_passes = std::num::NonZeroUsize::MIN);
    // (key_press queues a key-down and a key-up, each its own step: only the down here.)
    h.event(egui::Event::Key {
        key: egui::Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    assert!(
        !b.engine.exchange(id).expect("ex").phase.is_held(),
        "A answered in the frame it was pressed"
    );
    run_until(&mut h, "the run to finish", |app| {
        app.runs()[0].finished().is_some()
    });
    let ex = b.engine.exchange(id).expect("ex");
    assert_eq!(
        ex.response.expect("answered").by,
        actionbench::domain::invocation::AnsweredBy::Developer
    );
    assert_eq!(h.state().runs()[0].finished(), Some(true));
}

#[test]
fn a_flow_file_opens_from_the_dialog_or_dropped_onto_the_window() {
    let b = bench();
    let mut h = harness_with(
        &b,
        FixedPicker::File(root().join("tests/fixtures/live-flow.json")),
        egui::vec2(1280.0, 800.0),
    );
    h.run();
    h.get_by_label("Flows").click();
    h.run();
    assert!(h.query_by_label("Live approval").is_none());
    h.get_by_label("Open flow…").click();
    step_until(&mut h, "Opened flow \"Live approval\"");
    h.run();
    h.get_by_label("Live approval");
    // A flow file dropped onto the window opens too (told from a sample by its trigger and steps).
    let dir = TempDir::new("dropped-flow");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let dropped = dir.path().join("dropped.json");
    let text = std::fs::read_to_string(root().join("tests/fixtures/live-flow.json"))
        .expect("read")
        .replace("Live approval", "Dropped flow");
    std::fs::write(&dropped, text).expect("write");
    h.input_mut()
        .dropped_files
        .push(Arc::new(TestDrop(dropped.clone())));
    h.run();
    step_until(&mut h, "Opened flow \"Dropped flow\"");
    h.run();
    h.get_by_label("Dropped flow");
    h.get_by_label("Live approval");
}

/// Posts a raw body to the inbox and waits for its answer.
fn post_raw(b: &Bench, path: &str, body: &str) -> u16 {
    let url = format!("{}{path}", b.url);
    let body = body.to_string();
    b.rt.block_on(async move {
        reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
    })
}

#[test]
fn the_filter_finds_calls_by_text_flag_and_key_and_ctrl_f_reaches_it() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    for t in ["tok-a", "tok-b", "tok-c"] {
        assert_eq!(
            post_raw(
                &b,
                "/v1/invoke",
                &invoke_request("send-email", t).to_string()
            ),
            200
        );
    }
    assert_eq!(post_raw(&b, "/v1/invoke", "{oops"), 400);
    assert_eq!(post_raw(&b, "/v1/nowhere", "{}"), 404);
    let mut h = harness(&b);
    run_until(&mut h, "five rows", |app| app.log().len() == 5);
    // Ctrl+F puts the cursor in the filter.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run();
    h.run();
    let filter = h.get_by_label("Find");
    assert!(filter.is_focused(), "Ctrl+F focuses the filter");
    filter.type_text("tok-b");
    h.run();
    h.run();
    h.get_by_label("1 of 5");
    assert!(h.query_by_label("#2").is_some() && h.query_by_label("#1").is_none());
    // Flagged only: the two bad calls.
    h.get_by_label("Clear filter").click();
    h.run();
    h.get_by_label("flagged").click();
    h.run();
    h.run();
    h.get_by_label("2 of 5");
    assert!(h.query_by_label("#4").is_some() && h.query_by_label("#5").is_some());
    assert!(h.query_by_label("#1").is_none());
    h.get_by_label("Clear filter").click();
    h.run();
    assert!(
        h.query_by_label_contains(" of 5").is_none(),
        "everything shows again"
    );
}

#[test]
fn an_exchange_exports_as_har_curl_and_a_sample_the_list_picks_up() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    assert_eq!(
        post_raw(
            &b,
            "/v1/invoke",
            &invoke_request("send-email", "tok-x").to_string()
        ),
        200
    );
    let dir = TempDir::new("ui-export");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let saved = dir.path().join("saved-sample.json");
    let mut h = harness_with(
        &b,
        FixedPicker::File(saved.clone()),
        egui::vec2(1280.0, 800.0),
    );
    run_until(&mut h, "the call", |app| app.log().len() == 1);
    h.get_by_label("#1").click();
    h.run();
    h.get_by_label("Copy as curl").click();
    h.run();
    h.get_by_label("Copied #1 as a curl command");
    h.get_by_label("Save as sample…").click();
    step_until(&mut h, "Opened \"invoke send-email (saved from #1)\"");
    h.run();
    assert!(saved.exists());
    // In the list at once, ready to send.
    h.get_by_label("invoke send-email (saved from #1)");
    // The same picker path again for the HAR export: it overwrites the file with a HAR.
    h.get_by_label("Export HAR…").click();
    step_until(&mut h, "Exported 1 exchange to");
    let har = har::from_path(&saved).expect("a HAR file");
    assert!(matches!(har.log, har::Spec::V1_2(_)));
}

#[test]
fn settings_come_back_and_damaged_ones_give_the_defaults_with_a_warning() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    let saved = json!({
        "target": {"base": "http://127.0.0.1:3999/wix", "appId": "app-9", "jwt": true},
        "keys": {"send-email": {"mode": "fail", "failStatus": 503, "failCode": "DOWN"},
                 "create-coupon": {"mode": "auto", "answer": {"invokeTimeoutType": "IMMEDIATE", "result": {"couponCode": "SAVED"}}}},
        "assumptions": {"secondReport": "ignore"},
        "warp": 60,
        "panel": "flows",
        "somethingNewer": true
    });
    h.state_mut().load_settings(Some(&saved.to_string()));
    h.run();
    let p = b.engine.policy("send-email");
    assert_eq!(
        (p.mode, p.fail_status, p.fail_code.as_str()),
        (actionbench::engine::Mode::Fail, 503, "DOWN")
    );
    assert_eq!(
        b.engine.policy("create-coupon").answer["result"]["couponCode"],
        "SAVED"
    );
    assert_eq!(
        b.engine.assumptions().second_report,
        actionbench::domain::assumptions::ExtraReport::Ignore
    );
    assert_eq!(b.engine.warp().factor(), 60);
    h.get_by_label("Open flow…");
    h.get_by_label("Your action").click();
    h.run();
    h.get_by_label("Invoke: http://127.0.0.1:3999/wix/v1/invoke");
    // What would be saved now carries the same choices back.
    let now = h.state().settings();
    assert_eq!(now.target.base, "http://127.0.0.1:3999/wix");
    assert_eq!(now.keys["send-email"].fail_status, 503);
    assert_eq!(now.warp, 60);
    assert_eq!(now.panel, "flows");
    // Settings that do not decode: a warning, and nothing changed; never a crash.
    for bad in [
        "{not json",
        r#"{"warp": "fast"}"#,
        r#"{"keys": {"send-email": {"mode": "sometimes"}}}"#,
    ] {
        h.state_mut().load_settings(Some(bad));
        h.run();
        h.get_by_label_contains("the saved settings could not be read");
        assert_eq!(
            b.engine.policy("send-email").mode,
            actionbench::engine::Mode::Fail
        );
    }
}

/// The port is needed before the window exists: it is read from eframe's own storage file
/// (a RON map of strings), and --port wins over it.
#[test]
fn the_saved_port_is_read_from_eframes_storage_before_the_window_starts() {
    use actionbench::ui::settings;
    let b = bench();
    let mut h = harness(&b);
    h.run();
    let mut saved = h.state().settings();
    saved.port = Some(4555);
    let dir = TempDir::new("ui-port");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let path = dir.path().join("app.ron");
    // As eframe writes it: every key's value a string.
    let mut map = std::collections::HashMap::new();
    map.insert(
        settings::KEY.to_string(),
        serde_json::to_string(&saved).expect("json"),
    );
    map.insert("egui".to_string(), "(something of egui's)".to_string());
    std::fs::write(&path, ron::to_string(&map).expect("ron")).expect("write");
    let read = settings::stored_in(&path).expect("the settings read back");
    assert_eq!(read.port, Some(4555));
    assert_eq!(read, saved);
    assert_eq!(settings::choose_port(None, read.port), (4555, true));
    assert_eq!(settings::choose_port(Some(4600), read.port), (4600, false));
    assert_eq!(settings::choose_port(None, None), (4010, false));
    // A damaged storage file, or damaged settings in it: no saved port, never a crash.
    std::fs::write(&path, "(not ron").expect("write");
    assert_eq!(settings::stored_in(&path), None);
    map.insert(settings::KEY.to_string(), "{not json".to_string());
    std::fs::write(&path, ron::to_string(&map).expect("ron")).expect("write");
    assert_eq!(settings::stored_in(&path), None);
    // What the window saves names the port it was given.
    assert_eq!(h.state().settings().port, Some(0));
}

#[test]
fn two_invocations_compare_field_by_field_without_their_ids_unless_asked() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    let mut first = invoke_request("send-email", "tok-1");
    first["actionParams"]["to"] = json!("ana@example.com");
    let mut second = invoke_request("send-email", "tok-2");
    second["actionParams"]["to"] = json!("ben@example.com");
    post_raw(&b, "/v1/invoke", &first.to_string());
    post_raw(&b, "/v1/invoke", &second.to_string());
    let mut h = harness(&b);
    run_until(&mut h, "two rows", |app| app.log().len() == 2);
    h.get_by_label("#1").click();
    h.run();
    h.get_by_label("Compare…").click();
    h.run();
    h.get_by_label_contains("Select another exchange in the log to compare with #1");
    h.get_by_label("#2").click();
    h.run();
    h.run();
    h.get_by_label("#1 and #2");
    h.get_by_label("request.actionParams.to");
    h.get_by_label("\"ana@example.com\"");
    // (#2 is also shown in the detail pane.)
    assert!(h.query_all_by_label("\"ben@example.com\"").count() >= 2);
    assert!(
        h.query_by_label("request.activationContext.invocationToken")
            .is_none()
    );
    h.get_by_label_contains("Show ids, tokens and times")
        .click();
    h.run();
    h.get_by_label("request.activationContext.invocationToken");
}

/// A long session whose older exchanges are on disk: their rows stand in from summaries, the
/// filter's text still finds one by what only its body holds (read back from the journal), and
/// selecting it shows the whole exchange.
#[test]
fn the_filter_finds_text_in_exchanges_kept_on_disk_and_selecting_one_reads_it_back() {
    let b = bench_with(|c| {
        c.memory_budget = 0;
        c.default_mode = Mode::Auto;
    });
    let dir = TempDir::new("ui-on-disk");
    let _journal =
        actionbench::journal::attach(&b.engine, &dir.path().join("s.jsonl")).expect("journal");
    let calls = 600;
    for i in 1..=calls {
        let token = if i == 17 {
            "needle-in-row-17".to_string()
        } else {
            format!("tok-{i}")
        };
        let body = json!({"request": invoke_request("send-email", &token)}).to_string();
        let _ = b
            .engine
            .intake(actionbench::engine::Incoming::post("/v1/invoke", body).expect("route"));
    }
    let mut h = harness(&b);
    run_until(&mut h, "every row", |app| app.log().len() == calls);
    assert!(
        h.state().log().is_packed(16),
        "#17 is on disk: its row is packed"
    );
    assert!(
        h.state().log().get(16).expect("#17").is_summary(),
        "#17 stands in from its summary"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run();
    h.run();
    h.get_by_label("Find").type_text("NEEDLE-in-row");
    let start = std::time::Instant::now();
    while h.query_by_label(&format!("1 of {calls}")).is_none() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the filter did not find the one row whose body holds the text"
        );
        h.run();
    }
    h.get_by_label("#17").click();
    h.run();
    h.run();
    assert_eq!(h.state().selected(), Some(17));
    let whole = h.state().whole(17).expect("#17 read back");
    assert!(!whole.is_summary());
    assert!(
        String::from_utf8_lossy(&whole.arrival.body).contains("needle-in-row-17"),
        "the body came back from the journal"
    );
    h.get_by_label_contains("answered with the saved answer");
}

/// The journal cannot be written: a banner says so, calls are refused, and it goes when
/// writing works again.
#[test]
fn a_session_that_cannot_be_written_shows_a_banner_until_it_can() {
    let b = bench_with(|c| c.default_mode = Mode::Auto);
    let dir = TempDir::new("ui-full");
    let opened =
        actionbench::journal::attach(&b.engine, &dir.path().join("s.jsonl")).expect("journal");
    let mut h = harness(&b);
    h.run();
    assert!(h.query_by_label_contains("Recording stopped").is_none());
    opened
        .journal
        .fail_writes(Some(std::io::ErrorKind::StorageFull));
    let (status, body) = answered(&b, post_sample(&b, "01-"));
    assert_eq!(status, 503, "{body}");
    run_until(&mut h, "the refused call in the list", |app| {
        app.log().len() == 1
    });
    h.get_by_label_contains("Recording stopped: the session");
    h.get_by_label_contains("no space left on device");
    opened.journal.fail_writes(None);
    // The journal tries again by itself (every second) and the banner goes.
    let start = std::time::Instant::now();
    while h.query_by_label_contains("Recording stopped").is_some() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the banner stayed although writing works again"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.run();
    }
    let (status, _) = answered(&b, post_sample(&b, "01-"));
    assert_eq!(status, 200);
}

/// The answer to a call in flight, within 10 s.
fn answered(b: &Bench, call: tokio::task::JoinHandle<(u16, Value)>) -> (u16, Value) {
    b.rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(10), call).await })
        .expect("answered within 10 s")
        .expect("the call did not panic")
}

#[test]
fn allowed_hosts_are_set_in_the_window() {
    let b = bench();
    let mut h = harness(&b);
    h.run();
    h.get_by_label("Allowed hosts").click();
    h.run();
    h.get_by_label("Hosts").scroll_to_me();
    h.run();
    h.get_by_label("Hosts").click();
    h.run();
    h.get_by_label("Hosts")
        .type_text("abc.trycloudflare.com, .ngrok-free.app");
    h.run();
    h.get_by_label("Apply hosts").click();
    h.run();
    assert_eq!(
        *b.engine.allowed_hosts(),
        vec![
            "abc.trycloudflare.com".to_string(),
            ".ngrok-free.app".to_string()
        ]
    );
    assert_eq!(
        h.state().settings().allowed_hosts,
        vec![
            "abc.trycloudflare.com".to_string(),
            ".ngrok-free.app".to_string()
        ],
        "saved with the settings"
    );
    // A URL is refused, saying why, and the list stays as it was.
    h.get_by_label("Hosts").click();
    h.run();
    h.get_by_label("Hosts").type_text(", https://x.example/");
    h.run();
    h.get_by_label("Apply hosts").click();
    h.run();
    h.get_by_label_contains("not a URL");
    assert_eq!(b.engine.allowed_hosts().len(), 2);
}

/// At 1024×640 every log column is in view (Envelope was hidden), and a call with a very long
/// path keeps the detail pane inside the window, its text wrapped (it ran off the pane's
/// left edge, over the log).
#[test]
fn at_1024_the_log_shows_every_column_and_long_text_stays_in_the_detail_pane() {
    let b = bench_with(|c| c.default_mode = Mode::Auto);
    let path = format!("/{}/v1/nothing", "segment".repeat(40));
    let url = format!("{}{path}", b.url);
    let call = b.rt.spawn(async move {
        let res = reqwest::Client::new()
            .post(url)
            .body("{}")
            .send()
            .await
            .expect("sent");
        (res.status().as_u16(), Value::Null)
    });
    let (status, _) = answered(&b, call);
    assert_eq!(status, 404);
    let mut h = harness_with(
        &b,
        FixedPicker::NoService("none"),
        egui::vec2(1024.0, 640.0),
    );
    run_until(&mut h, "the call in the list", |app| app.log().len() == 1);
    h.get_by_label("#1").click();
    h.run();
    h.run();
    // The detail pane starts where its buttons do; the log's last column ends before it.
    let pane_left = h.get_by_label("Copy as curl").rect().left();
    let envelope = h.get_by_label("Envelope").rect();
    assert!(
        envelope.right() <= pane_left && envelope.width() > 10.0,
        "the Envelope column is in view, left of the detail pane at {pane_left}: {envelope:?}"
    );
    let log_right = envelope.right();
    let mut seen = 0;
    for node in h.query_all_by_label_contains("no route for POST") {
        let r = node.rect();
        seen += 1;
        assert!(
            r.left() >= log_right - 1.0 && r.right() <= 1024.0,
            "the text stays in the detail pane, right of the log ({log_right}): {r:?}"
        );
    }
    assert!(seen >= 2, "the message and its timeline entry are shown");
}

#[test]
fn version_prints_the_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .arg("--version")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("actionbench {}", env!("CARGO_PKG_VERSION"))
    );
}
