//! The session journal: a round trip, reopening with invocations still waiting (a report after
//! reopening completes one, a deadline that passed while closed times one out), a torn last
//! line, `serve --session` saying what it restored, and a crash: `serve` killed with SIGKILL
//! in the middle of 20,000 calls loses none whose response the client received.

mod common;

use actionbench::domain::invocation::Phase;
use actionbench::engine::{Engine, Incoming, Intake, Mode};
use actionbench::journal;
use chrono::Duration;
use common::*;
use serde_json::{Value, json};
use std::io::Write;
use std::process::Command;
use std::sync::Arc;

const REPORT: &str = "/automations_runtime/v1/report-action-invocation-completed";

fn post(engine: &Engine, path: &str, body: &Value) -> (u16, Value) {
    match engine.intake(Incoming::post(path, body.to_string()).expect("a route")) {
        Intake::Now(r) => (r.status, (*r.body).clone()),
        _ => panic!("auto mode answers at once"),
    }
}

/// An engine answering with a 60-minute timeout, recording to `path`.
fn waiting_engine(
    path: &std::path::Path,
) -> (
    Arc<Engine>,
    Arc<actionbench::domain::clock::ManualClock>,
    journal::Opened,
) {
    let (engine, clock) = engine_with(Mode::Auto, |c| {
        c.default_answer = Some(json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                                       "timeoutLengthOptions": {"timeoutInMinutes": 60}}));
    });
    let opened = journal::attach(&engine, path).expect("the journal opens");
    (engine, clock, opened)
}

#[test]
fn every_exchange_and_its_timeline_survive_a_round_trip() {
    let dir = TempDir::new("journal-trip");
    let path = dir.path().join("s.jsonl");
    let (engine, _clock, opened) = waiting_engine(&path);
    assert_eq!(opened.restored, 0);
    assert_eq!(
        post(
            &engine,
            "/v1/invoke",
            &invoke_request("send-email", "tok-1")
        )
        .0,
        200
    );
    assert_eq!(post(&engine, "/v1/invoke", &json!("not a request")).0, 400);
    let report = json!({"invocationToken": "tok-1", "status": "SUCCESS",
                        "successInfo": {"result": {"messageId": "m-1"}}});
    assert_eq!(post(&engine, REPORT, &report).0, 200);
    // Non-UTF-8 bytes come back as they went.
    let odd = engine.intake(Incoming::post("/v1/invoke", vec![0xff, 0xfe, b'{']).expect("route"));
    assert!(matches!(odd, Intake::Now(_)));
    let before = engine.snapshot();
    drop(opened);
    drop(engine);

    let read = journal::read(&path).expect("reads");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.exchanges.len(), before.len());
    for (a, b) in before.iter().zip(&read.exchanges) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.phase, b.phase, "#{}", a.id);
        assert_eq!(a.arrival.body, b.arrival.body, "#{}", a.id);
        assert_eq!(a.arrival.headers, b.arrival.headers);
        assert_eq!(
            a.timeline
                .iter()
                .map(|t| t.text().to_string())
                .collect::<Vec<_>>(),
            b.timeline
                .iter()
                .map(|t| t.text().to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            a.findings
                .iter()
                .map(|f| (f.code, f.field.clone()))
                .collect::<Vec<_>>(),
            b.findings
                .iter()
                .map(|f| (f.code, f.field.clone()))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            a.response
                .as_ref()
                .map(|r| (r.status, (*r.body).clone(), r.by)),
            b.response
                .as_ref()
                .map(|r| (r.status, (*r.body).clone(), r.by))
        );
    }
    assert!(matches!(read.exchanges[0].phase, Phase::Completed { .. }));
}

