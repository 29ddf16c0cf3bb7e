//! `actionbench serve`: the same engine and server as the window, printing one JSON line per
//! event on stdout.

use crate::cli::{AutoAnswer, InboxArgs, ServeArgs};
use crate::domain::clock::SystemClock;
use crate::domain::invocation::{Exchange, Phase};
use crate::engine::{Engine, Event, Mode};
use crate::play::{Forwarder, Player};
use crate::server;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// One event as the JSON line `serve` prints.
pub fn event_line(e: &Event) -> Value {
    let ex: &Exchange = &e.exchange;
    let mut line = json!({
        "event": e.kind,
        "id": ex.id,
        "at": ex.at.to_rfc3339(),
        "method": ex.method.map(|m| m.label()),
        "path": ex.path,
        "actionKey": ex.action_key,
        "envelope": ex.envelope.map(|k| k.label()),
        "phase": ex.phase.label(),
        "flagged": ex.is_flagged(),
    });
    if let Some(r) = &ex.response {
        line["status"] = json!(r.status);
        line["answeredBy"] = json!(r.by);
    }
    match &ex.phase {
        Phase::Waiting { deadline } | Phase::TimedOut { deadline } => {
            line["deadline"] = json!(deadline.to_rfc3339())
        }
        Phase::Rejected { code, message } => {
            line["code"] = json!(code);
            line["message"] = json!(message);
        }
        Phase::Failed { reason } => line["reason"] = json!(reason),
        Phase::ReportedFailure { description } => line["errorDescription"] = json!(description),
        Phase::Completed { result } => line["result"] = result.clone(),
        _ => {}
    }
    if let Some(t) = &ex.target_answer {
        // Forward mode: what the developer's action said (status is what the caller got).
        line["targetStatus"] = json!(t.status);
    }
    if let Some(t) = &ex.invocation_token {
        line["invocationToken"] = json!(t);
    }
    let findings: Vec<Value> = ex
        .findings
        .iter()
        .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
        .map(|f| serde_json::to_value(f).unwrap_or_default())
        .collect();
    if !findings.is_empty() {
        line["findings"] = Value::Array(findings);
    }
    line
}

pub fn run(inbox: &InboxArgs, serve: &ServeArgs) -> Result<(), String> {
    let mut config = inbox.engine_config(Mode::Auto)?;
    serve.answer.configure(&mut config);
    let addr = server::check_bind(inbox.bind, inbox.port(), inbox.allow_remote)
        .map_err(|e| e.to_string())?;
    let engine = Engine::new(config, Arc::new(SystemClock));
    if serve.answer == AutoAnswer::Forward {
        let target = inbox
            .target(false, crate::caller::DEFAULT_TIMEOUT)?
            .ok_or("--answer forward needs --target URL: where to relay the calls")?;
        let player = Player::new(engine.clone(), None);
        engine.set_relay(Some(Arc::new(Forwarder::new(
            player,
            Arc::new(std::sync::RwLock::new(Some(target))),
        ))));
    }
    // Without --session, a scratch journal in the temp folder: memory stays within the budget
    // however long serve runs (older exchanges are read back from it), and it goes when serve
    // stops. Killed, serve leaves it for the system's temp cleaning.
    let scratch = inbox.session.is_none().then(|| {
        std::env::temp_dir().join(format!("actionbench-serve-{}.jsonl", std::process::id()))
    });
    let opened = match inbox.session.as_ref().or(scratch.as_ref()) {
        Some(path) => Some(crate::journal::attach(&engine, path)?),
        None => None,
    };
    for w in opened.iter().flat_map(|o| o.warnings.iter()) {
        eprintln!("warning: {w}");
    }
    let (samples, errors) = inbox.load_samples();
    for e in &errors {
        eprintln!("sample skipped: {e}");
    }
    engine.add_samples(&samples);
    let rt =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    let subscription = engine.subscribe(65_536, None);
    let handle = rt
        .block_on(server::start(engine.clone(), addr))
        .map_err(|e| e.to_string())?;
    if !handle.addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}: other machines can reach the inbox",
            handle.addr
        );
    }
    println!(
        "{}",
        json!({ "event": "listening", "url": format!("http://{}", handle.addr), "samples": samples.len(),
                "jwt": engine.jwt_summary(),
                "session": inbox.session.as_ref().map(|p| p.display().to_string()),
                "scratch": scratch.as_ref().map(|p| p.display().to_string()),
                "restored": opened.as_ref().map_or(0, |o| o.restored) })
    );
    let printer_engine = engine.clone();
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let printer_stopping = stopping.clone();
    // The printer drains the events in batches and sleeps when there are none: a reader blocked
    // in `recv` is woken by every event (a futex wake per call, the largest cost `perf` showed
    // in `serve` under load), while one that polls costs the answer path nothing.
    let printer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
        loop {
            let mut any = false;
            while let Ok(ev) = subscription.rx.try_recv() {
                if subscription.take_lagged() {
                    let _ = writeln!(
                        out,
                        "{}",
                        json!({ "event": "lagged", "note": "stdout fell behind; some events were dropped", "calls": printer_engine.len() })
                    );
                }
                let _ = writeln!(out, "{}", event_line(&ev));
                any = true;
            }
            let _ = out.flush();
            if !any {
                // Stopping and nothing left to print: every event of the run is out.
                if printer_stopping.load(std::sync::atomic::Ordering::Acquire) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = out.flush();
    });
    rt.block_on(shutdown_signal());
    rt.block_on(handle.stop(Duration::from_secs(2)));
    // The last lines (held calls answered 503 on the way out) are printed before exiting.
    stopping.store(true, std::sync::atomic::Ordering::Release);
    let _ = printer.join();
    if let Some(o) = &opened {
        o.journal.sync();
    }
    if let Some(path) = &scratch {
        let _ = std::fs::remove_file(path);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        json!({ "event": "stopped", "calls": engine.len() })
    );
    let _ = out.flush();
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix: either stops `serve` cleanly (held calls get 503).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
