//! The left panel: samples, files opened or dropped, keys and their modes, your action,
//! forward mode, the assumptions and the allowed hosts.

use super::*;

#[test]
fn send_to_inbox_posts_a_sample_to_the_embedded_server() {
    let b = bench();
    let mut h = window(&b).build();
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
    let mut h = window(&b).build();
    h.run();
    b.engine.set_policy(
        "send-email",
        actionbench::engine::Policy::new(Mode::Auto, json!({"result": {"messageId": "m"}})),
    );
    let (status, body) = answered(&b, post_sample(&b, "01-"));
    assert_eq!((status, body), (200, json!({"result": {"messageId": "m"}})));
    h.run();
    h.get_by_label_contains("200 answered");
}

#[test]
fn open_sample_adds_it_to_the_list() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Open sample…");
    step_until(
        &mut h,
        "the opened sample in the list",
        WAIT,
        shows("Refund order (opened from a file)"),
    );
    h.get_by_label("Refund order (opened from a file)");
    assert!(b.engine.schemas("refund-order").output.is_some());
}

#[test]
fn a_key_set_to_fail_in_the_window_answers_with_its_status_and_code() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "send-email");
    click(&mut h, "fail");
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

#[test]
fn without_a_file_dialog_the_window_says_what_is_missing() {
    let b = bench();
    let mut h = window(&b)
        .picker(FixedPicker::NoService(
            "no file dialog here: drop the sample file onto the window instead",
        ))
        .size(egui::vec2(1280.0, 800.0))
        .build();
    h.run();
    click(&mut h, "Open sample…");
    step_until(
        &mut h,
        "no file dialog here",
        WAIT,
        shows("no file dialog here"),
    );
}

#[test]
fn a_sample_file_dropped_onto_the_window_opens() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    h.input_mut().dropped_files.push(Arc::new(TestDrop(
        root().join("tests/fixtures/opened-sample.json"),
    )));
    h.run();
    step_until(
        &mut h,
        "Refund order (opened from a file)",
        WAIT,
        shows("Refund order (opened from a file)"),
    );
    h.run();
    // One entry in the list (the status line names it too).
    h.get_by_label("Refund order (opened from a file)");
    assert!(b.engine.schemas("refund-order").output.is_some());
}

