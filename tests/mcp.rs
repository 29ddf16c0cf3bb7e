//! The MCP server, driven by the SDK's own client (rmcp): over stdio (`actionbench mcp` as a
//! child process) and over Streamable HTTP (`/mcp` on `serve`'s inbox). Every tool result is
//! checked against the output schema the tool declares; the safety rules of `/mcp` are tried
//! with raw HTTP.

mod common;

use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ServiceExt, model::JsonObject};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

type Client = RunningService<RoleClient, ()>;

/// The longest any one exchange with the server may take in these tests.
const DEADLINE: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, f).await {
        Ok(t) => t,
        Err(_) => panic!("gave up after {DEADLINE:?} waiting for {what}"),
    }
}

fn samples_dir() -> String {
    common::root().join("samples").display().to_string()
}

/// The tools, by name, as the server lists them.
async fn tools(client: &Client) -> HashMap<String, Tool> {
    let listed = within("tools/list", client.list_all_tools())
        .await
        .expect("tools/list");
    listed
        .into_iter()
        .map(|t| (t.name.to_string(), t))
        .collect()
}

/// Calls `name` with `args`; the result's structured content, checked against the tool's
/// declared output schema. A result marked as an error fails the test, saying why.
async fn call(client: &Client, tools: &HashMap<String, Tool>, name: &str, args: Value) -> Value {
    let r = try_call(client, name, args)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_ne!(r.is_error, Some(true), "{name} failed: {:?}", r.content);
    let out = r
        .structured_content
        .unwrap_or_else(|| panic!("{name} gave no structured content"));
    let tool = tools
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not listed"));
    let schema = Value::Object(
        tool.output_schema
            .as_ref()
            .unwrap_or_else(|| panic!("{name} declares no output schema"))
            .as_ref()
            .clone(),
    );
    let validator = jsonschema::validator_for(&schema).expect("the output schema compiles");
    let errors: Vec<String> = validator.iter_errors(&out).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{name}'s result breaks its output schema: {errors:?}\n{out:#}"
    );
    out
}

async fn try_call(
    client: &Client,
    name: &str,
    args: Value,
) -> Result<CallToolResult, ServiceError> {
    let args: JsonObject = match args {
        Value::Object(o) => o,
        other => panic!("arguments must be an object, got {other}"),
    };
    within(
        name,
        client.call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args)),
    )
    .await
}

/// The error text of a tool result marked as an error.
async fn tool_error(client: &Client, name: &str, args: Value) -> String {
    let r = try_call(client, name, args)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.is_error, Some(true), "{name} should have failed: {r:?}");
    format!("{:?}", r.content)
}

const ALL_TOOLS: [&str; 8] = [
    "get_status",
    "list_calls",
    "get_call",
    "wait_for_call",
    "answer_call",
    "report_completion",
    "send_sample",
    "set_mode",
];

