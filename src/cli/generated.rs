//! `actionbench check --generate N [--seed S] [--save-failures DIR] FILE…`: for each action (a
//! definition or a sample), N `actionParams` generated from its input schema, each sent as Wix
//! would and judged with the checks `check` makes. A failure is shrunk to the smallest params
//! that still fail the same way; failures are grouped by kind, and each group's smallest case is
//! printed and saved as a sample file that `check` replays. Exit codes as `check`.

use crate::cli::startup::{COULD_NOT_RUN, FAILED, Inbox, PASSED};
use crate::cli::{CheckArgs, InboxArgs};
use crate::domain::as_wix::Source;
use crate::domain::contract::Severity;
use crate::domain::definition::{Definition, DefinitionKind};
use crate::domain::invocation::Phase;
use crate::domain::sample::{LoadedSample, Sample};
use crate::domain::schema::Schema;
use crate::domain::wire::{COMPLETION_REPORT_PATH, Method};
use crate::engine::{Engine, Mode};
use crate::play::generate::{self, shrink};
use crate::play::{Player, Target};
use proptest::strategy::{Strategy, ValueTree};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Calls made to shrink one failure, at most.
const SHRINK_BUDGET: usize = 200;

/// An action to generate calls for: its sample (request, schemas) and input schema.
struct Action {
    name: String,
    sample: LoadedSample,
    input: Option<Value>,
}

fn action_of(path: &std::path::Path) -> Result<Action, String> {
    let def = Definition::load(path)?;
    match def.kind {
        DefinitionKind::Sample => {
            let sample = LoadedSample::load(path)?;
            Ok(Action {
                name: sample.sample.name.clone(),
                input: sample.sample.input_schema.clone(),
                sample,
            })
        }
        DefinitionKind::Definition => {
            let key = def
                .action_key()
                .ok_or_else(|| format!("{}: no actionKey", path.display()))?
                .to_string();
            let name = def
                .value
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(&key)
                .to_string();
            let sample = Sample {
                name: name.clone(),
                description: format!("generated calls of {key}"),
                method: Method::Invoke,
                request: json!({ "actionKey": key, "actionParams": {},
                                 "activationContext": { "activationId": "generated", "invocationToken": "generated" } }),
                metadata: Default::default(),
                input_schema: def.input_schema().cloned(),
                output_schema: def.output_schema().cloned(),
                example_answer: None,
                extra: Default::default(),
            };
            let sample = LoadedSample::new(sample, Some(path.to_path_buf()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Action {
                name,
                input: def.input_schema().cloned(),
                sample,
            })
        }
    }
}

/// How one call went: `None` when the answer met the contract, else the failure's kind (what
/// groups failures: the rule and the field, or the status) and its message.
type Outcome = Option<(String, String)>;

struct Caller<'a> {
    engine: &'a Arc<Engine>,
    player: &'a Player,
    target: &'a Target,
    rt: &'a tokio::runtime::Runtime,
    calls: usize,
    unreachable: Option<String>,
}

impl Caller<'_> {
    fn call(&mut self, base: &LoadedSample, params: &Value) -> Outcome {
        self.calls += 1;
        let mut s = base.clone();
        s.sample.request["actionParams"] = params.clone();
        s.params_findings.clear();
        let sent =
            match self
                .rt
                .block_on(self.player.send(self.target, &s, &Source::Trigger, false))
            {
                Ok(sent) => sent,
                Err(not) => return Some(("not-sent".into(), not.reason)),
            };
        if let Some(why) = sent.unreachable {
            self.unreachable.get_or_insert(why.clone());
            return Some(("unreachable".into(), why));
        }
        let ex = self.engine.exchange(sent.id)?;
        let error = ex
            .findings
            .iter()
            .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
            .find(|f| f.severity == Severity::Error);
        if let Some(f) = error {
            let kind = match &f.field {
                Some(field) => format!("{} at {field}", f.code),
                None => f.code.to_string(),
            };
            return Some((kind, f.message.clone()));
        }
        match &ex.phase {
            Phase::Failed { reason } => Some(("failed".into(), reason.clone())),
            _ => None,
        }
    }
}

/// One group of failures of the same kind.
struct Group {
    kind: String,
    message: String,
    count: usize,
    smallest: Value,
}

