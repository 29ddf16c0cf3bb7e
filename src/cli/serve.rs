//! `actionbench serve`: the same engine and server as the window, printing one JSON line per
//! event on stdout.

use crate::cli::{AutoAnswer, InboxArgs, ServeArgs};
use crate::domain::contract::Finding;
use crate::domain::invocation::{AnsweredBy, Exchange, ExchangeId, Phase, flagged};
use crate::engine::{Event, EventKind, Mode};
use crate::startup::{self, Journaling, Listen, Mounting, Plan, Relay};
use serde::Serialize;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// One event as the JSON line `serve` prints (keys in alphabetical order). Borrowed from the
/// exchange and written straight out: the printer makes no JSON tree per event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventLine<'a> {
    action_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_by: Option<AnsweredBy>,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    envelope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
    event: EventKind,
    #[serde(skip_serializing_if = "Findings::is_empty")]
    findings: Findings<'a>,
    flagged: bool,
    id: ExchangeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    method: Option<&'static str>,
    path: &'a str,
    phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// Forward mode: what the developer's action said (status is what the caller got).
    #[serde(skip_serializing_if = "Option::is_none")]
    target_status: Option<u16>,
}

/// An exchange's findings and its answer's, as one list.
pub struct Findings<'a>(&'a [Finding], &'a [Finding]);

impl Findings<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty() && self.1.is_empty()
    }
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().chain(self.1))
    }
}

impl<'a> EventLine<'a> {
    /// Event `kind` of exchange `ex`, as it stands.
    pub fn new(kind: EventKind, ex: &'a Exchange) -> Self {
        let (mut code, mut message, mut reason, mut error_description, mut result) =
            (None, None, None, None, None);
        let mut deadline = None;
        match &ex.phase {
            Phase::Waiting { deadline: d } | Phase::TimedOut { deadline: d } => {
                deadline = Some(d.to_rfc3339())
            }
            Phase::Rejected {
                code: c,
                message: m,
            } => {
                code = Some(c.as_str());
                message = Some(m.as_str());
            }
            Phase::Failed { reason: r } => reason = Some(r.as_str()),
            Phase::ReportedFailure { description } => {
                error_description = Some(description.as_str())
            }
            Phase::Completed { result: r } => result = Some(r),
            _ => {}
        }
        EventLine {
            action_key: ex.action_key.as_deref(),
            answered_by: ex.response.as_ref().map(|r| r.by),
            at: ex.at.to_rfc3339(),
            code,
            deadline,
            envelope: ex.envelope.map(|k| k.label()),
            error_description,
            event: kind,
            findings: Findings(
                &ex.findings,
                ex.response.as_ref().map_or(&[], |r| r.findings.as_slice()),
            ),
            flagged: ex.is_flagged(),
            id: ex.id,
            invocation_token: ex.invocation_token.as_deref(),
            message,
            method: ex.method.map(|m| m.label()),
            path: &ex.path,
            phase: ex.phase.label(),
            reason,
            result,
            status: ex.response.as_ref().map(|r| r.status),
            target_status: ex.target_answer.as_ref().map(|t| t.status),
        }
    }

    /// The `arrived` line of a call answered at once, from its exchange after the answer:
    /// what it was when it came in (received, its own findings, no answer yet).
    pub fn arrived(ex: &'a Exchange) -> Self {
        EventLine {
            answered_by: None,
            code: None,
            deadline: None,
            error_description: None,
            event: EventKind::Arrived,
            findings: Findings(&ex.findings, &[]),
            flagged: flagged(&Phase::Received, ex.findings.iter().map(|f| f.severity)),
            message: None,
            phase: Phase::Received.label(),
            reason: None,
            result: None,
            status: None,
            target_status: None,
            ..EventLine::new(EventKind::Arrived, ex)
        }
    }
}

/// The lines `serve` prints for event `e`: an `arrived` line first for a call answered at once
/// (the engine sends one event for both).
pub fn write_event(out: &mut impl Write, e: &Event) -> std::io::Result<()> {
    if e.arrived && e.kind != EventKind::Arrived {
        serde_json::to_writer(&mut *out, &EventLine::arrived(&e.exchange))?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut *out, &EventLine::new(e.kind, &e.exchange))?;
    out.write_all(b"\n")
}

