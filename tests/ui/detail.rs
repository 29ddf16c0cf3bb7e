//! The detail pane: a call's details, the composer, completion reports, deadlines.

use super::*;

#[test]
fn a_call_arrives_and_shows_in_the_list_with_its_details() {
    let b = bench();
    let mut h = window(&b).build();
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
    let mut h = window(&b).build();
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    h.run();
    // The composer starts from the output schema: messageId is required and empty is allowed.
    h.get_by_label("Result (JSON)")
        .set_text_value_accesskit(r#"{"messageId": "msg-42"}"#);
    h.run();
    h.get_by_label("Meets the contract");
    click(&mut h, "Send answer");
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
    let mut h = window(&b).build();
    let caller = post_sample(&b, "06-");
    wait_held(&b, 1);
    h.run();
    // The shipping sample's typical answer breaks its output schema.
    assert!(
        h.query_all_by_label_contains("Error: result.amount:")
            .count()
            == 1
    );
    click(&mut h, "Send anyway (breaks the contract)");
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
            .any(|t| t.text().contains("sent on purpose"))
    );
}

#[test]
fn a_new_arrival_does_not_take_the_focus_from_the_answer_being_written() {
    let b = bench();
    let mut h = window(&b).build();
    let _first = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    click(&mut h, "TIMEOUT_DATE");
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
    let mut h = window(&b).build();
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    // The approval sample's example answer waits a day.
    click(&mut h, "Send answer");
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
    click(&mut h, "Copy URL");
    h.get_by_label_contains("Copied http://127.0.0.1:");
    click(&mut h, "Report success");
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
    let mut h = window(&b).build();
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    click(&mut h, "TIMEOUT_LENGTH");
    h.get_by_label("Timeout in minutes")
        .set_value_accesskit(90.0);
    h.run();
    click(&mut h, "Send answer");
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
fn without_an_app_id_the_window_says_the_audience_is_not_checked() {
    let b = bench_with(|c| {
        c.jwt = actionbench::domain::envelope::JwtConfig::from_pem(
            &fixture("test-wix-public.pem"),
            None,
        )
        .expect("key");
    });
    let mut h = window(&b).build();
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

/// While an answer is being written, Keep holding holds the call a minute more (saying until
/// when); if the hold still runs out, the saved answer goes and the draft stays in the pane,
/// marked as not sent, with its findings, to copy or dismiss.
#[test]
fn keep_holding_holds_longer_and_a_draft_the_fallback_beat_is_kept_unsent() {
    let b = bench();
    let mut h = window(&b).build();
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    h.run();
    h.get_by_label("Result (JSON)")
        .set_text_value_accesskit(r#"{"messageId": "draft-7"}"#);
    h.run();
    h.get_by_label_contains("then the saved answer goes");
    click(&mut h, "Keep holding");
    h.get_by_label_contains("#1 is held until");
    // Past the usual 25 s: still held.
    b.clock.advance(Duration::seconds(40));
    b.engine.tick();
    h.run();
    assert!(
        b.engine.exchange(1).expect("ex").phase.is_held(),
        "held longer"
    );
    // Past the minute: the saved answer goes, the draft stays.
    b.clock.advance(Duration::seconds(30));
    b.engine.tick();
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!(status, 200);
    assert_ne!(
        body["result"]["messageId"], "draft-7",
        "the saved answer went: {body}"
    );
    step_until(
        &mut h,
        "the unsent draft",
        WAIT,
        shows("Your draft was not sent"),
    );
    h.get_by_label_contains("draft-7");
    click(&mut h, "Dismiss");
    assert!(
        h.query_by_label_contains("Your draft was not sent")
            .is_none()
    );
}

/// Typing a shorter answer does not move the button under the editor.
#[test]
fn a_shorter_report_does_not_move_report_success() {
    let b = bench();
    let mut h = window(&b).build();
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    click(&mut h, "Send answer");
    let _ = b.rt.block_on(caller).expect("answered");
    step_until(&mut h, "the report form", WAIT, shows("Report success"));
    let before = h.get_by_label("Report success").rect();
    h.get_by_label("Success result (JSON)")
        .set_text_value_accesskit("{}");
    h.run();
    let after = h.get_by_label("Report success").rect();
    assert_eq!(before, after, "Report success stays where it was");
}

/// After a warp the timeline says its clock is simulated, and a time on another day than the
/// real one has its date and says `sim`: time no longer seems to run backwards.
#[test]
fn after_a_warp_the_timeline_says_which_clock_and_dates_the_simulated_day() {
    let b = bench();
    let mut h = window(&b).build();
    let caller = post_sample(&b, "02-");
    wait_held(&b, 1);
    h.run();
    h.get_by_label("Timeline (UTC)");
    click(&mut h, "Send answer");
    let _ = b.rt.block_on(caller).expect("answered");
    // A day's deadline passes in 30 real seconds at ×3600.
    b.engine.set_warp(3600);
    b.clock.advance(Duration::seconds(30));
    b.engine.tick();
    step_until(
        &mut h,
        "the simulated clock's timeline",
        WAIT,
        shows("Timeline (simulated clock, UTC)"),
    );
    let tomorrow = (t0() + Duration::days(1)).format("%b %-d").to_string();
    let dated = h
        .query_all_by_label_contains(&tomorrow)
        .filter_map(|n| text_of(&n))
        .find(|t| t.contains("no completion report before the deadline"))
        .expect("the timeout entry, dated");
    assert!(dated.contains(" sim "), "{dated}");
}
