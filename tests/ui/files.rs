//! Files without a dead end: where no dialog can open, every button that needs a file offers a
//! path field, prefilled where the dialog would start; with a dialog, a saved sample starts in
//! the samples folder, and the status names the file written.

use super::*;

/// The path field's text, replaced by `text` (everything selected, then typed over).
fn type_path(h: &mut Harness<'static, App>, text: &str) {
    let field = h.get_by_label("Path");
    field.focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Path").type_text(text);
    h.run();
}

fn path_shown(h: &Harness<'static, App>) -> String {
    h.get_by_label("Path").value().expect("the field has text")
}

const NO_DIALOG: &str =
    "no file dialog can open here: there is neither a desktop portal (no D-Bus session) nor zenity";

#[test]
fn without_a_dialog_every_file_button_offers_a_path_field_that_starts_in_its_folder() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = Mode::Auto;
    b.engine.set_policy("send-email", p);
    let call = invoke_request("send-email", "tok-files").to_string();
    assert_eq!(post_raw(&b, "/v1/invoke", &call), 200);
    let dir = TempDir::new("ui-files");
    let samples = dir.path().join("samples");
    std::fs::create_dir_all(&samples).expect("dir");
    let folders = Folders {
        samples: samples.clone(),
        ..window(&b).folders
    };
    let mut h = window(&b)
        .picker(FixedPicker::NoService(NO_DIALOG))
        .folders(folders.clone())
        .build();
    step_until(&mut h, "the call", WAIT, |h| h.state().log().len() == 1);

    // Open sample…: the field starts in the samples folder, and the message says what to do.
    click(&mut h, "Open sample…");
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Path").is_some()
    });
    h.get_by_label_contains("Type the path of the file to open instead");
    h.get_by_label_contains("Type the file's path in the field that opened instead");
    assert_eq!(
        path_shown(&h),
        format!("{}{}", samples.display(), std::path::MAIN_SEPARATOR)
    );
    type_path(&mut h, &format!("{}/nothing.json", samples.display()));
    click(&mut h, "Open");
    h.get_by_label_contains("There is no file at");
    let fixture = root().join("tests/fixtures/opened-sample.json");
    type_path(&mut h, &fixture.display().to_string());
    h.key_press(egui::Key::Enter);
    h.run();
    step_until(&mut h, "the opened sample", WAIT, shows("Opened \""));
    assert!(h.query_by_label("Path").is_none(), "the field closes");

    // Save as sample…: in the samples folder, named after the call; the file is listed as
    // a sample would be after a restart (the samples folder is read the same way).
    click(&mut h, "#1");
    click(&mut h, "Save as sample…");
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Path").is_some()
    });
    let expected = samples.join("send-email-1.json");
    assert_eq!(path_shown(&h), expected.display().to_string());
    click(&mut h, "Save");
    let said = format!(
        "Saved \"invoke send-email (saved from #1)\" to {} (in the samples folder, listed after a restart too)",
        expected.display()
    );
    step_until(&mut h, "the saved sample", WAIT, shows(&said));
    let (reloaded, errors) = actionbench::domain::sample::LoadedSample::load_dir(&samples);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        reloaded
            .iter()
            .any(|s| s.sample.name == "invoke send-email (saved from #1)"),
        "a restart lists it"
    );
    // The same name again asks before writing over it.
    click(&mut h, "Save as sample…");
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Save").is_some()
    });
    click(&mut h, "Save");
    h.get_by_label_contains("exists: press Replace to write over it");
    click(&mut h, "Replace");
    step_until(&mut h, "the sample saved again", WAIT, |h| {
        h.query_by_label("Path").is_none()
    });

    // Export, HAR…: a file named by the time in the current folder, to type over.
    click(&mut h, "Export");
    click(&mut h, "HAR…");
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Path").is_some()
    });
    let start = path_shown(&h);
    assert!(
        start.starts_with(&std::env::current_dir().expect("cwd").display().to_string())
            && start.ends_with(".har"),
        "{start}"
    );
    let har = dir.path().join("out/export.har");
    type_path(&mut h, &har.display().to_string());
    click(&mut h, "Save");
    step_until(&mut h, "the export", WAIT, shows("Exported 1 exchange to"));
    assert!(har.exists(), "its folder is made too");

    // Open flow…: the flows folder; Cancel closes the field and says so.
    click(&mut h, "Flows");
    click(&mut h, "Open flow…");
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Path").is_some()
    });
    assert!(path_shown(&h).starts_with(&folders.flows.display().to_string()));
    click(&mut h, "Cancel");
    h.get_by_label("Open flow: cancelled");

    // Compare with published…: the definition's own folder; a path to a file compares.
    click(&mut h, "Actions");
    h.get_all_by_label("Compare with published…")
        .next()
        .expect("a definition")
        .click();
    h.run();
    step_until(&mut h, "the path field", WAIT, |h| {
        h.query_by_label("Path").is_some()
    });
    assert!(path_shown(&h).starts_with(&folders.actions.display().to_string()));
    let first = actionbench::domain::definition::Definitions::load_dir(&folders.actions)
        .loaded
        .into_iter()
        .next()
        .expect("a shipped definition")
        .0;
    type_path(&mut h, &first.display().to_string());
    click(&mut h, "Open");
    step_until(
        &mut h,
        "the comparison",
        WAIT,
        shows("No breaking change against the published definition"),
    );
}

