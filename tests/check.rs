//! `actionbench check` against small action providers started here on loopback: one correct,
//! one that breaks the contract, one that answers with a timeout and reports completion, and no
//! provider at all. The real binary runs; its rows, exit code and JUnit file are checked.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

/// How the provider under test answers.
#[derive(Clone)]
enum Provider {
    /// Answers every method correctly, and never looks at a JWT: it skips verification.
    Correct,
    /// Like `Correct`, but verifies every request as the SDK's AppStrategy does (RS256 with
    /// this public key, iss wix.com, aud this app ID, exp and nbf, data an object), else 401.
    Verifies {
        public_pem: String,
        app_id: String,
    },
    BreaksTheContract,
    /// Answers Invoke with a 60-minute timeout, then reports completion to `report_port`.
    WaitsThenReports {
        report_port: u16,
    },
}

/// The request in a JWT `body`, verified as AppStrategy verifies it.
fn verified(body: &[u8], public_pem: &str, app_id: &str) -> Result<Value, String> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let token = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let key = DecodingKey::from_rsa_pem(public_pem.as_bytes()).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&["wix.com"]);
    v.set_audience(&[app_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.validate_nbf = true;
    v.leeway = 0;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &v)
        .map_err(|e| e.to_string())?
        .claims;
    match claims.get("data") {
        Some(d) if d.get("request").is_some_and(Value::is_object) => Ok(d.clone()),
        _ => Err("data is not {request, metadata}".into()),
    }
}

async fn handle(State(p): State<Arc<Provider>>, uri: Uri, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let req: Value = match &*p {
        Provider::Verifies { public_pem, app_id } => match verified(&body, public_pem, app_id) {
            Ok(r) => r,
            Err(e) => {
                return (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"message": e})),
                )
                    .into_response();
            }
        },
        _ => serde_json::from_slice(&body).unwrap_or_default(),
    };
    let path = uri.path().to_string();
    axum::Json(if path.ends_with("/v1/validate-configuration") {
        json!({"valid": true, "configurationErrors": []})
    } else if path.ends_with("/v1/quota-info") {
        json!({"actionQuotaInfo": {"enforced": false, "quotaInfo": []}})
    } else {
        match &*p {
            Provider::Correct | Provider::Verifies { .. } => json!({"invokeTimeoutType": "IMMEDIATE",
                                        "result": {"messageId": "m-1", "acceptedAt": "2026-11-27T10:00:00Z"}}),
            Provider::BreaksTheContract => json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                                                  "timeoutLengthOptions": {"timeoutInMinutes": 2000}}),
            &Provider::WaitsThenReports { report_port } => {
                let token = req
                    .pointer("/request/activationContext/invocationToken")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                // Report a moment later, as the action's own code would.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let _ = reqwest::Client::new()
                        .post(format!("http://127.0.0.1:{report_port}/automations_runtime/v1/report-action-invocation-completed"))
                        .header("authorization", "app-token")
                        .json(&json!({"invocationToken": token, "status": "SUCCESS",
                                      "successInfo": {"result": {"decision": "APPROVED"}}}))
                        .send()
                        .await;
                });
                json!({"invokeTimeoutType": "TIMEOUT_LENGTH", "timeoutLengthOptions": {"timeoutInMinutes": 60}})
            }
        }
    })
    .into_response()
}

/// Starts `p` on a free loopback port under the base path `/wix/actions`; returns the base URL.
fn start(rt: &tokio::runtime::Runtime, p: Provider) -> String {
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(handle).with_state(Arc::new(p));
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/wix/actions")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn samples_at(prefixes: &[&str]) -> Vec<PathBuf> {
    prefixes
        .iter()
        .map(|p| sample(p).path.expect("a sample file"))
        .collect()
}