/// The runs reported events start, each event of each printed as a line.
struct RunPrinter {
    started: Option<std::sync::mpsc::Receiver<crate::play::automations::StartedRun>>,
    live: Vec<crate::play::automations::StartedRun>,
}

impl RunPrinter {
    /// Prints what happened since the last look; whether anything did.
    fn print(&mut self, out: &mut impl Write) -> bool {
        let mut any = false;
        if let Some(rx) = &self.started {
            while let Ok(run) = rx.try_recv() {
                self.live.push(run);
            }
        }
        // A run done before its events are drained has sent them all.
        let done: Vec<bool> = self.live.iter().map(|r| r.handle.is_done()).collect();
        for run in &self.live {
            // Read only when something happened: the printer looks every 10 ms.
            let mut state = None;
            while let Ok(ev) = run.handle.events.try_recv() {
                let state = state.get_or_insert_with(|| run.handle.snapshot());
                let step_name = ev
                    .step
                    .and_then(|i| state.flow.flow.steps.get(i))
                    .map(crate::domain::flow::Step::name);
                let mut line = json!({ "event": "run", "what": ev.kind.label(), "flow": state.flow.flow.name,
                    "activationId": state.activation_id, "triggerKey": state.flow.flow.trigger.key,
                    "at": ev.at.to_rfc3339(), "caption": ev.caption });
                if let Some(i) = ev.step {
                    line["step"] = json!(i + 1);
                    line["stepName"] = json!(step_name);
                    if let Some(id) = state.steps.get(i).and_then(|s| s.exchange) {
                        line["exchange"] = json!(id);
                    }
                }
                if ev.kind == crate::domain::flow::FlowEventKind::Started {
                    line["reportedIn"] = json!(state.reported_in);
                    line["externalEntityId"] = json!(state.external_entity_id);
                    line["payload"] = state.payload.clone();
                }
                let _ = writeln!(out, "{line}");
                any = true;
            }
        }
        let mut done = done.into_iter();
        self.live.retain(|_| !done.next().unwrap_or(false));
        any
    }
}

/// The line a reload prints: the files that changed, what is loaded now, and each file that
/// could not be read (one that loaded before keeps its last good version, and says so).
fn reload_line(
    r: &crate::startup::reload::Reloaded,
    automations: Option<&crate::play::automations::LocalAutomations>,
) -> Value {
    let errors: Vec<Value> = r
        .errors()
        .map(|(kind, e)| json!({ "kind": kind, "error": e }))
        .collect();
    json!({ "event": "reloaded",
        "files": r.changed.iter().map(|p| crate::startup::reload::shown(p)).collect::<Vec<_>>(),
        "samples": r.samples.len(), "flows": r.flows.len(),
        "definitions": r.definitions.loaded.len(), "triggers": r.triggers.list.len(),
        "automations": automations.map_or(0, |a| a.count()),
        "errors": errors })
}

/// What the listening line says of the calls sent to --target: signed (and with which key),
/// or plain, or nothing sent (no --target).
fn signing(inbox: &InboxArgs, sign: bool) -> Value {
    match (&inbox.target, sign) {
        (None, _) => Value::Null,
        (Some(_), false) => json!("plain JSON"),
        (Some(_), true) => json!(format!(
            "RS256 JWT for app {}, ActionBench's key (actionbench key --public{})",
            inbox.app_id.as_deref().unwrap_or_default(),
            match &inbox.key_dir {
                Some(d) => format!(" --key-dir {}", d.display()),
                None => String::new(),
            }
        )),
    }
}

/// What `serve` starts (and `mcp`, which takes the same options): the engine answering on its
/// own, samples, flows answering reported events, the inbox on `--port` (`fallback`: a taken
/// port gives way to another, said), and the signing key when what goes to `--target` is
/// signed.
pub fn plan(inbox: &InboxArgs, serve: &ServeArgs, fallback: bool) -> Result<Plan, String> {
    let answer = serve.answer.clone();
    let sign = serve.signs(inbox)?;
    Ok(Plan {
        configure: Box::new(move |c| answer.configure(c)),
        journal: Journaling::GivenOrScratch,
        samples: true,
        flows: true,
        automate: startup::Automate::Flags,
        relay: if serve.answer == AutoAnswer::Forward {
            Relay::Flags
        } else {
            Relay::Off
        },
        listen: Listen::Port {
            port: inbox.port(),
            fallback,
        },
        key: if sign {
            startup::KeyUse::Required
        } else {
            startup::KeyUse::Off
        },
        sign,
        watch: true,
        ..Plan::new(Mode::Auto)
    })
}

