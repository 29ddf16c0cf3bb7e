//! The window as a whole: its settings, its port, the banner when the session cannot be
//! written, --version.

use super::*;

#[test]
fn settings_come_back_and_damaged_ones_give_the_defaults_with_a_warning() {
    let b = bench();
    let mut h = window(&b).build();
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
    click(&mut h, "Your action");
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
    let mut h = window(&b).build();
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

/// The journal cannot be written: a banner says so, calls are refused, and it goes when
/// writing works again.
#[test]
fn a_session_that_cannot_be_written_shows_a_banner_until_it_can() {
    let b = bench_with(|c| c.default_mode = Mode::Auto);
    let dir = TempDir::new("ui-full");
    let opened =
        actionbench::journal::attach(&b.engine, &dir.path().join("s.jsonl")).expect("journal");
    let mut h = window(&b).build();
    h.run();
    assert!(h.query_by_label_contains("Recording stopped").is_none());
    opened
        .journal
        .fail_writes(Some(std::io::ErrorKind::StorageFull));
    let (status, body) = answered(&b, post_sample(&b, "01-"));
    assert_eq!(status, 503, "{body}");
    step_until(&mut h, "the refused call in the list", WAIT, |h| {
        let app = h.state();
        app.log().len() == 1
    });
    h.get_by_label_contains("Recording stopped: the session");
    h.get_by_label_contains("no space left on device");
    opened.journal.fail_writes(None);
    // The journal tries again by itself (every second) and the banner goes.
    step_until(
        &mut h,
        "the banner to go once writing works again",
        WAIT,
        |h| h.query_by_label_contains("Recording stopped").is_none(),
    );
    let (status, _) = answered(&b, post_sample(&b, "01-"));
    assert_eq!(status, 200);
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
