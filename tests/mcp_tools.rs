//! The MCP server's longer tools, resources and prompt, driven by the SDK's own client (rmcp)
//! over stdio: run_check (with progress notifications) against an action, lint, run_flow and
//! report_event; the samples, flows, definitions and calls as resources; the prompt.

mod common;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, GetPromptRequestParams, NumberOrString,
    ProgressNotificationParam, ProgressToken, ReadResourceRequestParams, RequestMetaObject,
};
use rmcp::service::{NotificationContext, RoleClient, RunningService, ServiceError};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, f).await {
        Ok(t) => t,
        Err(_) => panic!("gave up after {DEADLINE:?} waiting for {what}"),
    }
}

/// A client that counts the progress notifications it hears.
#[derive(Clone, Default)]
struct Counting {
    progress: Arc<AtomicUsize>,
}

impl ClientHandler for Counting {
    async fn on_progress(
        &self,
        _params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.fetch_add(1, Ordering::AcqRel);
    }
}

type Client = RunningService<RoleClient, Counting>;

async fn call_with(
    client: &Client,
    name: &str,
    args: Value,
    progress: bool,
) -> Result<CallToolResult, ServiceError> {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    let mut params = CallToolRequestParams::new(name.to_string()).with_arguments(args);
    if progress {
        let mut meta = RequestMetaObject::default();
        meta.set_progress_token(ProgressToken(NumberOrString::Number(7)));
        params.meta = Some(meta);
    }
    within(name, client.call_tool(params)).await
}

