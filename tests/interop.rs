//! The official SDK as the oracle: an action provider built on `@wix/sdk` AppStrategy +
//! `@wix/automations` (tests/sdk-provider, versions pinned in its package.json and lock file)
//! and the inbox get the same envelopes, and their verdicts must match.
//!
//! Needs node and npm; `npm ci` runs here when tests/sdk-provider/node_modules is missing.

mod common;
#[path = "common/envelopes.rs"]
mod envelopes;

use actionbench::domain::clock::SystemClock;
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::server;
use common::*;
use envelopes::*;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The SDK action provider (tests/sdk-provider/provider.js).
type Provider = NodeApp;

/// Starts the SDK provider on a free loopback port, installing its packages first if needed.
fn start_provider() -> Provider {
    start_provider_with(&root().join("tests/fixtures/test-wix-public.pem"), APP_ID)
}

/// The same, trusting the public key in `pem` for app `app_id`.
fn start_provider_with(pem: &std::path::Path, app_id: &str) -> Provider {
    start_provider_reporting(pem, app_id, None)
}

/// The same; with `report_url`, Invoke answers with a timeout and the provider reports
/// completion there.
fn start_provider_reporting(
    pem: &std::path::Path,
    app_id: &str,
    report_url: Option<&str>,
) -> Provider {
    let mut args = vec![
        std::ffi::OsStr::new("provider.js"),
        pem.as_os_str(),
        std::ffi::OsStr::new(app_id),
    ];
    args.extend(report_url.map(std::ffi::OsStr::new));
    NodeApp::start(&args)
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

/// ActionBench's own key signs requests the way Wix does: an action on the SDK, given its public
/// key, accepts them unchanged for all three methods, and so does the inbox's verifier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_on_the_sdk_accepts_requests_actionbench_signs_for_all_three_methods() {
    use actionbench::domain::as_wix::{App, Ids, Source, sign, wix_envelope};
    use actionbench::domain::envelope::{self, EnvelopeKind, JwtConfig};
    let dir = std::env::temp_dir().join(format!("actionbench-interop-{}", uuid::Uuid::new_v4()));
    let key = actionbench::play::keys::load_or_create(&dir).expect("key");
    let pem = dir.join("public.pem");
    std::fs::write(&pem, &key.public_pem).expect("public pem");
    let app = App {
        app_id: "0f0e0d0c-aaaa-4bbb-8ccc-123456789abc".into(),
        instance_id: "instance-1".into(),
    };
    let provider = {
        let (pem, app_id) = (pem.clone(), app.app_id.clone());
        tokio::task::spawn_blocking(move || start_provider_with(&pem, &app_id))
            .await
            .expect("provider")
    };
    let verifier =
        JwtConfig::from_pem(key.public_pem.as_bytes(), Some(app.app_id.clone())).expect("pem");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let encoding = key.encoding_key().expect("encoding key");
    let sources = [
        Source::Trigger,
        Source::Manual { test_mode: true },
        Source::Rerun {
            original_activation_id: "act-0".into(),
            skip_delays: true,
        },
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in samples().into_iter().enumerate() {
        let sample = s.sample;
        let env = wix_envelope(&sample, &sources[i % 3], &Ids::fresh(), &app);
        let token = sign(&env, &app.app_id, &encoding, chrono::Utc::now()).expect("signed");
        let d = envelope::decode(token.as_bytes(), &verifier, chrono::Utc::now())
            .unwrap_or_else(|e| panic!("{}: the inbox refuses it: {e}", sample.name));
        assert_eq!(d.kind, EnvelopeKind::JwtVerified);
        assert!(d.warnings.is_empty(), "{}: {:?}", sample.name, d.warnings);
        let url = format!(
            "http://127.0.0.1:{}/my/base{}",
            provider.port,
            sample.method.path()
        );
        let res = client
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .header("user-agent", "Wix")
            .body(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        assert_eq!(status, 200, "{}: the SDK refused it: {body}", sample.name);
        if sample.method == actionbench::domain::wire::Method::Invoke {
            // The handler got the request: it echoes the action key.
            assert_eq!(
                body["result"]["seen"], sample.request["actionKey"],
                "{}",
                sample.name
            );
        }
        seen.insert(sample.method.label());
    }
    assert_eq!(seen.len(), 3, "all three methods were sent: {seen:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `actionbench check` with `args`, bounded to 60 s; exit code and stdout+stderr.
fn run_check(args: &[&str], samples: &[&str]) -> (Option<i32>, String) {
    let samples: Vec<std::path::PathBuf> = samples
        .iter()
        .map(|p| sample(p).path.expect("file"))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .arg("check")
        .args(args)
        .args(&samples)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("check runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("check did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `actionbench check --jwt --lab` against the SDK provider: signed calls for all three
/// methods are accepted, answers that fit the samples' schemas pass, and the SDK refuses every
/// lab envelope.
#[test]
fn check_with_signed_calls_and_the_lab_passes_against_an_action_on_the_sdk() {
    let dir = TempDir::new("check-sdk");
    let key = actionbench::play::keys::load_or_create(dir.path()).expect("key");
    let pem = dir.path().join("public.pem");
    std::fs::write(&pem, &key.public_pem).expect("public pem");
    let provider = start_provider_with(&pem, "app-check");
    let target = format!("http://127.0.0.1:{}/some/base", provider.port);
    let port = free_port().to_string();
    let (code, text) = run_check(
        &[
            "--jwt",
            "--app-id",
            "app-check",
            "--wait",
            "0",
            "--lab",
            "--target",
            &target,
            "--port",
            &port,
            "--key-dir",
            dir.path().to_str().expect("path"),
        ],
        &["05-", "07-", "08-"],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("15 passed, 0 failed"), "{text}");
    assert_eq!(text.matches("PASS lab: ").count(), 12, "{text}");
}

/// The SDK provider answers with a timeout and reports completion to check's completion API:
/// the invocation completes, and check passes.
#[test]
fn the_sdk_providers_completion_report_completes_the_invocation() {
    let dir = TempDir::new("check-sdk-report");
    let key = actionbench::play::keys::load_or_create(dir.path()).expect("key");
    let pem = dir.path().join("public.pem");
    std::fs::write(&pem, &key.public_pem).expect("public pem");
    let port = free_port().to_string();
    let report_url = format!(
        "http://127.0.0.1:{port}/automations_runtime/v1/report-action-invocation-completed"
    );
    let provider = start_provider_reporting(&pem, "app-check", Some(&report_url));
    let target = format!("http://127.0.0.1:{}", provider.port);
    let (code, text) = run_check(
        &[
            "--jwt",
            "--app-id",
            "app-check",
            "--wait",
            "20",
            "--target",
            &target,
            "--port",
            &port,
            "--key-dir",
            dir.path().to_str().expect("path"),
        ],
        &["05-"],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("waiting up to 20 s for 1 completion report"),
        "{text}"
    );
    assert!(
        text.contains("HTTP 200") && text.contains(" completed"),
        "{text}"
    );
}
