//! The promises at their edges: a session that cannot be written (an injected failing writer,
//! and `serve` on a real 2 MB tmpfs) refuses what it cannot record and loses nothing answered;
//! one writer per session file; a session of a newer format is not appended to; web pages
//! (an `Origin`, a `Host` that is not this machine's) cannot reach the inbox.

mod common;

use actionbench::domain::invocation::Phase;
use actionbench::engine::Mode;
use actionbench::journal;
use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// POSTs `body` to `url` (plain HTTP/1.1 over a socket, so every header is as written here):
/// the status and the body as JSON.
fn raw_post(url: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!("POST {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).expect("writes");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("reads the answer");
    let status: u16 = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v.pointer("/details/applicationError/code")
        .and_then(Value::as_str)
        .unwrap_or("")
}

// ---- a session that cannot be written --------------------------------------------------

#[test]
fn a_journal_that_cannot_be_written_refuses_calls_and_loses_nothing_answered() {
    let dir = TempDir::new("edges-full");
    let path = dir.path().join("s.jsonl");
    let s = served(Mode::Auto, |c| c.memory_budget = 0);
    let opened = journal::attach(&s.engine, &path).expect("opens");
    let invoke = |tok: &str| invoke_request("send-email", tok).to_string();

    let (status, _) = raw_post(&s.url, "/v1/invoke", &[], &invoke("tok-ok-1"));
    assert_eq!(status, 200);

    // The disk fills: the call whose lines could not be written is refused, not answered 200.
    opened
        .journal
        .fail_writes(Some(std::io::ErrorKind::StorageFull));
    let (status, body) = raw_post(&s.url, "/v1/invoke", &[], &invoke("tok-lost-1"));
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "SESSION_NOT_WRITABLE", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("no space left") && m.contains("s.jsonl")),
        "the refusal names the session and the cause: {body}"
    );
    let why = s.engine.recording_trouble().expect("the engine knows");
    assert!(why.contains("cannot be written"), "{why}");
    // Later calls are refused before anything is done with them, and are logged, flagged.
    for i in 0..5 {
        let (status, body) = raw_post(
            &s.url,
            "/v1/invoke",
            &[],
            &invoke(&format!("tok-lost-{}", i + 2)),
        );
        assert_eq!(status, 503, "{body}");
        assert_eq!(code(&body), "SESSION_NOT_WRITABLE");
    }
    let log = s.engine.snapshot();
    assert_eq!(log.len(), 7);
    for ex in &log[1..] {
        assert!(
            matches!(&ex.phase, Phase::Rejected { code, .. } if code == "SESSION_NOT_WRITABLE"),
            "#{} {:?}",
            ex.id,
            ex.phase
        );
        assert!(ex.is_flagged());
    }
    // Nothing that could not be written leaves memory, whatever the budget (0 here).
    assert_eq!(s.engine.in_memory(), s.engine.len());

    // Space comes back: recording resumes by itself.
    opened.journal.fail_writes(None);
    let start = Instant::now();
    let mut answered = vec!["tok-ok-1".to_string()];
    loop {
        let tok = format!("tok-back-{}", answered.len());
        let (status, _) = raw_post(&s.url, "/v1/invoke", &[], &invoke(&tok));
        if status == 200 {
            answered.push(tok);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "recording did not resume within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.engine.recording_trouble().is_none());
    let (status, _) = raw_post(&s.url, "/v1/invoke", &[], &invoke("tok-back-last"));
    assert_eq!(status, 200);
    answered.push("tok-back-last".into());
    let in_memory = s.engine.len();
    drop(opened);
    drop(s);

    // Every call answered 200 is in the journal; the refused ones say so; no line is torn
    // (the half-written lines were cut back), and the outage is named.
    let read = journal::read(&path).expect("reads");
    assert_eq!(read.exchanges.len(), in_memory, "{:?}", read.warnings);
    for tok in &answered {
        let ex = read
            .exchanges
            .iter()
            .find(|e| e.invocation_token.as_deref() == Some(tok.as_str()))
            .unwrap_or_else(|| panic!("{tok} is in the journal"));
        assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200), "{tok}");
    }
    for ex in &read.exchanges {
        if ex
            .invocation_token
            .as_deref()
            .is_some_and(|t| t.starts_with("tok-lost"))
        {
            assert_eq!(
                ex.response.as_ref().map(|r| r.status),
                Some(503),
                "#{}",
                ex.id
            );
        }
    }
    assert!(
        read.warnings
            .iter()
            .any(|w| w.contains("recording failed from") && w.contains("no space left")),
        "{:?}",
        read.warnings
    );
    assert!(
        !read
            .warnings
            .iter()
            .any(|w| w.contains("torn") || w.contains("could not be read")),
        "{:?}",
        read.warnings
    );
}

