//! What the benchmarks share: their knobs, a reading of resident memory, and a session journal
//! of many exchanges made quickly.

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
