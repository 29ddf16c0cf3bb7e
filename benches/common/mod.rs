//! What the benchmarks share: their knobs, a reading of resident memory, and a session journal
//! of many exchanges made quickly.

pub mod counting;

use actionbench::domain::clock::SystemClock;
use actionbench::engine::{Engine, EngineConfig, Incoming, Mode};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[allow(dead_code)]
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A numeric knob from the environment.
#[allow(dead_code)]
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory (VmRSS) of process `pid` ("self" for this one), in KiB; 0 where unknown.
#[allow(dead_code)]
pub fn rss_kib(pid: &str) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One real exchange's journal line, with a token to replace, and the line defining its
/// headers (format 2 writes a session's header sets once).
#[allow(dead_code)]
pub fn template(dir: &Path) -> (String, String) {
    let path = dir.join("one.jsonl");
    let engine = Engine::new(
        EngineConfig {
            default_mode: Mode::Auto,
            ..Default::default()
        },
        Arc::new(SystemClock),
    );
    let opened = actionbench::journal::attach(&engine, &path).expect("journal");
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/01-send-email.json")).expect("sample"),
    )
    .expect("json");
    let body = serde_json::json!({"request": sample["request"], "metadata": sample["metadata"]})
        .to_string()
        .replace("tok-send-email-0001", "TOKEN-XYZ");
    let _ = engine.intake(Incoming::post("/v1/invoke", body).expect("route"));
    drop(opened);
    drop(engine);
    let text = std::fs::read_to_string(&path).expect("read");
    let find = |what: &str| {
        text.lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("a line with {what}"))
            .to_string()
    };
    (find("\"ex\":{\"id\":1,"), find("\"kind\":\"headers\""))
}

/// A journal of `n` exchanges like the template.
#[allow(dead_code)]
pub fn session(dir: &Path, n: usize) -> PathBuf {
    let (line, headers) = template(dir);
    let (head, tail) = line.split_once("\"ex\":{\"id\":1,").expect("the id");
    let path = dir.join("big.jsonl");
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("file"));
    writeln!(out, "{headers}").expect("write");
    for i in 1..=n {
        let tail = tail.replace("TOKEN-XYZ", &format!("tok-{i}"));
        writeln!(out, "{head}\"ex\":{{\"id\":{i},{tail}").expect("write");
    }
    out.flush().expect("flush");
    path
}

/// CPU time (user and system) of process `pid` ("self" for this one) so far, in clock ticks
/// (100 a second on Linux).
#[allow(dead_code)]
pub fn cpu_ticks(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command's closing parenthesis; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// Microseconds of CPU per call, from clock ticks (100 a second on Linux).
#[allow(dead_code)]
pub fn per_call(ticks: u64, calls: u64) -> f64 {
    ticks as f64 * 10_000.0 / calls.max(1) as f64
}

/// What one run of wrk measured.
#[allow(dead_code)]
pub struct WrkRun {
    /// Requests per second.
    pub rate: f64,
    /// Requests answered.
    pub requests: u64,
    /// Answers that were not 2xx or 3xx.
    pub non_2xx: u64,
}

/// Runs wrk (2 threads, `connections`, `seconds`) with script `lua` against `url`. The
/// script's `init` gets a nonce unique to this process and run (its first argument), so that
/// what it makes unique per request stays unique across runs.
#[allow(dead_code)]
pub fn wrk(url: &str, lua: &Path, seconds: usize, connections: usize) -> WrkRun {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "-s",
        ])
        .arg(lua)
        .arg(url)
        .args(["--", &format!("{}r{run}", std::process::id())])
        .output()
        .expect("wrk runs (apt install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(str::trim)
            .map(str::to_string)
    };
    let rate = after("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let non_2xx = after("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if non_2xx > 0 || text.contains("Socket errors") {
        eprintln!("wrk reported errors:\n{text}");
    }
    WrkRun {
        rate,
        requests,
        non_2xx,
    }
}