/// With a dialog, Save as sample… starts it in the samples folder with the call's name.
#[test]
fn save_as_sample_starts_the_dialog_in_the_samples_folder() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = Mode::Auto;
    b.engine.set_policy("send-email", p);
    let call = invoke_request("send-email", "tok-dialog").to_string();
    assert_eq!(post_raw(&b, "/v1/invoke", &call), 200);
    let dir = TempDir::new("ui-dialog");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let noted = Arc::new(std::sync::Mutex::new(vec![]));
    let folders = Folders {
        samples: dir.path().to_path_buf(),
        ..window(&b).folders
    };
    let chosen = dir.path().join("chosen.json");
    let mut h = window(&b)
        .picker(FixedPicker::Noted(chosen.clone(), noted.clone()))
        .folders(folders)
        .build();
    step_until(&mut h, "the call", WAIT, |h| h.state().log().len() == 1);
    click(&mut h, "#1");
    click(&mut h, "Save as sample…");
    step_until(&mut h, "the saved sample", WAIT, shows("Saved \""));
    assert_eq!(
        noted.lock().expect("lock").as_slice(),
        &[(dir.path().to_path_buf(), "send-email-1.json".to_string())]
    );
    assert!(chosen.exists());
}

/// Share as HTML… on the log writes the rows shown as one page, and on a flow run (and with S
/// in presenter mode) the run; both read back as sessions do.
#[test]
fn the_log_and_a_run_are_shared_as_one_html_file_each() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = Mode::Auto;
    b.engine.set_policy("send-email", p);
    for t in ["tok-share-1", "tok-share-2"] {
        let call = invoke_request("send-email", t).to_string();
        assert_eq!(post_raw(&b, "/v1/invoke", &call), 200);
    }
    let dir = TempDir::new("ui-share");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let log_page = dir.path().join("log.html");
    let mut h = window(&b)
        .picker(FixedPicker::File(log_page.clone()))
        .build();
    step_until(&mut h, "two rows", WAIT, |h| h.state().log().len() == 2);
    click(&mut h, "Export");
    click(&mut h, "HTML page, secrets left out…");
    let said = format!("Shared 2 calls as {}", log_page.display());
    step_until(&mut h, &said, WAIT, shows(&said));
    let read = actionbench::journal::read(&log_page).expect("the page reads back");
    assert_eq!(read.exchanges.len(), 2);
    assert!(
        std::fs::read_to_string(&log_page)
            .expect("page")
            .contains("No JWT signature, access header or instanceId was in these calls")
    );
    // The window asks whether secrets go with the page, as export --no-redact does.
    click(&mut h, "Export");
    click(&mut h, "HTML page with secrets…");
    step_until(&mut h, "the page with its secrets", WAIT, |_| {
        std::fs::read_to_string(&log_page).is_ok_and(|p| p.contains("Shared with its secrets"))
    });

    // A run: presented, then shared with S.
    let run_page = dir.path().join("run.html");
    let mut h = window(&b)
        .picker(FixedPicker::File(run_page.clone()))
        .build();
    h.run();
    click(&mut h, "Flows");
    click_nth(&mut h, "Present", 2);
    step_until(&mut h, "the flow to start", WAIT, |h| {
        h.state()
            .runs()
            .first()
            .is_some_and(|r| !r.events.is_empty())
    });
    h.key_press(egui::Key::Space);
    step_until(&mut h, "step 1 to be answered", WAIT, |h| {
        shown_caption(h.state()).starts_with("DHL can ship it")
    });
    h.key_press(egui::Key::S);
    step_until(&mut h, "the run's page", WAIT, |_| run_page.exists());
    let html = std::fs::read_to_string(&run_page).expect("page");
    assert!(
        html.contains("DHL can ship it for 12.50 EUR"),
        "the story so far"
    );
    assert!(html.contains("Order placed"), "the flow's name");
    // Presenter mode has no status bar: the stage says where the page went.
    assert!(h.state().presenter().is_some(), "still presenting");
    step_until(&mut h, "the stage saying the page was shared", WAIT, |h| {
        h.query_all_by_label_contains("Shared")
            .any(|n| text_of(&n).is_some_and(|t| t.contains("run.html")))
    });
}