pub fn run(inbox: &InboxArgs, args: &CheckArgs, n: usize) -> Result<u8, String> {
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    let target = inbox
        .target(args.jwt, timeout)?
        .ok_or("--target URL is needed: the base URL of your action provider")?;
    let mut actions = vec![];
    for p in &args.samples {
        if p.is_dir() {
            let mut paths: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            paths.sort();
            for q in paths {
                actions.push(action_of(&q)?);
            }
        } else {
            actions.push(action_of(p)?);
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        let u = uuid::Uuid::new_v4();
        u64::from_le_bytes(u.as_bytes()[..8].try_into().unwrap_or([7; 8])) % 1_000_000
    });
    let signer = inbox.signer(args.jwt)?;
    let started = Inbox::new(inbox, Mode::Auto, |_| {})?;
    let (engine, rt) = (started.engine.clone(), &started.rt);
    // Answers are judged against each action's own schemas.
    let samples: Vec<LoadedSample> = actions.iter().map(|a| a.sample.clone()).collect();
    engine.add_samples(&samples);
    let player = Player::new(engine.clone(), signer);
    let handle = started
        .listen(inbox, inbox.port())
        .map_err(|e| e.to_string())?;
    println!(
        "generating {n} call(s) per action for {} action(s) to {} with seed {seed} (--seed {seed} sends the same calls again); completion API: http://{}{COMPLETION_REPORT_PATH}",
        actions.len(),
        target.base,
        handle.addr
    );
    let mut caller = Caller {
        engine: &engine,
        player: &player,
        target: &target,
        rt,
        calls: 0,
        unreachable: None,
    };
    let mut failed_groups = 0;
    for action in &actions {
        let input = action.input.clone().unwrap_or(json!({"type": "object"}));
        let compiled =
            Schema::compile(&input).map_err(|e| format!("{}: inputSchema: {e}", action.name))?;
        // Only params that pass the schema: Wix sends no others (shrinking keeps to them too).
        let strategy = generate::strategy(&input)
            .prop_filter("passes the input schema", move |v| {
                compiled.violations(v).is_empty()
            });
        let mut runner = generate::runner(seed);
        let mut groups: Vec<Group> = vec![];
        let mut passed = 0;
        for _ in 0..n {
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                return Err(format!("{}: no params pass its input schema", action.name));
            };
            let params = tree.current();
            let Some((kind, message)) = caller.call(&action.sample, &params) else {
                passed += 1;
                continue;
            };
            if let Some(why) = &caller.unreachable {
                rt.block_on(handle.stop(Duration::from_secs(2)));
                eprintln!("actionbench check: the target could not be reached: {why}");
                return Ok(COULD_NOT_RUN);
            }
            if let Some(g) = groups.iter_mut().find(|g| g.kind == kind) {
                g.count += 1;
                continue;
            }
            let base = &action.sample;
            let (smallest, _) = shrink(
                &mut tree,
                |v| caller.call(base, v).is_some_and(|(k, _)| k == kind),
                SHRINK_BUDGET,
            );
            groups.push(Group {
                kind,
                message,
                count: 1,
                smallest,
            });
        }
        let failed = n - passed;
        println!(
            "{} {}: {passed} of {n} calls met the contract{}",
            if groups.is_empty() { "PASS" } else { "FAIL" },
            action.name,
            if groups.is_empty() {
                String::new()
            } else {
                format!(", {failed} failed in {} group(s)", groups.len())
            }
        );
        for (i, g) in groups.iter().enumerate() {
            failed_groups += 1;
            println!(
                "     group {}: [{}] {} call(s): {}",
                i + 1,
                g.kind,
                g.count,
                g.message
            );
            println!("     smallest params: {}", g.smallest);
            if let Some(dir) = &args.save_failures {
                let path = save(dir, &action.sample, i + 1, g, seed)?;
                println!(
                    "     saved: {} (actionbench check {} replays it)",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    println!("{} call(s) made, shrinking included", caller.calls);
    rt.block_on(handle.stop(Duration::from_secs(2)));
    Ok(if failed_groups == 0 { PASSED } else { FAILED })
}

/// Saves group `g`'s smallest case as a sample file in `dir`.
fn save(
    dir: &std::path::Path,
    base: &LoadedSample,
    i: usize,
    g: &Group,
    seed: u64,
) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let key = base.sample.action_key().unwrap_or("action").to_string();
    let mut sample = base.sample.clone();
    sample.name = format!("{key}: generated failure {i} ({})", g.kind);
    sample.description = format!(
        "The smallest params found (seed {seed}) that make the action fail with {}: {}",
        g.kind, g.message
    );
    sample.request["actionParams"] = g.smallest.clone();
    let path = dir.join(format!("{key}-failure-{i}.json"));
    let text = serde_json::to_string_pretty(&sample).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
