//! `actionbench check`: plays Wix against the developer's action without a window. It sends
//! each sample (plain JSON or a signed JWT), checks every answer through the engine, serves the
//! completion API while timeout answers wait, prints one row per check, and exits 0 (all
//! passed), 1 (a check failed) or 2 (it could not run).

use crate::cli::startup::{self, COULD_NOT_RUN, FAILED, PASSED, exit_code};
use crate::cli::{CheckArgs, InboxArgs};
use crate::domain::as_wix::Source;
use crate::domain::contract::{Finding, Severity};
use crate::domain::invocation::{Exchange, ExchangeId, Phase};
use crate::domain::sample::LoadedSample;
use crate::domain::wire::COMPLETION_REPORT_PATH;
use crate::engine::Engine;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One sample's (or one call's) result.
pub(super) struct Row {
    pub name: String,
    pub method: &'static str,
    pub exchange: Option<Exchange>,
    /// Why it failed, when it did (the first reason first).
    pub failures: Vec<String>,
    /// Findings that are not failures (warnings), as lines.
    pub notes: Vec<String>,
    pub latency: Option<Duration>,
}

/// Samples from files and folders (a folder: every `*.json` in it).
fn load(paths: &[PathBuf]) -> Result<Vec<LoadedSample>, String> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let (ok, errs) = LoadedSample::load_dir(p);
            if let Some(e) = errs.first() {
                return Err(e.clone());
            }
            out.extend(ok);
        } else {
            out.push(LoadedSample::load(p)?);
        }
    }
    if out.is_empty() {
        return Err("no samples to send: name sample files or folders".into());
    }
    Ok(out)
}

pub(super) fn finding_line(f: &Finding) -> String {
    let sev = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let line = match &f.field {
        Some(field) if !f.message.starts_with(field.as_str()) => {
            format!("{sev} {} at {field}: {}", f.code, f.message)
        }
        _ => format!("{sev} {}: {}", f.code, f.message),
    };
    match crate::domain::why::why_it_matters(f.code) {
        Some(why) => format!("{line}\n       why it matters: {why}"),
        None => line,
    }
}

/// Runs `check`; the exit code.
pub fn run(inbox: &InboxArgs, args: &CheckArgs) -> u8 {
    exit_code("check", run_inner(inbox, args))
}

fn run_inner(inbox: &InboxArgs, args: &CheckArgs) -> Result<u8, String> {
    if let Some(n) = args.generate {
        return crate::cli::generated::run(inbox, args, n);
    }
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let target = inbox
        .target(args.jwt, timeout)?
        .ok_or("--target URL is needed: the base URL of your action provider")?;
    if args.lab && inbox.app_id.is_none() {
        return Err("--lab needs --app-id: its envelopes are addressed to your app".into());
    }
    let mut samples = load(&args.samples)?;
    let started = startup::start_headless(inbox, args.jwt || args.lab)?;
    for s in &mut samples {
        started.definitions.fill(s);
    }
    started.engine.add_samples(&samples);
    let listening = started.url().unwrap_or_default();
    println!(
        "checking {} with {} sample(s), {}{}; completion API: {listening}{COMPLETION_REPORT_PATH}",
        target.base,
        samples.len(),
        if args.jwt { "signed JWT" } else { "plain JSON" },
        if args.lab {
            ", and the envelope lab"
        } else {
            ""
        },
    );
    let (mut rows, sent, unreachable) = send_samples(&started, &target, &samples);
    if args.lab && unreachable.is_none() {
        rows.extend(lab_rows(&started, &target, &samples)?);
    }
    wait_for_reports(&started.engine, &sent, args.wait);
    judge(&started.engine, &sent, &mut rows, args.wait);
    finish(
        started,
        &rows,
        args.junit.as_deref(),
        unreachable,
        "the target",
    )
}

/// Prints the rows and writes the JUnit report, stops the inbox, and says how `check` ended:
/// could not run when `what` (the target) could not be reached, else passed or failed.
pub(super) fn finish(
    mut started: crate::startup::Started,
    rows: &[Row],
    junit: Option<&Path>,
    unreachable: Option<String>,
    what: &str,
) -> Result<u8, String> {
    let failed = print_rows(rows);
    if let Some(path) = junit {
        write_junit(path, rows)?;
    }
    started.stop(Duration::from_secs(2));
    Ok(match (unreachable, failed) {
        (Some(why), _) => {
            eprintln!("actionbench check: {what} could not be reached: {why}");
            COULD_NOT_RUN
        }
        (None, 0) => PASSED,
        (None, _) => FAILED,
    })
}

impl Row {
    pub fn new(name: String, method: &'static str) -> Row {
        Row {
            name,
            method,
            exchange: None,
            failures: vec![],
            notes: vec![],
            latency: None,
        }
    }

    /// An envelope lab case's row, named `prefix: what was wrong`: it fails unless refused.
    pub fn of_lab(prefix: &str, lab: &crate::play::LabRow, engine: &Engine) -> Row {
        let mut row = Row::new(format!("{prefix}: {}", lab.probe.what), "lab");
        let line = lab.verdict.explain(&lab.probe);
        if lab.verdict.passed() {
            row.notes.push(line);
        } else {
            row.failures.push(line);
        }
        row.exchange = engine.exchange(lab.id);
        row
    }

