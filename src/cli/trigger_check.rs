//! `actionbench check --trigger --target URL [--jwt --app-id ID] DEFINITION…`: plays Wix
//! against the developer's Trigger Provider service plugin. For each trigger definition (a
//! file, or a folder of them) it lints the definition, then sends the methods the definition
//! says are implemented (Validate Configuration, Get Dynamic Schema, Refresh Payload) to
//! `{target}/validate-configuration`, `/dynamic-schema`, `/refresh-payload`, as Wix sends them,
//! and checks each answer. One row per call; exit 0, 1 or 2 as `check`.

use super::check::{Row, finish};
use crate::cli::startup;
use crate::cli::{CheckArgs, InboxArgs};
use crate::domain::definition::Level;
use crate::domain::trigger::provider::{self, Refreshed};
use crate::domain::trigger::{LoadedTrigger, Triggers};
use crate::domain::wire::Method;
use std::path::PathBuf;
use std::time::Duration;

/// Trigger definitions from files and folders (a folder: every `*.json` in it).
fn load(paths: &[PathBuf]) -> Result<Vec<LoadedTrigger>, String> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            let t = Triggers::load_dir(p);
            if let Some(e) = t.errors.first() {
                return Err(e.clone());
            }
            out.extend(t.list);
        } else {
            out.push(LoadedTrigger::load(p)?);
        }
    }
    if out.is_empty() {
        return Err("no trigger definitions: name definition files or folders".into());
    }
    Ok(out)
}

pub fn run_inner(inbox: &InboxArgs, args: &CheckArgs) -> Result<u8, String> {
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let target = inbox
        .target(args.jwt, timeout)?
        .ok_or("--target URL is needed: the base URL of your trigger provider (its baseUri)")?;
    if args.lab && inbox.app_id.is_none() {
        return Err("--lab needs --app-id: its envelopes are addressed to your app".into());
    }
    let triggers = load(&args.samples)?;
    let started = startup::start_headless(inbox, args.jwt || args.lab)?;
    started.engine.set_triggers(Triggers {
        list: triggers.clone(),
        errors: vec![],
    });
    println!(
        "checking the trigger provider at {} with {} trigger definition(s), {}",
        target.base,
        triggers.len(),
        if args.jwt { "signed JWT" } else { "plain JSON" },
    );
    if args.lab {
        println!(
            "and the envelope lab against {}/validate-configuration",
            target.base
        );
    }
    let mut rows = vec![];
    let mut unreachable = None;
    for t in &triggers {
        rows.push(definition_row(t));
        for method in provider::implemented(t) {
            let (row, down) = call_row(&started, &target, t, method);
            rows.push(row);
            if let Some(why) = down {
                unreachable.get_or_insert(why);
            }
        }
        if args.lab && unreachable.is_none() {
            rows.extend(lab_rows(&started, &target, t)?);
        }
    }
    finish(
        started,
        &rows,
        args.junit.as_deref(),
        unreachable,
        "the trigger provider",
    )
}

/// The definition's own lint, as a row: it fails on an error Wix would refuse.
fn definition_row(t: &LoadedTrigger) -> Row {
    let mut row = Row::new(format!("{}: definition", t.key()), "lint");
    for f in &t.findings {
        match f.level {
            Level::Error => row.failures.push(f.line()),
            Level::Warning => row.notes.push(f.line()),
        }
    }
    let methods: Vec<&str> = provider::implemented(t)
        .into_iter()
        .filter_map(Method::implemented_key)
        .collect();
    row.notes.push(if methods.is_empty() {
        "implementedMethods names none of validateConfiguration, getDynamicSchema, refreshPayload: Wix calls nothing".into()
    } else {
        format!("implements {}", methods.join(", "))
    });
    row
}

/// One method sent and judged: its row, and why the provider could not be reached.
fn call_row(
    started: &crate::startup::Started,
    target: &crate::play::Target,
    t: &LoadedTrigger,
    method: Method,
) -> (Row, Option<String>) {
    let mut row = Row::new(format!("{}: {}", t.key(), method.path()), method.label());
    let tag = Some(format!("trigger provider check: {}", t.key()));
    let (sent, ex) = match started
        .rt
        .block_on(started.player.try_trigger(target, t, method, tag))
    {
        Ok(x) => x,
        Err(not) => {
            row.failures.push(not.reason);
            return (row, None);
        }
    };
    row.latency = sent.latency;
    let Some(ex) = ex else {
        return (row, sent.unreachable);
    };
    row.add_findings(&ex);
    if let crate::domain::invocation::Phase::Failed { reason } = &ex.phase
        && row.failures.is_empty()
    {
        row.failures.push(reason.clone());
    }
    if method == Method::TriggerRefreshPayload
        && let Some(r) = &ex.response
    {
        let judged = provider::check_answer(method, r.status, &r.body, Some(t));
        row.notes.push(match judged.refreshed {
            Some(Refreshed::Cancel) => {
                "cancelActivation: Wix cancels the run (CANCELLED_BY_REFRESH_PAYLOAD)".into()
            }
            Some(Refreshed::Payload(p)) if p == t.example_payload() => {
                "the payload came back unchanged".into()
            }
            Some(Refreshed::Payload(_)) => "the step would run with the refreshed payload".into(),
            _ => "the step would run with the payload it had".into(),
        });
    }
    row.exchange = Some(ex);
    (row, sent.unreachable)
}

/// The envelope lab's rows against the trigger provider: each wrong envelope, refused or not.
fn lab_rows(
    started: &crate::startup::Started,
    target: &crate::play::Target,
    t: &LoadedTrigger,
) -> Result<Vec<Row>, String> {
    let labs = started.rt.block_on(started.player.trigger_lab(target, t))?;
    let prefix = format!("{}: lab", t.key());
    Ok(labs
        .iter()
        .map(|lab| Row::of_lab(&prefix, lab, &started.engine))
        .collect())
}
