//! `check --generate`: against a provider with bugs only unusual but valid params reach (a
//! non-ASCII name crashes it; a missing optional note breaks its answer's output schema), the
//! generated calls find both, shrink each to its smallest case, save them as samples that
//! `check` replays, and the same seed gives the same findings; a provider without the bugs
//! passes.

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A provider on a free loopback port; `buggy` switches its bugs on. Its base URL.
fn provider(rt: &tokio::runtime::Runtime, buggy: Arc<AtomicBool>) -> String {
    use axum::extract::State;
    async fn handle(
        State(buggy): State<Arc<AtomicBool>>,
        body: bytes::Bytes,
    ) -> (axum::http::StatusCode, axum::Json<Value>) {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let params = v
            .pointer("/request/actionParams")
            .cloned()
            .unwrap_or(Value::Null);
        let ok = (
            axum::http::StatusCode::OK,
            axum::Json(json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "m-1"}})),
        );
        if !buggy.load(Ordering::Relaxed) {
            return ok;
        }
        let name = params["name"].as_str().unwrap_or("");
        if !name.is_ascii() {
            // The bug: a name outside ASCII crashes the handler.
            return (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"applicationError": {"code": "CRASH", "data": {}}})),
            );
        }
        if params.get("note").is_none() {
            // The bug: without the optional note, the answer forgets its required output.
            return (
                axum::http::StatusCode::OK,
                axum::Json(json!({"invokeTimeoutType": "IMMEDIATE", "result": {}})),
            );
        }
        ok
    }
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().fallback(handle).with_state(buggy);
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/wix/actions")
    })
}

fn definition() -> Value {
    json!({
        "actionKey": "send-greeting",
        "displayName": "Send a greeting",
        "inputSchema": {
            "type": "object",
            "properties": {
                "name": { "type": "string", "title": "Name" },
                "note": { "type": "string", "title": "Note" },
                "count": { "type": "integer", "title": "Count", "minimum": 0, "maximum": 100 }
            },
            "required": ["name", "count"]
        },
        "outputSchema": {
            "type": "object",
            "properties": { "messageId": { "type": "string", "title": "Message ID" } },
            "required": ["messageId"]
        }
    })
}

fn check(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["check", "--port", "0", "--wait", "0"];
    all.extend_from_slice(args);
    run_actionbench(&all, std::time::Duration::from_secs(120))
}

