//! `actionbench check --generate N [--seed S] [--save-failures DIR] FILE…`: for each action (a
//! definition or a sample), N `actionParams` generated from its input schema, each sent as Wix
//! would and judged with the checks `check` makes. A failure is shrunk to the smallest params
//! that still fail the same way; failures are grouped by kind, and each group's smallest case is
//! printed and saved as a sample file that `check` replays. Exit codes as `check`.

use crate::cli::startup::{self, COULD_NOT_RUN, FAILED, PASSED};
use crate::cli::{CheckArgs, InboxArgs};
use crate::domain::definition::{Definition, DefinitionKind};
use crate::domain::sample::LoadedSample;
use crate::domain::wire::COMPLETION_REPORT_PATH;
use crate::play::generate::{self};
use std::time::Duration;

/// The sample an action's calls are made from: a sample file as it is (its schemas completed
/// from the definitions), or a definition as an Invoke sample with its schemas.
fn action_of(
    path: &std::path::Path,
    defs: &crate::domain::definition::Definitions,
) -> Result<LoadedSample, String> {
    let def = Definition::load(path)?;
    match def.kind {
        DefinitionKind::Sample => {
            let mut sample = LoadedSample::load(path)?;
            defs.fill(&mut sample);
            Ok(sample)
        }
        DefinitionKind::Definition => def
            .to_sample(Some(path))
            .map_err(|e| format!("{}: {e}", path.display())),
    }
}

pub fn run(inbox: &InboxArgs, args: &CheckArgs, n: usize) -> Result<u8, String> {
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let target = inbox
        .target(args.jwt, timeout)?
        .ok_or("--target URL is needed: the base URL of your action provider")?;
    let defs = inbox.definitions();
    let mut actions = vec![];
    for p in &args.samples {
        if p.is_dir() {
            let (found, errors) =
                crate::domain::sample::load_json_files(p, |q| action_of(q, &defs));
            if let Some(e) = errors.into_iter().next() {
                return Err(e);
            }
            actions.extend(found);
        } else {
            actions.push(action_of(p, &defs)?);
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        let u = uuid::Uuid::new_v4();
        u64::from_le_bytes(u.as_bytes()[..8].try_into().unwrap_or([7; 8])) % 1_000_000
    });
    let mut started = startup::start_headless(inbox, args.jwt)?;
    let (engine, player) = (started.engine.clone(), started.player.clone());
    // Answers are judged against each action's own schemas.
    engine.add_samples(&actions);
    let listening = started.url().unwrap_or_default();
    println!(
        "generating {n} call(s) per action for {} action(s) to {} with seed {seed} (--seed {seed} sends the same calls again); completion API: {listening}{COMPLETION_REPORT_PATH}",
        actions.len(),
        target.base,
    );
    let mut made = 0;
    let mut failed_groups = 0;
    for action in &actions {
        let report = generate::generated_calls(
            started.rt.handle(),
            &engine,
            &player,
            &target,
            action,
            n,
            seed,
        )?;
        made += report.made;
        if let Some(why) = &report.unreachable {
            started.stop(Duration::from_secs(2));
            eprintln!("actionbench check: the target could not be reached: {why}");
            return Ok(COULD_NOT_RUN);
        }
        let failed = report.calls - report.passed;
        println!(
            "{} {}: {} of {n} calls met the contract{}",
            if report.groups.is_empty() {
                "PASS"
            } else {
                "FAIL"
            },
            action.sample.name,
            report.passed,
            if report.groups.is_empty() {
                String::new()
            } else {
                format!(", {failed} failed in {} group(s)", report.groups.len())
            }
        );
        for (i, g) in report.groups.iter().enumerate() {
            failed_groups += 1;
            println!(
                "     group {}: [{}] {} call(s): {}",
                i + 1,
                g.kind,
                g.count,
                g.message
            );
            println!("     smallest params: {}", g.smallest);
            println!("     what they share: {}", g.explanation.sentence());
            if let Some(dir) = &args.save_failures {
                let path = save(dir, action, i + 1, g, seed)?;
                println!(
                    "     saved: {} (actionbench check {} replays it)",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    println!("{made} call(s) made, shrinking included");
    started.stop(Duration::from_secs(2));
    Ok(if failed_groups == 0 { PASSED } else { FAILED })
}

/// Saves group `g`'s smallest case as a sample file in `dir`.
fn save(
    dir: &std::path::Path,
    base: &LoadedSample,
    i: usize,
    g: &generate::Group,
    seed: u64,
) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let key = base.sample.action_key().unwrap_or("action").to_string();
    let sample = generate::failure_sample(base, i, g, seed);
    let path = dir.join(format!("{key}-failure-{i}.json"));
    let text = serde_json::to_string_pretty(&sample).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
