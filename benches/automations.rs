//! Wix's own automations: what the expression language and the tree cost.
//!
//! - Expression evaluation per mapping: Wix's own example mapping (SK-ACT §5.2: eight fields,
//!   nested objects, text with embedded expressions) resolved against a payload, typed by its
//!   schema; against the same mapping written as a flow file's templates, filled, in the same run.
//! - A 45-action automation (the builder's cap) run end to end through the engine, the
//!   workbench answering each action: a straight chain of 45 actions in Wix's JSON, and a tree of
//!   45 nodes (conditions, SPLITs, variables, actions); against a 45-step flow file in the same
//!   run. Each figure is the median of RUNS runs (env AUTOMATION_RUNS, default 20).
//!
//! Run: `cargo bench --bench automations`.

use actionbench::domain::expr::{self, Env};
use actionbench::domain::flow::{LoadedFlow, Scope, fill};
use actionbench::engine::{Engine, EngineConfig, Mode};
use actionbench::play::Player;
use actionbench::play::automation::{self, RunOptions};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

mod common;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Nanoseconds per call of `f`, over `n` calls (after a warm-up).
fn per_call(n: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

fn mappings() {
    let payload = json!({ "contact": { "name": { "first": "Dana" } }, "order": { "total": { "value": "86.00", "currency": "EUR" } },
        "contactId": "c-1", "order_number": "10482", "createTask-1": { "taskId": "t-9" } });
    let wix = json!({ "subject": "Welcome, {{var(\"contact.name.first\")}}!", "priority": "HIGH", "notifyCustomer": true,
        "amount": { "value": "{{var(\"order.total.value\")}}", "currency": "{{var(\"order.total.currency\")}}" },
        "contactId": "{{var(\"contactId\")}}", "labelKeys": ["label-1"],
        "note": "Order {{var(\"order_number\")}} from {{var(\"createTask-1.taskId\")}}" });
    let schema = json!({ "type": "object", "properties": {
        "subject": { "type": "string" }, "priority": { "type": "string" }, "notifyCustomer": { "type": "boolean" },
        "amount": { "type": "object", "properties": { "value": { "type": "string" }, "currency": { "type": "string" } } },
        "contactId": { "type": "string" }, "labelKeys": { "type": "array", "items": { "type": "string" } },
        "note": { "type": "string" } } });
    let file = json!({ "subject": "Welcome, {{payload.contact.name.first}}!", "priority": "HIGH", "notifyCustomer": true,
        "amount": { "value": "{{payload.order.total.value}}", "currency": "{{payload.order.total.currency}}" },
        "contactId": "{{payload.contactId}}", "labelKeys": ["label-1"],
        "note": "Order {{payload.order_number}} from {{steps.task.result.taskId}}" });
    let mut steps = Map::new();
    steps.insert("task".into(), json!({ "result": { "taskId": "t-9" } }));
    let env = Env {
        payload: &payload,
        now: chrono::Utc::now(),
    };
    let n = common::env("MAPPING_CALLS", 100_000);
    let wix_ns = per_call(n, || {
        let r = expr::resolve_mapping(&wix, Some(&schema), &env);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        std::hint::black_box(r);
    });
    let wix_untyped_ns = per_call(n, || {
        std::hint::black_box(expr::resolve_mapping(&wix, None, &env));
    });
    let scope = Scope {
        payload: &payload,
        steps: &steps,
    };
    let file_ns = per_call(n, || {
        std::hint::black_box(fill(&file, &scope));
    });
    println!("mapping (8 fields, Wix's SK-ACT §5.2 example), {n} calls each:");
    println!(
        "  Wix expressions, typed by the input schema: {:>8.2} µs",
        wix_ns / 1000.0
    );
    println!(
        "  Wix expressions, no schema:                 {:>8.2} µs",
        wix_untyped_ns / 1000.0
    );
    println!(
        "  baseline: a flow file's templates filled:   {:>8.2} µs  (Wix ×{:.1})",
        file_ns / 1000.0,
        wix_ns / file_ns
    );
}

fn app(id: &str, next: &[String]) -> Value {
    json!({ "id": id, "type": "APP_DEFINED", "namespace": format!("send-{id}"),
        "appDefinedInfo": { "appId": "a", "actionKey": "send",
            "inputMapping": { "to": "{{var(\"email\")}}", "subject": "Order {{var(\"orderId\")}} for {{upper(var(\"name\"))}}" },
            "postActionIds": next } })
}

/// 45 actions in a chain, in Wix's JSON.
fn wix_chain() -> LoadedFlow {
    let ids: Vec<String> = (0..45).map(|i| format!("n{i:02}")).collect();
    let mut actions = Map::new();
    for (i, id) in ids.iter().enumerate() {
        actions.insert(
            id.clone(),
            app(
                id,
                &ids[i + 1..].iter().take(1).cloned().collect::<Vec<_>>(),
            ),
        );
    }
    wix(json!(["n00"]), Value::Object(actions))
}

/// 45 nodes in a tree: a condition whose true path is a SPLIT of three chains, its false path a
/// chain with variables; 40 actions.
fn wix_tree() -> LoadedFlow {
    let mut actions = Map::new();
    let chain = |prefix: &str, n: usize, actions: &mut Map<String, Value>| -> String {
        let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i:02}")).collect();
        for (i, id) in ids.iter().enumerate() {
            actions.insert(
                id.clone(),
                app(
                    id,
                    &ids[i + 1..].iter().take(1).cloned().collect::<Vec<_>>(),
                ),
            );
        }
        ids[0].clone()
    };
    let a = chain("a", 10, &mut actions);
    let b = chain("b", 10, &mut actions);
    let c = chain("c", 10, &mut actions);
    let d = chain("d", 10, &mut actions);
    actions.insert("cond".into(), json!({ "id": "cond", "type": "CONDITION", "namespace": "CONDITION-1",
        "conditionInfo": { "orExpressionGroups": [ { "operator": "AND", "booleanExpressions": ["{{numberGt(var(\"total\");100)}}"] } ],
            "truePostActionIds": ["split"], "falsePostActionIds": ["vars"] } }));
    actions.insert("split".into(), json!({ "id": "split", "type": "SPLIT", "namespace": "SPLIT-2",
        "splitInfo": { "paths": [ { "id": "p1", "name": "A", "postActionId": a }, { "id": "p2", "name": "B", "postActionId": b },
            { "id": "p3", "name": "C", "postActionId": c } ] } }));
    actions.insert("vars".into(), json!({ "id": "vars", "type": "SET_VARIABLES", "namespace": "setVariable",
        "setVariablesInfo": { "outputMapping": { "k": "{{concat(var(\"name\");\"!\")}}" }, "postActionIds": ["vars2"] } }));
    actions.insert("vars2".into(), json!({ "id": "vars2", "type": "SET_VARIABLES", "namespace": "setVariable",
        "setVariablesInfo": { "outputMapping": { "k2": "{{sum(1;2)}}" }, "postActionIds": ["cond2"] } }));
    actions.insert("cond2".into(), json!({ "id": "cond2", "type": "CONDITION", "namespace": "CONDITION-3",
        "conditionInfo": { "orExpressionGroups": [ { "operator": "OR", "booleanExpressions": ["{{stringEq(var(\"name\");\"dana\")}}"] } ],
            "truePostActionIds": [d], "falsePostActionIds": [] } }));
    wix(json!(["cond"]), Value::Object(actions))
}