/// The loop an agent runs on a held call: send, wait for it, read it, answer it wrong
/// (refused, nothing sent) and right (taken, shown as the agent's); then a timeout answer and
/// its completion report.
async fn agent_loop(client: &Client, tools: &HashMap<String, Tool>) {
    let shipping = "Shipping quote (typical answer breaks the schema)";
    let set = call(
        client,
        tools,
        "set_mode",
        json!({ "actionKey": "quote-shipping", "mode": "hold" }),
    )
    .await;
    assert_eq!(set["mode"], "hold");
    let before = call(client, tools, "list_calls", json!({ "limit": 1 })).await;
    let cursor = before["nextCursor"].as_str().expect("cursor").to_string();
    let sent = call(client, tools, "send_sample", json!({ "sample": shipping })).await;
    assert_eq!(sent["sent"], true, "{sent}");
    let id = sent["id"].as_u64().expect("id");
    assert_eq!(sent["call"]["tag"], "sent by agent", "{sent}");
    let waited = call(
        client,
        tools,
        "wait_for_call",
        json!({ "since": cursor, "phase": "held", "actionKey": "quote-shipping", "timeoutSeconds": 20 }),
    )
    .await;
    assert_eq!(waited["timedOut"], false, "{waited}");
    assert_eq!(waited["call"]["id"], id, "{waited}");
    let read = call(client, tools, "get_call", json!({ "id": id })).await;
    assert_eq!(read["request"]["actionKey"], "quote-shipping", "{read:#}");
    assert_eq!(read["request"]["actionParams"]["country"], "DE", "{read:#}");
    assert_eq!(read["phase"], "held");
    // A string amount and no currency: refused, nothing sent.
    let wrong = call(
        client,
        tools,
        "answer_call",
        json!({ "id": id, "result": { "amount": "12.50" } }),
    )
    .await;
    assert_eq!(wrong["taken"], false, "{wrong:#}");
    let fields: Vec<&str> = wrong["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(fields.iter().any(|f| f.contains("amount")), "{wrong:#}");
    assert!(fields.iter().any(|f| f.contains("currency")), "{wrong:#}");
    let still = call(client, tools, "get_call", json!({ "id": id })).await;
    assert_eq!(still["phase"], "held", "a refused answer sends nothing");
    let right = call(
        client,
        tools,
        "answer_call",
        json!({ "id": id, "result": { "amount": 12.5, "currency": "EUR" } }),
    )
    .await;
    assert_eq!(right["taken"], true, "{right:#}");
    assert_eq!(right["phase"], "answered", "{right:#}");
    let answered = call(client, tools, "get_call", json!({ "id": id })).await;
    assert_eq!(answered["answer"]["answeredBy"], "agent", "{answered:#}");
    assert_eq!(answered["answeredBy"], "agent");
    assert!(
        answered["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|l| l["text"]
                .as_str()
                .is_some_and(|t| t.contains("the agent answered"))),
        "{answered:#}"
    );
    // Answered again: not held any more.
    let again = tool_error(
        client,
        "answer_call",
        json!({ "id": id, "result": { "amount": 1, "currency": "EUR" } }),
    )
    .await;
    assert!(again.contains("not held"), "{again}");

    // A timeout, then its completion report (by token), then a second one refused.
    let sent = call(client, tools, "send_sample", json!({ "sample": shipping })).await;
    let id = sent["id"].as_u64().expect("id");
    let waiting = call(
        client,
        tools,
        "answer_call",
        json!({ "id": id, "timeoutMinutes": 60 }),
    )
    .await;
    assert_eq!(waiting["phase"], "waiting", "{waiting:#}");
    let token = call(client, tools, "get_call", json!({ "id": id })).await["invocationToken"]
        .as_str()
        .expect("token")
        .to_string();
    let done = call(
        client,
        tools,
        "report_completion",
        json!({ "invocationToken": token, "result": { "amount": 3, "currency": "EUR" } }),
    )
    .await;
    assert_eq!(done["taken"], true, "{done:#}");
    assert_eq!(done["id"], id);
    assert_eq!(done["phase"], "completed", "{done:#}");
    let twice = call(
        client,
        tools,
        "report_completion",
        json!({ "id": id, "errorDescription": "late" }),
    )
    .await;
    assert_eq!(twice["taken"], false, "{twice:#}");
    assert_eq!(twice["status"], 409, "{twice:#}");
}

/// Pages, filters, a wait that times out, and bad arguments named.
async fn reads_and_errors(client: &Client, tools: &HashMap<String, Tool>) {
    let first = call(
        client,
        tools,
        "list_calls",
        json!({ "since": "0", "limit": 1 }),
    )
    .await;
    assert_eq!(
        first["calls"].as_array().map(Vec::len),
        Some(1),
        "{first:#}"
    );
    assert_eq!(first["hasMore"], true, "{first:#}");
    let next = call(
        client,
        tools,
        "list_calls",
        json!({ "since": first["nextCursor"], "limit": 200 }),
    )
    .await;
    let ids: Vec<u64> = next["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    assert_eq!(ids.first(), Some(&2), "{next:#}");
    let agents = call(
        client,
        tools,
        "list_calls",
        json!({ "method": "invoke", "actionKey": "quote-shipping" }),
    )
    .await;
    assert!(
        agents["calls"].as_array().is_some_and(|c| c.len() >= 2),
        "{agents:#}"
    );
    let none = call(
        client,
        tools,
        "list_calls",
        json!({ "actionKey": "no-such-key" }),
    )
    .await;
    assert_eq!(none["calls"], json!([]));
    let waited = call(
        client,
        tools,
        "wait_for_call",
        json!({ "actionKey": "no-such-key", "timeoutSeconds": 1 }),
    )
    .await;
    assert_eq!(waited["timedOut"], true, "{waited:#}");
    assert!(waited["nextCursor"].is_string());

    // Arguments that break a tool's schema: a JSON-RPC error naming the field.
    let bad = try_call(client, "get_call", json!({ "id": "seven" })).await;
    match bad {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code.0, -32602, "{e:?}");
            assert!(e.message.contains("id"), "{e:?}");
        }
        other => panic!("a string id should be invalid params, got {other:?}"),
    }
    let unknown = try_call(client, "list_calls", json!({ "phase": "sleeping" })).await;
    assert!(
        matches!(&unknown, Err(ServiceError::McpError(e)) if e.message.contains("phase")),
        "{unknown:?}"
    );
    let extra = try_call(
        client,
        "set_mode",
        json!({ "actionKey": "k", "mode": "hold", "colour": 1 }),
    )
    .await;
    assert!(
        matches!(&extra, Err(ServiceError::McpError(e)) if e.message.contains("colour")),
        "{extra:?}"
    );
    let missing = try_call(client, "no_such_tool", json!({})).await;
    assert!(
        matches!(&missing, Err(ServiceError::McpError(e)) if e.code.0 == -32602 && e.message.contains("no_such_tool")),
        "{missing:?}"
    );
    let gone = tool_error(client, "get_call", json!({ "id": 999_999 })).await;
    assert!(gone.contains("no call #999999"), "{gone}");
    // Still answering.
    let status = call(client, tools, "get_status", json!({})).await;
    assert!(
        status["calls"].as_u64().is_some_and(|n| n >= 2),
        "{status:#}"
    );
}

fn check_listing(tools: &HashMap<String, Tool>) {
    for name in ALL_TOOLS {
        let t = tools
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not listed"));
        assert!(t.output_schema.is_some(), "{name}: no output schema");
        let a = t
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no annotations"));
        assert!(
            a.read_only_hint.is_some()
                && a.destructive_hint.is_some()
                && a.open_world_hint.is_some(),
            "{name}: {a:?}"
        );
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{name}");
    }
    let ro = |n: &str| tools[n].annotations.as_ref().and_then(|a| a.read_only_hint);
    assert_eq!(ro("list_calls"), Some(true));
    assert_eq!(ro("answer_call"), Some(false));
    assert_eq!(
        tools["answer_call"]
            .annotations
            .as_ref()
            .and_then(|a| a.destructive_hint),
        Some(true)
    );
    assert_eq!(
        tools["send_sample"]
            .annotations
            .as_ref()
            .and_then(|a| a.open_world_hint),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_stdio_an_agent_sends_waits_reads_and_answers() {
    let session = common::TempDir::new("mcp-stdio");
    std::fs::create_dir_all(session.path()).expect("dir");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_actionbench"));
    cmd.args([
        "mcp",
        "--port",
        "0",
        "--samples",
        &samples_dir(),
        "--session",
    ])
    .arg(session.path().join("s.jsonl"));
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("actionbench mcp starts");
    let client: Client = within("initialize", ().serve(transport))
        .await
        .expect("initialize");
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("actionbench")
    );
    let tools = tools(&client).await;
    check_listing(&tools);
    let status = call(&client, &tools, "get_status", json!({})).await;
    assert!(
        status["inboxUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:")),
        "{status:#}"
    );
    assert_eq!(status["agentsConnected"], 1, "{status:#}");
    assert!(
        status["samples"].as_array().is_some_and(|s| s.len() >= 8),
        "{status:#}"
    );
    agent_loop(&client, &tools).await;
    reads_and_errors(&client, &tools).await;
    within("close", client.cancel()).await.expect("closes");
}

/// `serve` on a free port with `args`: its child and its inbox URL.
fn serve(args: &[&str]) -> (std::process::Child, String) {
    let (child, lines) = common::serve_lines(args);
    let listening = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("serve says where it listens within 30 s");
    let url = listening["url"].as_str().expect("url").to_string();
    (child, url)
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_on_serves_inbox_the_same_tools_work() {
    let samples = samples_dir();
    let (child, url) = serve(&["--samples", &samples]);
    let _child = Killed(child);
    let transport = StreamableHttpClientTransport::from_uri(format!("{url}/mcp"));
    let client: Client = within("initialize", ().serve(transport))
        .await
        .expect("initialize over HTTP");
    let tools = tools(&client).await;
    check_listing(&tools);
    let status = call(&client, &tools, "get_status", json!({})).await;
    assert_eq!(status["inboxUrl"], url.as_str());
    assert_eq!(status["mcpUrl"], format!("{url}/mcp"));
    assert_eq!(status["agentsConnected"], 1, "{status:#}");
    agent_loop(&client, &tools).await;
    reads_and_errors(&client, &tools).await;
    within("close", client.cancel()).await.expect("closes");
}

/// A raw POST to `/mcp` with these headers and body: its status and body.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{url}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = within("a POST to /mcp", req.body(body).send())
        .await
        .expect("answers");
    let status = res.status().as_u16();
    (
        status,
        within("its body", res.text()).await.unwrap_or_default(),
    )
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_answers_only_this_machine_even_through_a_tunnel() {
    // The tunnel's name is allowed to reach the inbox: never the tools.
    let (child, url) = serve(&["--allow-host", "tunnel.example.com"]);
    let _child = Killed(child);
    let (s, body) = post(&url, &[("host", "tunnel.example.com")], INITIALIZE).await;
    assert_eq!(s, 403, "{body}");
    let err: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(err["jsonrpc"], "2.0");
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("loopback Host")),
        "{body}"
    );
    // The same name reaches the inbox (its own routes are not the tools').
    let inbox = reqwest::Client::new()
        .post(format!("{url}/v1/quota-info"))
        .header("host", "tunnel.example.com")
        .body(r#"{"request":{},"metadata":{}}"#)
        .send()
        .await
        .expect("inbox answers");
    assert_ne!(
        inbox.status().as_u16(),
        403,
        "the tunnel's calls still reach the inbox"
    );
    let (s, body) = post(&url, &[("origin", "https://evil.example")], INITIALIZE).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("Origin"), "{body}");
    let (s, body) = post(&url, &[("origin", "null")], INITIALIZE).await;
    assert_eq!(s, 403, "{body}");
    // A page on this machine (an MCP inspector) may.
    let (s, body) = post(&url, &[("origin", "http://localhost:6274")], INITIALIZE).await;
    assert_eq!(s, 200, "{body}");
    // A peer that is not loopback is refused whatever its headers say.
    let mut h = axum::http::HeaderMap::new();
    h.insert("host", "127.0.0.1:4010".parse().expect("header"));
    let far: std::net::SocketAddr = "192.168.1.20:50000".parse().expect("addr");
    let near: std::net::SocketAddr = "127.0.0.1:50000".parse().expect("addr");
    assert!(
        actionbench::mcp::http::refusal(Some(far), &h).is_some_and(|w| w.contains("192.168.1.20"))
    );
    assert_eq!(actionbench::mcp::http::refusal(Some(near), &h), None);
    assert!(actionbench::mcp::http::refusal(None, &h).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_protocol_errors_and_the_server_goes_on() {
    let (child, url) = serve(&[]);
    let _child = Killed(child);
    // An unknown session: the protocol's 404.
    let (s, body) = post(
        &url,
        &[
            ("mcp-session-id", "no-such-session"),
            ("mcp-protocol-version", "2025-06-18"),
        ],
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    )
    .await;
    assert_eq!(s, 404, "{body}");
    // Not JSON at all; JSON but not JSON-RPC: JSON-RPC's own errors, in JSON.
    let (s, body) = post(&url, &[], "{ this is not json").await;
    assert_eq!(s, 400, "{body}");
    let err: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(err["error"]["code"], -32700, "{body}");
    let (s, body) = post(&url, &[], r#"{"hello":"world"}"#).await;
    assert_eq!(s, 400, "{body}");
    let err: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(err["error"]["code"], -32600, "{body}");
    let (s, body) = post(&url, &[], r#"{"jsonrpc":"2.0","id":5,"method":7}"#).await;
    assert_eq!(s, 400, "{body}");
    let err: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(
        (err["id"].clone(), err["error"]["code"].clone()),
        (json!(5), json!(-32600)),
        "{body}"
    );
    // Over the inbox's 1 MiB limit.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"initialize","params":{{"x":"{}"}}}}"#,
        "a".repeat(2 << 20)
    );
    let (s, body) = post(&url, &[], big).await;
    assert_eq!(s, 413, "{body}");
    // Still answering: a real client connects and lists the tools.
    let transport = StreamableHttpClientTransport::from_uri(format!("{url}/mcp"));
    let client: Client = within("initialize", ().serve(transport))
        .await
        .expect("initialize after bad requests");
    let listed = tools(&client).await;
    assert!(listed.contains_key("get_status"));
    // An ended session is unknown from then on.
    within("close", client.cancel()).await.expect("closes");
}