async fn call(client: &Client, name: &str, args: Value) -> Value {
    let r = call_with(client, name, args, false)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_ne!(r.is_error, Some(true), "{name} failed: {:?}", r.content);
    r.structured_content
        .unwrap_or_else(|| panic!("{name}: no structured content"))
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `actionbench mcp` over stdio with `args`.
async fn connect(args: &[&str]) -> (Client, Counting) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_actionbench"));
    cmd.args(["mcp", "--port", "0"]).args(args);
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("actionbench mcp starts");
    let handler = Counting::default();
    let client = within("initialize", handler.clone().serve(transport))
        .await
        .expect("initialize");
    (client, handler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_and_the_prompt_give_what_is_loaded() {
    let samples = common::root().join("samples").display().to_string();
    let (client, _) = connect(&["--samples", &samples]).await;
    let listed = within("resources/list", client.list_all_resources())
        .await
        .expect("resources");
    let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
    for want in [
        "actionbench://calls",
        "actionbench://samples/06-shipping-quote-violates-output.json",
        "actionbench://flows/03-shop-order.json",
        "actionbench://definitions/quote-shipping.json",
    ] {
        assert!(uris.contains(&want), "{want} is not listed: {uris:?}");
    }
    let read = |uri: &str| client.read_resource(ReadResourceRequestParams::new(uri.to_string()));
    let sample = within(
        "a sample",
        read("actionbench://samples/06-shipping-quote-violates-output.json"),
    )
    .await
    .expect("reads");
    let text = format!("{:?}", sample.contents);
    assert!(text.contains("quote-shipping"), "{text}");
    let missing = within("a missing one", read("actionbench://samples/nope.json")).await;
    assert!(
        matches!(&missing, Err(ServiceError::McpError(e)) if e.message.contains("nope.json")),
        "{missing:?}"
    );
    // A call, once there is one.
    let sent = call(
        &client,
        "send_sample",
        json!({ "sample": "Shipping quote (typical answer breaks the schema)" }),
    )
    .await;
    let id = sent["id"].as_u64().expect("id");
    let one = within("a call", read(&format!("actionbench://calls/{id}")))
        .await
        .expect("reads a call");
    assert!(format!("{:?}", one.contents).contains("quote-shipping"));
    let calls = within("calls", read("actionbench://calls"))
        .await
        .expect("reads calls");
    assert!(format!("{:?}", calls.contents).contains(&format!("\\\"id\\\": {id}")));
    let templates = within("templates", client.list_all_resource_templates())
        .await
        .expect("templates");
    assert!(
        templates
            .iter()
            .any(|t| t.uri_template == "actionbench://calls/{id}")
    );

    let prompts = within("prompts", client.list_all_prompts())
        .await
        .expect("prompts");
    assert_eq!(prompts.len(), 1);
    let p = within(
        "the prompt",
        client.get_prompt(GetPromptRequestParams::new(prompts[0].name.clone())),
    )
    .await
    .expect("gets the prompt");
    let text = format!("{:?}", p.messages);
    for step in ["run_check", "get_call", "answer_call"] {
        assert!(
            text.contains(step),
            "the prompt should walk through {step}: {text}"
        );
    }
    within("close", client.cancel()).await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_names_each_rule_broken_and_report_event_starts_runs() {
    let samples = common::root().join("samples").display().to_string();
    let (client, _) = connect(&["--samples", &samples]).await;
    let file = common::root().join("samples/actions/quote-shipping.json");
    let clean = call(
        &client,
        "lint",
        json!({ "files": [file.display().to_string()] }),
    )
    .await;
    assert_eq!(clean["errors"], 0, "{clean:#}");
    let mut broken: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("reads")).expect("JSON");
    broken["inputSchema"]["properties"]["first-name"] =
        json!({ "type": "string", "title": "First" });
    let found = call(&client, "lint", json!({ "definition": broken })).await;
    assert_eq!(found["clean"], false, "{found:#}");
    let f = found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "key-chars")
        .unwrap_or_else(|| panic!("no key-chars finding: {found:#}"));
    assert_eq!(f["path"], "inputSchema.properties.first-name");
    assert_eq!(f["level"], "error");
    assert!(f["source"].as_str().is_some_and(|s| !s.is_empty()));

    let reported = call(
        &client,
        "report_event",
        json!({ "triggerKey": "order-placed", "payload": { "orderId": "1", "customerEmail": "a@example.com",
                "country": "DE", "postalCode": "10115", "weightKg": 2.4, "total": 86.0 } }),
    )
    .await;
    assert_eq!(reported["status"], 200, "{reported:#}");
    let ids = reported["activationIds"].as_array().expect("ids");
    assert!(
        !ids.is_empty(),
        "the shop-order flow starts a run: {reported:#}"
    );
    assert!(
        reported["runs"].as_array().is_some_and(|r| r
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("Order placed")))),
        "{reported:#}"
    );
    within("close", client.cancel()).await.expect("closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_check_and_run_flow_report_rows_with_reasons_and_progress() {
    // The "action": serve answering every call with its saved answer (the sample's own
    // typical answer, which breaks quote-shipping's output schema).
    let samples = common::root().join("samples").display().to_string();
    let (child, lines) = common::serve_lines(&["--samples", &samples]);
    let _action = Killed(child);
    let listening = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("serve listens");
    let action = listening["url"].as_str().expect("url").to_string();
    let (client, handler) = connect(&["--samples", &samples, "--target", &action]).await;
    let shipping = common::root().join("samples/06-shipping-quote-violates-output.json");
    let r = call_with(
        &client,
        "run_check",
        json!({ "samples": [shipping.display().to_string()], "waitSeconds": 1 }),
        true,
    )
    .await
    .expect("run_check");
    let out = r
        .structured_content
        .unwrap_or_else(|| panic!("run_check: {:?}", r.content));
    assert_eq!(out["passed"], false, "{out:#}");
    assert_eq!(out["exitCode"], 1, "{out:#}");
    let rows = out["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{out:#}");
    assert_eq!(rows[0]["passed"], false);
    assert_eq!(rows[0]["method"], "invoke");
    assert_eq!(rows[0]["status"], 200);
    assert!(
        rows[0]["reasons"].as_array().is_some_and(|r| r
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.contains("amount")))),
        "the failure names the field: {out:#}"
    );
    common::wait_until("progress notifications", || {
        handler.progress.load(Ordering::Acquire) > 0
    });
    // The call the check made is in this session's log, marked as the agent's check, with
    // the same failing answer.
    let ids = out["callIds"].as_array().expect("callIds");
    assert_eq!(ids.len(), 1, "{out:#}");
    let failing = call(&client, "get_call", json!({ "id": ids[0] })).await;
    assert_eq!(failing["tag"], "run_check by agent", "{failing:#}");
    assert_eq!(failing["direction"], "outbound", "{failing:#}");
    assert_eq!(failing["flagged"], true, "{failing:#}");
    assert!(
        failing.to_string().contains("amount"),
        "the finding is there: {failing:#}"
    );
    let listed = call(&client, "list_calls", json!({ "limit": 200 })).await;
    assert!(
        listed["calls"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == ids[0])),
        "{listed:#}"
    );

    let good = common::root().join("samples/08-quota-info.json");
    let passed = call(
        &client,
        "run_check",
        json!({ "samples": [good.display().to_string()], "waitSeconds": 1 }),
    )
    .await;
    assert_eq!(passed["passed"], true, "{passed:#}");
    assert_eq!(passed["passedCount"], 1, "{passed:#}");

    let flow = call(
        &client,
        "run_flow",
        json!({ "flow": "Order placed: shipping quote, coupon, email", "warp": 1000, "share": true }),
    )
    .await;
    assert!(
        flow["transcript"]
            .as_str()
            .is_some_and(|t| t.contains("Order placed")),
        "{flow:#}"
    );
    assert!(flow["exitCode"].as_i64().is_some_and(|c| c < 2), "{flow:#}");
    let steps = flow["callIds"].as_array().expect("callIds");
    assert!(
        steps.len() >= 3,
        "the flow's calls are in the session: {flow:#}"
    );
    let step = call(&client, "get_call", json!({ "id": steps[0] })).await;
    assert_eq!(step["tag"], "run_flow by agent", "{step:#}");
    let page = flow["sharedPage"].as_str().expect("a shared page");
    assert!(
        std::fs::read_to_string(page).is_ok_and(|p| p.contains("<html")),
        "{page}"
    );
    let _ = std::fs::remove_file(page);
    let unknown = call_with(
        &client,
        "run_flow",
        json!({ "flow": "no such flow" }),
        false,
    )
    .await
    .expect("answers");
    assert_eq!(unknown.is_error, Some(true));
    within("close", client.cancel()).await.expect("closes");
}