/// A definition, a sample and a flow edited on disk while the window runs: the tabs show the
/// change within seconds, a file broken halfway through an edit keeps its last good version
/// with its error in place, and a removed file leaves the list.
#[test]
fn files_edited_on_disk_are_read_again_and_a_broken_one_keeps_its_last_good_version() {
    let dir = TempDir::new("ui-reload");
    let folder = |name: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(&p).expect("folder");
        p
    };
    let (samples, actions, flows, triggers) = (
        folder("samples"),
        folder("actions"),
        folder("flows"),
        folder("triggers"),
    );
    let definition = root().join("samples/actions/tag-contact.json");
    std::fs::copy(&definition, actions.join("tag-contact.json")).expect("copied");
    let arg = |p: &std::path::Path| p.display().to_string();
    let clock = Arc::new(ManualClock::new(t0()));
    let b = bench_args(
        clock.clone(),
        clock,
        |_| {},
        &[
            "--samples",
            &arg(&samples),
            "--actions",
            &arg(&actions),
            "--flows",
            &arg(&flows),
            "--triggers",
            &arg(&triggers),
        ],
    );
    let mut h = window(&b)
        .folders(Folders {
            samples: samples.clone(),
            flows: flows.clone(),
            actions: actions.clone(),
            sessions: None,
        })
        .build();
    h.run();
    click(&mut h, "Actions");
    h.get_by_label("Meets every rule");

    // A title that is not text: the lint error shows, as `actionbench lint` says it.
    let mut def: Value =
        serde_json::from_str(&std::fs::read_to_string(&definition).expect("read")).expect("JSON");
    def["inputSchema"]["properties"]["label"]["title"] = json!(5);
    std::fs::write(actions.join("tag-contact.json"), def.to_string()).expect("written");
    step_until(&mut h, "the edited definition's lint", WAIT, |h| {
        h.query_all_by_label("Meets every rule").next().is_none()
    });
    h.get_by_label_contains("error");

    // Broken halfway through an edit: the tab keeps the definition and says why.
    std::fs::write(actions.join("tag-contact.json"), "{ \"actionKey\": ").expect("written");
    step_until(
        &mut h,
        "the broken definition's error",
        WAIT,
        shows("last good version is still in use"),
    );
    h.get_by_label("Tag a contact");

    // A sample and a flow added: each listed in its tab.
    let sample: Value = serde_json::from_slice(&fixture("opened-sample.json")).expect("JSON");
    std::fs::write(samples.join("new.json"), sample.to_string()).expect("written");
    let name = sample["name"].as_str().expect("a name").to_string();
    click(&mut h, "Samples");
    step_until(&mut h, "the new sample", WAIT, shows(&name));
    std::fs::copy(
        root().join("samples/flows/03-shop-order.json"),
        flows.join("shop.json"),
    )
    .expect("copied");
    click(&mut h, "Flows");
    step_until(&mut h, "the new flow", WAIT, shows("Run"));
    std::fs::remove_file(flows.join("shop.json")).expect("removed");
    step_until(&mut h, "the removed flow gone", WAIT, |h| {
        h.query_all_by_label("Run").next().is_none()
    });
}
