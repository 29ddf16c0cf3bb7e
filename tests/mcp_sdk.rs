//! The MCP server with clients no one here wrote: the official TypeScript SDK
//! (tests/mcp-client, whose Client checks every result against the tool's output schema) over
//! stdio and over HTTP; and the agent's whole loop against an action built on Wix's SDK
//! (tests/sdk-provider/quote-provider.js): check fails naming the bug, the agent reads the
//! failing call, the action is fixed, check passes.

mod common;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, JsonObject};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use std::time::Duration;

const APP_ID: &str = common::APP_ID;

/// Runs tests/mcp-client/client.js with `args`: its lines, parsed, by step.
fn ts_client(args: &[&str]) -> Vec<Value> {
    let dir = common::mcp_client_dir();
    let (code, out) = common::run_in(
        std::process::Command::new("node")
            .arg("client.js")
            .args(args)
            .current_dir(dir),
        Duration::from_secs(120),
    );
    let lines: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(code, Some(0), "the TypeScript client failed:\n{out}");
    assert!(lines.iter().any(|l| l["done"] == true), "{out}");
    lines
}

/// The results of step `name`, in order.
fn steps<'a>(lines: &'a [Value], name: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["step"] == name).collect()
}

/// What the TypeScript client must have seen, whichever transport.
fn check_ts_run(lines: &[Value]) {
    let tools = steps(lines, "tools");
    let tools = tools[0]["result"].as_array().expect("tools");
    assert_eq!(tools.len(), 12, "{tools:?}");
    assert!(
        tools.iter().all(|t| t["hasOutputSchema"] == true),
        "{tools:?}"
    );
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"].is_boolean()),
        "{tools:?}"
    );
    let answers = steps(lines, "answer_call");
    assert_eq!(answers[0]["result"]["taken"], false, "{:?}", answers[0]);
    assert_eq!(answers[1]["result"]["taken"], true, "{:?}", answers[1]);
    let read = steps(lines, "get_call");
    assert_eq!(read[1]["result"]["answer"]["answeredBy"], "agent");
    let bad = &steps(lines, "bad-arguments")[0]["error"];
    assert_eq!(bad["code"], -32602, "{bad}");
    assert!(
        bad["message"].as_str().is_some_and(|m| m.contains("at id")),
        "{bad}"
    );
    let unknown = &steps(lines, "unknown-tool")[0]["error"];
    assert_eq!(unknown["code"], -32602, "{unknown}");
    let lint = &steps(lines, "lint")[0]["result"];
    assert_eq!(lint["clean"], false, "{lint}");
    let waited = &steps(lines, "wait_for_call")[1]["result"];
    assert_eq!(waited["timedOut"], true, "{waited}");
    assert!(
        steps(lines, "prompt")[0]["result"]
            .as_str()
            .is_some_and(|p| p.contains("run_check"))
    );
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_typescript_sdk_drives_every_tool_over_stdio_and_http() {
    if !common::have_tool("node", "to run the TypeScript SDK's client") {
        return;
    }
    let samples = common::root().join("samples").display().to_string();
    let bin = env!("CARGO_BIN_EXE_actionbench");
    let lines = ts_client(&["stdio", bin, "--port", "0", "--samples", &samples]);
    check_ts_run(&lines);

    let (child, out) = common::serve_lines(&["--samples", &samples]);
    let _serve = Killed(child);
    let listening = out
        .recv_timeout(Duration::from_secs(30))
        .expect("serve listens");
    let url = format!("{}/mcp", listening["url"].as_str().expect("url"));
    let lines = ts_client(&["http", &url]);
    check_ts_run(&lines);
}

type Client = RunningService<RoleClient, ()>;

async fn call(client: &Client, name: &str, args: Value) -> Value {
    let Value::Object(args): Value = args else {
        panic!("an object")
    };
    let args: JsonObject = args;
    let r = tokio::time::timeout(
        Duration::from_secs(180),
        client.call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args)),
    )
    .await
    .unwrap_or_else(|_| panic!("gave up waiting for {name}"))
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_ne!(r.is_error, Some(true), "{name} failed: {:?}", r.content);
    r.structured_content.expect("structured")
}

