//! The top bar: time warp and simulated time.

use super::*;

#[test]
fn time_warp_is_switched_from_the_top_bar() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "×3600");
    assert_eq!(b.engine.warp().factor(), 3600);
    h.get_by_label_contains("Simulated");
}

#[test]
fn simulated_time_ahead_of_real_time_is_said_until_back_to_now() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    assert!(h.query_by_label("Back to now").is_none());
    b.engine.set_warp(3600);
    b.clock.advance(Duration::seconds(10));
    b.engine.set_warp(1);
    h.run();
    // At ×1, ten hours ahead: still said.
    h.get_by_label_contains("Simulated");
    click(&mut h, "Back to now");
    assert_eq!(
        b.engine.now(),
        b.engine.real_now(),
        "simulated time is real time again"
    );
    assert!(h.query_by_label("Back to now").is_none());
}

/// The clock runs with no input: the window asks for its next frame within a second (and no
/// sooner than needed), and the frame drawn then shows the next second.
#[test]
fn the_clock_advances_with_no_input() {
    let b = bench_on(
        Arc::new(actionbench::domain::clock::SystemClock),
        Arc::new(ManualClock::new(t0())),
        |_| {},
    );
    let mut h = window(&b).build();
    h.run();
    let clock = |h: &Harness<'static, App>| {
        text_of(&h.get_by_label_contains(" UTC")).expect("the clock has text")
    };
    let first = clock(&h);
    let mut seen = vec![first.clone()];
    // As an event loop would: sleep until the frame the window asked for, then draw it, with
    // no input in between. Three ticks, each within a second of the last.
    for _ in 0..3 {
        let delay = h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
        assert!(
            delay > std::time::Duration::ZERO && delay <= std::time::Duration::from_millis(1020),
            "the next frame is asked for within a second, not at once: {delay:?}"
        );
        std::thread::sleep(delay);
        h.step();
        seen.push(clock(&h));
    }
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "each tick shows a new second: {seen:?}"
    );
}

/// An agent connected to the inbox's `/mcp` is shown in the top bar, and a held call it answers
/// is marked as the agent's in the detail; when it leaves, the top bar says so no more.
#[test]
fn an_agent_on_mcp_is_shown_and_its_answer_is_marked_as_its() {
    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    assert!(h.query_by_label_contains("Agent connected").is_none());
    let url = format!("{}/mcp", b.url);
    let client =
        b.rt.block_on(async {
            let transport = StreamableHttpClientTransport::from_uri(url);
            tokio::time::timeout(std::time::Duration::from_secs(30), ().serve(transport)).await
        })
        .expect("connects in time")
        .expect("connects");
    let caller = post_sample(&b, "01-");
    wait_held(&b, 1);
    step_until(
        &mut h,
        "the agent shown",
        std::time::Duration::from_secs(10),
        shows("Agent connected"),
    );
    let args = json!({ "id": 1, "result": { "messageId": "msg-agent" } });
    let Value::Object(args) = args else {
        panic!("an object")
    };
    let answered = b
        .rt
        .block_on(client.call_tool(CallToolRequestParams::new("answer_call").with_arguments(args)))
        .expect("answer_call");
    assert_eq!(
        answered
            .structured_content
            .as_ref()
            .map(|v| v["taken"].clone()),
        Some(json!(true)),
        "{answered:?}"
    );
    let (status, body) = b.rt.block_on(caller).expect("answered");
    assert_eq!(
        (status, body["result"]["messageId"].clone()),
        (200, json!("msg-agent"))
    );
    step_until(
        &mut h,
        "the answer marked as the agent's",
        std::time::Duration::from_secs(10),
        shows("Response: HTTP 200 (answered by the agent)"),
    );
    let _ = b.rt.block_on(client.cancel());
    step_until(
        &mut h,
        "the agent gone from the top bar",
        std::time::Duration::from_secs(10),
        |h| h.query_by_label_contains("Agent connected").is_none(),
    );
}

/// At 1280 px the bar is one row even with simulated time ahead (its Back to now, the clock
/// labelled), with room left for a session's name (here "no journal"; a new session's is about
/// nine characters longer): a bar that wrapped when time was warped moved everything under it.
#[test]
fn at_1280_the_bar_is_one_row_with_simulated_time_ahead() {
    let b = bench();
    let mut h = window(&b).size(egui::vec2(1280.0, 800.0)).build();
    h.run();
    b.engine.set_warp(3600);
    b.clock.advance(Duration::seconds(4));
    h.run();
    h.run();
    h.get_by_label("Back to now");
    let title = h.get_by_label("ActionBench").rect();
    let key = h.get_by_label("Public key").rect();
    assert!(
        (title.center().y - key.center().y).abs() < 4.0,
        "one row: the title at {title:?}, Public key at {key:?}"
    );
    assert!(
        key.right() <= 1280.0 - 70.0,
        "room for a session's name: Public key ends at {}",
        key.right()
    );
    // A day and more ahead: the clock says the date too, and the bar is still one row.
    b.clock.advance(Duration::seconds(30));
    h.run();
    h.run();
    let clock = text_of(&h.get_by_label_contains("Simulated")).expect("the clock's text");
    assert!(clock.contains('-'), "the date is said: {clock}");
    let key = h.get_by_label("Public key").rect();
    assert!(
        (title.center().y - key.center().y).abs() < 4.0 && key.right() <= 1280.0 - 70.0,
        "one row with the date ({clock}): Public key at {key:?}"
    );
}
