//! Whether the answer path scales with threads: the engine (session journal on, a subscriber
//! reading every event, as `serve`'s printer does) answering Invoke calls at once from 1, 2, …
//! threads at a time, with no HTTP in between, against a baseline of the same threads doing
//! work of their own that shares nothing (decoding and encoding the same body). A lock every
//! call takes shows as a speedup well under the baseline's.
//!
//! Knobs: BENCH_SECONDS (per run, default 3), BENCH_FROM and BENCH_THREADS (the fewest and
//! most threads, default 1 and twice the cores); to see what each part costs, BENCH_JOURNAL=0
//! (no journal, so no memory budget either), BENCH_FLUSH=0 (lines not written per call) and
//! BENCH_EVENTS=0 (no subscriber).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actionbench::domain::clock::SystemClock;
use actionbench::engine::{Engine, EngineConfig, Incoming, Intake, Mode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{env, rss_kib};

/// The shipped email sample's Invoke body, with TOKEN where each call's own token goes.
fn body() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("samples/01-send-email.json")).expect("sample"),
    )
    .expect("json");
    serde_json::json!({"request": sample["request"], "metadata": sample["metadata"]})
        .to_string()
        .replace("tok-send-email-0001", "TOKEN")
}

/// Calls a second made by `threads` threads each running `work(thread, n)` for `seconds`.
fn rate(threads: usize, seconds: u64, work: Arc<dyn Fn(usize, u64) + Send + Sync>) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (stop, done, work) = (stop.clone(), done.clone(), work.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    work(t, n);
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("thread");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let seconds = env("BENCH_SECONDS", 3) as u64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = env("BENCH_THREADS", cores * 2).max(1);
    let body = Arc::new(body());
    let dir = std::env::temp_dir().join(format!("actionbench-scaling-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");

    let engine = Engine::new(
        EngineConfig {
            default_mode: Mode::Auto,
            ..Default::default()
        },
        Arc::new(SystemClock),
    );
    if env("BENCH_JOURNAL", 1) == 1 {
        actionbench::journal::attach(&engine, &dir.join("scaling.jsonl")).expect("journal");
    }
    // A reader of every event, as serve's printer is.
    let events = (env("BENCH_EVENTS", 1) == 1).then(|| engine.subscribe(65_536, None));
    let reading = Arc::new(AtomicBool::new(events.is_some()));
    let reader = {
        let reading = reading.clone();
        std::thread::spawn(move || {
            while reading.load(Ordering::Relaxed) {
                while events.as_ref().is_some_and(|e| e.rx.try_recv().is_ok()) {}
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    let flush = env("BENCH_FLUSH", 1) == 1;
    let calls: Arc<dyn Fn(usize, u64) + Send + Sync> = {
        let (engine, body) = (engine.clone(), body.clone());
        Arc::new(move |t, n| {
            let b = body.replace("TOKEN", &format!("tok-{t}-{n}"));
            let incoming = Incoming::post("/v1/invoke", b).expect("route");
            match engine.intake(incoming) {
                Intake::Now(reply) => {
                    std::hint::black_box(reply);
                }
                _ => panic!("the call was not answered at once"),
            }
            if flush {
                engine.durable().expect("the journal is written");
            }
        })
    };
    let baseline: Arc<dyn Fn(usize, u64) + Send + Sync> = {
        let body = body.clone();
        Arc::new(move |t, n| {
            let b = body.replace("TOKEN", &format!("tok-{t}-{n}"));
            let v: serde_json::Value = serde_json::from_str(&b).expect("json");
            let mut out = Vec::with_capacity(4096);
            serde_json::to_writer(&mut out, &v).expect("encode");
            serde_json::to_writer(&mut out, &v).expect("encode");
            std::hint::black_box(out);
        })
    };

    println!(
        "scaling bench: {cores} cores, {seconds} s a run; the engine answering at once (journal on, events read) against a baseline sharing nothing"
    );
    let (mut engine_one, mut base_one) = (0.0, 0.0);
    for threads in env("BENCH_FROM", 1).max(1)..=most {
        let b = rate(threads, seconds, baseline.clone());
        let e = rate(threads, seconds, calls.clone());
        if engine_one == 0.0 {
            (engine_one, base_one) = (e / threads as f64, b / threads as f64);
        }
        println!(
            "{threads:>2} threads: baseline {b:>9.0} calls/s (×{:.2})   engine {e:>9.0} calls/s (×{:.2})",
            b / base_one,
            e / engine_one
        );
    }
    println!(
        "engine: {} exchanges, {} kept whole in memory; RSS {} MiB",
        engine.len(),
        engine.in_memory(),
        rss_kib("self") / 1024
    );
    reading.store(false, Ordering::Relaxed);
    let _ = reader.join();
    let _ = std::fs::remove_dir_all(&dir);
}
