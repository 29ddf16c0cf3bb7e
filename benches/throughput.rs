//! Auto-answer throughput of the embedded inbox against a bare axum handler, in one run.
//!
//! Both servers run on the same tokio runtime and are loaded by the same in-process client
//! (32 concurrent connections on 127.0.0.1) with the same Invoke body. Each is measured in
//! alternating short rounds; each round's ratio compares two runs a fraction of a second apart, and the median of
//! those ratios is the figure (this VM's speed drifts between rounds by up to 1.5×, so a ratio
//! of best rounds would compare different moments). Target: at least 0.8.
//!
//! Knobs: BENCH_REQUESTS (per round, default 5000), BENCH_ROUNDS (default 15),
//! BENCH_CONCURRENCY (default 32). Every round stops after 30 s at the most.

// The same allocator as the app's binary (src/main.rs), with the same compiled-in settings.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actionbench::domain::clock::SystemClock;
use actionbench::domain::sample::LoadedSample;
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::server;
use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{env, rss_kib};

/// The sample's token, replaced per request by one of the same length.
const TOKEN: &str = "tok-send-email-0001";

/// Tokens are unique across rounds and servers.
static SEQ: AtomicUsize = AtomicUsize::new(0);

const ANSWER: &str = r#"{"invokeTimeoutType":"IMMEDIATE","result":{}}"#;

async fn bare(body: Bytes) -> ([(&'static str, &'static str); 1], &'static str) {
    // Touch the body as any handler must, then answer fixed JSON.
    std::hint::black_box(body.len());
    ([("content-type", "application/json")], ANSWER)
}

struct Round {
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

async fn load(addr: SocketAddr, body: Arc<String>, requests: usize, concurrency: usize) -> Round {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let url = Arc::new(format!("http://{addr}/v1/invoke"));
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, body, next, errors) = (
                client.clone(),
                url.clone(),
                body.clone(),
                next.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests || Instant::now() >= deadline {
                        break;
                    }
                    let t = Instant::now();
                    // Every invocation gets its own token, as from Wix (a reused token is a
                    // finding, and not the common case).
                    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
                    let body = body.replacen(TOKEN, &format!("tok-{seq:015}"), 1);
                    match client.post(url.as_str()).body(body).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Round {
        rate: all.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.5),
        p99: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

fn main() {
    let requests = env("BENCH_REQUESTS", 5_000);
    let rounds = env("BENCH_ROUNDS", 15);
    let concurrency = env("BENCH_CONCURRENCY", 32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let samples_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let sample = LoadedSample::load(&samples_dir.join("01-send-email.json")).expect("sample");
    let body = Arc::new(sample.sample.envelope(false).to_string());

    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let bare_addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, Router::new().route("/v1/invoke", post(bare))).await });

        let mut config = EngineConfig { default_mode: Mode::Auto, ..EngineConfig::default() };
        actionbench::cli::AutoAnswer::Immediate.configure(&mut config);
        let engine = Engine::new(config, Arc::new(SystemClock));
        engine.add_samples(std::slice::from_ref(&sample));
        let inbox = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr")).await.expect("inbox");

        // Warm both up.
        load(bare_addr, body.clone(), 2_000, concurrency).await;
        load(inbox.addr, body.clone(), 2_000, concurrency).await;

        if std::env::var("BENCH_ONLY").as_deref() == Ok("inbox") {
            // For profiling the inbox alone.
            let i = load(inbox.addr, body.clone(), requests, concurrency).await;
            println!("inbox only: {:.0} req/s", i.rate);
            return;
        }
        let mut ratios = Vec::new();
        let (mut bare_rates, mut inbox_rates) = (Vec::new(), Vec::new());
        for round in 1..=rounds {
            let b = load(bare_addr, body.clone(), requests, concurrency).await;
            let i = load(inbox.addr, body.clone(), requests, concurrency).await;
            println!(
                "round {round}: bare axum {:>7.0} req/s (p50 {:?}, p99 {:?}, errors {}) | inbox {:>7.0} req/s (p50 {:?}, p99 {:?}, errors {}) | ratio {:.2}",
                b.rate, b.p50, b.p99, b.errors, i.rate, i.p50, i.p99, i.errors, i.rate / b.rate
            );
            ratios.push(i.rate / b.rate);
            bare_rates.push(b.rate);
            inbox_rates.push(i.rate);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let ratio = median(&mut ratios);
        println!("bare axum handler:      {:.0} req/s (median of {rounds} rounds)", median(&mut bare_rates));
        println!("embedded inbox (auto):  {:.0} req/s (median of {rounds} rounds)", median(&mut inbox_rates));
        println!("ratio inbox/bare:       {ratio:.2} (median of paired rounds; target >= 0.80) {}", if ratio >= 0.8 { "MET" } else { "NOT MET" });
        let rss = Some(rss_kib("self") as f64).filter(|kb| *kb > 0.0);
        println!("exchanges logged:       {}", engine.len());
        if let Some(kb) = rss {
            println!("resident memory:        {:.0} MiB ({:.1} KiB per logged exchange, process total)", kb / 1024.0, kb / engine.len() as f64);
        }
        inbox.stop(Duration::from_secs(2)).await;
    });
}