#[test]
fn reopening_resumes_waits_a_report_completes_one_and_a_passed_deadline_times_out() {
    let dir = TempDir::new("journal-reopen");
    let path = dir.path().join("s.jsonl");
    {
        let (engine, clock, _opened) = waiting_engine(&path);
        assert_eq!(
            post(
                &engine,
                "/v1/invoke",
                &invoke_request("send-email", "tok-a")
            )
            .0,
            200
        );
        // The second waits with a deadline 60 minutes on from here; the first from 10 min before.
        clock.advance(Duration::minutes(50));
        assert_eq!(
            post(
                &engine,
                "/v1/invoke",
                &invoke_request("send-email", "tok-b")
            )
            .0,
            200
        );
        assert!(matches!(
            engine.exchange(2).expect("ex").phase,
            Phase::Waiting { .. }
        ));
    }
    // Reopened 20 minutes later (real time): tok-a's deadline passed while closed; tok-b's not.
    let (engine, clock) = engine_with(Mode::Auto, |_| {});
    clock.advance(Duration::minutes(70));
    let opened = journal::attach(&engine, &path).expect("reopens");
    assert_eq!(opened.restored, 2);
    let first = engine.exchange(1).expect("restored");
    assert!(
        matches!(first.phase, Phase::TimedOut { .. }),
        "{:?}",
        first.phase
    );
    assert!(
        first
            .timeline
            .iter()
            .any(|t| t.text().contains("while ActionBench was closed")),
        "{:?}",
        first.timeline
    );
    assert!(matches!(
        engine.exchange(2).expect("restored").phase,
        Phase::Waiting { .. }
    ));
    // A report after reopening completes the one still waiting; the timed-out one refuses.
    let ok = json!({"invocationToken": "tok-b", "status": "SUCCESS",
                    "successInfo": {"result": {"messageId": "m-b"}}});
    assert_eq!(post(&engine, REPORT, &ok).0, 200);
    assert!(matches!(
        engine.exchange(2).expect("ex").phase,
        Phase::Completed { .. }
    ));
    let late = json!({"invocationToken": "tok-a", "status": "SUCCESS",
                      "successInfo": {"result": {"messageId": "m-a"}}});
    assert_eq!(post(&engine, REPORT, &late).0, 409);
    drop(opened);
    drop(engine);
    // And all of it is in the journal for next time.
    let read = journal::read(&path).expect("reads");
    assert_eq!(read.exchanges.len(), 4);
    assert!(matches!(read.exchanges[0].phase, Phase::TimedOut { .. }));
    assert!(matches!(read.exchanges[1].phase, Phase::Completed { .. }));
}

#[test]
fn the_simulated_clock_carries_on_where_it_was() {
    let dir = TempDir::new("journal-clock");
    let path = dir.path().join("s.jsonl");
    let ahead = {
        let (engine, clock, _opened) = waiting_engine(&path);
        engine.set_warp(3600);
        clock.advance(Duration::seconds(10));
        engine.set_warp(1);
        engine.now() - engine.real_now()
    };
    // 10 s at ×3600 is 10 h of simulated time, 10 s of it real.
    assert_eq!(ahead, Duration::hours(10) - Duration::seconds(10));
    let (engine, _clock) = engine_with(Mode::Auto, |_| {});
    journal::attach(&engine, &path).expect("reopens");
    assert_eq!(engine.now() - engine.real_now(), ahead);
}

#[test]
fn a_torn_last_line_is_skipped_with_a_warning_and_the_session_opens() {
    let dir = TempDir::new("journal-torn");
    let path = dir.path().join("s.jsonl");
    {
        let (engine, _clock, _opened) = waiting_engine(&path);
        post(
            &engine,
            "/v1/invoke",
            &invoke_request("send-email", "tok-t"),
        );
    }
    // A crash mid-write: half a line, no newline.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(br#"{"v":1,"kind":"exchange","event":"answ"#)
        .expect("write");
    drop(f);
    let (engine, _clock) = engine_with(Mode::Auto, |_| {});
    let opened = journal::attach(&engine, &path).expect("opens despite the torn line");
    assert_eq!(opened.restored, 1);
    assert_eq!(opened.warnings.len(), 1, "{:?}", opened.warnings);
    assert!(opened.warnings[0].contains("torn"), "{:?}", opened.warnings);
    // New lines start on a line of their own.
    post(
        &engine,
        "/v1/invoke",
        &invoke_request("send-email", "tok-u"),
    );
    drop(opened);
    drop(engine);
    let read = journal::read(&path).expect("reads");
    assert_eq!(read.exchanges.len(), 2);
    assert_eq!(
        read.warnings.len(),
        1,
        "only the old torn fragment: {:?}",
        read.warnings
    );
}

