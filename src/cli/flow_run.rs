//! `actionbench flow run FLOW`: a flow without a window. Workbench-answered steps use their saved
//! answers and scripted completions; `--target` sends every action step to that provider
//! instead (its completion reports go to the completion API served on `--port`). One line per
//! step event; exit 0 when every step ended as the flow expects, 1 otherwise, 2 when it could
//! not run.

use crate::cli::startup::{self, FAILED, PASSED, exit_code};
use crate::cli::{FlowRunArgs, InboxArgs};
use crate::domain::flow::{FlowEventKind, LoadedFlow, Step, StepEnd};
use crate::domain::wire::COMPLETION_REPORT_PATH;
use crate::play::automation::{self, RunOptions};
use std::time::Duration;

pub fn run(inbox: &InboxArgs, args: &FlowRunArgs) -> u8 {
    exit_code("flow run", run_inner(inbox, args))
}

fn run_inner(inbox: &InboxArgs, args: &FlowRunArgs) -> Result<u8, String> {
    let mut flow = LoadedFlow::load(&args.flow)?;
    flow.fill_from(&inbox.definitions(), &inbox.triggers());
    let target = inbox.target(args.jwt, Duration::from_secs_f64(args.timeout.max(0.1)))?;
    let mut started = startup::start_headless(inbox, args.jwt)?;
    let engine = started.engine.clone();
    engine.set_warp(args.warp.max(1));
    let listening = started.url().unwrap_or_default();
    let f = &flow.flow;
    println!(
        "flow {:?}: {} step(s), {}{}; completion API: {listening}{COMPLETION_REPORT_PATH}",
        f.name,
        f.steps.len(),
        match &target {
            Some(t) => format!("action steps sent to {}", t.base),
            None => "answered by the workbench".into(),
        },
        if args.warp > 1 {
            format!(", time ×{}", args.warp)
        } else {
            String::new()
        },
    );
    // A Wix automation's findings (the builder's rules, its expressions) come before the run.
    for finding in &flow.findings {
        println!("lint: {}", finding.line());
    }
    let run = automation::start(
        started.rt.handle(),
        engine.clone(),
        started.player.clone(),
        flow.clone(),
        RunOptions {
            all_to: target,
            ..RunOptions::default()
        },
    );
    let name_of = |i: usize| f.steps.get(i).map(Step::name).unwrap_or_default();
    let mut events = vec![];
    loop {
        match run.events.recv_timeout(Duration::from_millis(200)) {
            Ok(ev) => {
                events.push(ev.clone());
                let step = ev.step.map_or("flow".to_string(), |i| {
                    format!("step {} {}", i + 1, name_of(i))
                });
                let detail = match &ev.kind {
                    FlowEventKind::Failed { reason } => format!(" [{reason}]"),
                    FlowEventKind::NotRun { reason, .. } => format!(" [not run: {reason}]"),
                    FlowEventKind::Completed { result } => format!(" [result {result}]"),
                    _ => String::new(),
                };
                println!(
                    "{} {step}: {}{detail}",
                    ev.at.format("%Y-%m-%d %H:%M:%S"),
                    ev.caption
                );
                if matches!(ev.kind, FlowEventKind::Finished { .. }) {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !run.is_done() => {}
            Err(_) => break,
        }
    }
    let state = run.snapshot();
    let verdict = state.verdict();
    let mut failed = 0;
    for (i, expect, end, ok) in &verdict {
        let ended = end.as_ref().map_or("did not end", |e| e.label());
        let rec = &state.steps[*i];
        println!(
            "{} step {} {}: expected {}, {ended}{}",
            if *ok { "PASS" } else { "FAIL" },
            i + 1,
            name_of(*i),
            expect.label(),
            rec.exchange.map_or(String::new(), |id| format!(" (#{id})")),
        );
        if let Some(StepEnd::NotRun { reason }) = end {
            println!("     not run, no request was made: {reason}");
        }
        for m in &rec.missing {
            println!("     missing: {{{{{m}}}}} had no value");
        }
        for p in &rec.problems {
            println!("     {}", p.message);
        }
        failed += usize::from(!ok);
    }
    println!("{} passed, {failed} failed", verdict.len() - failed);
    if let Some(path) = &args.junit {
        write_junit(path, &state, &name_of)?;
    }
    if let Some(path) = &args.share {
        let page = crate::journal::share::run_page(
            &state,
            &events,
            &engine.snapshot(),
            !args.no_redact,
            &crate::journal::share::file_name(path),
        )?;
        std::fs::write(path, &page).map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "shared: {} ({} KB, one file: open it in any browser)",
            path.display(),
            page.len().div_ceil(1024)
        );
    }
    started.stop(Duration::from_secs(2));
    Ok(if failed == 0 { PASSED } else { FAILED })
}

fn write_junit(
    path: &std::path::Path,
    run: &crate::domain::flow::FlowRun,
    name_of: &dyn Fn(usize) -> String,
) -> Result<(), String> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("flow {}", run.name()));
    for (i, expect, end, ok) in run.verdict() {
        let ended = end.as_ref().map_or("did not end", |e| e.label());
        let status = if ok {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("expected {}, {ended}", expect.label()));
            s
        };
        let mut case = TestCase::new(format!("step {} {}", i + 1, name_of(i)), status);
        case.set_classname(run.name());
        suite.add_test_case(case);
    }
    startup::write_junit(path, suite)
}