/// Runs `actionbench check` with a 60 s limit.
fn check(args: &[&str], samples: &[PathBuf]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .arg("check")
        .args(args)
        .args(samples)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("check did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A JUnit file path of its own under the temp folder.
fn junit_path() -> PathBuf {
    std::env::temp_dir().join(format!("actionbench-junit-{}.xml", uuid::Uuid::new_v4()))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_correct_action_passes_every_check_and_the_junit_file_says_so() {
    let rt = runtime();
    let target = start(&rt, Provider::Correct);
    let junit = junit_path();
    let port = free_port().to_string();
    let out = check(
        &[
            "--target",
            &target,
            "--port",
            &port,
            "--junit",
            junit.to_str().expect("path"),
        ],
        &samples_at(&["01-", "07-", "08-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("3 passed, 0 failed"), "{t}");
    assert!(
        t.contains("PASS Send confirmation email [invoke] HTTP 200"),
        "{t}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase").count(), 3, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    let _ = std::fs::remove_file(junit);
}

#[test]
fn a_broken_answer_fails_with_the_field_and_why() {
    let rt = runtime();
    let target = start(&rt, Provider::BreaksTheContract);
    let junit = junit_path();
    let port = free_port().to_string();
    let out = check(
        &[
            "--target",
            &target,
            "--port",
            &port,
            "--wait",
            "0",
            "--junit",
            junit.to_str().expect("path"),
        ],
        &samples_at(&["02-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("FAIL Expense approval"), "{t}");
    assert!(
        t.contains("timeout-too-long at timeoutLengthOptions.timeoutInMinutes"),
        "{t}"
    );
    assert!(
        t.contains("why it matters: Wix waits at most 24 hours"),
        "{t}"
    );
    assert!(t.contains("0 passed, 1 failed"), "{t}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<failure") && xml.contains("timeoutInMinutes"),
        "{xml}"
    );
    let _ = std::fs::remove_file(junit);
}

#[test]
fn a_timeout_answer_passes_once_the_action_reports_completion() {
    let rt = runtime();
    let port = free_port();
    let target = start(&rt, Provider::WaitsThenReports { report_port: port });
    let out = check(
        &[
            "--target",
            &target,
            "--port",
            &port.to_string(),
            "--wait",
            "20",
        ],
        &samples_at(&["02-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("waiting up to 20 s for 1 completion report"),
        "{t}"
    );
    assert!(t.contains("completed"), "{t}");
}

#[test]
fn a_timeout_answer_without_a_report_fails_after_wait() {
    let rt = runtime();
    // It reports to a port nobody serves: check never hears of it.
    let target = start(
        &rt,
        Provider::WaitsThenReports {
            report_port: free_port(),
        },
    );
    let port = free_port().to_string();
    let out = check(
        &["--target", &target, "--port", &port, "--wait", "1"],
        &samples_at(&["02-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("no completion report within 1 s"), "{t}");
}

#[test]
fn it_cannot_run_without_a_target_or_an_app_id_for_jwt() {
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let a = l.local_addr().expect("addr");
        drop(l);
        format!("http://{a}")
    };
    let port = free_port().to_string();
    let out = check(
        &["--target", &refused, "--port", &port],
        &samples_at(&["01-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("connection refused") && t.contains("could not be reached"),
        "{t}"
    );
    let out = check(
        &["--target", "http://127.0.0.1:1", "--jwt"],
        &samples_at(&["01-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("--jwt needs --app-id"), "{t}");
    let out = check(&["--target", "ftp://x"], &samples_at(&["01-"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// A fresh key folder with ActionBench's key in it; its public PEM.
fn key_dir() -> (TempDir, String) {
    let dir = TempDir::new("check-key");
    let key = actionbench::play::keys::load_or_create(dir.path()).expect("key");
    (dir, key.public_pem)
}

#[test]
fn the_lab_passes_against_an_action_that_verifies_requests() {
    let rt = runtime();
    let (dir, public_pem) = key_dir();
    let target = start(
        &rt,
        Provider::Verifies {
            public_pem,
            app_id: APP_ID.into(),
        },
    );
    let junit = junit_path();
    let port = free_port().to_string();
    let out = check(
        &[
            "--target",
            &target,
            "--jwt",
            "--app-id",
            APP_ID,
            "--key-dir",
            dir.path().to_str().expect("path"),
            "--port",
            &port,
            "--lab",
            "--junit",
            junit.to_str().expect("path"),
        ],
        &samples_at(&["01-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // The signed sample, and twelve lab envelopes, each refused.
    assert!(t.contains("13 passed, 0 failed"), "{t}");
    for what in [
        "expired",
        "not yet valid",
        "another key",
        "wrong audience",
        "no audience",
        "wrong issuer",
        "no issuer",
        "alg none",
        "HS256",
        "tampered",
        "plain JSON",
        "data is a string",
    ] {
        assert!(
            t.lines()
                .any(|l| l.starts_with("PASS lab: ") && l.contains(what)),
            "no passing lab row for {what}: {t}"
        );
    }
    assert_eq!(
        t.matches("refused with 401, as it should").count(),
        12,
        "{t}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase").count(), 13, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    let _ = std::fs::remove_file(junit);
}

#[test]
fn the_lab_marks_an_action_that_skips_verification_as_dangerous() {
    let rt = runtime();
    let (dir, _) = key_dir();
    let target = start(&rt, Provider::Correct);
    let junit = junit_path();
    let port = free_port().to_string();
    let out = check(
        &[
            "--target",
            &target,
            "--app-id",
            APP_ID,
            "--key-dir",
            dir.path().to_str().expect("path"),
            "--port",
            &port,
            "--lab",
            "--junit",
            junit.to_str().expect("path"),
        ],
        &samples_at(&["01-"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    // The plain sample passes; every lab envelope is accepted, and each says why that matters.
    assert!(t.contains("1 passed, 12 failed"), "{t}");
    assert_eq!(t.matches("DANGEROUS: accepted it (200)").count(), 12, "{t}");
    assert!(
        t.contains("anyone can write any request without a key"),
        "the alg-none row says why it matters: {t}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<failure").count(), 12, "{xml}");
    let _ = std::fs::remove_file(junit);
}