/// Starts `serve` on a free port with `args`; its stdout lines and the child.
fn serve(args: &[&str]) -> (std::process::Child, Box<dyn Iterator<Item = Value>>) {
    let mut all = vec!["--answer", "immediate"];
    all.extend_from_slice(args);
    let (child, rx) = serve_lines(&all);
    let lines =
        std::iter::from_fn(move || rx.recv_timeout(std::time::Duration::from_secs(20)).ok());
    (child, Box::new(lines))
}

#[test]
fn serve_with_a_session_says_how_many_exchanges_it_restored() {
    let dir = TempDir::new("journal-serve");
    let path = dir.path().join("s.jsonl");
    let p = path.to_str().expect("path");
    for expected in [0, 3] {
        let (mut child, mut lines) = serve(&["--session", p]);
        let listening = lines
            .find(|v| v["event"] == "listening")
            .expect("a listening line within 20 s");
        assert_eq!(listening["restored"], expected, "{listening}");
        assert_eq!(listening["session"], p);
        let url = listening["url"].as_str().expect("url").to_string();
        let client = reqwest::blocking::Client::new();
        for i in 0..3 {
            let res = client
                .post(format!("{url}/v1/invoke"))
                .body(invoke_request("send-email", &format!("tok-{expected}-{i}")).to_string())
                .send()
                .expect("sent");
            assert_eq!(res.status().as_u16(), 200);
        }
        let _ = child.kill();
        let _ = child.wait();
        if expected == 3 {
            assert_eq!(journal::read(&path).expect("reads").exchanges.len(), 6);
        }
    }
}