/// Over stdio, a line that is not JSON or not JSON-RPC is answered with JSON-RPC's error on a
/// line of its own, and the session goes on: the next request is answered.
#[test]
fn stdio_answers_a_malformed_line_and_goes_on() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_actionbench"))
            .args(["mcp", "--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("actionbench mcp starts"),
    );
    let mut stdin = child.0.stdin.take().expect("stdin");
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let mut exchange = |line: &str| -> Value {
        writeln!(stdin, "{line}").expect("write a line");
        stdin.flush().expect("flush");
        let got = lines
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("no answer to {line:?} within {DEADLINE:?}"));
        serde_json::from_str(&got).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {got}"))
    };
    let a = exchange("{ this is not json");
    assert_eq!(a["error"]["code"], -32700, "{a}");
    assert_eq!(a["id"], Value::Null, "{a}");
    let a = exchange(r#"{"hello":"world"}"#);
    assert_eq!(a["error"]["code"], -32600, "{a}");
    let a = exchange(r#"{"jsonrpc":"2.0","id":4,"method":7}"#);
    assert_eq!(
        (a["id"].clone(), a["error"]["code"].clone()),
        (json!(4), json!(-32600)),
        "{a}"
    );
    let a = exchange(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"by-hand","version":"0"}}}"#,
    );
    assert_eq!(a["id"], 1, "{a}");
    assert_eq!(a["result"]["serverInfo"]["name"], "actionbench", "{a}");
    // The notification is not answered; the line after it is.
    let a = exchange(concat!(
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "\n]]]"
    ));
    assert_eq!(a["error"]["code"], -32700, "{a}");
    let a = exchange(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    assert_eq!(a["id"], 2, "{a}");
    assert!(
        a["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() >= 12),
        "{a}"
    );
}

/// A sample added to the folder while an agent is connected is in what the tools list and send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tools_follow_files_edited_on_disk() {
    let dir = common::TempDir::new("mcp-reload");
    let samples = dir.path().join("samples");
    std::fs::create_dir_all(&samples).expect("dir");
    let shipped = common::root().join("samples").join("01-send-email.json");
    std::fs::copy(&shipped, samples.join("01-send-email.json")).expect("copy");
    let (client, _) = connect(&["--samples", &samples.display().to_string()]).await;
    let names = |status: &Value| -> Vec<String> {
        status["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let status = call(&client, "get_status", json!({})).await;
    assert_eq!(names(&status), vec!["Send confirmation email".to_string()]);
    let mut added: Value =
        serde_json::from_slice(&std::fs::read(&shipped).expect("read")).expect("json");
    added["name"] = json!("Added while connected");
    std::fs::write(samples.join("02-added.json"), added.to_string()).expect("write");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = call(&client, "get_status", json!({})).await;
        if names(&status).iter().any(|n| n == "Added while connected") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the added sample is not listed 20 s after it was written: {status:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = call(
        &client,
        "send_sample",
        json!({ "sample": "Added while connected", "to": "inbox" }),
    )
    .await;
    assert_eq!(sent["sent"], true, "{sent:#}");
    assert_eq!(sent["call"]["actionKey"], "send-email", "{sent:#}");
    let listed = within("resources/list", client.list_all_resources())
        .await
        .expect("resources");
    assert!(
        listed
            .iter()
            .any(|r| r.uri == "actionbench://samples/02-added.json"),
        "the added sample is not among the resources"
    );
    within("close", client.cancel()).await.expect("closes");
}
