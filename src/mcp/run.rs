//! The longer tools: `run_check` and `run_flow` (the workbench's own `check` and `flow run`, as
//! child processes of the same binary, their lines told as progress while they run, and what
//! they sent and heard taken into this session's log when they end), `lint`
//! (in process), and `report_event` (to the inbox, as an app on Wix's SDK reports one).

use super::Bench;
use super::views::Destination;
use crate::domain::definition::{Level, LintFinding};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

/// The longest a check or a flow run may take.
const RUN_DEADLINE: Duration = Duration::from_secs(600);
/// The most of a run's transcript a result carries.
const TRANSCRIPT_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunCheckIn {
    /// Loaded samples (by name) or sample files and folders; default: every loaded sample.
    #[serde(default)]
    pub samples: Vec<String>,
    /// Also send the envelope lab: wrong envelopes your action must refuse (needs --app-id).
    #[serde(default)]
    pub lab: bool,
    /// Instead of the samples, generate this many requests from the definitions' input
    /// schemas (with seed, to repeat a run).
    #[serde(default)]
    pub generate: Option<u32>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Your action's base URL [default: the target get_status names].
    #[serde(default)]
    pub target: Option<String>,
    /// Signed as Wix signs (RS256 JWT; needs --app-id) [default: as the target is set].
    #[serde(default)]
    pub signed: Option<bool>,
    /// Seconds to wait for completion reports after timeout answers (default 30).
    #[serde(default)]
    pub wait_seconds: Option<f64>,
}