#[cfg(unix)]
#[test]
fn a_sigkill_mid_load_loses_no_exchange_whose_response_was_received() {
    let dir = TempDir::new("journal-crash");
    let path = dir.path().join("crash.jsonl");
    let (mut child, mut lines) = serve(&["--session", path.to_str().expect("path")]);
    let listening = lines
        .find(|v| v["event"] == "listening")
        .expect("a listening line within 20 s");
    let url = listening["url"].as_str().expect("url").to_string();
    // Four clients, 5,000 calls each (20,000 in all), each noting the tokens answered 200.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (url, stop, answered) = (url.clone(), stop.clone(), answered.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(5))
                    .build()
                    .expect("client");
                for i in 0..5_000 {
                    if stop.load(std::sync::atomic::Ordering::Acquire) {
                        return;
                    }
                    let token = format!("tok-{c}-{i}");
                    let body = invoke_request("send-email", &token).to_string();
                    match client.post(format!("{url}/v1/invoke")).body(body).send() {
                        Ok(r) if r.status().as_u16() == 200 => {
                            answered.lock().expect("lock").push(token)
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill it midway: after some thousands of answers, or after 30 s at most.
    let started = std::time::Instant::now();
    while answered.lock().expect("lock").len() < 6_000
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let _ = child.wait();
    stop.store(true, std::sync::atomic::Ordering::Release);
    for c in clients {
        let _ = c.join();
    }
    let answered = answered.lock().expect("lock").clone();
    assert!(
        answered.len() > 100,
        "the load never got going: {}",
        answered.len()
    );
    let read = journal::read(&path).expect("the journal reads after a SIGKILL");
    assert!(
        read.warnings.len() <= 1,
        "at most a torn last line: {:?}",
        read.warnings
    );
    let journaled: std::collections::HashSet<String> = read
        .exchanges
        .iter()
        .filter(|e| e.response.as_ref().is_some_and(|r| r.status == 200))
        .filter_map(|e| e.invocation_token.clone())
        .collect();
    let lost: Vec<&String> = answered
        .iter()
        .filter(|t| !journaled.contains(*t))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered calls are not in the journal, e.g. {:?}",
        lost.len(),
        answered.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    eprintln!(
        "SIGKILL after {} answered calls; the journal holds {} exchanges",
        answered.len(),
        read.exchanges.len()
    );
}

/// The whole of one exchange, to compare a live one with one read back from disk.
fn whole(ex: &actionbench::domain::invocation::Exchange) -> Value {
    json!({
        "id": ex.id, "phase": ex.phase.label(), "path": ex.path, "key": ex.action_key,
        "token": ex.invocation_token, "body": String::from_utf8_lossy(&ex.arrival.body),
        "headers": ex.arrival.headers,
        "findings": ex.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        "timeline": ex.timeline.iter().map(|t| t.note.to_string()).collect::<Vec<_>>(),
        "response": ex.response.as_ref().map(|r| json!([r.status, *r.body, r.by])),
    })
}

#[test]
fn exchanges_beyond_the_memory_budget_leave_memory_and_are_read_back_from_the_journal() {
    let dir = TempDir::new("journal-budget");
    let path = dir.path().join("s.jsonl");
    let calls = 1200u64;
    let budget = |c: &mut actionbench::engine::EngineConfig| c.memory_budget = 0;
    let (engine, _clock) = engine_with(Mode::Auto, budget);
    let _opened = journal::attach(&engine, &path).expect("opens");
    // #1 waits (a timeout answer); the rest are answered at once.
    engine.set_policy(
        "slow",
        actionbench::engine::Policy::new(
            Mode::Auto,
            json!({"invokeTimeoutType": "TIMEOUT_LENGTH",
                   "timeoutLengthOptions": {"timeoutInMinutes": 60}}),
        ),
    );
    assert_eq!(
        post(&engine, "/v1/invoke", &invoke_request("slow", "tok-wait")).0,
        200
    );
    let mut kept = vec![];
    for i in 2..=calls {
        let (status, _) = post(
            &engine,
            "/v1/invoke",
            &invoke_request("send-email", &format!("tok-{i}")),
        );
        assert_eq!(status, 200);
        if i == 5 {
            kept.push(whole(&engine.exchange(5).expect("#5 while new")));
        }
    }
    // Only the newest few hundred and the waiting one stay whole.
    let in_memory = engine.in_memory();
    assert!(
        in_memory < 300,
        "{in_memory} of {calls} exchanges are whole in memory with a budget of 0"
    );
    // An old one comes back whole from the journal.
    assert_eq!(
        whole(&engine.exchange(5).expect("#5 read back")),
        kept[0],
        "#5 read back from the journal is what it was"
    );
    assert_eq!(engine.snapshot().len() as u64, calls);
    // The waiting one stayed in memory and a report completes it.
    let done = json!({"invocationToken": "tok-wait", "status": "SUCCESS",
                      "successInfo": {"result": {"messageId": "m"}}});
    assert_eq!(post(&engine, REPORT, &done).0, 200);
    assert!(matches!(
        engine.exchange(1).expect("#1").phase,
        Phase::Completed { .. }
    ));
    // A report for an old, ended invocation on disk is refused saying what it is (its phase
    // read back from the journal), as in memory.
    let late = json!({"invocationToken": "tok-7", "status": "SUCCESS",
                      "successInfo": {"result": {"messageId": "m"}}});
    let (status, body) = post(&engine, REPORT, &late);
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(body.to_string().contains("it is answered"), "{body}");
    let refused_in_session = (status, body);
    drop(_opened);
    drop(engine);

    // Reopened with the same budget: the count is whole, most stay on disk, and they read back.
    let (engine, _clock) = engine_with(Mode::Auto, budget);
    let opened = journal::attach(&engine, &path).expect("reopens");
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let total = calls as usize + 2;
    assert_eq!(opened.restored, total);
    assert_eq!(engine.len(), total);
    let in_memory = engine.in_memory();
    assert!(
        in_memory < total / 2,
        "{in_memory} of {total} whole in memory after reopening with a budget of 0"
    );
    assert_eq!(
        whole(&engine.exchange(5).expect("#5 after reopening")),
        kept[0]
    );
    // The list's rows: old ones stand in from their summaries, which say what the whole says.
    let rows = engine.rows();
    assert_eq!(rows.len(), total);
    assert!(rows[4].is_packed(), "#5 is packed in the rows");
    let stand_in = rows[4].exchange(5);
    assert!(stand_in.is_summary(), "#5 stands in from its summary");
    let real = engine.exchange(5).expect("#5");
    assert_eq!(stand_in.summary(), real.summary());
    assert_eq!(stand_in.summary().pack().unpack(5), real.summary());
    let flagged_rows = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| r.exchange(*i as u64 + 1).is_flagged())
        .count();
    let flagged_whole = engine.snapshot().iter().filter(|r| r.is_flagged()).count();
    assert_eq!(
        flagged_rows, flagged_whole,
        "flagged rows as in the whole exchanges"
    );
    let (status, body) = post(&engine, REPORT, &late);
    assert_eq!((status, body), refused_in_session);
}

#[test]
fn calls_from_many_threads_at_once_get_dense_ids_their_own_exchange_and_every_line() {
    // No lock covers the whole log: calls answered at once append, record and announce their
    // exchange in parallel, while old ones go to disk (a budget of 0) and some tokens are
    // shared across threads.
    let dir = TempDir::new("journal-parallel");
    let path = dir.path().join("s.jsonl");
    let (threads, per_thread) = (4usize, 600usize);
    let budget = |c: &mut actionbench::engine::EngineConfig| c.memory_budget = 0;
    let (engine, _clock) = engine_with(Mode::Auto, budget);
    let opened = journal::attach(&engine, &path).expect("opens");
    let events = engine.subscribe(1 << 16, None);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    for t in 0..threads {
        let (engine, done_tx) = (engine.clone(), done_tx.clone());
        std::thread::spawn(move || {
            let mut sent = vec![];
            for i in 0..per_thread {
                // Every 50th call of each thread carries the one shared token.
                let token = if i % 50 == 0 {
                    "tok-shared".to_string()
                } else {
                    format!("tok-{t}-{i}")
                };
                let body = invoke_request("send-email", &token).to_string();
                let incoming = Incoming::post("/v1/invoke", body).expect("route");
                let (id, intake) = engine.intake_as(incoming, &Default::default());
                assert!(matches!(intake, Intake::Now(_)), "answered at once");
                engine.durable().expect("the journal is written");
                sent.push((id, token));
            }
            let _ = done_tx.send(sent);
        });
    }
    let mut sent = vec![];
    for _ in 0..threads {
        let part = done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("every thread finishes its calls within 60 s");
        sent.extend(part);
    }
    let total = threads * per_thread;
    sent.sort();
    let ids: Vec<u64> = sent.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=total as u64).collect::<Vec<_>>(),
        "ids are dense and each is given once"
    );
    assert_eq!(engine.len(), total);
    assert!(
        engine.in_memory() < total / 2,
        "old exchanges left memory meanwhile ({} whole)",
        engine.in_memory()
    );
    // Each call's exchange is its own, whole or read back.
    for (id, token) in &sent {
        let ex = engine.exchange(*id).expect("every exchange reads");
        assert_eq!(ex.id, *id);
        assert_eq!(
            ex.invocation_token.as_deref(),
            Some(token.as_str()),
            "#{id}"
        );
    }
    // The shared token: every use but the first says it was used before.
    let shared: Vec<u64> = sent
        .iter()
        .filter(|(_, t)| t == "tok-shared")
        .map(|(id, _)| *id)
        .collect();
    let flagged = shared
        .iter()
        .filter(|id| {
            let ex = engine.exchange(**id).expect("reads");
            ex.findings.iter().any(|f| f.code == "token-reused")
        })
        .count();
    assert_eq!(flagged, shared.len() - 1, "all uses but the first flagged");
    // Every call's answer was announced, each after its arrival.
    let mut answered = std::collections::BTreeSet::new();
    while let Ok(ev) = events.rx.try_recv() {
        if ev.kind != actionbench::engine::EventKind::Arrived {
            answered.insert(ev.exchange.id);
        }
    }
    assert!(!events.take_lagged(), "the subscriber kept up");
    assert_eq!(answered.len(), total, "an answer event for every call");
    drop(opened);
    drop(engine);

    // Reopened: every exchange, with its own token and body.
    let (engine, _clock) = engine_with(Mode::Auto, budget);
    let opened = journal::attach(&engine, &path).expect("reopens");
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    assert_eq!(opened.restored, total);
    for (id, token) in sent.iter().step_by(7) {
        let ex = engine.exchange(*id).expect("reads after reopening");
        assert_eq!(
            ex.invocation_token.as_deref(),
            Some(token.as_str()),
            "#{id}"
        );
        assert!(
            String::from_utf8_lossy(&ex.arrival.body).contains(token.as_str()),
            "#{id} kept its body"
        );
    }
}

