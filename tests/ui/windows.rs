//! The windows over the log: the public key and the diff.

use super::*;

#[test]
fn the_public_key_shows_with_a_copy_button() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    let bar = h.get_by_label("Public key").rect();
    click(&mut h, "Public key");
    // It opens inside the work area, under the top bar, not over it.
    let text = h
        .get_by_label_contains("Paste this where your app's public key goes")
        .rect();
    assert!(
        text.top() > bar.bottom() + 20.0,
        "the window's text at {text:?}, the top bar's button at {bar:?}"
    );
    click(&mut h, "Copy");
    h.get_by_label("Public key copied");
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
    let mut h = window(&b).build();
    step_until(&mut h, "two rows", WAIT, |h| {
        let app = h.state();
        app.log().len() == 2
    });
    click(&mut h, "#1");
    click(&mut h, "Compare…");
    h.get_by_label_contains("Select another exchange in the log to compare with #1");
    click(&mut h, "#2");
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

/// The Sessions list: a click on a row's text selects the session (its path and its Open
/// button show), and ↑/↓ move the selection once the list was clicked.
#[test]
fn a_session_row_is_selected_by_its_text_and_arrows_move_in_the_sessions_list() {
    let b = bench();
    let dir = TempDir::new("ui-sessions");
    std::fs::create_dir_all(dir.path()).expect("dir");
    // Newest first: c, then b, then a.
    for (i, name) in ["session-a.jsonl", "session-b.jsonl", "session-c.jsonl"]
        .iter()
        .enumerate()
    {
        let path = dir.path().join(name);
        std::fs::write(&path, "").expect("written");
        let when =
            std::time::SystemTime::now() - std::time::Duration::from_secs(600 - 60 * i as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .expect("dated");
    }
    let folders = Folders {
        sessions: Some(dir.path().to_path_buf()),
        ..window(&b).folders
    };
    let mut h = window(&b).folders(folders).build();
    h.run();
    click(&mut h, "Session: no journal");
    h.get_by_label("Select a session to open it in a new window");
    click(&mut h, "session-b.jsonl");
    h.get_by_label(&dir.path().join("session-b.jsonl").display().to_string());
    assert!(
        !h.get_by_label("Open in a new window")
            .accesskit_node()
            .is_disabled()
    );
    h.key_press(egui::Key::ArrowDown);
    h.run();
    h.get_by_label(&dir.path().join("session-a.jsonl").display().to_string());
    h.key_press(egui::Key::Home);
    h.run();
    h.get_by_label(&dir.path().join("session-c.jsonl").display().to_string());
    // The log's selection did not move meanwhile.
    assert_eq!(h.state().selected(), None);
}