    /// The exchange's findings (request, then answer): errors fail the row, warnings are notes.
    pub fn add_findings(&mut self, ex: &Exchange) {
        for f in ex.all_findings() {
            match f.severity {
                Severity::Error => self.failures.push(finding_line(f)),
                Severity::Warning => self.notes.push(finding_line(f)),
            }
        }
    }
}

/// Each sample sent as Wix would: a row each, which row each sent exchange is, and why the
/// target could not be reached, when it could not.
fn send_samples(
    started: &crate::startup::Started,
    target: &crate::play::Target,
    samples: &[LoadedSample],
) -> (Vec<Row>, Vec<(usize, ExchangeId)>, Option<String>) {
    let mut rows = vec![];
    let mut sent = vec![];
    let mut unreachable = None;
    for s in samples {
        let mut row = Row::new(s.sample.name.clone(), s.sample.method.label());
        if let Some(from) = &s.schemas_from {
            row.notes.push(format!(
                "schemas from the action definition {}",
                from.display()
            ));
        }
        match started
            .rt
            .block_on(started.player.send(target, s, &Source::Trigger, false))
        {
            Err(not) => {
                row.failures.push(not.reason);
                row.notes.extend(not.findings.iter().map(finding_line));
            }
            Ok(out) => {
                if let Some(why) = out.unreachable {
                    unreachable.get_or_insert(why);
                }
                row.latency = out.latency;
                sent.push((rows.len(), out.id));
            }
        }
        rows.push(row);
    }
    (rows, sent, unreachable)
}

/// The envelope lab's rows: each wrong envelope, refused or not.
fn lab_rows(
    started: &crate::startup::Started,
    target: &crate::play::Target,
    samples: &[LoadedSample],
) -> Result<Vec<Row>, String> {
    let base = samples
        .iter()
        .find(|s| s.sample.method == crate::domain::wire::Method::Invoke)
        .ok_or("--lab needs an Invoke sample to build its envelopes from")?;
    let labs = started.rt.block_on(started.player.lab(target, base))?;
    Ok(labs
        .iter()
        .map(|lab| Row::of_lab("lab", lab, &started.engine))
        .collect())
}

/// Timeout answers wait for the action's completion report, up to `wait` seconds.
fn wait_for_reports(engine: &Engine, sent: &[(usize, ExchangeId)], wait: f64) {
    let waiting = || {
        sent.iter()
            .filter(|(_, id)| {
                engine
                    .exchange(*id)
                    .is_some_and(|x| matches!(x.phase, Phase::Waiting { .. }))
            })
            .count()
    };
    let until = Instant::now() + Duration::from_secs_f64(wait.max(0.0));
    if waiting() > 0 {
        println!(
            "waiting up to {wait} s for {} completion report(s)…",
            waiting()
        );
    }
    while waiting() > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each sent call's findings and how it ended, into its row.
fn judge(engine: &Engine, sent: &[(usize, ExchangeId)], rows: &mut [Row], wait: f64) {
    for (i, id) in sent {
        let Some(ex) = engine.exchange(*id) else {
            continue;
        };
        let row = &mut rows[*i];
        row.add_findings(&ex);
        match &ex.phase {
            Phase::Waiting { .. } => row.failures.push(format!(
                "no completion report within {wait} s (--wait): Wix would mark the step failed at its deadline"
            )),
            Phase::TimedOut { .. } => {
                row.failures.push("the deadline passed without a completion report".into())
            }
            Phase::Failed { reason } if row.failures.is_empty() => row.failures.push(reason.clone()),
            Phase::ReportedFailure { description } => row
                .notes
                .push(format!("the action reported FAILURE: {description}")),
            _ => {}
        }
        row.exchange = Some(ex);
    }
}

/// A line per row (PASS or FAIL, the status, the latency, the phase) and its failures and
/// notes, then the totals; how many failed.
pub(super) fn print_rows(rows: &[Row]) -> usize {
    let mut passed = 0;
    for row in rows {
        let status = row
            .exchange
            .as_ref()
            .and_then(|e| e.response.as_ref())
            .map_or("—".to_string(), |r| r.status.to_string());
        let phase = row
            .exchange
            .as_ref()
            .map_or("not sent", |e| e.phase.label());
        let latency = row
            .latency
            .map_or(String::new(), |l| format!(" {} ms", l.as_millis()));
        let verdict = if row.failures.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        passed += usize::from(row.failures.is_empty());
        println!(
            "{verdict} {} [{}] HTTP {status}{latency} {phase}",
            row.name, row.method
        );
        for f in &row.failures {
            println!("     {f}");
        }
        for n in &row.notes {
            println!("     {n}");
        }
    }
    let failed = rows.len() - passed;
    println!("{passed} passed, {failed} failed");
    failed
}

pub(super) fn write_junit(path: &Path, rows: &[Row]) -> Result<(), String> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("actionbench check");
    for row in rows {
        let status = match row.failures.first() {
            None => TestCaseStatus::success(),
            Some(first) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(first.as_str());
                s.set_description(row.failures.join("\n"));
                s
            }
        };
        let mut case = TestCase::new(row.name.as_str(), status);
        case.set_classname(row.method);
        if let Some(l) = row.latency {
            case.set_time(l);
        }
        if !row.notes.is_empty() {
            case.set_system_out(row.notes.join("\n"));
        }
        suite.add_test_case(case);
    }
    startup::write_junit(path, suite)
}
