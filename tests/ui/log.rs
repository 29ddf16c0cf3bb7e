//! The log: flags, the filter and Ctrl+F, exports, exchanges on disk, the layout at 1024.

use super::*;

#[test]
fn bad_calls_show_flagged_in_the_list() {
    let b = bench();
    let mut h = window(&b).build();
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
    h.get_by_label("400 rejected · FLAGGED");
    click(&mut h, "#1");
    h.get_by_label("actionKey must be a string, got a number");
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
    let mut h = window(&b).build();
    step_until(&mut h, "five rows", WAIT, |h| {
        let app = h.state();
        app.log().len() == 5
    });
    // Ctrl+F puts the cursor in the filter.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run();
    h.run();
    let filter = h.get_by_label("Find");
    assert!(filter.is_focused(), "Ctrl+F focuses the filter");
    filter.type_text("tok-b");
    h.run();
    h.run();
    h.get_by_label("1 of 5 shown");
    assert!(h.query_by_label("#2").is_some() && h.query_by_label("#1").is_none());
    // Flagged only: the two bad calls.
    click(&mut h, "Clear");
    click(&mut h, "flagged");
    h.run();
    h.get_by_label("2 of 5 shown");
    assert!(h.query_by_label("#4").is_some() && h.query_by_label("#5").is_some());
    assert!(h.query_by_label("#1").is_none());
    click(&mut h, "Clear");
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
    let mut h = window(&b)
        .picker(FixedPicker::File(saved.clone()))
        .size(egui::vec2(1280.0, 800.0))
        .build();
    step_until(&mut h, "the call", WAIT, |h| {
        let app = h.state();
        app.log().len() == 1
    });
    click(&mut h, "#1");
    click(&mut h, "Copy as curl");
    h.get_by_label("Copied #1 as a curl command");
    h.get_by_label("Save as sample…").click();
    // The status names the file written.
    let said = format!(
        "Saved \"invoke send-email (saved from #1)\" to {}",
        saved.display()
    );
    step_until(&mut h, &said, WAIT, shows(&said));
    h.run();
    assert!(saved.exists());
    // In the list at once, ready to send.
    h.get_by_label("invoke send-email (saved from #1)");
    // The same picker path again for the HAR export: it overwrites the file with a HAR.
    click(&mut h, "Export");
    h.get_by_label("HAR…").click();
    step_until(
        &mut h,
        "Exported 1 exchange to",
        WAIT,
        shows("Exported 1 exchange to"),
    );
    let har = har::from_path(&saved).expect("a HAR file");
    assert!(matches!(har.log, har::Spec::V1_2(_)));
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
    let mut h = window(&b).build();
    step_until(&mut h, "every row", WAIT, |h| {
        let app = h.state();
        app.log().len() == calls
    });
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
    let found = format!("1 of {calls} shown");
    step_until(
        &mut h,
        "the filter to find the one row whose body holds the text",
        std::time::Duration::from_secs(20),
        |h| h.query_by_label(&found).is_some(),
    );
    click(&mut h, "#17");
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
    let mut h = window(&b)
        .picker(FixedPicker::NoService("none"))
        .size(egui::vec2(1024.0, 640.0))
        .build();
    step_until(&mut h, "the call in the list", WAIT, |h| {
        let app = h.state();
        app.log().len() == 1
    });
    click(&mut h, "#1");
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

/// A row is one target: a click on its text (status, method, action key) selects it, as a
/// click on its `#` cell does, and ↑/↓, Home and End move the selection, keeping it in view.
#[test]
fn a_click_on_a_rows_text_selects_it_and_arrows_move_the_selection() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    let call = invoke_request("send-email", "tok-row").to_string();
    assert_eq!(post_raw(&b, "/v1/invoke", &call), 200);
    assert_eq!(post_raw(&b, "/v1/invoke", "{oops"), 400);
    assert_eq!(post_raw(&b, "/v1/nowhere", "{}"), 404);
    let mut h = window(&b).build();
    step_until(&mut h, "three rows", WAIT, |h| h.state().log().len() == 3);
    // The status text of row #3, then the method text of row #1.
    click(&mut h, "404 rejected · FLAGGED");
    assert_eq!(h.state().selected(), Some(3), "a click on the status text");
    let by_text = detail_text(&h);
    assert!(by_text.iter().any(|t| t.starts_with("#3 ")), "{by_text:?}");
    click(&mut h, "#3");
    assert_eq!(detail_text(&h), by_text, "the same pane as a click on #");
    click(&mut h, "200 answered");
    assert_eq!(
        h.state().selected(),
        Some(1),
        "a click on another row's text"
    );
    h.get_all_by_label("invoke")
        .find(|n| n.rect().min.y > 100.0 && n.rect().min.x > 400.0 && n.rect().min.x < 800.0)
        .expect("row #2's method")
        .click();
    h.run();
    // Rows #1 and #2 are both invoke; the click landed on one of them, not #3.
    assert!(matches!(h.state().selected(), Some(1 | 2)));
    click(&mut h, "#1");
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert_eq!(h.state().selected(), Some(2), "↓ moves to the next row");
    h.key_press(egui::Key::End);
    h.run();
    assert_eq!(h.state().selected(), Some(3), "End: the last row");
    h.key_press(egui::Key::ArrowUp);
    h.key_press(egui::Key::ArrowUp);
    h.run();
    assert_eq!(h.state().selected(), Some(1), "↑ twice: the first row");
}