/// A session written by ActionBench 0.1.0 in the journal's format 1 (before format 2), by
/// `serve --session` answering the shipped samples: waits completed and failed by reports,
/// refusals (bad JSON, bytes that are not UTF-8, no route), a forwarded call with what the
/// action answered, and the same file reopened by three runs.
const FORMAT_1: &str = "session-format-1.jsonl";

#[test]
fn a_session_written_in_format_1_still_reads_reopens_and_exports() {
    let dir = TempDir::new("journal-format-1");
    let path = dir.path().join("old.jsonl");
    std::fs::create_dir_all(dir.path()).expect("dir");
    std::fs::write(&path, fixture(FORMAT_1)).expect("copy");

    // Read whole, as export reads it.
    let read = journal::read(&path).expect("reads");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.exchanges.len(), 13);
    let by = |id: u64| &read.exchanges[id as usize - 1];
    assert!(matches!(&by(1).phase, Phase::Completed { result } if result["messageId"] == "m-1"));
    assert!(
        matches!(&by(3).phase, Phase::ReportedFailure { description } if description == "the approver said no")
    );
    assert!(matches!(&by(8).phase, Phase::Waiting { .. }));
    assert!(matches!(&by(5).phase, Phase::Rejected { code, .. } if code == "INVALID_JSON"));
    assert_eq!(&by(6).arrival.body[..], b"\xff\xfe{\"not\":\"utf8\"}");
    assert!(by(1).arrival.headers.contains("content-length: "));
    assert_eq!(
        by(10).target_answer.as_ref().map(|a| a.status),
        Some(200),
        "what the action answered, kept"
    );
    let texts: Vec<String> = by(1).timeline.iter().map(|t| t.text().into()).collect();
    assert_eq!(texts[0], "POST /v1/invoke arrived");
    assert_eq!(texts[1], "answered with the saved answer: HTTP 200");
    assert!(texts[2].starts_with("waiting for a completion report until 2026-11-30T14:0"));
    assert!(
        texts[3].starts_with("completion report over HTTP (#2): SUCCESS"),
        "{texts:?}"
    );

    // Exported: every exchange, its body as it came.
    let har = journal::export::har_json(&read.exchanges, "http://127.0.0.1:4912").expect("exports");
    let har: Value = serde_json::from_str(&har).expect("HAR is JSON");
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 13);
    assert!(
        entries[0]["request"]["postData"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("tok-fx-1")),
        "{}",
        entries[0]["request"]
    );

    // Reopened and appended to: the old lines stay as they are, the new ones are format 2,
    // and both read back.
    let before = std::fs::read(&path).expect("read");
    let (engine, _clock, opened) = waiting_engine(&path);
    assert_eq!(opened.restored, 13);
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let old = engine.exchange(1).expect("the first exchange, reopened");
    assert!(matches!(old.phase, Phase::Completed { .. }));
    assert_eq!(old.arrival.body, by(1).arrival.body);
    assert_eq!(
        post(
            &engine,
            "/v1/invoke",
            &invoke_request("send-email", "tok-new")
        )
        .0,
        200
    );
    engine.durable().expect("written");
    drop(opened);
    drop(engine);
    let after = std::fs::read(&path).expect("read");
    assert_eq!(&after[..before.len()], &before[..], "old lines untouched");
    let added = String::from_utf8_lossy(&after[before.len()..]).into_owned();
    assert!(added.lines().all(|l| l.starts_with("{\"v\":2,")), "{added}");
    let again = journal::read(&path).expect("reads both formats");
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    assert_eq!(again.exchanges.len(), 14);
    assert_eq!(again.exchanges[0].timeline, read.exchanges[0].timeline);
    assert_eq!(
        again.exchanges[13].invocation_token.as_deref(),
        Some("tok-new")
    );
}

