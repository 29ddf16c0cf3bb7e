//! Files that reload themselves, under a running `serve`: a definition, a trigger and a flow
//! edited, added, broken and removed on disk change what the next call is judged by and what
//! the next report starts, within a second or so, each change printed as a `reloaded` line.

mod common;

use common::{TempDir, serve_lines};
use serde_json::{Value, json};
use std::sync::mpsc::Receiver;
use std::time::Duration;

fn write(dir: &std::path::Path, name: &str, v: &Value) {
    std::fs::create_dir_all(dir).expect("folder");
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(v).expect("json")).expect("writes");
}

/// The greeting action's definition; `min` is the shortest name its input schema takes.
fn greet(min: usize) -> Value {
    json!({ "actionKey": "greet", "displayName": "Greet", "description": "Greets someone.",
        "inputSchema": { "type": "object", "properties": {
            "name": { "type": "string", "title": "Name", "minLength": min } }, "required": ["name"] },
        "outputSchema": { "type": "object", "properties": {
            "greeted": { "type": "boolean", "title": "Greeted" } } } })
}

fn signed_up() -> Value {
    json!({ "triggerKey": "signed-up", "displayName": "Signed up",
        "payloadSchema": { "type": "object", "properties": {
            "name": { "type": "string", "title": "Name", "examples": ["Dana"] } }, "required": ["name"] } })
}

fn welcome_flow() -> Value {
    json!({ "name": "Welcome", "trigger": { "name": "Someone signs up", "key": "signed-up" },
        "steps": [ { "type": "action", "id": "greet", "name": "Greet", "actionKey": "greet",
                     "params": { "name": "{{payload.name}}" } } ] })
}

/// The next line `pick` accepts, within 10 s (a change is read within a second; the rest is
/// a loaded machine's slack).
fn next(
    rx: &Receiver<Value>,
    seen: &mut Vec<Value>,
    what: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    common::next_line(rx, seen, what, Duration::from_secs(10), pick)
}

fn reloaded(file: &'static str) -> impl Fn(&Value) -> bool {
    move |v| {
        v["event"] == "reloaded"
            && v["files"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|p| p.as_str().is_some_and(|p| p.ends_with(file)))
            })
    }
}

fn post(url: &str, path: &str, body: &Value) -> Value {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    client
        .post(format!("{url}{path}"))
        .body(body.to_string())
        .send()
        .expect("sent")
        .json()
        .expect("a JSON answer")
}

/// Invokes greet for `name` with `token`: serve's `answered` line for it.
fn invoke(
    url: &str,
    rx: &Receiver<Value>,
    seen: &mut Vec<Value>,
    name: &str,
    token: &str,
) -> Value {
    post(
        url,
        "/v1/invoke",
        &json!({ "actionKey": "greet", "actionParams": { "name": name },
                 "activationContext": { "activationId": "act", "invocationToken": token } }),
    );
    next(rx, seen, &format!("answered line of {token}"), |v| {
        v["event"] == "answered" && v["invocationToken"] == token
    })
}

fn report(url: &str) -> usize {
    let answer = post(
        url,
        "/automations/v1/events/report",
        &json!({ "triggerKey": "signed-up", "payload": { "name": "Dana" } }),
    );
    answer["activationIds"].as_array().map_or(0, Vec::len)
}

#[test]
fn serve_reads_definitions_triggers_and_flows_again_when_they_change_on_disk() {
    let dir = TempDir::new("reload-serve");
    let (samples, actions, flows, triggers) = (
        dir.path().join("samples"),
        dir.path().join("actions"),
        dir.path().join("flows"),
        dir.path().join("triggers"),
    );
    write(&actions, "greet.json", &greet(1));
    std::fs::create_dir_all(&samples).expect("samples");
    std::fs::create_dir_all(&flows).expect("flows");
    std::fs::create_dir_all(&triggers).expect("triggers");
    let arg = |p: &std::path::Path| p.display().to_string();
    let (mut serve, rx) = serve_lines(&[
        "--samples",
        &arg(&samples),
        "--actions",
        &arg(&actions),
        "--flows",
        &arg(&flows),
        "--triggers",
        &arg(&triggers),
    ]);
    let mut seen = vec![];
    let listening = next(&rx, &mut seen, "listening line", |v| {
        v["event"] == "listening"
    });
    let url = listening["url"].as_str().expect("url").to_string();
    assert_eq!(
        (
            listening["automations"].clone(),
            listening["triggers"].clone()
        ),
        (json!(0), json!(0))
    );

    // The definition takes "Dana"; once it asks for ten characters, the next call is judged
    // short.
    let short = |line: &Value| {
        line["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["rule"] == "MIN_LENGTH"))
    };
    let first = invoke(&url, &rx, &mut seen, "Dana", "t-1");
    assert!(!short(&first), "{first}");
    write(&actions, "greet.json", &greet(10));
    let line = next(
        &rx,
        &mut seen,
        "reload of greet.json",
        reloaded("greet.json"),
    );
    assert_eq!(
        (line["definitions"].clone(), line["errors"].clone()),
        (json!(1), json!([])),
        "{line}"
    );
    let judged = invoke(&url, &rx, &mut seen, "Dana", "t-2");
    assert!(short(&judged), "{judged}");

    // Broken halfway through an edit: its last good version stays in use, and the line says so.
    std::fs::write(actions.join("greet.json"), b"{ \"actionKey\": \"greet\", ").expect("writes");
    let line = next(
        &rx,
        &mut seen,
        "reload of the broken greet.json",
        reloaded("greet.json"),
    );
    let error = line["errors"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("greet.json") && error.contains("last good version"),
        "{line}"
    );
    assert_eq!(line["definitions"], 1, "{line}");
    let judged = invoke(&url, &rx, &mut seen, "Dana", "t-3");
    assert!(
        short(&judged),
        "the last good definition still judges: {judged}"
    );

    // A trigger and a flow added: the next report starts a run. The flow removed: nothing.
    write(&triggers, "signed-up.json", &signed_up());
    next(
        &rx,
        &mut seen,
        "reload of the trigger",
        reloaded("signed-up.json"),
    );
    assert_eq!(report(&url), 0, "no flow answers signed-up yet");
    write(&flows, "welcome.json", &welcome_flow());
    let line = next(
        &rx,
        &mut seen,
        "reload of the flow",
        reloaded("welcome.json"),
    );
    assert_eq!(
        (line["flows"].clone(), line["automations"].clone()),
        (json!(1), json!(1)),
        "{line}"
    );
    assert_eq!(report(&url), 1, "the added flow starts a run");
    std::fs::remove_file(flows.join("welcome.json")).expect("removes");
    let line = next(
        &rx,
        &mut seen,
        "reload of the removed flow",
        reloaded("welcome.json"),
    );
    assert_eq!(
        (line["flows"].clone(), line["automations"].clone()),
        (json!(0), json!(0)),
        "{line}"
    );
    assert_eq!(report(&url), 0, "the removed flow starts nothing");

    let _ = serve.kill();
    let _ = serve.wait();
}