#[test]
fn protocol_assumptions_are_named_and_switchable_in_the_window() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    // Below the lists: scrolled to first, as a user would.
    h.get_by_label("Protocol assumptions").scroll_to_me();
    h.run();
    click(&mut h, "Protocol assumptions");
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
fn a_sample_sent_to_the_action_shows_its_answer_and_findings() {
    let mut b = bench();
    let broken = json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                        "timeoutLengthOptions": {"timeoutInMinutes": 2000}});
    let (base, received) = recording_provider(&b.rt, 200, broken);
    b.target = Some(base.clone());
    let mut h = window(&b).build();
    h.run();
    h.get_by_label_contains(&format!("Invoke: {base}/v1/invoke"));
    // Send the expense approval as a test run.
    click(&mut h, "Source");
    click(&mut h, "Manual run, test mode");
    click_nth(&mut h, "Send to your action", sample_index("02-"));
    // The exchange comes as an event, the send's result as a message after it: both.
    step_until(&mut h, "the outbound exchange, selected", WAIT, |h| {
        let app = h.state();
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
    let mut h = window(&b).build();
    h.run();
    h.get_by_label("Pause answers");
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    step_until(&mut h, "the paused call in the window", WAIT, |h| {
        let app = h.state();
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
    click(&mut h, "Send answer");
    let (status, answer) = b.rt.block_on(caller).expect("answered");
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["messageId"], "edited");
    let ex = b.engine.exchange(1).expect("logged");
    assert_eq!(
        ex.target_answer.expect("kept").body["result"]["messageId"],
        "from-action"
    );
}

#[test]
fn allowed_hosts_are_set_in_the_window() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    h.get_by_label("Allowed hosts").scroll_to_me();
    h.run();
    click(&mut h, "Allowed hosts");
    h.get_by_label("Hosts").scroll_to_me();
    h.run();
    click(&mut h, "Hosts");
    h.get_by_label("Hosts")
        .type_text("abc.trycloudflare.com, .ngrok-free.app");
    h.run();
    click(&mut h, "Apply hosts");
    // Applying says what is answered now.
    let now = "Applied: localhost, 127.0.0.0/8 and [::1] are answered, and abc.trycloudflare.com, ngrok-free.app and its subdomains";
    assert!(h.query_all_by_label(now).count() >= 1);
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
    click(&mut h, "Hosts");
    h.get_by_label("Hosts").type_text(", https://x.example/");
    h.run();
    click(&mut h, "Apply hosts");
    h.get_by_label_contains("not a URL");
    assert_eq!(b.engine.allowed_hosts().len(), 2);
}

#[test]
fn a_flow_file_opens_from_the_dialog_or_dropped_onto_the_window() {
    let b = bench();
    let mut h = window(&b)
        .picker(FixedPicker::File(
            root().join("tests/fixtures/live-flow.json"),
        ))
        .size(egui::vec2(1280.0, 800.0))
        .build();
    h.run();
    click(&mut h, "Flows");
    assert!(h.query_by_label("Live approval").is_none());
    h.get_by_label("Open flow…").click();
    step_until(
        &mut h,
        "Opened flow \"Live approval\"",
        WAIT,
        shows("Opened flow \"Live approval\""),
    );
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
    step_until(
        &mut h,
        "Opened flow \"Dropped flow\"",
        WAIT,
        shows("Opened flow \"Dropped flow\""),
    );
    h.run();
    h.get_by_label("Dropped flow");
    h.get_by_label("Live approval");
}

#[test]
fn report_event_in_the_triggers_tab_starts_the_flows_of_its_trigger() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Triggers");
    h.get_by_label_contains("order-placed");
    // The order trigger's form: a payload from its examples; reported over HTTP, as an app does.
    // The last trigger's button is below the tab's fold: scrolled to, as a user would.
    // (The shipped triggers, by file name: order-placed is the sixth.)
    h.get_all_by_label("Report event…")
        .nth(5)
        .expect("order-placed's button")
        .scroll_to_me();
    h.run();
    click_nth(&mut h, "Report event…", 5);
    h.run();

    // The form scrolls itself into view.
    click(&mut h, "Report");
    step_until(&mut h, "the run the event started", WAIT, |h| {
        h.state().runs().iter().any(|r| r.reported_in.is_some())
    });
    let run = h
        .state()
        .runs()
        .iter()
        .find(|r| r.reported_in.is_some())
        .map(|r| (r.flow.flow.name.clone(), r.handle.snapshot()))
        .expect("a run");
    assert_eq!(run.0, "Order placed: shipping quote, coupon, email");
    assert_eq!(
        run.1.payload["orderId"], "10482",
        "the definition's example payload"
    );
    let report = b
        .engine
        .exchange(run.1.reported_in.expect("reported"))
        .expect("logged");
    assert_eq!(report.path, "/automations/v1/events/report");
    assert_eq!(
        report
            .response
            .as_ref()
            .map(|r| r.body["activationIds"][0].clone()),
        Some(serde_json::json!(run.1.activation_id))
    );
    // Switched off in the Flows tab, the flow answers nothing more.
    click(&mut h, "Flows");
    click_nth(&mut h, "answers order-placed", 0);
    h.run();
    let automations = b.automations.clone().expect("automations");
    assert_eq!(
        automations.is_on("Order placed: shipping quote, coupon, email"),
        Some(false)
    );
}