/// Format 2 writes half the bytes of format 1 for the same call, and reads back to the same
/// exchange: body byte for byte, headers as they came, every timeline sentence.
#[test]
fn format_2_is_compact_and_reads_back_what_format_1_held() {
    let dir = TempDir::new("journal-format-2");
    let path = dir.path().join("new.jsonl");
    let (engine, clock, opened) = waiting_engine(&path);
    // A body with spaces and escapes, kept as it came.
    let body = invoke_request("send-email", "tok-2")
        .to_string()
        .replace(",", ", ");
    let mut incoming = Incoming::post("/v1/invoke", body.clone()).expect("route");
    incoming.headers = format!(
        "host: 127.0.0.1:4010\ncontent-type: application/json\ncontent-length: {}\n",
        body.len()
    );
    let r = engine.intake(incoming);
    assert!(matches!(r, Intake::Now(_)));
    clock.advance(Duration::seconds(5));
    let report = json!({"invocationToken": "tok-2", "status": "SUCCESS",
                        "successInfo": {"result": {"messageId": "m-2"}}});
    assert_eq!(post(&engine, REPORT, &report).0, 200);
    let live = engine.exchange(1).expect("live");
    engine.durable().expect("written");
    drop(opened);
    drop(engine);
    let read = journal::read(&path).expect("reads");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    let back = &read.exchanges[0];
    assert_eq!(back.arrival.body, live.arrival.body);
    assert_eq!(back.arrival.headers, live.arrival.headers);
    assert_eq!(back.timeline, live.timeline);
    assert_eq!(back.phase, live.phase);
    assert_eq!(
        back.response.as_ref().map(|r| r.at),
        live.response.as_ref().map(|r| r.at)
    );
    let text = std::fs::read_to_string(&path).expect("text");
    // The body is JSON in the line, not an escaped string; the headers are a set.
    assert!(text.contains(&format!("\"json\":{body}")), "{text}");
    assert!(text.contains("content-length: *"), "{text}");
    assert!(!text.contains("answered with the saved answer"), "{text}");
}