fn wix(roots: Value, actions: Value) -> LoadedFlow {
    let text = json!({ "automation": { "name": "Bench", "configuration": { "status": "ACTIVE",
        "trigger": { "appId": "a", "triggerKey": "k" }, "rootActionIds": roots, "actions": actions } } })
    .to_string();
    let mut f = LoadedFlow::parse(&text, None).expect("reads");
    f.flow.trigger.payload =
        json!({ "email": "a@b.co", "orderId": "1", "name": "Dana", "total": 150 });
    f
}

/// The same 45 actions as a flow file.
fn file_chain() -> LoadedFlow {
    let steps: Vec<Value> = (0..45)
        .map(|i| json!({ "type": "action", "id": format!("s{i}"), "name": format!("Step {i}"), "actionKey": "send",
            "params": { "to": "{{payload.email}}", "subject": "Order {{payload.orderId}} for {{payload.name}}" } }))
        .collect();
    let text = json!({ "name": "Bench", "trigger": { "name": "T", "key": "k",
        "payload": { "email": "a@b.co", "orderId": "1", "name": "Dana", "total": 150 } }, "steps": steps })
    .to_string();
    LoadedFlow::parse(&text, None).expect("reads")
}

/// Milliseconds for one run of `flow` from its start to its last event, and the calls it made.
fn run_once(rt: &tokio::runtime::Runtime, flow: &LoadedFlow) -> (f64, usize) {
    {
        let engine = Engine::new(
            EngineConfig {
                default_mode: Mode::Auto,
                ..EngineConfig::default()
            },
            std::sync::Arc::new(actionbench::domain::clock::SystemClock),
        );
        let t = Instant::now();
        let run = automation::start(
            rt.handle(),
            engine.clone(),
            Player::new(engine.clone(), None),
            flow.clone(),
            RunOptions::default(),
        );
        loop {
            match run.events.recv_timeout(Duration::from_secs(30)) {
                Ok(ev)
                    if matches!(
                        ev.kind,
                        actionbench::domain::flow::FlowEventKind::Finished { .. }
                    ) =>
                {
                    break;
                }
                Ok(_) => {}
                Err(e) => panic!("the run did not finish: {e}"),
            }
        }
        (t.elapsed().as_secs_f64() * 1000.0, engine.len())
    }
}