#[test]
fn try_your_provider_sends_each_implemented_method_and_judges_the_answers() {
    let mut b = bench();
    // A provider that answers every call with the same wrong body.
    let (base, received) = recording_provider(&b.rt, 200, json!({"isValid": true}));
    b.target = Some(base.clone());
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Triggers");
    // class-booked implements all three; the other five none.
    assert_eq!(
        h.query_all_by_label_contains("no provider method").count(),
        5
    );
    // It shows a spinner while the calls go: stepped, not run to rest.
    h.get_by_label("Try your provider").click();
    h.step();
    step_until(&mut h, "the three answers judged", WAIT, |h| {
        h.query_all_by_label_contains("breaks the contract").count()
            + h.query_all_by_label_contains("meets the contract").count()
            == 3
    });
    h.get_by_label_contains("/validate-configuration · HTTP 200 · breaks the contract");
    h.get_by_label_contains("/dynamic-schema · HTTP 200 · breaks the contract");
    h.get_by_label_contains("/refresh-payload · HTTP 200 · meets the contract");
    h.get_by_label_contains("valid: valid is missing");
    let got = received.lock().expect("lock").clone();
    let paths: Vec<String> = got.iter().map(|r| r.0.clone()).collect();
    assert_eq!(
        paths,
        vec![
            "/wix/actions/validate-configuration",
            "/wix/actions/dynamic-schema",
            "/wix/actions/refresh-payload"
        ]
    );
    for r in &got {
        let sent: Value = serde_json::from_slice(&r.2).expect("plain JSON");
        assert_eq!(
            sent.pointer("/metadata/appExtensionType"),
            Some(&json!("AUTOMATIONS_TRIGGER_PROVIDER"))
        );
        assert_eq!(
            sent.pointer("/request/triggerKey"),
            Some(&json!("class-booked"))
        );
    }
    // A trigger's key is not an action key the window offers to answer.
    assert!(
        !h.state().action_keys().contains("class-booked"),
        "{:?}",
        h.state().action_keys()
    );
    // Each call is in the log, named as the trigger provider's method.
    assert!(
        h.state()
            .log()
            .iter()
            .any(|e| e.method == Some(actionbench::domain::wire::Method::TriggerRefreshPayload)),
        "logged"
    );
}

#[test]
fn try_your_provider_goes_to_its_own_url_without_your_action() {
    let b = bench();
    let (base, received) = recording_provider(
        &b.rt,
        200,
        json!({"valid": true, "configurationErrors": [], "dynamicSchema": {"type": "object", "properties": {}},
               "payload": {"contactId": "c0a8012e-5f1d-4c2b-9e3a-7d6c5b4a3f21", "email": "a@b.co", "className": "Yoga"}}),
    );
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Triggers");
    h.get_by_label("Your trigger provider").click();
    h.run();
    h.get_by_label("Your trigger provider").type_text(&base);
    h.run();
    // It shows a spinner while the calls go: stepped, not run to rest.
    h.get_by_label("Try your provider").click();
    h.step();
    step_until(&mut h, "the three answers judged", WAIT, |h| {
        h.query_all_by_label_contains("meets the contract").count() == 3
    });
    assert_eq!(received.lock().expect("lock").len(), 3);
}

#[test]
fn an_app_id_typed_signs_what_goes_to_your_action_and_plain_stays_a_choice() {
    let mut b = bench();
    b.target = Some("http://127.0.0.1:9/actions".into());
    let mut h = window(&b).build();
    h.run();
    let shared = |b: &Bench| {
        b.started
            .target
            .read()
            .expect("not poisoned")
            .clone()
            .expect("the window set its target")
    };
    h.run();
    assert!(!shared(&b).jwt, "no app ID yet: plain JSON");
    let role = egui::accesskit::Role::TextInput;
    h.get_by_role_and_label(role, "App ID").click();
    h.run();
    h.get_by_role_and_label(role, "App ID")
        .type_text("7d3e1f0a-2b4c-4d5e-8f6a-9b0c1d2e3f4a");
    h.run();
    let t = shared(&b);
    assert!(
        t.jwt,
        "an app ID switches to signed requests, as an action on Wix's SDK needs"
    );
    assert_eq!(t.app.app_id, "7d3e1f0a-2b4c-4d5e-8f6a-9b0c1d2e3f4a");
    click(&mut h, "Plain JSON");
    h.run();
    assert!(!shared(&b).jwt, "Plain JSON is still the user's to choose");
}

