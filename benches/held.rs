//! Memory per held call: the inbox holding N calls for the developer, and the window holding
//! them (its engine, session journal and log, set up by `ui::prepare` as the window sets them
//! up, drawn headless), against a bare axum handler that sleeps on N calls, measured the same
//! way in one run.
//!
//! Each server runs in its own process (this binary, re-run with `--serve bare|inbox`); the
//! load comes from this process: N loopback connections, each sending one Invoke request and
//! then waiting. Resident memory (VmRSS) of the server is read once W calls are held (warm)
//! and once all N are; (RSS_N − RSS_W) / (N − W) is the cost of one held call. The ratio of
//! the inbox's cost to axum's is the figure. Target: at most 1.25.
//!
//! Knobs: HELD_CALLS (N, default 10000), HELD_WARM (W, default 1000). Needs N + 100 open
//! files in each process (`ulimit -n`); every wait is bounded (60 s).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use actionbench::domain::clock::SystemClock;
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::server;
use axum::Router;
use axum::body::Bytes;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

mod common;
use common::{env, rss_kib};

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The window's side, headless: the engine, journal, samples and inbox set up by
/// `ui::prepare` as the window sets them up, and the window itself (egui_kittest, no GPU)
/// drawing a frame every 30 ms, so that its log takes in every held call as on screen.
fn window() {
    let dir = std::env::temp_dir().join(format!("actionbench-held-{}", std::process::id()));
    let session = dir.join("session.jsonl");
    let (s, k) = (
        session.display().to_string(),
        dir.join("key").display().to_string(),
    );
    let cli = <actionbench::cli::Cli as clap::Parser>::parse_from([
        "actionbench",
        "--port",
        "0",
        "--session",
        &s,
        "--key-dir",
        &k,
        "--hold-seconds",
        "600",
    ]);
    let prepared = actionbench::ui::prepare(&cli.inbox).expect("the window's core");
    let port = prepared
        .inbox_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("port");
    println!("port {port}");
    let engine = prepared.core.engine.clone();
    let core = prepared.core;
    let mut harness = egui_kittest::Harness::builder()
        .with_max_steps(4)
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| actionbench::ui::App::new(core, &cc.egui_ctx));
    let mut last = Instant::now();
    loop {
        harness.step();
        if last.elapsed() >= Duration::from_millis(100) {
            println!("held {}", engine.len());
            let _ = std::io::stdout().flush();
            last = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// The server side: prints its port, then the number of calls it holds every 100 ms.
fn serve(kind: &str) {
    if kind == "window" {
        window();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let count: Box<dyn Fn() -> usize + Send> = match kind {
            "bare" => {
                let app = Router::new().fallback(|body: Bytes| async move {
                    std::hint::black_box(body.len());
                    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    "{}"
                });
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                println!("port {}", listener.local_addr().expect("addr").port());
                tokio::spawn(async move { axum::serve(listener, app).await });
                Box::new(|| IN_FLIGHT.load(Ordering::Relaxed))
            }
            _ => {
                let config = EngineConfig {
                    default_mode: Mode::Hold,
                    hold_for: chrono::Duration::minutes(10),
                    ..EngineConfig::default()
                };
                let engine = Engine::new(config, Arc::new(SystemClock));
                let handle = server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"))
                    .await
                    .expect("inbox starts");
                println!("port {}", handle.addr.port());
                std::mem::forget(handle);
                Box::new(move || engine.len())
            }
        };
        loop {
            println!("held {}", count());
            let _ = std::io::stdout().flush();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

struct Server {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(kind: &str) -> Server {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--serve", kind])
        .stdout(Stdio::piped())
        .spawn()
        .expect("server process");
    let out = child.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // The window says where it listens first, in words.
    let until = Instant::now() + Duration::from_secs(60);
    let port = loop {
        let line = lines
            .recv_timeout(until.saturating_duration_since(Instant::now()))
            .expect("the server did not start within 60 s");
        if let Some(p) = line.strip_prefix("port ") {
            break p.parse().expect("port line");
        }
    };
    Server { child, lines, port }
}

impl Server {
    /// Waits (bounded) until the server holds `n` calls.
    fn wait_held(&self, n: usize) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the server did not hold {n} calls within 60 s"));
            if line
                .strip_prefix("held ")
                .and_then(|c| c.parse::<usize>().ok())
                .is_some_and(|c| c >= n)
            {
                return;
            }
        }
    }
}

/// Opens `n` connections, each sending one Invoke request and then waiting for its answer.
async fn hold(port: u16, from: usize, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for i in from..from + n {
        let body = format!(
            r#"{{"actionKey":"request-approval","actionParams":{{"approverEmail":"a@example.com","amount":{i}}},"activationContext":{{"activationId":"act-{i}","invocationToken":"tok-{i}"}}}}"#
        );
        let req = format!(
            "POST /v1/invoke HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut s = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        .expect("connect within 10 s")
        .expect("connects");
        s.write_all(req.as_bytes()).await.expect("sends");
        streams.push(s);
    }
    streams
}

struct Figure {
    warm_kib: usize,
    full_kib: usize,
    per_call: f64,
}

fn measure(kind: &str, warm: usize, calls: usize, rt: &tokio::runtime::Runtime) -> Figure {
    let server = start(kind);
    let pid = server.child.id();
    let mut streams = rt.block_on(hold(server.port, 0, warm));
    server.wait_held(warm);
    std::thread::sleep(Duration::from_millis(500));
    let warm_kib = rss_kib(&pid.to_string());
    streams.extend(rt.block_on(hold(server.port, warm, calls - warm)));
    server.wait_held(calls);
    std::thread::sleep(Duration::from_millis(500));
    let full_kib = rss_kib(&pid.to_string());
    drop(streams);
    Figure {
        warm_kib,
        full_kib,
        per_call: (full_kib.saturating_sub(warm_kib)) as f64 * 1024.0 / (calls - warm) as f64,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(args.get(i + 1).map_or("inbox", String::as_str));
        return;
    }
    let calls = env("HELD_CALLS", 10_000);
    let warm = env("HELD_WARM", 1_000).min(calls / 2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("held calls: {calls} (warm at {warm}), each server in its own process");
    let bare = measure("bare", warm, calls, &rt);
    let inbox = measure("inbox", warm, calls, &rt);
    let window = measure("window", warm, calls, &rt);
    for (name, f) in [
        ("bare axum, sleeping", &bare),
        ("inbox, holding", &inbox),
        ("window, holding", &window),
    ] {
        println!(
            "{name:<22} RSS {:>7} KiB warm, {:>7} KiB full: {:>6.0} B per held call",
            f.warm_kib, f.full_kib, f.per_call
        );
    }
    for (name, f) in [("inbox", &inbox), ("window", &window)] {
        let ratio = f.per_call / bare.per_call.max(1.0);
        println!(
            "ratio {name}/axum per held call: {ratio:.2} (target <= 1.25: {})",
            if ratio <= 1.25 { "met" } else { "NOT met" }
        );
    }
}
