//! Over real sockets on 127.0.0.1: the whole loop, the `serve` command, and start/stop errors.

mod common;

use actionbench::domain::clock::SystemClock;
use actionbench::domain::invocation::Phase;
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::server::{self, StartError};
use common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_over_http_timeout_then_completion_report() {
    let mut config = EngineConfig {
        default_mode: Mode::Auto,
        ..EngineConfig::default()
    };
    actionbench::cli::AutoAnswer::Timeout(60).configure(&mut config);
    let engine = Engine::new(config, Arc::new(SystemClock));
    engine.add_samples(&samples());
    let handle = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let base = format!("http://{}", handle.addr);
    let client = reqwest::Client::new();

    let approval = sample("02-").sample;
    let out = actionbench::play::sender::send_sample(&client, &base, &approval)
        .await
        .expect("sent");
    assert_eq!(out.status, 200);
    assert_eq!(
        out.json().expect("json")["timeoutLengthOptions"]["timeoutInMinutes"],
        60
    );
    let ex = engine.snapshot().pop().expect("logged");
    assert!(matches!(ex.phase, Phase::Waiting { .. }));
    let token = ex.invocation_token.clone().expect("token");

    // The developer's code reports completion to the mock API, with its access token.
    let report = json!({"invocationToken": token, "status": "SUCCESS", "successInfo": {"result": {"decision": "REJECTED"}}});
    let res = client
        .post(format!(
            "{base}/automations_runtime/v1/report-action-invocation-completed"
        ))
        .header("authorization", "app-access-token")
        .json(&report)
        .send()
        .await
        .expect("reported");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.expect("json"), json!({}));
    assert_eq!(
        engine.exchange(ex.id).expect("ex").phase,
        Phase::Completed {
            result: json!({"decision": "REJECTED"})
        }
    );
    // Unknown paths over a real socket: a JSON 404 naming the routes.
    let res = client
        .post(format!("{base}/v1/on-before-save"))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 404);
    assert!(
        res.text()
            .await
            .expect("text")
            .contains("/v1/validate-configuration")
    );
    handle.stop(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_answers_held_calls_503_within_two_seconds() {
    let engine = Engine::new(EngineConfig::default(), Arc::new(SystemClock));
    let handle = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let url = format!("http://{}/v1/invoke", handle.addr);
    let callers: Vec<_> = (0..3)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let body = invoke_request("send-email", &format!("tok-{i}")).to_string();
                reqwest::Client::new()
                    .post(url)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    for _ in 0..2000 {
        if engine
            .snapshot()
            .iter()
            .filter(|e| e.phase.is_held())
            .count()
            == 3
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    handle.stop(Duration::from_secs(2)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped in {:?}",
        started.elapsed()
    );
    for c in callers {
        assert_eq!(c.await.expect("joined").expect("answered"), 503);
    }
    assert!(engine.snapshot().iter().all(|e| e.phase == Phase::ShutDown));
}

#[tokio::test]
async fn a_port_in_use_and_a_remote_address_are_clear_errors() {
    let engine = Engine::new(EngineConfig::default(), Arc::new(SystemClock));
    let first = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("starts");
    let again = server::start(engine.clone(), first.addr).await;
    let Err(e @ StartError::InUse(_)) = again else {
        panic!("expected InUse")
    };
    assert!(
        e.to_string().contains("already in use") && e.to_string().contains("--port"),
        "{e}"
    );
    let remote =
        server::check_bind("0.0.0.0".parse().expect("ip"), 4010, false).expect_err("refused");
    assert!(remote.to_string().contains("--allow-remote"), "{remote}");
    assert!(server::check_bind("0.0.0.0".parse().expect("ip"), 4010, true).is_ok());
    assert!(server::check_bind("::1".parse().expect("ip"), 4010, false).is_ok());
    first.stop(Duration::from_secs(2)).await;
}

/// Reads JSON lines from the child until one matches, with a deadline.
fn next_line(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    want: impl Fn(&Value) -> bool,
) -> Value {
    for line in lines.by_ref() {
        let line = line.expect("line");
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line: {line}: {e}"));
        if want(&v) {
            return v;
        }
    }
    panic!("serve ended before the expected line");
}

#[test]
fn serve_prints_one_json_line_per_event() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0", "--answer", "timeout:5"])
        .arg("--samples")
        .arg(root().join("samples"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let guard = KillOnDrop(&mut child);
    let stdout = guard.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening = next_line(&mut lines, |v| v["event"] == "listening");
    let url = listening["url"].as_str().expect("url").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(listening["samples"], 8);

    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let res = client
        .post(format!("{url}/v1/invoke"))
        .body(invoke_request("send-email", "tok-s").to_string())
        .send()
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    let arrived = next_line(&mut lines, |v| v["event"] == "arrived");
    assert_eq!(
        (arrived["path"].clone(), arrived["phase"].clone()),
        (json!("/v1/invoke"), json!("received"))
    );
    let waiting = next_line(&mut lines, |v| v["event"] == "waiting");
    assert_eq!(
        (waiting["actionKey"].clone(), waiting["status"].clone()),
        (json!("send-email"), json!(200))
    );
    assert!(waiting["deadline"].is_string());

    let res = client
        .post(format!("{url}/v1/invoke"))
        .body("{oops")
        .send()
        .expect("sent");
    assert_eq!(res.status().as_u16(), 400);
    let rejected = next_line(&mut lines, |v| v["event"] == "rejected");
    assert_eq!(
        (rejected["code"].clone(), rejected["flagged"].clone()),
        (json!("INVALID_JSON"), json!(true))
    );

    let report = json!({"invocationToken": "tok-s", "status": "FAILURE", "failureInfo": {"errorDescription": "bounced"}});
    let res = client
        .post(format!(
            "{url}/automations_runtime/v1/report-action-invocation-completed"
        ))
        .body(report.to_string())
        .send()
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    let failed = next_line(&mut lines, |v| v["event"] == "failed");
    assert_eq!(failed["errorDescription"], "bounced");
}

#[test]
fn serve_forwards_every_call_to_the_target() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let answer = json!({"invokeTimeoutType": "IMMEDIATE", "result": {"messageId": "relayed"}});
    let (base, received) = recording_provider(&rt, 200, answer.clone());
    let mut child = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args([
            "serve", "--port", "0", "--answer", "forward", "--target", &base,
        ])
        .arg("--samples")
        .arg(root().join("samples"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let guard = KillOnDrop(&mut child);
    let stdout = guard.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening = next_line(&mut lines, |v| v["event"] == "listening");
    let url = listening["url"].as_str().expect("url").to_string();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let body = invoke_request("send-email", "tok-f").to_string();
    let res = client
        .post(format!("{url}/v1/invoke"))
        .body(body.clone())
        .send()
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().expect("json"), answer);
    let answered = next_line(&mut lines, |v| v["event"] == "answered");
    assert_eq!(
        (
            answered["answeredBy"].clone(),
            answered["targetStatus"].clone()
        ),
        (json!("target"), json!(200))
    );
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, body.as_bytes(), "relayed byte for byte");
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// SIGTERM right after a burst: every event of the run is printed before `serve` exits, and
/// the first line says what a JWT's verification covers.
#[cfg(unix)]
#[test]
fn serve_prints_every_line_before_it_exits() {
    // A session of the test's own (not serve's scratch one, removed on stop): when the count
    // does not add up, the journal says what the exchanges not printed were.
    let dir = TempDir::new("serve-prints");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let session = dir.path().join("s.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0", "--session"])
        .arg(&session)
        .arg("--public-key")
        .arg(root().join("tests/fixtures/test-wix-public.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let pid = child.id();
    let guard = KillOnDrop(&mut child);
    let stdout = guard.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening = next_line(&mut lines, |v| v["event"] == "listening");
    assert!(
        listening["jwt"]
            .as_str()
            .is_some_and(|j| j.contains("aud is not checked")),
        "{listening}"
    );
    let url = listening["url"].as_str().expect("url").to_string();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    const CALLS: usize = 300;
    for i in 0..CALLS {
        let res = client
            .post(format!("{url}/v1/invoke"))
            .body(invoke_request("send-email", &format!("tok-{i}")).to_string())
            .send()
            .expect("sent");
        assert_eq!(res.status().as_u16(), 200);
    }
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    // Read to the end (bounded: the child is killed on drop if it hangs, and reading stops
    // at EOF when it exits).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rest: Vec<Value> = lines
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
        let _ = tx.send(rest);
    });
    let rest = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("serve did not exit within 10 s of SIGTERM");
    // Each call: its arrival, then its answer (failed: `{}` breaks send-email's output schema).
    let arrived = rest.iter().filter(|v| v["event"] == "arrived").count();
    let answered = rest.iter().filter(|v| v["event"] == "failed").count();
    assert_eq!((arrived, answered), (CALLS, CALLS), "every line is printed");
    let last = rest.last().expect("a last line");
    let printed: std::collections::BTreeSet<u64> =
        rest.iter().filter_map(|v| v["id"].as_u64()).collect();
    let not_printed = || -> Vec<String> {
        std::fs::read_to_string(&session)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                serde_json::from_str::<Value>(l)
                    .ok()
                    .and_then(|v| v["ex"]["id"].as_u64())
                    .is_some_and(|id| !printed.contains(&id))
            })
            .map(|l| l.chars().take(400).collect())
            .collect()
    };
    assert_eq!(
        (last["event"].clone(), last["calls"].clone()),
        (json!("stopped"), json!(CALLS)),
        "serve logged exchanges it did not print: {:#?}",
        not_printed()
    );
}