#[test]
fn old_finished_runs_keep_their_steps_and_let_their_story_go() {
    let b = bench();
    let mut h = window(&b).build();
    h.state_mut().keep_run_stories(2);
    h.run();
    click(&mut h, "Flows");
    // The shop order flow, four times: it finishes at once (the workbench answers).
    for n in 1..=4 {
        click_nth(&mut h, "Run", 2);
        step_until(&mut h, "the run finished", WAIT, |h| {
            h.state().runs().len() == n && h.state().runs().iter().all(|r| r.handle.is_done())
        });
        h.run();
    }
    let runs = h.state().runs();
    assert!(
        !runs[0].has_story() && !runs[1].has_story(),
        "the two oldest let go"
    );
    assert!(
        runs[2].has_story() && runs[3].has_story(),
        "the newest two keep theirs"
    );
    // What an old run keeps: how it ended, and each step's end and call.
    assert_eq!(runs[0].finished(), Some(true));
    assert_eq!(runs[0].events.len(), 1);
    let steps = runs[0].handle.snapshot().steps;
    assert!(steps.iter().all(|s| s.exchange.is_some()), "{steps:?}");
    assert_eq!(runs[3].finished(), Some(true));
    assert!(runs[3].events.len() > 3);
}

/// The layout stays put at 1024×640: running a flow (a long run title, its steps) does not
/// widen the left panel, the log keeps half the window and its toolbar one row, the new run
/// is scrolled into view, and the tab row stays where it is while the list under it scrolls.
#[test]
fn at_1024_a_run_does_not_move_the_layout_and_the_tab_row_stays_pinned() {
    let b = bench();
    let mut h = window(&b).size(egui::vec2(1024.0, 640.0)).build();
    h.run();
    let before = h.state().panel_widths();
    assert!(
        before[1] >= 512.0,
        "the log keeps half the window: {before:?}"
    );
    // The toolbar is one row: Find and Export side by side.
    let find = h.get_by_label("Find").rect();
    let export = h.get_by_label("Export").rect();
    assert!(
        (find.center().y - export.center().y).abs() < 4.0,
        "one row: Find at {find:?}, Export at {export:?}"
    );
    click(&mut h, "Flows");
    let tabs_at = h.get_by_label("Flows").rect();
    click_nth(&mut h, "Run", 2);
    step_until(&mut h, "the run finished", WAIT, |h| {
        h.state().runs().first().is_some_and(|r| r.handle.is_done())
    });
    h.run();
    // The status line no longer says it is running: it says how it ended.
    assert!(
        h.query_by_label_contains("Running \"").is_none(),
        "the status line still says the run is running"
    );
    assert!(
        h.query_by_label_contains("\" ended as expected").is_some()
            || h.query_by_label_contains("\" did not end as expected")
                .is_some(),
        "the status line says how the run ended"
    );
    let after = h.state().panel_widths();
    assert_eq!(before[0], after[0], "the left panel keeps its width");
    assert!(after[1] >= 512.0, "{after:?}");
    // The new run's title is in view in the list.
    let title = h
        .query_all_by_label_contains("#1 Order placed")
        .next()
        .expect("the run's title")
        .rect();
    let list_bottom = h.get_by_label("Action keys").rect().top();
    assert!(
        title.top() >= tabs_at.bottom() && title.bottom() <= list_bottom,
        "the run is scrolled into view: {title:?}, the list ends at {list_bottom}"
    );
    assert_eq!(
        h.get_by_label("Flows").rect(),
        tabs_at,
        "the tab row stays pinned"
    );
    // A filter on: Clear joins the row, what it found goes on a line of its own.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run();
    h.get_by_label("Find").type_text("order");
    h.run();
    h.run();
    let find = h.get_by_label("Find").rect();
    let export = h.get_by_label("Export").rect();
    let clear = h.get_by_label("Clear").rect();
    assert!(
        (find.center().y - export.center().y).abs() < 4.0
            && (find.center().y - clear.center().y).abs() < 4.0,
        "one row with a filter on: Find {find:?}, Clear {clear:?}, Export {export:?}"
    );
    h.get_by_label_contains("shown");
}