/// One check: a sample (or a generated request, or a lab case) and its verdict.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckRow {
    pub passed: bool,
    pub name: String,
    pub method: String,
    /// The HTTP status your action answered, when it did.
    pub status: Option<u16>,
    /// How the call ended (answered, completed, failed…).
    pub phase: String,
    /// Why it failed (the first reason first), and notes (warnings).
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunCheckOut {
    /// Every check passed.
    pub passed: bool,
    /// 0 passed, 1 a check failed, 2 it could not run.
    pub exit_code: i32,
    pub rows: Vec<CheckRow>,
    pub passed_count: u32,
    pub failed_count: u32,
    /// Why it could not run, when it could not.
    pub error: Option<String>,
    /// What check printed, as a person reads it (cut past 64 KB).
    pub transcript: String,
    /// The calls the check made and heard, now in this session's log (get_call reads each;
    /// the window shows them tagged "run_check by agent").
    pub call_ids: Vec<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LintIn {
    /// Files to lint: action definitions, samples, trigger definitions, Wix's automation JSON.
    #[serde(default)]
    pub files: Vec<String>,
    /// Or one definition written here.
    #[serde(default)]
    pub definition: Option<Value>,
    /// The definition as published (a file): each edit Wix forbids since is an error.
    #[serde(default)]
    pub published: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LintFindingView {
    /// Which file (or "inline").
    pub file: String,
    /// error or warning.
    pub level: String,
    /// Where, as a JSON path.
    pub path: String,
    pub rule: String,
    /// What is wrong, and what Wix or a site owner then sees.
    pub why: String,
    /// The page of Wix's documentation that states the rule.
    pub source: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LintOut {
    /// No errors (warnings allowed).
    pub clean: bool,
    pub errors: u32,
    pub warnings: u32,
    pub findings: Vec<LintFindingView>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunFlowIn {
    /// A loaded flow's name, or a flow file.
    pub flow: String,
    /// inbox (the workbench answers every action step, default) or target (your action does).
    #[serde(default)]
    pub to: Destination,
    /// Simulated time runs this many times faster (delays, waits for reports).
    #[serde(default)]
    pub warp: Option<u32>,
    /// Also write the run as one HTML page to share; its path is given back.
    #[serde(default)]
    pub share: bool,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunFlowOut {
    /// Every step ended as the flow expects.
    pub passed: bool,
    pub exit_code: i32,
    /// The run, step by step, as `flow run` tells it.
    pub transcript: String,
    /// The shared HTML page, when asked for.
    pub shared_page: Option<String>,
    pub error: Option<String>,
    /// The calls the run made and heard, now in this session's log (tagged "run_flow by
    /// agent").
    pub call_ids: Vec<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportEventIn {
    pub trigger_key: String,
    /// The event's payload (checked against the trigger's payloadSchema).
    pub payload: Value,
    #[serde(default)]
    pub external_entity_id: Option<String>,
    /// An idempotency key: a repeat starts nothing.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportEventOut {
    /// The Triggered Events API's status and answer.
    pub status: u16,
    pub answer: Value,
    /// The activations the event started (one per automation it triggers).
    pub activation_ids: Vec<String>,
    /// The automations (flows) it started, by name.
    pub runs: Vec<String>,
}

/// The workbench binary, to run `check` and `flow run` with.
fn exe() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find actionbench: {e}"))?;
    let name = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name != "actionbench" {
        return Err(format!(
            "this tool runs the actionbench binary, and this process is {name}"
        ));
    }
    Ok(exe)
}

/// The start-up options the child shares with this workbench (its own inbox on a free port).
fn shared_args(bench: &Bench, target: Option<&str>, signed: bool) -> Vec<OsString> {
    let a = &bench.args;
    let mut out: Vec<OsString> = vec!["--port".into(), "0".into()];
    let mut opt = |flag: &str, v: Option<OsString>| {
        if let Some(v) = v {
            out.push(flag.into());
            out.push(v);
        }
    };
    opt("--actions", a.actions.clone().map(Into::into));
    opt("--triggers", a.triggers.clone().map(Into::into));
    opt("--app-id", a.app_id.clone().map(Into::into));
    opt("--key-dir", a.key_dir.clone().map(Into::into));
    opt("--instance-id", a.instance_id.clone().map(Into::into));
    opt("--target", target.map(Into::into));
    if signed {
        out.push("--jwt".into());
    }
    out
}

/// Runs the workbench binary with `args` to its end (at most 10 minutes): its exit code and
/// what it printed; `line` hears each line of its stdout as it comes.
async fn run_child(
    args: Vec<OsString>,
    mut line: impl FnMut(&str),
) -> Result<(i32, String, String), String> {
    let mut child = tokio::process::Command::new(exe()?)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run actionbench: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let errors = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut out = String::new();
    let read = async {
        while let Ok(Some(l)) = lines.next_line().await {
            line(&l);
            if out.len() < TRANSCRIPT_BYTES {
                out.push_str(&l);
                out.push('\n');
            }
        }
        child.wait().await
    };
    let status = tokio::time::timeout(RUN_DEADLINE, read)
        .await
        .map_err(|_| format!("gave up after {} s", RUN_DEADLINE.as_secs()))?
        .map_err(|e| format!("actionbench did not end: {e}"))?;
    let errors = errors.await.unwrap_or_default();
    Ok((status.code().unwrap_or(2), out, errors))
}

/// Where a child records what it sends and hears, to be taken into this session after it ends.
struct ChildSession(PathBuf);

impl ChildSession {
    fn new(what: &str) -> ChildSession {
        ChildSession(
            std::env::temp_dir().join(format!("actionbench-{what}-{}.jsonl", uuid::Uuid::new_v4())),
        )
    }

    fn args(&self) -> [OsString; 2] {
        ["--session".into(), self.0.clone().into()]
    }

    /// Its exchanges, logged in `bench`'s session marked `tag`: their ids here. A journal
    /// that cannot be read is said in `errors`, not fatal: the run's result stands.
    fn adopt(&self, bench: &Bench, tag: &str, errors: &mut String) -> Vec<u64> {
        match crate::journal::read(&self.0) {
            Ok(r) => r
                .exchanges
                .into_iter()
                .map(|ex| bench.engine.adopt(ex, tag))
                .collect(),
            Err(e) => {
                errors.push_str(&format!(
                    "\nits calls could not be taken into this session: {e}"
                ));
                vec![]
            }
        }
    }
}

impl Drop for ChildSession {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(crate::journal::index_path(&self.0));
    }
}

/// The rows `check` printed (`PASS name [method] HTTP 200 12 ms answered`, its reasons below).
pub fn parse_rows(transcript: &str) -> Vec<CheckRow> {
    let mut rows: Vec<CheckRow> = vec![];
    for l in transcript.lines() {
        let (passed, rest) = match (l.strip_prefix("PASS "), l.strip_prefix("FAIL ")) {
            (Some(r), _) => (true, r),
            (_, Some(r)) => (false, r),
            _ => {
                if let (Some(row), Some(reason)) = (rows.last_mut(), l.strip_prefix("     ")) {
                    row.reasons.push(reason.trim().to_string());
                }
                continue;
            }
        };
        let Some((name, tail)) = rest.rsplit_once(" [") else {
            continue;
        };
        let Some((method, tail)) = tail.split_once("] HTTP ") else {
            continue;
        };
        let mut words = tail.split(' ');
        let status = words.next().and_then(|s| s.parse().ok());
        let rest: Vec<&str> = words.collect();
        let phase = match rest.as_slice() {
            [_, "ms", phase @ ..] => phase.join(" "),
            phase => phase.join(" "),
        };
        rows.push(CheckRow {
            passed,
            name: name.to_string(),
            method: method.to_string(),
            status,
            phase,
            reasons: vec![],
        });
    }
    rows
}

/// The samples `names` name: loaded ones by name, else files and folders as given.
fn sample_paths(bench: &Bench, names: &[String]) -> Result<Vec<OsString>, String> {
    if names.is_empty() {
        let paths: Vec<OsString> = bench
            .files()
            .samples
            .iter()
            .filter_map(|s| s.path.clone().map(Into::into))
            .collect();
        if paths.is_empty() {
            return Err("no samples are loaded: name sample files or folders".into());
        }
        return Ok(paths);
    }
    names
        .iter()
        .map(|n| {
            match bench.files().samples.iter().find(|s| s.sample.name == *n) {
                Some(s) => s.path.clone().map(Into::into),
                None => Some(PathBuf::from(n).into()),
            }
            .ok_or_else(|| format!("samples: {n:?} was not loaded from a file"))
        })
        .collect()
}

/// The target a run goes to: given, or the workbench's; and whether it is signed.
fn target_of(bench: &Bench, given: Option<&str>, signed: Option<bool>) -> (Option<String>, bool) {
    let set = bench.target();
    let url = given
        .map(str::to_string)
        .or(set.as_ref().map(|t| t.base.clone()));
    let signed = signed.unwrap_or(set.is_some_and(|t| t.jwt));
    (url, signed)
}

/// `actionbench check` against the target; `progress` hears each line as it comes.
pub async fn check(
    bench: &Bench,
    a: &RunCheckIn,
    progress: impl FnMut(&str),
) -> Result<RunCheckOut, String> {
    let (target, signed) = target_of(bench, a.target.as_deref(), a.signed);
    let target = target
        .ok_or("no target: pass target (your action's base URL), or start with --target URL")?;
    let mut args: Vec<OsString> = vec!["check".into()];
    args.extend(shared_args(bench, Some(&target), signed));
    if a.lab {
        args.push("--lab".into());
    }
    if let Some(w) = a.wait_seconds {
        args.extend(["--wait".into(), w.max(0.0).to_string().into()]);
    }
    match a.generate {
        Some(n) => {
            args.extend(["--generate".into(), n.to_string().into()]);
            if let Some(s) = a.seed {
                args.extend(["--seed".into(), s.to_string().into()]);
            }
            args.extend(sample_paths(bench, &a.samples)?);
        }
        None => args.extend(sample_paths(bench, &a.samples)?),
    }
    let recorded = ChildSession::new("check");
    args.extend(recorded.args());
    let (code, transcript, mut errors) = run_child(args, progress).await?;
    let call_ids = recorded.adopt(bench, "run_check by agent", &mut errors);
    let rows = parse_rows(&transcript);
    let passed_count = rows.iter().filter(|r| r.passed).count() as u32;
    Ok(RunCheckOut {
        passed: code == 0,
        exit_code: code,
        failed_count: rows.len() as u32 - passed_count,
        passed_count,
        rows,
        error: (code == 2).then(|| errors.trim().to_string()),
        transcript,
        call_ids,
    })
}

/// `actionbench flow run` with a loaded flow (or a flow file).
pub async fn flow(
    bench: &Bench,
    a: &RunFlowIn,
    progress: impl FnMut(&str),
) -> Result<RunFlowOut, String> {
    let file = bench
        .files()
        .flows
        .iter()
        .find(|f| f.flow.name == a.flow)
        .and_then(|f| f.path.clone())
        .unwrap_or_else(|| PathBuf::from(&a.flow));
    if !file.is_file() {
        let files = bench.files();
        let names: Vec<&str> = files.flows.iter().map(|f| f.flow.name.as_str()).collect();
        return Err(format!(
            "flow: no flow named {:?}; loaded: {}",
            a.flow,
            names.join(", ")
        ));
    }
    let (target, signed) = match a.to {
        Destination::Inbox => (None, false),
        Destination::Target => target_of(bench, None, None),
    };
    if a.to == Destination::Target && target.is_none() {
        return Err("to target: no target is set (start with --target URL)".into());
    }
    let mut args: Vec<OsString> = vec!["flow".into(), "run".into(), file.into()];
    args.extend(shared_args(bench, target.as_deref(), signed));
    if let Some(w) = a.warp {
        args.extend(["--warp".into(), w.max(1).to_string().into()]);
    }
    let page = a.share.then(|| {
        std::env::temp_dir().join(format!("actionbench-flow-{}.html", uuid::Uuid::new_v4()))
    });
    if let Some(p) = &page {
        args.extend(["--share".into(), p.clone().into()]);
    }
    let recorded = ChildSession::new("flow");
    args.extend(recorded.args());
    let (code, transcript, mut errors) = run_child(args, progress).await?;
    let call_ids = recorded.adopt(bench, "run_flow by agent", &mut errors);
    Ok(RunFlowOut {
        passed: code == 0,
        exit_code: code,
        transcript,
        shared_page: page
            .filter(|p| p.is_file())
            .map(|p| p.display().to_string()),
        error: (code == 2).then(|| errors.trim().to_string()),
        call_ids,
    })
}

fn finding_view(file: &str, f: &LintFinding) -> LintFindingView {
    LintFindingView {
        file: file.to_string(),
        level: match f.level {
            Level::Error => "error".into(),
            Level::Warning => "warning".into(),
        },
        path: f.path.clone(),
        rule: f.rule.to_string(),
        why: f.message.clone(),
        source: f.source.to_string(),
    }
}

/// `lint` on files or an inline definition, against the published one if given.
pub fn lint(bench: &Bench, a: &LintIn) -> Result<LintOut, String> {
    let published = a
        .published
        .as_ref()
        .map(|p| std::fs::read_to_string(p).map_err(|e| format!("published: {p}: {e}")))
        .transpose()?;
    let mut texts: Vec<(String, String)> = vec![];
    for f in &a.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("files: {f}: {e}"))?;
        texts.push((f.clone(), text));
    }
    if let Some(d) = &a.definition {
        texts.push(("inline".into(), d.to_string()));
    }
    if texts.is_empty() {
        return Err("give files or definition: what to lint".into());
    }
    let mut findings = vec![];
    for (name, text) in &texts {
        let found = crate::cli::lint::lint_text(&bench.args, text, name, published.as_deref())?;
        findings.extend(found.iter().map(|f| finding_view(name, f)));
    }
    let errors = findings.iter().filter(|f| f.level == "error").count() as u32;
    Ok(LintOut {
        clean: errors == 0,
        warnings: findings.len() as u32 - errors,
        errors,
        findings,
    })
}

/// Reports an event to the inbox, as an app on Wix's SDK does: what the Triggered Events API
/// answered, the activations it started, and the flows they run.
pub async fn report_event(bench: &Bench, a: &ReportEventIn) -> Result<ReportEventOut, String> {
    let url = bench.inbox().ok_or("the inbox is not listening")?;
    let mut body = serde_json::json!({ "triggerKey": a.trigger_key, "payload": a.payload });
    if let Some(e) = &a.external_entity_id {
        body["externalEntityId"] = e.as_str().into();
    }
    if let Some(k) = &a.idempotency_key {
        body["idempotency"] = serde_json::json!({ "key": k });
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let sent = crate::play::sender::report_event(&client, url, &body).await?;
    let answer = sent.json().unwrap_or(Value::String(sent.body.clone()));
    let activation_ids: Vec<String> = answer
        .get("activationIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let runs = bench
        .files()
        .flows
        .iter()
        .filter(|f| f.flow.trigger.key == a.trigger_key)
        .map(|f| f.flow.name.clone())
        .filter(|_| !activation_ids.is_empty())
        .collect();
    Ok(ReportEventOut {
        status: sent.status,
        answer,
        activation_ids,
        runs,
    })
}