#[test]
fn a_removed_session_file_stops_recording_loudly() {
    let dir = TempDir::new("edges-removed");
    let path = dir.path().join("s.jsonl");
    let s = served(Mode::Auto, |_| {});
    let opened = journal::attach(&s.engine, &path).expect("opens");
    std::fs::remove_file(&path).expect("removed");
    // The sync thread looks every second.
    let start = Instant::now();
    while s.engine.recording_trouble().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the removal was not noticed within 5 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, body) = raw_post(
        &s.url,
        "/v1/invoke",
        &[],
        &invoke_request("send-email", "tok-1").to_string(),
    );
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("removed")),
        "{body}"
    );
    drop(opened);
}

/// A tmpfs of `size` mounted at a new folder, unmounted on drop; `None` where this process
/// may not mount (not root).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Result<Tmpfs, String> {
        let dir = std::env::temp_dir().join(format!("actionbench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Starts `serve --session PATH` on a free port; the child, its URL, and its stdout lines.
fn serve_session(
    path: &std::path::Path,
) -> (
    std::process::Child,
    String,
    std::sync::mpsc::Receiver<Value>,
) {
    let p = path.to_str().expect("path");
    let (child, rx) = serve_lines(&["--answer", "immediate", "--session", p]);
    let listening = loop {
        let v = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a listening line within 20 s");
        if v["event"] == "listening" {
            break v;
        }
    };
    let url = listening["url"].as_str().expect("url").to_string();
    (child, url, rx)
}

#[test]
fn serve_on_a_full_tmpfs_refuses_what_it_cannot_record_and_every_200_is_in_the_journal() {
    let fs = match Tmpfs::mount("full", "2m") {
        Ok(fs) => fs,
        Err(e) => {
            // The injected writer above proves the same promise without mounting.
            eprintln!("SKIPPED: a tmpfs cannot be mounted here (needs root): {e}");
            return;
        }
    };
    let path = fs.0.join("s.jsonl");
    let (mut child, url, events) = serve_session(&path);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let (mut ok, mut refused) = (vec![], 0);
    for i in 0..6_000 {
        let tok = format!("tok-{i}");
        let res = client
            .post(format!("{url}/v1/invoke"))
            .body(invoke_request("send-email", &tok).to_string())
            .send()
            .expect("serve answers every call");
        match res.status().as_u16() {
            200 => ok.push(tok),
            503 => {
                let body: Value = res.json().expect("JSON");
                assert_eq!(code(&body), "SESSION_NOT_WRITABLE", "{body}");
                refused += 1;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert!(
        refused > 0,
        "2 MB cannot hold 6,000 calls: some must be refused"
    );
    assert!(ok.len() > 100, "the first calls fit: {} answered", ok.len());
    // serve said so on stdout.
    let said: Vec<Value> = events.try_iter().collect();
    assert!(
        said.iter().any(|v| v["event"] == "recording-stopped"),
        "a recording-stopped line"
    );
    assert!(
        said.iter()
            .any(|v| v["event"] == "rejected" && v["code"] == "SESSION_NOT_WRITABLE"),
        "an event line for refused calls"
    );
    // The server is alive: a call is still answered (refused, with why).
    let res = client
        .post(format!("{url}/v1/invoke"))
        .body(invoke_request("send-email", "tok-alive").to_string())
        .send()
        .expect("alive");
    assert_eq!(res.status().as_u16(), 503);
    let _ = child.kill();
    let _ = child.wait();

    // Exported as HAR, the journal holds every call that was answered 200.
    let har = fs.0.join("../edges-full.har");
    let out = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .arg("export")
        .arg("--session")
        .arg(&path)
        .arg("--har")
        .arg(&har)
        .output()
        .expect("export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let har: Value =
        serde_json::from_slice(&std::fs::read(&har).expect("har")).expect("HAR is JSON");
    let _ = std::fs::remove_file(fs.0.join("../edges-full.har"));
    let mut in_har = std::collections::HashMap::new();
    for e in har["log"]["entries"].as_array().expect("entries") {
        let Some(text) = e.pointer("/request/postData/text").and_then(Value::as_str) else {
            continue;
        };
        if let Ok(body) = serde_json::from_str::<Value>(text)
            && let Some(tok) = body
                .pointer("/activationContext/invocationToken")
                .or_else(|| body.pointer("/request/activationContext/invocationToken"))
                .and_then(Value::as_str)
        {
            in_har.insert(tok.to_string(), e["response"]["status"].as_u64());
        }
    }
    for tok in &ok {
        assert_eq!(
            in_har.get(tok),
            Some(&Some(200)),
            "{tok} was answered 200 and must be in the journal as answered"
        );
    }
}

// ---- one writer per session --------------------------------------------------------------

#[test]
fn a_second_writer_of_a_session_is_refused_naming_the_holder() {
    let dir = TempDir::new("edges-lock");
    let path = dir.path().join("s.jsonl");
    let (a, _) = journal::Journal::open(&path, 1 << 20).expect("the first opens");
    assert!(
        journal::open_elsewhere(&path).is_some(),
        "the list sees it open"
    );
    let err = journal::Journal::open(&path, 1 << 20).expect_err("a second is refused");
    assert!(err.contains("s.jsonl") && err.contains("open in"), "{err}");
    #[cfg(target_os = "linux")]
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "names the process: {err}"
    );
    drop(a);
    assert!(
        journal::open_elsewhere(&path).is_none(),
        "closed, it is free"
    );
    let (b, _) = journal::Journal::open(&path, 1 << 20).expect("free again after the first closed");
    drop(b);
}

#[test]
fn a_second_serve_on_the_same_session_exits_at_once_and_the_first_keeps_recording() {
    let dir = TempDir::new("edges-two-serves");
    let path = dir.path().join("same.jsonl");
    let (mut first, url, _events) = serve_session(&path);
    let started = Instant::now();
    let second = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0", "--session"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(second.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the second serve exits within 5 s")
        .expect("output");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("same.jsonl") && err.contains("open in"),
        "{err}"
    );
    assert!(
        err.contains(&format!("process {}", first.id())),
        "names the first serve's process: {err}"
    );
    let client = reqwest::blocking::Client::new();
    for i in 0..3 {
        let res = client
            .post(format!("{url}/v1/invoke"))
            .body(invoke_request("send-email", &format!("tok-{i}")).to_string())
            .send()
            .expect("sent");
        assert_eq!(res.status().as_u16(), 200);
    }
    let _ = first.kill();
    let _ = first.wait();
    let read = journal::read(&path).expect("reads");
    assert_eq!(read.exchanges.len(), 3, "{:?}", read.warnings);
    let ids: Vec<u64> = read.exchanges.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
}

#[test]
fn a_session_of_a_newer_format_is_not_appended_to() {
    let dir = TempDir::new("edges-newer");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let path = dir.path().join("future.jsonl");
    let future =
        "{\"v\":99,\"kind\":\"session\",\"at\":\"2030-01-01T00:00:00Z\",\"version\":\"9.0.0\"}\n";
    std::fs::write(&path, future).expect("write");
    let err = journal::Journal::open(&path, 1 << 20).expect_err("refused");
    assert!(err.contains("newer") && err.contains("format 99"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        future,
        "nothing was appended"
    );
    // Read-only, it still opens (lines it cannot read are named).
    let read = journal::read(&path).expect("reads");
    assert!(read.exchanges.is_empty());
}

// ---- web pages -----------------------------------------------------------------------------

#[test]
fn a_web_page_cannot_reach_the_inbox_or_the_completion_api() {
    let s = served(Mode::Auto, |_| {});
    let body = invoke_request("send-email", "tok-web").to_string();
    // What any page can send without a preflight, from its own origin.
    let (status, answer) = raw_post(
        &s.url,
        "/v1/invoke",
        &[
            ("origin", "http://attacker.example"),
            ("content-type", "text/plain"),
        ],
        &body,
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(code(&answer), "ORIGIN_REFUSED");
    // DNS rebinding: the page's own name in Host.
    let (status, answer) = raw_post(
        &s.url,
        "/v1/invoke",
        &[("host", "attacker.example"), ("content-type", "text/plain")],
        &body,
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(code(&answer), "HOST_NOT_ALLOWED");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("--allow-host attacker.example")
                && m.contains("Allowed hosts in the left panel")),
        "the message names the flag and the window's real place: {answer}"
    );
    // The completion API stand-in too.
    let report = json!({"invocationToken": "tok-web", "status": "SUCCESS",
                        "successInfo": {"result": {}}})
    .to_string();
    let (status, _) = raw_post(
        &s.url,
        "/automations_runtime/v1/report-action-invocation-completed",
        &[("origin", "http://attacker.example")],
        &report,
    );
    assert_eq!(status, 403);
    // Every refusal is in the log, flagged; none of them reached the engine's answers.
    let log = s.engine.snapshot();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.is_flagged()
        && matches!(&e.phase, Phase::Rejected { code, .. } if code.ends_with("REFUSED") || code == "HOST_NOT_ALLOWED")));
    // Loopback names pass.
    for host in ["localhost", "127.0.0.1", "[::1]:4010", "127.1.2.3"] {
        let (status, answer) = raw_post(&s.url, "/v1/invoke", &[("host", host)], &body);
        assert_eq!(status, 200, "{host}: {answer}");
    }
}

#[test]
fn allowed_hosts_let_a_tunnel_through_and_cover_forward_mode() {
    let s = served(Mode::Forward, |c| {
        c.allowed_hosts = vec!["abc.trycloudflare.com".into(), ".ngrok-free.app".into()];
    });
    let body = invoke_request("send-email", "tok-tunnel").to_string();
    // Forward mode with no target set: the call passes the guard and is answered by forward
    // mode itself (502 or 503, saying there is no target), not refused by the guard.
    for host in ["abc.trycloudflare.com", "x1.ngrok-free.app:443"] {
        let (status, answer) = raw_post(&s.url, "/v1/invoke", &[("host", host)], &body);
        assert_ne!(status, 403, "{host}: {answer}");
        assert_ne!(code(&answer), "HOST_NOT_ALLOWED");
    }
    let (status, answer) = raw_post(
        &s.url,
        "/v1/invoke",
        &[("host", "other.trycloudflare.com")],
        &body,
    );
    assert_eq!(status, 403, "{answer}");
    // Even an allowed host is refused with an Origin: a page on that name.
    let (status, _) = raw_post(
        &s.url,
        "/v1/invoke",
        &[
            ("host", "abc.trycloudflare.com"),
            ("origin", "https://abc.trycloudflare.com"),
        ],
        &body,
    );
    assert_eq!(status, 403);
    // The window's setting changes it while running.
    s.engine.set_allowed_hosts(vec![]);
    let (status, _) = raw_post(
        &s.url,
        "/v1/invoke",
        &[("host", "abc.trycloudflare.com")],
        &body,
    );
    assert_eq!(status, 403);
}

#[test]
fn serve_takes_allow_host_and_refuses_a_url() {
    let out = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0", "--allow-host", "https://x.example/"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a URL"), "{err}");
}

// ---- hand-written samples -------------------------------------------------------------------

#[test]
fn a_hand_written_sample_needs_only_its_request() {
    use actionbench::domain::sample::LoadedSample;
    let dir = TempDir::new("edges-samples");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let minimal = dir.path().join("my-first-sample.json");
    std::fs::write(
        &minimal,
        json!({"request": {"actionKey": "send-email", "actionParams": {"to": "a@example.com"}}})
            .to_string(),
    )
    .expect("write");
    let s = LoadedSample::load(&minimal).expect("a sample with only its request loads");
    assert_eq!(s.sample.name, "my-first-sample", "named by its file");
    assert_eq!(s.sample.description, "");
    assert_eq!(s.sample.action_key(), Some("send-email"));

    // Really broken: the error names the file and the field.
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        json!({"name": "x", "request": {"actionKey": "send-email", "actionParams": "oops"}})
            .to_string(),
    )
    .expect("write");
    let err = LoadedSample::load(&broken).expect_err("refused");
    assert!(
        err.contains("broken.json") && err.contains("actionParams"),
        "{err}"
    );
    let no_request = dir.path().join("no-request.json");
    std::fs::write(&no_request, json!({"name": "x"}).to_string()).expect("write");
    let err = LoadedSample::load(&no_request).expect_err("refused");
    assert!(
        err.contains("no-request.json") && err.contains("request"),
        "{err}"
    );
    let not_object = dir.path().join("list.json");
    std::fs::write(&not_object, "[1, 2]").expect("write");
    let err = LoadedSample::load(&not_object).expect_err("refused");
    assert!(err.contains("list.json") && err.contains("object"), "{err}");
}

#[test]
fn a_torn_last_line_on_a_full_disk_is_blamed_on_the_disk() {
    let fs = match Tmpfs::mount("torn", "256k") {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("SKIPPED: a tmpfs cannot be mounted here (needs root): {e}");
            return;
        }
    };
    let path = fs.0.join("s.jsonl");
    std::fs::write(
        &path,
        "{\"v\":1,\"kind\":\"session\",\"at\":\"2026-11-30T10:00:00Z\",\"version\":\"0.1.0\"}\n{\"v\":1,\"kind\":\"exch",
    )
    .expect("write");
    // Fill the disk.
    let mut filler = std::fs::File::create(fs.0.join("filler")).expect("filler");
    let block = vec![0u8; 4096];
    while filler.write_all(&block).is_ok() {}
    let read = journal::read(&path).expect("reads");
    assert!(
        read.warnings
            .iter()
            .any(|w| w.contains("line 2") && w.contains("for want of space")),
        "{:?}",
        read.warnings
    );
    // With space, the same line is called torn by a stopped process.
    drop(filler);
    std::fs::remove_file(fs.0.join("filler")).expect("rm");
    let read = journal::read(&path).expect("reads");
    assert!(
        read.warnings
            .iter()
            .any(|w| w.contains("stopped mid-write")),
        "{:?}",
        read.warnings
    );
}