/// A record encoded ahead and then encoded again (a reused token adds a finding when the call
/// is filed) still brings the line of a header set seen first in it: otherwise the set would
/// be named and never defined, and the headers lost on reading.
#[test]
fn a_header_set_first_seen_in_a_record_encoded_twice_is_still_defined() {
    let dir = TempDir::new("journal-sets");
    let path = dir.path().join("s.jsonl");
    let (engine, _clock, opened) = waiting_engine(&path);
    let call = |headers: &str| {
        let body = invoke_request("send-email", "tok-same").to_string();
        let mut incoming = Incoming::post("/v1/invoke", body).expect("route");
        incoming.headers = headers.to_string();
        assert!(matches!(engine.intake(incoming), Intake::Now(_)));
    };
    call("host: 127.0.0.1:4010\nuser-agent: first\n");
    // The same token again, from another client: its header set is new.
    call("host: 127.0.0.1:4010\nuser-agent: second\n");
    let second = engine.exchange(2).expect("logged");
    assert!(
        second.findings.iter().any(|f| f.code == "token-reused"),
        "{:?}",
        second.findings
    );
    engine.durable().expect("written");
    drop(opened);
    drop(engine);
    let read = journal::read(&path).expect("reads");
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(
        read.exchanges[1].arrival.headers,
        "host: 127.0.0.1:4010\nuser-agent: second\n"
    );
    assert_eq!(
        read.exchanges[0].arrival.headers,
        "host: 127.0.0.1:4010\nuser-agent: first\n"
    );
}

/// A session whose header set's line is gone (lines dropped while the disk was full) says so
/// on reading and on reopening, and gives the rest of each exchange back.
#[test]
fn an_exchange_naming_a_header_set_no_line_defines_is_read_with_a_warning() {
    let dir = TempDir::new("journal-lost-set");
    let path = dir.path().join("s.jsonl");
    let (engine, _clock, opened) = waiting_engine(&path);
    let mut incoming = Incoming::post(
        "/v1/invoke",
        invoke_request("send-email", "tok-lost").to_string(),
    )
    .expect("route");
    incoming.headers = "host: 127.0.0.1:4010\n".into();
    assert!(matches!(engine.intake(incoming), Intake::Now(_)));
    engine.durable().expect("written");
    drop(opened);
    drop(engine);
    let text = std::fs::read_to_string(&path).expect("text");
    let kept: String = text
        .lines()
        .filter(|l| !l.contains("\"kind\":\"headers\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept.len(), text.len(), "the set's line was there");
    std::fs::write(&path, kept).expect("write");
    let read = journal::read(&path).expect("reads");
    assert_eq!(read.exchanges.len(), 1);
    assert!(
        read.warnings
            .iter()
            .any(|w| w.contains("name header set 1, which no line of the session defines")),
        "{:?}",
        read.warnings
    );
    assert_eq!(
        read.exchanges[0].invocation_token.as_deref(),
        Some("tok-lost")
    );
    let (engine, _clock, reopened) = waiting_engine(&path);
    assert!(
        reopened
            .warnings
            .iter()
            .any(|w| w.contains("which no line of the session defines")),
        "{:?}",
        reopened.warnings
    );
    assert_eq!(reopened.restored, 1);
    drop(reopened);
    drop(engine);
}