/// The window stopped with SIGTERM (or Ctrl-C in its terminal) does what closing it does:
/// held callers get 503, every change is in the journal, and it exits 0. Runs the real window
/// on a virtual display (Xvfb).
#[cfg(unix)]
#[test]
fn the_window_stopped_by_a_signal_answers_held_calls_and_exits_0() {
    let Some(x) = Xvfb::start("1024x640") else {
        return;
    };
    let home = TempDir::new("window-signal");
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).expect("dir");
    let session = home.path().join("s.jsonl");
    // Its settings, key and sessions go to a home of its own, not the user's.
    let mut window = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["--port", "0", "--session"])
        .arg(&session)
        .arg("--key-dir")
        .arg(home.path().join("key"))
        .env("DISPLAY", &x.display)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the window starts");
    let mut out = BufReader::new(window.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("a line");
    let url = line
        .trim()
        .strip_prefix("ActionBench inbox listening on ")
        .unwrap_or_else(|| panic!("the window says where it listens: {line:?}"))
        .to_string();
    let body = invoke_request("send-email", "tok-held-on-signal").to_string();
    let caller = std::thread::spawn(move || {
        let res = reqwest::blocking::Client::new()
            .post(format!("{url}/v1/invoke"))
            .body(body)
            .timeout(Duration::from_secs(30))
            .send()
            .expect("answered");
        (res.status().as_u16(), res.text().expect("text"))
    });
    // Held: it is in the journal before anything else happens to it.
    wait_until("the held call in the journal", || {
        std::fs::read_to_string(&session).is_ok_and(|s| s.contains("tok-held-on-signal"))
    });
    let killed = Command::new("kill")
        .args(["-TERM", &window.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = window.try_wait().expect("waits") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the window did not stop within 15 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "exits 0 after SIGTERM");
    let (code, answer) = caller.join().expect("the caller ends");
    assert_eq!(code, 503, "the held caller gets 503: {answer}");
    assert!(answer.contains("SHUTTING_DOWN"), "{answer}");
    let read = actionbench::journal::read(&session).expect("the journal reads");
    let held = read
        .exchanges
        .iter()
        .find(|e| e.invocation_token.as_deref() == Some("tok-held-on-signal"))
        .expect("the call is journaled");
    assert_eq!(held.phase, Phase::ShutDown, "its 503 is journaled too");
}
