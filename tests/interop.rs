//! The official SDK as the oracle: an action provider built on `@wix/sdk` AppStrategy +
//! `@wix/automations` (tests/sdk-provider, versions pinned in its package.json and lock file)
//! and the inbox get the same envelopes, and their verdicts must match.
//!
//! Needs node and npm; `npm ci` runs here when tests/sdk-provider/node_modules is missing.

mod common;

use actionbench::domain::clock::SystemClock;
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::server;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

struct Provider {
    child: Child,
    port: u16,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_bounded(cmd: &mut Command, what: &str, limit: Duration) {
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!("{what}: cannot start ({e}); install node and npm (apt-get install nodejs npm)")
    });
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{what} failed: {status}");
            return;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the SDK provider on a free loopback port, installing its packages first if needed.
fn start_provider() -> Provider {
    let dir = root().join("tests/sdk-provider");
    if !dir.join("node_modules/@wix/sdk").exists() {
        run_bounded(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
            "npm ci in tests/sdk-provider",
            Duration::from_secs(300),
        );
    }
    let mut child = Command::new("node")
        .arg("provider.js")
        .arg(root().join("tests/fixtures/test-wix-public.pem"))
        .arg(APP_ID)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs (install node to run the interop test)");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut provider = Provider { child, port: 0 };
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the SDK provider did not say it listens within 30 s");
    provider.port = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from the SDK provider: {line:?}"));
    provider
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_accepts_and_refuses_exactly_the_envelopes_the_sdk_does() {
    let provider = tokio::task::spawn_blocking(start_provider)
        .await
        .expect("provider");
    let mut config = EngineConfig {
        default_mode: Mode::Auto,
        ..EngineConfig::default()
    };
    verifying(&mut config);
    let engine = Engine::new(config, Arc::new(SystemClock));
    let inbox = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("inbox starts");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let post = |url: String, body: String| {
        let client = client.clone();
        async move {
            let res = client
                .post(&url)
                .header("content-type", "text/plain; charset=utf-8")
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = res.status().as_u16();
            (status, res.text().await.unwrap_or_default())
        }
    };
    let cases = envelope_catalogue(chrono::Utc::now());
    let mut mismatches = vec![];
    for case in &cases {
        // A baseUri with a prefix: both dispatch on the path's ending.
        let (sdk, sdk_body) = post(
            format!("http://127.0.0.1:{}/wix/actions/v1/invoke", provider.port),
            case.body.clone(),
        )
        .await;
        let (ours, our_body) = post(
            format!("http://{}/wix/actions/v1/invoke", inbox.addr),
            case.body.clone(),
        )
        .await;
        let (sdk_ok, our_ok) = ((200..300).contains(&sdk), (200..300).contains(&ours));
        if sdk_ok != case.sdk_accepts || our_ok != sdk_ok {
            mismatches.push(format!(
                "{}: SDK {sdk} {sdk_body} / inbox {ours} {our_body} / catalogue says {}",
                case.label,
                if case.sdk_accepts { "accept" } else { "refuse" }
            ));
        }
    }
    // The other two methods dispatch too.
    for path in ["/v1/validate-configuration", "/v1/quota-info"] {
        let mut c = claims(serde_json::json!({"actionKey": "send-email", "inputMapping": "{}"}));
        c["iat"] = serde_json::json!(chrono::Utc::now().timestamp());
        c["exp"] = serde_json::json!(chrono::Utc::now().timestamp() + 300);
        let token = sign(&c, "test-wix-private.pem");
        let (sdk, body) = post(
            format!("http://127.0.0.1:{}{path}", provider.port),
            token.clone(),
        )
        .await;
        let (ours, our_body) = post(format!("http://{}{path}", inbox.addr), token).await;
        if sdk != 200 || ours != 200 {
            mismatches.push(format!(
                "{path}: SDK {sdk} {body} / inbox {ours} {our_body}"
            ));
        }
    }
    inbox.stop(Duration::from_secs(2)).await;
    assert!(
        mismatches.is_empty(),
        "verdicts differ on {} of {} envelopes:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