/// The median milliseconds of `runs` runs of each of `flows`, taken in turn (so a busy moment
/// of the machine falls on all of them), after one run each to warm up; and each one's calls.
fn run_ms(rt: &tokio::runtime::Runtime, flows: &[LoadedFlow], runs: usize) -> Vec<(f64, usize)> {
    let mut times: Vec<Vec<f64>> = vec![vec![]; flows.len()];
    let mut calls = vec![0; flows.len()];
    for f in flows {
        run_once(rt, f);
    }
    for _ in 0..runs {
        for (i, f) in flows.iter().enumerate() {
            let (ms, n) = run_once(rt, f);
            times[i].push(ms);
            calls[i] = n;
        }
    }
    times.into_iter().map(median).zip(calls).collect()
}

/// One finished run as the window keeps it: its events drained, its story told, its channel
/// let go; with `summary`, its story let go too.
fn followed(
    rt: &tokio::runtime::Runtime,
    engine: &std::sync::Arc<Engine>,
    flow: &std::sync::Arc<LoadedFlow>,
    summary: bool,
) -> actionbench::ui::context::RunView {
    let handle = automation::start(
        rt.handle(),
        engine.clone(),
        Player::new(engine.clone(), None),
        flow.clone(),
        RunOptions::default(),
    );
    let mut view = actionbench::ui::context::RunView::new(flow.clone(), handle, false);
    let start = Instant::now();
    while !view.handle.is_done() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(1));
    }
    while let Ok(ev) = view.handle.events.try_recv() {
        view.events.push(ev);
    }
    view.story = actionbench::domain::flow::Story::of(&flow.flow, &view.events);
    view.handle.events = std::sync::mpsc::channel().1;
    if summary {
        view.let_go_of_story();
    }
    view
}

/// What the window keeps per finished run (its RunView: the run's state, events and story; the
/// flow shared), resident memory over RUNS_KEPT runs of the shipped shop-order flow answered by
/// the workbench: first keeping only each run's summary (as it does past the newest 500), then
/// keeping each whole (as it does for the newest 500).
fn window_runs(rt: &tokio::runtime::Runtime) {
    let n = common::env("RUNS_KEPT", 2_000);
    let flow = std::sync::Arc::new(
        LoadedFlow::load(&common::root().join("samples/flows/03-shop-order.json"))
            .expect("a shipped flow"),
    );
    let engine = Engine::new(
        EngineConfig {
            default_mode: Mode::Auto,
            memory_budget: 1 << 20,
            ..EngineConfig::default()
        },
        std::sync::Arc::new(actionbench::domain::clock::SystemClock),
    );
    let pid = std::process::id().to_string();
    // Warm up (the engine's own first allocations), then measure each way.
    let warm: Vec<_> = (0..200)
        .map(|_| followed(rt, &engine, &flow, false))
        .collect();
    drop(warm);
    let measure = |summary: bool| {
        let before = common::rss_kib(&pid);
        let kept: Vec<_> = (0..n)
            .map(|_| followed(rt, &engine, &flow, summary))
            .collect();
        let after = common::rss_kib(&pid);
        (after.saturating_sub(before) as f64 / n as f64, kept)
    };
    // Baseline: the same runs, none kept (what the engine itself holds of each: its calls).
    let before = common::rss_kib(&pid);
    for _ in 0..n {
        drop(followed(rt, &engine, &flow, true));
    }
    let engine_kb = common::rss_kib(&pid).saturating_sub(before) as f64 / n as f64;
    let (summary_kb, a) = measure(true);
    let (whole_kb, b) = measure(false);
    println!(
        "\nthe window's finished runs, {n} each way, of the three-step shop-order flow (resident memory a run):"
    );
    println!("  baseline: the engine's own share of a run, nothing kept: {engine_kb:>6.1} KB");
    println!(
        "  keeping each one's summary (past the newest 500):        {summary_kb:>6.1} KB  ({:.1} KB the window's)",
        summary_kb - engine_kb
    );
    println!(
        "  keeping each one whole (the newest 500):                 {whole_kb:>6.1} KB  ({:.1} KB the window's)",
        whole_kb - engine_kb
    );
    drop((a, b));
}

fn main() {
    mappings();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let runs = common::env("AUTOMATION_RUNS", 20);
    println!("\na run end to end, the workbench answering every action (median of {runs}):");
    let all = run_ms(&rt, &[file_chain(), wix_chain(), wix_tree()], runs);
    let [
        (file_ms, file_calls),
        (chain_ms, chain_calls),
        (tree_ms, tree_calls),
    ] = all[..]
    else {
        unreachable!("three flows, three figures")
    };
    println!(
        "  baseline: a 45-step flow file:              {file_ms:>8.2} ms  ({file_calls} calls, {:.0} µs a step)",
        file_ms * 1000.0 / 45.0
    );
    println!(
        "  Wix's JSON, 45 actions in a chain:          {chain_ms:>8.2} ms  ({chain_calls} calls, ×{:.2} the baseline)",
        chain_ms / file_ms
    );
    println!(
        "  Wix's JSON, a 45-node tree (2 conditions, a SPLIT, 2 variable steps, 40 actions, 30 of them run): {tree_ms:>8.2} ms  ({tree_calls} calls, ×{:.2})",
        tree_ms / file_ms
    );
    window_runs(&rt);
}