/// The shipping quote as first written: the amount as a string, no currency.
const BUGGY: &str = "exports.quote = (p) => ({ amount: (p.weightKg * 5).toFixed(2) });\n";
/// Fixed: a number, and the currency the output schema requires.
const FIXED: &str =
    "exports.quote = (p) => ({ amount: Math.round(p.weightKg * 500) / 100, currency: 'EUR' });\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_makes_an_action_on_wixs_sdk_pass_check() {
    if !common::have_tool("node", "to run the action on Wix's SDK") {
        return;
    }
    let tmp = common::TempDir::new("mcp-agent-loop");
    std::fs::create_dir_all(tmp.path()).expect("dir");
    let keys = tmp.path().join("keys").display().to_string();
    let (code, pem) = tokio::task::spawn_blocking({
        let keys = keys.clone();
        move || {
            common::run_actionbench(
                &["key", "--public", "--key-dir", &keys],
                Duration::from_secs(60),
            )
        }
    })
    .await
    .expect("key");
    assert_eq!(code, Some(0), "{pem}");
    let pem = &pem[pem
        .find("-----BEGIN")
        .unwrap_or_else(|| panic!("a PEM: {pem}"))..];
    let pem_file = tmp.path().join("actionbench.pem");
    std::fs::write(&pem_file, pem).expect("writes");
    let handler = tmp.path().join("quote.js");
    std::fs::write(&handler, BUGGY).expect("writes");
    let provider = {
        let (pem_file, handler) = (pem_file.clone(), handler.clone());
        tokio::task::spawn_blocking(move || {
            common::NodeApp::start(&[
                std::ffi::OsStr::new("quote-provider.js"),
                pem_file.as_os_str(),
                std::ffi::OsStr::new(APP_ID),
                handler.as_os_str(),
            ])
        })
        .await
        .expect("the provider starts")
    };
    let samples = common::root().join("samples").display().to_string();
    let target = provider.url();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_actionbench"));
    cmd.args([
        "mcp",
        "--port",
        "0",
        "--samples",
        &samples,
        "--app-id",
        APP_ID,
        "--key-dir",
        &keys,
        "--target",
        &target,
    ]);
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("actionbench mcp starts");
    let client: Client = tokio::time::timeout(Duration::from_secs(60), ().serve(transport))
        .await
        .expect("initialize in time")
        .expect("initialize");
    let sample = "Shipping quote (typical answer breaks the schema)";

    // 1. check fails, naming the field.
    let first = call(
        &client,
        "run_check",
        json!({ "samples": [sample], "waitSeconds": 1 }),
    )
    .await;
    assert_eq!(first["passed"], false, "{first:#}");
    let row = &first["rows"][0];
    assert_eq!(row["passed"], false, "{first:#}");
    let reasons = row["reasons"].to_string();
    assert!(
        reasons.contains("result.amount") && reasons.contains("currency"),
        "{first:#}"
    );

    // 2. The agent reads the failing call: sent to the action as Wix would (signed), its answer
    // and the findings about it.
    let sent = call(
        &client,
        "send_sample",
        json!({ "sample": sample, "to": "target" }),
    )
    .await;
    assert_eq!(sent["sent"], true, "{sent:#}");
    let id = sent["id"].as_u64().expect("id");
    let read = call(&client, "get_call", json!({ "id": id })).await;
    assert_eq!(read["direction"], "outbound", "{read:#}");
    assert_eq!(
        read["answer"]["status"], 200,
        "the SDK took the signed call: {read:#}"
    );
    assert_eq!(
        read["answer"]["body"]["result"]["amount"], "12.00",
        "{read:#}"
    );
    let fields: Vec<&str> = read["answer"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(fields.contains(&"result.amount"), "{read:#}");

    // 3. The fix, then check again: it passes.
    std::fs::write(&handler, FIXED).expect("writes");
    let again = call(
        &client,
        "run_check",
        json!({ "samples": [sample], "waitSeconds": 1 }),
    )
    .await;
    assert_eq!(again["passed"], true, "{again:#}");
    assert_eq!(again["rows"][0]["passed"], true, "{again:#}");
    assert_eq!(again["passedCount"], 1);
    let _ = tokio::time::timeout(Duration::from_secs(10), client.cancel()).await;
    drop(provider);
}