/// What the detail pane shows (every text in it), to compare two ways of selecting a row.
fn detail_text(h: &Harness<'static, App>) -> Vec<String> {
    h.root()
        .children_recursive()
        .filter(|n| {
            n.accesskit_node()
                .bounding_box()
                .is_some_and(|r| r.x0 > 880.0)
        })
        .filter_map(|n| text_of(&n))
        .collect()
}

/// With more rows than fit, ↑/↓, Home and End keep the selected row in view.
#[test]
fn arrows_keep_the_selected_row_in_view() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    for i in 0..120 {
        let call = invoke_request("send-email", &format!("tok-view-{i}")).to_string();
        assert_eq!(post_raw(&b, "/v1/invoke", &call), 200);
    }
    let mut h = window(&b).size(egui::vec2(1024.0, 640.0)).build();
    step_until(&mut h, "120 rows", WAIT, |h| h.state().log().len() == 120);
    // The log follows the newest rows: #120 is in view, #1 is not laid out at all.
    assert!(h.query_by_label("#120").is_some() && h.query_by_label("#1").is_none());
    click(&mut h, "#120");
    h.key_press(egui::Key::Home);
    h.run();
    h.run();
    assert_eq!(h.state().selected(), Some(1));
    assert!(
        h.query_by_label("#1").is_some(),
        "Home scrolls #1 into view"
    );
    assert!(h.query_by_label("#120").is_none());
    for _ in 0..40 {
        h.key_press(egui::Key::ArrowDown);
    }
    h.run();
    h.run();
    assert_eq!(h.state().selected(), Some(41));
    assert!(h.query_by_label("#41").is_some(), "↓ keeps #41 in view");
    h.key_press(egui::Key::End);
    h.run();
    h.run();
    assert_eq!(h.state().selected(), Some(120));
    assert!(
        h.query_by_label("#120").is_some(),
        "End scrolls to the last row"
    );
    // Typing in the filter is not moving in the log.
    h.get_by_label("Find").click();
    h.run();
    h.key_press(egui::Key::ArrowUp);
    h.run();
    assert_eq!(
        h.state().selected(),
        Some(120),
        "↑ in a text field stays there"
    );
}

/// The empty log shows the three ways in: a shipped sample sent with one click, a curl line
/// for this inbox that works as copied, and the manual's page on the inbox and tunnels.
#[test]
fn the_empty_log_shows_the_three_ways_in_and_each_works() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    h.get_by_label_contains("Three ways in");
    // 2: the line, run as a shell runs it, reaches this inbox and is held.
    let line = actionbench::ui::panels::log::first::curl_line(&b.url);
    h.get_by_label(&line);
    if have_tool("curl", "the first screen's curl line") {
        let mut child = std::process::Command::new("sh")
            .args(["-c", &line])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("sh runs");
        wait_held(&b, 1);
        step_until(&mut h, "the curl call in the log", WAIT, |h| {
            h.state().log().len() == 1
        });
        let _ = child.kill();
        let _ = child.wait();
    }
    // 3: the manual's page, inside the window.
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Read: the inbox, and Wix through a tunnel");
    h.get_by_label("Real Wix through a tunnel");
    // 1: one click sends a shipped sample.
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    let send = h
        .query_all_by_label_contains("Send \"")
        .next()
        .and_then(|n| text_of(&n))
        .expect("a Send button");
    click(&mut h, &send);
    wait_held(&b, 1);
    step_until(&mut h, "the sample in the log", WAIT, |h| {
        h.state().log().len() == 1
    });
    assert!(
        h.query_by_label_contains("Three ways in").is_none(),
        "the log shows it now"
    );
}

/// A narrow log (a wide left panel, a small window) moves a toolbar button to the next row
/// whole: wrapping its text stood "Export" up as a column of letters.
#[test]
fn a_narrow_log_keeps_each_toolbar_button_on_one_line() {
    let b = bench();
    let mut h = window(&b).size(egui::vec2(700.0, 600.0)).build();
    h.run();
    // A row, so that Export is enabled (a disabled one was drawn in a scope of its own).
    let _ = post_raw(&b, "/v1/invoke", "{oops");
    h.run();
    h.run();
    let export = h.get_by_label("Export").rect();
    let more = h.get_by_label("More filters").rect();
    let [left, log, _] = h.state().panel_widths();
    let log_right = left + log + 8.0;
    for (name, r) in [("Export", export), ("More filters", more)] {
        assert!(
            r.width() > r.height() && r.height() < 32.0,
            "{name} is one line of text: {r:?}"
        );
        assert!(
            r.right() <= log_right,
            "{name} is whole inside the log (ends at {log_right}): {r:?}"
        );
    }
}
