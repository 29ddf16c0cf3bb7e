//! `serve` with its session journal on, loaded by an external generator (wrk, a separate
//! process), against two baselines loaded the same way in the same run: a bare axum handler,
//! and the least a journaling server must do (a *journaling baseline*: axum, the body parsed
//! as JSON, and one `write` per call of a line holding the raw body and the answer, before
//! answering; no fsync). Prints the three rates and both ratios (serve against the journaling
//! baseline: target ≥ 0.85), `serve`'s resident memory and its rate over the first and the
//! last round (growth), the journal's bytes per call against the body's (target ≤ body + 400),
//! and how long reopening a journal of 100,000 exchanges takes (target ≤ 1 s).
//!
//! Rounds alternate (bare, journaling baseline, serve) until serve has answered BENCH_CALLS
//! (default 1,000,000), so memory and rate are seen after a million calls, not a few seconds.
//!
//! Knobs: BENCH_SECONDS (per round, default 6), BENCH_CALLS, BENCH_CONNECTIONS (default 32),
//! BENCH_REOPEN (exchanges in the reopen test, default 100000). Needs `wrk` on PATH (apt
//! install wrk).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

mod common;
use common::{cpu_ticks, env, per_call, rss_kib};

const ANSWER: &str = r#"{"invokeTimeoutType":"IMMEDIATE","result":{}}"#;

async fn bare(body: Bytes) -> ([(&'static str, &'static str); 1], &'static str) {
    std::hint::black_box(body.len());
    ([("content-type", "application/json")], ANSWER)
}

/// The journaling baseline: what any inbox that records each call before answering must do.
/// The body is parsed (a server that cannot read a call cannot answer it), and one line, the
/// raw body and the answer, is written to the file with one `write` before the answer leaves.
async fn journaling(
    State(file): State<Arc<Mutex<std::fs::File>>>,
    body: Bytes,
) -> (
    axum::http::StatusCode,
    [(&'static str, &'static str); 1],
    &'static str,
) {
    let json = [("content-type", "application/json")];
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return (axum::http::StatusCode::BAD_REQUEST, json, "{}");
    }
    let mut line = Vec::with_capacity(body.len() + ANSWER.len() + 24);
    line.extend_from_slice(b"{\"body\":");
    line.extend_from_slice(&body);
    line.extend_from_slice(b",\"answer\":");
    line.extend_from_slice(ANSWER.as_bytes());
    line.extend_from_slice(b"}\n");
    let written = file
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .write_all(&line);
    match written {
        Ok(()) => (axum::http::StatusCode::OK, json, ANSWER),
        Err(_) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, json, "{}"),
    }
}

/// The body wrk posts (with `TOKEN` where each call's token goes).
fn wrk_body() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("samples/01-send-email.json")).expect("sample"),
    )
    .expect("json");
    serde_json::json!({"request": sample["request"], "metadata": sample["metadata"]})
        .to_string()
        .replace("tok-send-email-0001", "TOKEN")
}

/// A wrk script posting the shipped email sample, each request with its own token: wrk's
/// threads each get a number (`setup`), and each run a nonce (`init`, from the command line).
/// A token made from `math.random` alone repeated: every wrk thread and every run starts the
/// same sequence, so most calls reused a token (and were slower for it).
fn script(dir: &std::path::Path) -> std::path::PathBuf {
    let body = wrk_body();
    let lua = format!(
        r#"local body = [==[{body}]==]
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local prefix = "tok"
function init(args)
  prefix = "tok-" .. (args[1] or "0") .. "-" .. tostring(tid)
end
local n = 0
request = function()
  n = n + 1
  local b = body:gsub("TOKEN", prefix .. "-" .. n)
  return wrk.format("POST", "/v1/invoke", {{["content-type"] = "application/json"}}, b)
end
"#
    );
    let path = dir.join("post.lua");
    std::fs::write(&path, lua).expect("script");
    path
}