#[test]
fn generated_calls_find_shrink_and_save_the_bugs_only_unusual_params_reach() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let buggy = Arc::new(AtomicBool::new(true));
    let base = provider(&rt, buggy.clone());
    let dir = TempDir::new("generate");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let def = dir.path().join("send-greeting.json");
    std::fs::write(&def, definition().to_string()).expect("write");
    let saved = dir.path().join("failures");
    let p = |x: &std::path::Path| x.to_str().expect("path").to_string();

    let (code, first) = check(&[
        "--target",
        &base,
        "--generate",
        "120",
        "--seed",
        "7",
        "--save-failures",
        &p(&saved),
        &p(&def),
    ]);
    let text = first.clone();
    assert_eq!(code, Some(1), "{text}");
    // What the README shows (cargo test -- --nocapture prints it).
    println!("{text}");
    assert!(text.contains("with seed 7"), "the seed is printed: {text}");
    assert!(text.contains("FAIL Send a greeting"), "{text}");
    // Both bugs found, each its own group.
    assert!(text.contains("[non-2xx-status]"), "{text}");
    assert!(text.contains("at result.messageId"), "{text}");
    let groups: Vec<&str> = text.lines().filter(|l| l.contains("group ")).collect();
    assert_eq!(groups.len(), 2, "{text}");

    // Each saved case is the smallest that fails its way: the crash's has a non-ASCII name and
    // nothing optional; the output bug's an ASCII (empty) name and no note.
    let mut files: Vec<_> = std::fs::read_dir(&saved)
        .expect("saved")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let params: Vec<Value> = files
        .iter()
        .map(|f| {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(f).expect("read")).expect("a sample");
            v["request"]["actionParams"].clone()
        })
        .collect();
    let crash = params
        .iter()
        .find(|p| !p["name"].as_str().unwrap_or("").is_ascii())
        .expect("the crash's case");
    assert!(crash.get("note").is_none(), "{crash}");
    assert_eq!(crash["count"], json!(0), "the simplest count: {crash}");
    let output = params
        .iter()
        .find(|p| p["name"].as_str().is_some_and(str::is_ascii))
        .expect("the output bug's case");
    assert!(output.get("note").is_none(), "{output}");
    assert!(
        output["name"].as_str().is_some_and(|n| n.len() <= 1),
        "the simplest name: {output}"
    );
    assert_eq!(output["count"], json!(0), "the simplest count: {output}");

    // A saved case is a sample check replays: it still fails.
    let (code, text) = check(&["--target", &base, &p(&files[0])]);
    assert_eq!(code, Some(1), "{text}");

    // The same seed gives the same calls, so the same smallest cases.
    let (_, again) = check(&[
        "--target",
        &base,
        "--generate",
        "120",
        "--seed",
        "7",
        &p(&def),
    ]);
    let smallest = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains("smallest params"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(smallest(&first), smallest(&again));

    // Without the bugs, the same calls pass.
    buggy.store(false, Ordering::Relaxed);
    let (code, text) = check(&[
        "--target",
        &base,
        "--generate",
        "120",
        "--seed",
        "7",
        &p(&def),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("PASS Send a greeting: 120 of 120"), "{text}");
}

/// An order action whose answer forgets its required `total` whenever the optional `quantity`
/// is absent: the cause is that one field, whatever the others hold.
fn order_provider(rt: &tokio::runtime::Runtime) -> String {
    async fn handle(body: bytes::Bytes) -> axum::Json<Value> {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let params = v
            .pointer("/request/actionParams")
            .cloned()
            .unwrap_or(Value::Null);
        match params.get("quantity").and_then(Value::as_i64) {
            Some(q) => axum::Json(json!({"invokeTimeoutType": "IMMEDIATE",
                "result": {"total": q as f64 * params["amount"].as_f64().unwrap_or(0.0)}})),
            None => axum::Json(json!({"invokeTimeoutType": "IMMEDIATE", "result": {}})),
        }
    }
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().fallback(handle);
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    })
}

/// The shrunk case is the simplest that fails (every field it does not need gone, the rest at
/// their simplest), and the group says what its failing calls share: the missing quantity.
#[test]
fn a_failure_shrinks_to_its_cause_and_the_group_says_what_its_calls_share() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let base = order_provider(&rt);
    let dir = TempDir::new("generate-order");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let def = dir.path().join("order-total.json");
    let definition = json!({
        "actionKey": "order-total",
        "displayName": "Order total",
        "inputSchema": {
            "type": "object",
            "properties": {
                "amount": { "type": "number", "title": "Amount" },
                "customerName": { "type": "string", "title": "Customer name" },
                "quantity": { "type": "integer", "title": "Quantity", "minimum": 1, "maximum": 50 }
            },
            "required": ["amount", "customerName"]
        },
        "outputSchema": {
            "type": "object",
            "properties": { "total": { "type": "number", "title": "Total" } },
            "required": ["total"]
        }
    });
    std::fs::write(&def, definition.to_string()).expect("write");
    for seed in ["7", "1", "42"] {
        let (code, text) = check(&[
            "--target",
            &base,
            "--generate",
            "50",
            "--seed",
            seed,
            def.to_str().expect("path"),
        ]);
        assert_eq!(code, Some(1), "{text}");
        let groups: Vec<&str> = text.lines().filter(|l| l.contains("group ")).collect();
        assert_eq!(groups.len(), 1, "one cause, one group: {text}");
        assert!(
            text.contains(r#"smallest params: {"amount":0,"customerName":""}"#),
            "seed {seed}: the simplest failing params, nothing else: {text}"
        );
        let share = text
            .lines()
            .find(|l| l.contains("what they share:"))
            .unwrap_or_else(|| panic!("an explanation: {text}"));
        let failed: usize = groups[0]
            .split("] ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count: {}", groups[0]));
        assert!(
            share.contains(&format!("`quantity` is absent in all {failed}"))
                && share.contains("`amount` and `customerName` can be anything"),
            "seed {seed}: {share}"
        );
    }
}
