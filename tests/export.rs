//! Exports: HAR 1.2 with every field the spec requires (parsed back), `actionbench export` from
//! a session journal, a curl command that replays an exchange against the inbox, and an
//! exchange saved as a sample the sample loader takes.

mod common;

use actionbench::domain::sample::{LoadedSample, Sample};
use actionbench::engine::Mode;
use actionbench::journal::export;
use common::*;
use serde_json::{Value, json};
use std::process::Command;

type Inbox = Served;

fn inbox() -> Inbox {
    served(Mode::Auto, |_| {})
}

fn post(i: &Inbox, path: &str, body: &str) -> u16 {
    let url = format!("{}{path}", i.url);
    let body = body.to_string();
    i.rt.block_on(async move {
        reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
    })
}

#[test]
fn har_has_every_field_har_1_2_requires_and_parses_back() {
    let i = inbox();
    post(
        &i,
        "/v1/invoke",
        &sample("01-").sample.envelope(false).to_string(),
    );
    post(&i, "/v1/invoke", "{oops");
    post(&i, "/nowhere", "{}");
    let exchanges = i.engine.snapshot();
    let text = export::har_json(&exchanges, &i.url).expect("HAR");
    // Read back with the har crate…
    let parsed = har::from_str(&text).expect("a HAR document");
    let har::Spec::V1_2(log) = parsed.log else {
        panic!("HAR 1.2 expected")
    };
    assert_eq!(log.entries.len(), 3);
    assert_eq!(log.creator.name, "ActionBench");
    // …and as plain JSON, where a missing required field cannot hide behind a default.
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["log"]["version"], "1.2");
    for e in v["log"]["entries"].as_array().expect("entries") {
        for k in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(e.get(k).is_some(), "entry without {k}: {e}");
        }
        chrono::DateTime::parse_from_rfc3339(e["startedDateTime"].as_str().expect("date"))
            .expect("an ISO 8601 date");
        let req = &e["request"];
        for k in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            assert!(req.get(k).is_some(), "request without {k}: {req}");
        }
        let res = &e["response"];
        for k in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        ] {
            assert!(res.get(k).is_some(), "response without {k}: {res}");
        }
        assert!(res["content"].get("size").is_some() && res["content"].get("mimeType").is_some());
        for k in ["send", "wait", "receive"] {
            assert!(e["timings"].get(k).is_some(), "timings without {k}");
        }
    }
    let entries = v["log"]["entries"].as_array().expect("entries");
    assert_eq!(entries[0]["request"]["url"], format!("{}/v1/invoke", i.url));
    assert_eq!(entries[0]["response"]["status"], 200);
    assert_eq!(entries[1]["response"]["status"], 400);
    assert_eq!(entries[2]["response"]["status"], 404);
    assert!(
        entries[1]["comment"]
            .as_str()
            .is_some_and(|c| c.contains("flagged")),
        "{}",
        entries[1]["comment"]
    );
}

#[test]
fn actionbench_export_writes_a_sessions_har() {
    let dir = TempDir::new("export");
    let session = dir.path().join("s.jsonl");
    {
        let (engine, _) = engine(Mode::Auto);
        actionbench::journal::attach(&engine, &session).expect("journal");
        for t in ["tok-1", "tok-2"] {
            let body = invoke_request("send-email", t).to_string();
            let _ = engine
                .intake(actionbench::engine::Incoming::post("/v1/invoke", body).expect("route"));
        }
    }
    let out = dir.path().join("s.har");
    let (code, said) = run_actionbench(
        &[
            "export",
            "--session",
            session.to_str().expect("path"),
            "--har",
            out.to_str().expect("path"),
        ],
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{said}");
    let har = har::from_path(&out).expect("a HAR file");
    let har::Spec::V1_2(log) = har.log else {
        panic!("1.2")
    };
    assert_eq!(log.entries.len(), 2);
    let (code, said) = run_actionbench(
        &["export", "--har", out.to_str().expect("path")],
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(2));
    assert!(said.contains("--session"), "{said}");
}

#[test]
fn a_curl_command_replays_the_same_request_against_the_inbox() {
    let i = inbox();
    // A body with a quote in it, to test the shell quoting.
    let mut req = invoke_request("send-email", "tok-curl");
    req["actionParams"]["body"] = json!("It's confirmed");
    post(&i, "/wix/actions/v1/invoke", &req.to_string());
    let first = i.engine.exchange(1).expect("logged");
    let cmd = export::curl(&first, &i.url);
    assert!(
        cmd.starts_with("curl -sS -X POST 'http://127.0.0.1:"),
        "{cmd}"
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).expect("a JSON answer");
    assert_eq!(answer["invokeTimeoutType"], "IMMEDIATE");
    let second = i.engine.exchange(2).expect("replayed");
    assert_eq!(second.path, first.path);
    assert_eq!(second.arrival.body, first.arrival.body, "the same bytes");
}

#[test]
fn an_exchange_saved_as_a_sample_loads_as_one() {
    let i = inbox();
    post(
        &i,
        "/v1/invoke",
        &sample("02-").sample.envelope(false).to_string(),
    );
    let ex = i.engine.exchange(1).expect("logged");
    let schemas = i.engine.schemas("request-approval");
    let saved = export::as_sample(&ex, &schemas).expect("a sample");
    let parsed = Sample::parse(&saved.to_string()).expect("the sample format");
    let loaded = LoadedSample::new(parsed, None).expect("loads");
    assert_eq!(loaded.sample.action_key(), Some("request-approval"));
    assert!(loaded.input.is_some() && loaded.output.is_some());
    assert_eq!(
        loaded
            .sample
            .example_answer
            .as_ref()
            .and_then(|a| a.get("invokeTimeoutType")),
        Some(&json!("TIMEOUT_LENGTH"))
    );
    // A completion report is no sample.
    post(
        &i,
        "/automations_runtime/v1/report-action-invocation-completed",
        "{}",
    );
    let report = i.engine.exchange(2).expect("logged");
    assert!(export::as_sample(&report, &Default::default()).is_err());
}

/// `export --har` writes each call's URL with the host and port the session served it on,
/// whatever `--port` says when exporting.
#[test]
fn an_exported_har_names_the_port_the_session_served_on() {
    let dir = TempDir::new("export-port");
    let session = dir.path().join("s.jsonl");
    let session_arg = session.to_str().expect("path").to_string();
    let (mut serve, lines) = serve_lines(&["--session", &session_arg]);
    let listening = lines
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the listening line");
    let url = listening["url"].as_str().expect("url").to_string();
    let answer = reqwest::blocking::Client::new()
        .post(format!("{url}/wix/v1/invoke"))
        .body(invoke_request("send-email", "tok-port").to_string())
        .send()
        .expect("answered");
    assert_eq!(answer.status().as_u16(), 200);
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
    let out = dir.path().join("s.har");
    let (code, said) = run_actionbench(
        &[
            "export",
            "--session",
            &session_arg,
            "--har",
            out.to_str().expect("path"),
        ],
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{said}");
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert_eq!(
        har["log"]["entries"][0]["request"]["url"],
        format!("{url}/wix/v1/invoke"),
        "not port 4010 but the one it served on"
    );
}
