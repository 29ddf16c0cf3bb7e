//! The MCP server under a long session: an agent's reads at 100,000 calls, how soon a wait
//! wakes, and what an agent connected costs the window's memory. Each figure beside its
//! baseline, measured in the same run:
//!
//! - `list_calls` and `get_call` through `/mcp` (rmcp's own client over Streamable HTTP on
//!   loopback, the JSON-RPC, the tool's JSON and the SSE frame included) against the same query
//!   on the engine directly (its rows and exchanges, no protocol): p50 and p95 of each. Target:
//!   p95 ≤ 5 ms through `/mcp`.
//! - `wait_for_call`: from a call's arrival at the engine to the waiting client's result,
//!   against an engine subscription woken by the same arrival. Target: ≤ 10 ms.
//! - The window's engine, samples, flows and inbox (its start-up plan, calls answered at once,
//!   the same 100,000 calls, sent to its inbox over HTTP as a window's come) in a process of its
//!   own (this binary, re-run with `--serve`), with an agent connected and reading, against the
//!   same process before it connected: resident memory, broken down into the heap, the
//!   allocator's slack and mapped files. Target: within 2 MB.
//!
//! Knobs: MCP_CALLS (default 100000), MCP_QUERIES (repetitions of each query, default 200),
//! MCP_WAITS (default 30). Every wait is bounded. Run: `cargo bench --bench mcp`.

// mimalloc, as the binary ships, behind a counter of the bytes live on the heap: the memory
// figure is broken down into the heap, the allocator's slack and the threads.
#[global_allocator]
static GLOBAL: common::counting::Counting = common::counting::Counting;

use actionbench::domain::summary::Row;
use actionbench::engine::{Incoming, Mode};
use actionbench::startup::{self, Journaling, KeyUse, Listen, Plan};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

mod common;

type Client = RunningService<RoleClient, ()>;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50 and p95 of `v`, in ms.
fn quantiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .map_or(0.0, ms)
    };
    (at(0.5), at(0.95))
}

async fn call(client: &Client, name: &str, args: Value) -> Value {
    let Value::Object(args) = args else {
        panic!("an object")
    };
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        client.call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args)),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: no answer within 60 s"))
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    r.structured_content
        .unwrap_or_else(|| panic!("{name} failed: {:?}", r.content))
}

/// The body of call `i`: one of four action keys, one in 50 with params that break nothing but
/// a key of its own (so a rare filter has few matches).
fn body(i: usize) -> String {
    let key = match i % 50 {
        0 => "rare-key",
        n => [
            "send-email",
            "quote-shipping",
            "request-approval",
            "create-coupon",
        ][n % 4],
    };
    json!({ "request": { "actionKey": key, "actionParams": { "n": i },
            "activationContext": { "activationId": format!("act-{i}"), "invocationToken": format!("tok-{i}") } },
            "metadata": { "requestId": format!("r-{i}") } })
    .to_string()
}

fn print(what: &str, mcp: (f64, f64), direct: (f64, f64)) {
    println!(
        "{what:<44} /mcp p50 {:>7.3} ms  p95 {:>7.3} ms   engine directly p50 {:>7.3} ms  p95 {:>7.3} ms",
        mcp.0, mcp.1, direct.0, direct.1
    );
}

/// The same query as `list_calls` with an action key and a limit, newest first, on the engine.
fn list_direct(engine: &actionbench::engine::Engine, key: &str, limit: usize) -> usize {
    let mut found = 0;
    let tag = actionbench::engine::key_tag(Some(key));
    for id in (1..=engine.len() as u64).rev() {
        if found == limit {
            break;
        }
        // The engine's own way to pass a row over: its key's tag, read without its lock.
        if engine.key_tag_of(id).is_some_and(|t| t != tag) {
            continue;
        }
        let Some(row) = engine.row(id) else { continue };
        let matches = match &row {
            Row::Whole(ex) => ex.action_key.as_deref() == Some(key),
            Row::Packed(p) => p.unpack(id).action_key.as_deref() == Some(key),
        };
        found += usize::from(matches);
    }
    found
}

/// The window's start with `n` calls taken in.
fn window(n: usize) -> startup::Started {
    let args = <actionbench::cli::Cli as clap::Parser>::parse_from([
        "actionbench",
        "--samples",
        &common::root().join("samples").display().to_string(),
    ])
    .inbox;
    // The window's plan (its samples, flows, automations, the inbox with /mcp), answering at
    // once so that the calls end; no journal or key of the user's.
    let started = startup::start(
        &args,
        Plan {
            configure: Box::new(|c| c.default_mode = Mode::Auto),
            journal: Journaling::Off,
            key: KeyUse::Off,
            mount: Some(actionbench::mcp::mounting().0),
            ..Plan::window(Listen::Port {
                port: 0,
                fallback: false,
            })
        },
    )
    .expect("the window's start");
    for i in 0..n {
        let incoming = Incoming::post("/v1/invoke", body(i)).expect("a method");
        let _ = started.engine.intake(incoming);
    }
    started
}

