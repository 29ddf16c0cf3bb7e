//! The Actions tab: definitions with their lint findings, breaking changes against a published
//! file, and generated calls to your action with their failure groups saved as samples.

use super::*;

#[test]
fn the_actions_tab_lists_definitions_generates_calls_and_saves_a_failure_as_a_sample() {
    let mut b = bench();
    // An action that answers 500 to everything: every generated call fails the same way.
    let (base, received) = recording_provider(
        &b.rt,
        500,
        json!({"applicationError": {"code": "DOWN", "data": {}}}),
    );
    b.target = Some(base);
    let dir = TempDir::new("ui-actions");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let saved = dir.path().join("saved-failure.json");
    let mut h = window(&b).picker(FixedPicker::File(saved.clone())).build();
    h.run();
    click(&mut h, "Actions");
    // Every shipped definition, each with its lint summary.
    h.get_by_label("Send an email");
    assert!(h.query_all_by_label("send-email").count() >= 1);
    assert!(h.query_all_by_label("Meets every rule").count() >= 10);
    h.get_all_by_label("Generate calls…")
        .next()
        .expect("a Generate button")
        .click();
    // Steps, not runs: the calls stream into the log while they are made.
    step_until(
        &mut h,
        "the generated calls' report",
        WAIT,
        shows("Group 1:"),
    );
    h.get_by_label_contains("[non-2xx-status]");
    // Every call fails alike: what they share is that any params fail.
    h.get_by_label_contains("What they share: ");
    h.get_by_label_contains("can be anything");
    assert!(
        !received.lock().expect("lock").is_empty(),
        "the calls went out"
    );
    // The calls joined the log like other outbound calls.
    assert!(h.state().log().len() >= 5, "{}", h.state().log().len());
    h.get_by_label("Save as sample").scroll_to_me();
    h.run();
    click(&mut h, "Save as sample");
    step_until(&mut h, "the saved sample in the list", WAIT, |_| {
        saved.exists()
    });
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("read")).expect("JSON");
    assert!(sample["request"]["actionParams"].is_object(), "{sample}");
    assert!(
        sample["name"]
            .as_str()
            .is_some_and(|n| n.contains("generated failure 1")),
        "{sample}"
    );
}

#[test]
fn a_published_definition_picked_shows_the_breaking_changes() {
    let b = bench();
    let dir = TempDir::new("ui-published");
    std::fs::create_dir_all(dir.path()).expect("dir");
    // The published add-contact-label had its label as a number: the shipped one, a string,
    // changed the type.
    let shipped: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/actions/add-contact-label.json"))
            .expect("read"),
    )
    .expect("JSON");
    let mut published = shipped.clone();
    let props = published["inputSchema"]["properties"]
        .as_object_mut()
        .expect("properties");
    let (first, _) = props
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("a field");
    props.insert(
        first.clone(),
        json!({"type": "number", "title": "Was a number"}),
    );
    let path = dir.path().join("published.json");
    std::fs::write(&path, published.to_string()).expect("write");
    let mut h = window(&b).picker(FixedPicker::File(path)).build();
    h.run();
    click(&mut h, "Actions");
    h.get_all_by_label("Compare with published…")
        .next()
        .expect("a Compare button")
        .click();
    h.run();
    step_until(
        &mut h,
        "the breaking changes",
        WAIT,
        shows("Against the published definition: 1 breaking change"),
    );
    h.get_by_label_contains(&format!("inputSchema.properties.{first} [no-type-change]"));
}