/// `serve`, with `mount`'s routes beside the inbox's (main hands in the MCP server's `/mcp`).
pub fn run(inbox: &InboxArgs, serve: &ServeArgs, mount: Option<Mounting>) -> Result<(), String> {
    let sign = serve.signs(inbox)?;
    let plan = Plan {
        mount,
        ..plan(inbox, serve, false)?
    };
    let mut started = startup::start(inbox, plan)?;
    let engine = started.engine.clone();
    engine.set_warp(serve.warp);
    for w in started.session.iter().flat_map(|o| o.warnings.iter()) {
        eprintln!("warning: {w}");
    }
    for e in &started.sample_errors {
        eprintln!("sample skipped: {e}");
    }
    for e in started.flow_errors.iter().chain(&started.trigger_errors) {
        eprintln!("skipped: {e}");
    }
    let mut runs = RunPrinter {
        started: started.automations.as_ref().map(|a| a.subscribe()),
        live: vec![],
    };
    let reloads = started.watching.as_ref().map(|w| w.subscribe(None));
    let reload_automations = started.automations.clone();
    // 8,192 events (each holds a copy of its exchange, ~350 bytes, in a ring allocated up
    // front): a quarter second of a loaded serve, which the printer drains every 10 ms. 65,536
    // took 23 MB of serve's memory once the ring had gone round.
    let subscription = engine.subscribe(8_192, None);
    for w in &started.notes {
        eprintln!("warning: {w}");
    }
    println!(
        "{}",
        json!({ "event": "listening", "url": started.url(), "samples": started.samples.len(),
                "automations": started.automations.as_ref().map_or(0, |a| a.count()),
                "triggers": engine.triggers().list.len(),
                "jwt": engine.jwt_summary(),
                "signing": signing(inbox, sign),
                "warp": serve.warp,
                "session": inbox.session.as_ref().map(|p| p.display().to_string()),
                "scratch": started.scratch.as_ref().map(|p| p.display().to_string()),
                "restored": started.session.as_ref().map_or(0, |o| o.restored) })
    );
    let printer_engine = engine.clone();
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let printer_stopping = stopping.clone();
    // The printer drains the events in batches and sleeps when there are none: a reader blocked
    // in `recv` is woken by every event (a futex wake per call, the largest cost `perf` showed
    // in `serve` under load), while one that polls costs the answer path nothing.
    let printer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
        // Whether the session could not be written when last looked at: said once when it
        // starts and once when it ends (each refused call has its own line too).
        let mut trouble: Option<String> = None;
        loop {
            let now = printer_engine.recording_trouble();
            if now != trouble {
                let line = match &now {
                    Some(why) => json!({ "event": "recording-stopped", "reason": why,
                        "note": "calls are refused with 503 until the session can be written again" }),
                    None => json!({ "event": "recording-resumed", "calls": printer_engine.len() }),
                };
                let _ = writeln!(out, "{line}");
                if let Some(why) = &now {
                    eprintln!("error: {why}: calls are refused with 503 until it can be written");
                }
                trouble = now;
            }
            let mut any = false;
            while let Ok(ev) = subscription.rx.try_recv() {
                if subscription.take_lagged() {
                    let _ = writeln!(
                        out,
                        "{}",
                        json!({ "event": "lagged", "note": "stdout fell behind; some events were dropped", "calls": printer_engine.len() })
                    );
                }
                let _ = write_event(&mut out, &ev);
                any = true;
            }
            any |= runs.print(&mut out);
            while let Some(r) = reloads.as_ref().and_then(|rx| rx.try_recv().ok()) {
                let _ = writeln!(out, "{}", reload_line(&r, reload_automations.as_deref()));
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
    started.rt.block_on(crate::platform::stop_signal());
    // Held calls are answered 503, the journal written, a scratch journal removed.
    started.stop(Duration::from_secs(2));
    // The last lines (held calls answered 503 on the way out) are printed before exiting.
    stopping.store(true, std::sync::atomic::Ordering::Release);
    let _ = printer.join();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        json!({ "event": "stopped", "calls": engine.len() })
    );
    let _ = out.flush();
    Ok(())
}