/// `--serve`: the window's side alone, for its memory to be read from outside.
fn serve(n: usize) {
    // The calls come through the inbox, as a window's do: the runtime's threads that then
    // serve /mcp have served calls before, as they have in a window that holds a session.
    let started = window(0);
    let url = started.url().expect("listening");
    started.rt.block_on(async {
        let client = reqwest::Client::new();
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let (client, url) = (client.clone(), format!("{url}/v1/invoke"));
                tokio::spawn(async move {
                    for i in (t..n).step_by(8) {
                        let sent = client.post(&url).body(body(i)).send();
                        let r = tokio::time::timeout(Duration::from_secs(30), sent)
                            .await
                            .expect("answered within 30 s")
                            .expect("answered");
                        assert!(r.status().is_success(), "{}", r.status());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("a sender");
        }
    });
    assert_eq!(started.engine.len(), n);
    println!("url {url}/mcp");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    // Each line on stdin asks for a reading of this process's memory, printed on one line.
    for _ in std::io::stdin().lines().map_while(Result::ok) {
        println!("{}", Reading::now().to_line());
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    drop(started);
}

/// What the window's side holds at one moment.
#[derive(Clone, Copy, Debug, Default)]
struct Reading {
    /// Bytes live on the heap (the counting allocator's).
    heap: usize,
    /// Resident, anonymous and file-backed, KiB.
    anon: usize,
    file: usize,
    threads: usize,
}

impl Reading {
    fn now() -> Reading {
        use common::counting::{live, status_kib};
        Reading {
            heap: live(),
            anon: status_kib("RssAnon"),
            file: status_kib("RssFile"),
            threads: status_kib("Threads"),
        }
    }

    fn to_line(self) -> String {
        format!(
            "reading {} {} {} {}",
            self.heap, self.anon, self.file, self.threads
        )
    }

    fn parse(line: &str) -> Option<Reading> {
        let mut f = line.strip_prefix("reading ")?.split(' ');
        let mut next = || f.next()?.parse::<usize>().ok();
        Some(Reading {
            heap: next()?,
            anon: next()?,
            file: next()?,
            threads: next()?,
        })
    }

    /// Resident, MB.
    fn rss_mb(&self) -> f64 {
        (self.anon + self.file) as f64 / 1024.0
    }
}

/// What an agent added, by owner: the heap, the allocator's slack beyond it, mapped files, and
/// threads.
fn breakdown(what: &str, before: Reading, after: Reading) {
    let mb = |kib: f64| kib / 1024.0;
    let heap = (after.heap as f64 - before.heap as f64) / 1024.0 / 1024.0;
    let anon = mb(after.anon as f64 - before.anon as f64);
    println!(
        "{what}: resident {:+.2} MB = heap {heap:+.2} MB + the allocator's slack and thread stacks {:+.2} MB + mapped files {:+.2} MB; threads {} -> {}",
        after.rss_mb() - before.rss_mb(),
        anon - heap,
        mb(after.file as f64 - before.file as f64),
        before.threads,
        after.threads
    );
}

/// The window's side, stopped however the bench ends.
struct Side(std::process::Child);

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The window's memory with an agent connected and reading, against before it connected.
fn memory(n: usize) {
    use std::io::BufRead;
    let mut child = Side(
        std::process::Command::new(std::env::current_exe().expect("this bench"))
            .arg("--serve")
            .env("MCP_CALLS", n.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the window's side starts"),
    );
    let out = child.0.stdout.take().expect("stdout");
    let mut ask = child.0.stdin.take().expect("stdin");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the window's side is ready within 120 s");
    let url = url.strip_prefix("url ").expect("its URL").to_string();
    let mut reading = move || -> Reading {
        use std::io::Write;
        writeln!(ask, "read").expect("ask the window's side");
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a reading within 30 s");
        Reading::parse(&line).unwrap_or_else(|| panic!("not a reading: {line}"))
    };
    std::thread::sleep(Duration::from_secs(1));
    let without = reading();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let with = rt.block_on(async {
        let transport = StreamableHttpClientTransport::from_uri(url);
        let client: Client = tokio::time::timeout(Duration::from_secs(30), ().serve(transport))
            .await
            .expect("connects within 30 s")
            .expect("connects");
        for q in 0..50u64 {
            call(&client, "get_status", json!({})).await;
            call(
                &client,
                "list_calls",
                json!({ "actionKey": "quote-shipping", "limit": 200 }),
            )
            .await;
            call(
                &client,
                "get_call",
                json!({ "id": 1 + (q * 997) % n.max(1) as u64 }),
            )
            .await;
        }
        call(
            &client,
            "wait_for_call",
            json!({ "actionKey": "nobody", "timeoutSeconds": 1 }),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let burst = reading();
        // Past the 5 s the server keeps completed responses for a resuming client; one more
        // read lets the session let them go.
        tokio::time::sleep(Duration::from_secs(6)).await;
        call(&client, "get_status", json!({})).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let with = reading();
        let _ = client.cancel().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let gone = reading();
        breakdown("just after an agent's 150 reads and a wait", without, burst);
        (with, gone)
    });
    let (with, gone) = with;
    drop(child);
    breakdown("6 s later, the agent still connected", without, with);
    breakdown("the agent gone", without, gone);
    println!(
        "the window's memory with an agent connected (6 s after 150 reads and a wait) {:.2} MB, before it connected {:.2} MB: {:+.2} MB",
        with.rss_mb(),
        without.rss_mb(),
        with.rss_mb() - without.rss_mb()
    );
}

fn main() {
    let n = common::env("MCP_CALLS", 100_000);
    if std::env::args().any(|a| a == "--serve") {
        serve(n);
        return;
    }
    let queries = common::env("MCP_QUERIES", 200);
    let waits = common::env("MCP_WAITS", 30);
    let t = Instant::now();
    let started = window(n);
    let engine = started.engine.clone();
    let url = format!("{}/mcp", started.url().expect("listening"));
    println!(
        "{} calls in the session ({:.1} s to take them in)",
        engine.len(),
        t.elapsed().as_secs_f64()
    );

    started.rt.block_on(async {
        let transport = StreamableHttpClientTransport::from_uri(url.clone());
        let client: Client = tokio::time::timeout(Duration::from_secs(30), ().serve(transport))
            .await
            .expect("connects within 30 s")
            .expect("connects");
        // Warm: the first calls pay for what is made once.
        for _ in 0..10 {
            call(&client, "get_status", json!({})).await;
            call(&client, "list_calls", json!({ "limit": 50 })).await;
        }
        let cases: [(&str, Value, &str, usize); 3] = [
            ("list_calls newest 50 of one key", json!({ "actionKey": "quote-shipping", "limit": 50 }), "quote-shipping", 50),
            ("list_calls newest 200 of a rare key", json!({ "actionKey": "rare-key", "limit": 200 }), "rare-key", 200),
            ("list_calls a key that matches none (all rows)", json!({ "actionKey": "none", "limit": 200 }), "none", 200),
        ];
        for (what, query, key, limit) in cases {
            let mut mcp = vec![];
            let mut direct = vec![];
            for _ in 0..queries {
                let t = Instant::now();
                let out = call(&client, "list_calls", query.clone()).await;
                mcp.push(t.elapsed());
                std::hint::black_box(out);
                let t = Instant::now();
                std::hint::black_box(list_direct(&engine, key, limit));
                direct.push(t.elapsed());
            }
            print(what, quantiles(mcp), quantiles(direct));
        }
        let (mut mcp, mut direct) = (vec![], vec![]);
        for q in 0..queries {
            let id = 1 + (q as u64 * 7919) % engine.len() as u64;
            let t = Instant::now();
            let out = call(&client, "get_call", json!({ "id": id })).await;
            mcp.push(t.elapsed());
            assert_eq!(out["id"], id);
            let t = Instant::now();
            std::hint::black_box(engine.exchange(id));
            direct.push(t.elapsed());
        }
        print("get_call (redacted, any of 100,000)", quantiles(mcp), quantiles(direct));

        // wait_for_call: a waiting client, then a call arrives.
        let (mut woke, mut baseline) = (vec![], vec![]);
        for w in 0..waits {
            let key = format!("wake-{w}");
            let waiter = {
                let args = json!({ "actionKey": key, "timeoutSeconds": 20 });
                let Value::Object(args) = args else { unreachable!() };
                let peer = client.peer().clone();
                tokio::spawn(async move {
                    let r = peer
                        .call_tool(CallToolRequestParams::new("wait_for_call").with_arguments(args))
                        .await;
                    (Instant::now(), r)
                })
            };
            // The wait is registered (its subscription made) well before the call comes.
            tokio::time::sleep(Duration::from_millis(150)).await;
            let sub = engine.subscribe(64, None);
            let body = json!({ "request": { "actionKey": key, "actionParams": {} }, "metadata": {} }).to_string();
            let sent = Instant::now();
            let _ = engine.intake(Incoming::post("/v1/invoke", body).expect("a method"));
            let heard = sub.rx.recv_timeout(Duration::from_secs(10)).map(|_| Instant::now());
            baseline.push(heard.expect("the engine's event within 10 s") - sent);
            let (at, r) = tokio::time::timeout(Duration::from_secs(30), waiter)
                .await
                .expect("the wait ends within 30 s")
                .expect("the waiter");
            let r = r.expect("wait_for_call");
            let out = r.structured_content.expect("structured");
            assert_eq!(out["timedOut"], false, "{out}");
            woke.push(at - sent);
        }
        let (w50, w95) = quantiles(woke);
        let (b50, b95) = quantiles(baseline);
        println!(
            "{:<44} /mcp p50 {w50:>7.3} ms  p95 {w95:>7.3} ms   engine subscription p50 {b50:>7.3} ms  p95 {b95:>7.3} ms",
            "wait_for_call: arrival to the client's result"
        );
        let _ = client.cancel().await;
    });
    drop(started);
    memory(n);
}