/// Runs wrk for `seconds` against `url`; requests per second, and the count of requests.
fn wrk(url: &str, lua: &std::path::Path, seconds: usize, connections: usize) -> (f64, u64) {
    let run = common::wrk(url, lua, seconds, connections);
    (run.rate, run.requests)
}

fn main() {
    let seconds = env("BENCH_SECONDS", 6);
    let target_calls = env("BENCH_CALLS", 1_000_000) as u64;
    let connections = env("BENCH_CONNECTIONS", 32);
    let dir = std::env::temp_dir().join(format!("actionbench-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let lua = script(&dir);
    let journal = dir.join("bench.jsonl");

    // serve, journal on, in its own process.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_actionbench"))
        .args(["serve", "--port", "0", "--answer", "immediate", "--session"])
        .arg(&journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve runs");
    let stdout = serve.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening: serde_json::Value = lines
        .next()
        .and_then(|l| l.ok())
        .and_then(|l| serde_json::from_str(&l).ok())
        .expect("serve's listening line");
    let serve_url = listening["url"].as_str().expect("url").to_string();
    // Its event lines go nowhere, as when nobody reads them.
    std::thread::spawn(move || for _ in lines {});
    let serve_pid = serve.id().to_string();

    // The two baselines, on their own runtime in this process.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let baseline_file = dir.join("baseline.jsonl");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&baseline_file)
        .expect("the baseline's file");
    let (bare_url, journaling_url) = rt.block_on(async {
        let listen = |app: Router| async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = l.local_addr().expect("addr");
            tokio::spawn(async move { axum::serve(l, app).await });
            format!("http://{addr}")
        };
        let bare = listen(Router::new().route("/v1/invoke", post(bare))).await;
        let journaling = listen(
            Router::new()
                .route("/v1/invoke", post(journaling))
                .with_state(Arc::new(Mutex::new(file))),
        )
        .await;
        (bare, journaling)
    });

    println!(
        "journal bench: wrk -t2 -c{connections}, alternating rounds of {seconds} s each (bare axum, journaling baseline, serve --session) until serve answered {target_calls} calls"
    );
    let (mut against_bare, mut against_journaling) = (vec![], vec![]);
    // CPU time per call (µs) of the journaling baseline and of serve, by round: steadier than
    // rates when wrk and the server share two cores.
    let mut cpu: Vec<(f64, f64)> = vec![];
    let (mut calls, mut baseline_calls, mut first_rate, mut last_rate) = (0u64, 0u64, 0.0, 0.0);
    let mut r = 0;
    while calls < target_calls && r < 1000 {
        let (b, _) = wrk(&bare_url, &lua, seconds, connections);
        let before = cpu_ticks("self");
        let (j, jn) = wrk(&journaling_url, &lua, seconds, connections);
        let baseline_cpu = per_call(cpu_ticks("self") - before, jn);
        let before = cpu_ticks(&serve_pid);
        let (s, n) = wrk(&serve_url, &lua, seconds, connections);
        let serve_cpu = per_call(cpu_ticks(&serve_pid) - before, n);
        cpu.push((baseline_cpu, serve_cpu));
        calls += n;
        baseline_calls += jn;
        if r == 0 {
            first_rate = s;
        }
        last_rate = s;
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        against_bare.push(ratio(s, b));
        against_journaling.push(ratio(s, j));
        println!(
            "round {}: bare axum {b:>7.0}   journaling baseline {j:>7.0}   serve --session {s:>7.0} req/s   serve/baseline {:.2}   serve/bare {:.2}   CPU per call {baseline_cpu:.1} / {serve_cpu:.1} µs   ({} calls so far, serve RSS {} MiB)",
            r + 1,
            ratio(s, j),
            ratio(s, b),
            calls,
            rss_kib(&serve_pid) / 1024
        );
        r += 1;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median ratio serve --session / journaling baseline: {:.2} (target 0.85)",
        median(&mut against_journaling)
    );
    println!(
        "median ratio serve --session / bare axum: {:.2}",
        median(&mut against_bare)
    );
    let (mut b, mut s): (Vec<f64>, Vec<f64>) = cpu.iter().copied().unzip();
    let (b, s) = (median(&mut b), median(&mut s));
    println!(
        "CPU per call (median of rounds): journaling baseline {b:.1} µs, serve --session {s:.1} µs: serve takes {:.2}× the baseline's",
        s / b
    );
    let size = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    println!(
        "serve after {calls} calls: RSS {} MiB; rate first round {first_rate:.0}, last round {last_rate:.0} req/s ({:+.0}%)",
        rss_kib(&serve_pid) / 1024,
        if first_rate > 0.0 {
            (last_rate / first_rate - 1.0) * 100.0
        } else {
            0.0
        }
    );
    // The body each call sent, measured: the baseline's lines are the body and 20 bytes
    // besides the answer (tokens differ in length by run and count).
    let baseline_per_call = std::fs::metadata(&baseline_file)
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / baseline_calls.max(1) as f64;
    let body = baseline_per_call - (20 + ANSWER.len()) as f64;
    let per_call = size as f64 / calls.max(1) as f64;
    println!(
        "journal: {} MiB, {per_call:.0} bytes per call for a body of {body:.0}: body + {:.0} (target: body + 400 at most); the journaling baseline's line: {baseline_per_call:.0} bytes",
        size / (1024 * 1024),
        per_call - body,
    );
    let _ = serve.kill();
    let _ = serve.wait();
    // Every call carried its own token: a reused one would be a finding in its line.
    let reused = std::fs::File::open(&journal)
        .map(|f| {
            BufReader::with_capacity(1 << 20, f)
                .split(b'\n')
                .map_while(Result::ok)
                .filter(|l| memchr::memmem::find(l, b"\"token-reused\"").is_some())
                .count()
        })
        .unwrap_or(0);
    println!("calls that reused a token: {reused} (each call sends its own)");

    // Reopening: a journal of BENCH_REOPEN exchanges.
    let n = env("BENCH_REOPEN", 100_000);
    let reopen = dir.join("reopen.jsonl");
    {
        let engine = actionbench::engine::Engine::new(
            actionbench::engine::EngineConfig {
                default_mode: actionbench::engine::Mode::Auto,
                ..Default::default()
            },
            std::sync::Arc::new(actionbench::domain::clock::SystemClock),
        );
        actionbench::journal::attach(&engine, &reopen).expect("journal");
        let sample = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/01-send-email.json"),
        )
        .expect("sample");
        let v: serde_json::Value = serde_json::from_str(&sample).expect("json");
        let body =
            serde_json::json!({"request": v["request"], "metadata": v["metadata"]}).to_string();
        for i in 0..n {
            let b = body.replace("tok-send-email-0001", &format!("tok-{i}"));
            let _ =
                engine.intake(actionbench::engine::Incoming::post("/v1/invoke", b).expect("route"));
        }
        engine.durable().expect("the journal is written");
    }
    let started = Instant::now();
    let engine = actionbench::engine::Engine::new(
        Default::default(),
        std::sync::Arc::new(actionbench::domain::clock::SystemClock),
    );
    let opened = actionbench::journal::attach(&engine, &reopen).expect("reopens");
    let took = started.elapsed();
    for w in opened.warnings.iter().take(3) {
        println!("reopen warning: {w}");
    }
    println!(
        "reopen: {} exchanges in {:.2} s (target ≤ 1 s); journal {} MiB",
        opened.restored,
        took.as_secs_f64(),
        std::fs::metadata(&reopen).map(|m| m.len()).unwrap_or(0) / (1024 * 1024)
    );
    drop(opened);
    let _ = std::fs::remove_dir_all(&dir);
}
