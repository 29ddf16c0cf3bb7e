//! Flows: a whole automation, run step by step. A flow file names a trigger (its payload) and
//! an ordered list of steps: action calls, whose `actionParams` are filled from the payload and
//! earlier steps' outputs with `{{…}}` templates, and delays. One run is one activation: every
//! step shares its `activationId` and gets its own `invocationToken`; each step's output joins
//! the payload later steps see; a failed or timed-out step adds nothing and the run goes on.
//!
//! Pure data and rules: no clock, no HTTP. The runner (`crate::play::automation`) drives it.

use super::contract::Finding;
use super::outbound::Source;
use super::sample::LoadedSample;
use super::schema::Schema;
use super::wire::{self, InvokeResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// A flow file, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
    /// How the run starts, as `activationSourceInfo` says.
    #[serde(default)]
    pub source: FlowSource,
    /// Delays are skipped (a test run of a draft, or a rerun with skipDelays).
    #[serde(default)]
    pub skip_delays: bool,
    /// [assumed] Where each step's output goes in the payload later steps see: under the step's
    /// id at the payload's top level (`""`, the default), or under this key (`"steps"` puts
    /// it at `payload.steps.<id>`). Wix does not document it.
    #[serde(default)]
    pub outputs_under: String,
}

/// The event that starts the automation.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    /// In plain words: "A visitor signs up for a class".
    pub name: String,
    pub key: String,
    #[serde(default)]
    pub app_id: String,
    #[serde(default = "empty_object")]
    pub payload: Value,
    #[serde(default)]
    pub caption: Option<String>,
}

fn empty_object() -> Value {
    json!({})
}

/// How a run starts.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum FlowSource {
    /// A trigger event (the default).
    #[default]
    Trigger,
    /// A test run from the automation builder (`testMode` on).
    TestRun,
    /// A manual run (`testMode` off).
    Manual,
    /// A rerun of an earlier activation: `originalActivationId` is the run it repeats (a new
    /// one is made when the file gives none).
    Rerun {
        #[serde(default)]
        original_activation_id: Option<String>,
    },
}

/// One step.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Step {
    Action(Box<ActionStep>),
    Delay(DelayStep),
}

/// Who answers an action step.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AnsweredBy {
    /// The workbench, with the step's saved answer (and scripted completion).
    #[default]
    Workbench,
    /// The workbench, held for the presenter to answer live in the composer.
    Presenter,
    /// The developer's action (the target), called as Wix calls it.
    Target,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionStep {
    /// How templates name it: `{{steps.<id>.result.field}}`.
    pub id: String,
    /// In plain words: "Request approval".
    pub name: String,
    pub action_key: String,
    /// A sample file (relative to the flow file) whose schemas and example answer apply.
    #[serde(default)]
    pub sample: Option<PathBuf>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// `actionParams`, with `{{payload.x}}` and `{{steps.id.result.x}}` templates.
    #[serde(default = "empty_object")]
    pub params: Value,
    #[serde(default)]
    pub answered_by: AnsweredBy,
    /// The saved answer (an Invoke response) when the workbench answers; default: the sample's
    /// example answer, else IMMEDIATE with the output schema's skeleton.
    #[serde(default)]
    pub answer: Option<Value>,
    /// Instead of an answer: an HTTP error with an `applicationError` code, so the step fails.
    #[serde(default)]
    pub fail: Option<FailAnswer>,
    /// After a timeout answer: how the wait ends when the workbench answers.
    #[serde(default)]
    pub completion: Option<Completion>,
    /// How the step should end; default: what the answer and completion make it.
    #[serde(default)]
    pub expect: Option<Expect>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub captions: Captions,
}

/// An error answer a workbench step gives.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailAnswer {
    #[serde(default = "default_fail_status")]
    pub status: u16,
    #[serde(default = "default_fail_code")]
    pub code: String,
}

fn default_fail_status() -> u16 {
    500
}

fn default_fail_code() -> String {
    "ACTION_FAILED".into()
}

/// A scripted end to a wait: a report after `after` (success with `result`, or failure with
/// `failure`), or none at all (`timesOut`), so the deadline passes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// "3h", "90m", "2d", "45s".
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub failure: Option<String>,
    #[serde(default)]
    pub times_out: bool,
}

/// Captions for a step's events, in plain words; generated when absent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Captions {
    pub asked: Option<String>,
    pub waiting: Option<String>,
    pub answered: Option<String>,
    pub completed: Option<String>,
    pub failed: Option<String>,
    pub timed_out: Option<String>,
    /// Wix does not run the step: its params miss a required field or break the input schema.
    pub skipped: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelayStep {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// "2h", "1d"…
    pub duration: String,
    #[serde(default)]
    pub caption: Option<String>,
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq)]
pub enum StepEnd {
    /// Answered IMMEDIATE: the run moves on with `result`.
    Answered { result: Value },
    /// Waited, then a SUCCESS report: the run moves on with `result`.
    Completed { result: Value },
    /// Waited, then a FAILURE report.
    ReportedFailure { description: String },
    /// An error answer, a broken one, or no answer.
    Failed { reason: String },
    /// No report before the deadline.
    TimedOut,
    /// A delay that passed, or was skipped.
    Waited { skipped: bool },
    /// Not run: its params failed its input schema (a required field missing, most often
    /// because an earlier step gave no output), and Wix does not run such a step.
    NotRun { reason: String },
}

impl StepEnd {
    /// The output later steps see, when the step succeeded.
    pub fn output(&self) -> Option<&Value> {
        match self {
            StepEnd::Answered { result } | StepEnd::Completed { result } => Some(result),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            StepEnd::Answered { .. } => "answered",
            StepEnd::Completed { .. } => "completed",
            StepEnd::ReportedFailure { .. } => "reported failure",
            StepEnd::Failed { .. } => "failed",
            StepEnd::TimedOut => "timed out",
            StepEnd::Waited { skipped: true } => "skipped",
            StepEnd::Waited { skipped: false } => "waited",
            StepEnd::NotRun { .. } => "skipped (not run)",
        }
    }
}

/// How a step is expected to end, for `flow run`'s verdict.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Expect {
    Answered,
    Completed,
    /// Answered or completed: the run moved on with an output.
    Succeeded,
    ReportedFailure,
    Failed,
    TimedOut,
    /// Not run: its params failed its input schema, so Wix would not run it.
    Skipped,
}

impl Expect {
    pub fn label(self) -> &'static str {
        match self {
            Expect::Answered => "answered",
            Expect::Completed => "completed",
            Expect::Succeeded => "succeeded",
            Expect::ReportedFailure => "reported failure",
            Expect::Failed => "failed",
            Expect::TimedOut => "timed out",
            Expect::Skipped => "skipped",
        }
    }

    pub fn met_by(self, end: &StepEnd) -> bool {
        match self {
            Expect::Answered => matches!(end, StepEnd::Answered { .. }),
            Expect::Completed => matches!(end, StepEnd::Completed { .. }),
            Expect::Succeeded => end.output().is_some(),
            Expect::ReportedFailure => matches!(end, StepEnd::ReportedFailure { .. }),
            Expect::Failed => matches!(end, StepEnd::Failed { .. }),
            Expect::TimedOut => matches!(end, StepEnd::TimedOut),
            Expect::Skipped => matches!(end, StepEnd::NotRun { .. }),
        }
    }
}

/// "3h", "90m", "2d", "45s", "1h30m" as a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration: write it like 90m, 3h, 2d or 1h30m");
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total += match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            _ => return Err(bad()),
        };
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

/// A flow file read and checked, with each action step's schemas compiled.
#[derive(Clone, Debug)]
pub struct LoadedFlow {
    pub flow: Flow,
    pub path: Option<PathBuf>,
    /// Per step (None for delays): input and output schemas, and the example answer.
    pub schemas: Vec<Option<StepSchemas>>,
}

#[derive(Clone, Debug, Default)]
pub struct StepSchemas {
    pub input: Option<Schema>,
    pub output: Option<Schema>,
    pub example_answer: Option<Value>,
}

impl LoadedFlow {
    /// Reads `path`; a step's `sample` is read relative to it.
    pub fn load(path: &Path) -> Result<LoadedFlow, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        LoadedFlow::parse(&text, path.parent())
            .map(|mut f| {
                f.path = Some(path.to_path_buf());
                f
            })
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a flow; `dir` is where relative sample paths start.
    pub fn parse(text: &str, dir: Option<&Path>) -> Result<LoadedFlow, String> {
        let flow: Flow = serde_json::from_str(text).map_err(|e| format!("not a flow file: {e}"))?;
        if flow.steps.is_empty() {
            return Err("a flow needs at least one step".into());
        }
        if !flow.trigger.payload.is_object() {
            return Err("trigger.payload must be an object".into());
        }
        let mut ids = std::collections::HashSet::new();
        let mut schemas = vec![];
        for step in &flow.steps {
            let id = match step {
                Step::Action(a) => &a.id,
                Step::Delay(d) => &d.id,
            };
            if !ids.insert(id.clone()) {
                return Err(format!("two steps have the id {id:?}: ids name outputs"));
            }
            match step {
                Step::Delay(d) => {
                    parse_duration(&d.duration).map_err(|e| format!("step {id}: {e}"))?;
                    schemas.push(None);
                }
                Step::Action(a) => {
                    schemas.push(Some(
                        step_schemas(a, dir).map_err(|e| format!("step {id}: {e}"))?,
                    ));
                }
            }
        }
        Ok(LoadedFlow {
            flow,
            path: None,
            schemas,
        })
    }

    /// Every `*.json` flow in `dir`, sorted by file name; and the files that failed, with why.
    pub fn load_dir(dir: &Path) -> (Vec<LoadedFlow>, Vec<String>) {
        super::sample::load_json_files(dir, LoadedFlow::load)
    }

    /// The saved answer of action step `i`: its own, the sample's example, or IMMEDIATE with
    /// the output schema's skeleton.
    pub fn saved_answer(&self, i: usize) -> Value {
        let (Some(Step::Action(a)), Some(Some(s))) = (self.flow.steps.get(i), self.schemas.get(i))
        else {
            return InvokeResponse::immediate(json!({})).to_value();
        };
        a.answer
            .clone()
            .or_else(|| s.example_answer.clone())
            .unwrap_or_else(|| {
                let result = s.output.as_ref().map(Schema::skeleton).unwrap_or(json!({}));
                InvokeResponse::immediate(result).to_value()
            })
    }

    /// How step `i` should end: as the file says, else what its answer and completion make it
    /// (for the workbench), else "succeeded".
    pub fn expected(&self, i: usize) -> Option<Expect> {
        let Some(Step::Action(a)) = self.flow.steps.get(i) else {
            return None;
        };
        if let Some(e) = a.expect {
            return Some(e);
        }
        if a.answered_by != AnsweredBy::Workbench {
            return Some(Expect::Succeeded);
        }
        if a.fail.is_some() {
            return Some(Expect::Failed);
        }
        let answer = self.saved_answer(i);
        let kind = answer.get("invokeTimeoutType").and_then(Value::as_str);
        Some(match (kind, &a.completion) {
            (Some("TIMEOUT_LENGTH" | "TIMEOUT_DATE"), Some(c)) if c.times_out => Expect::TimedOut,
            (Some("TIMEOUT_LENGTH" | "TIMEOUT_DATE"), Some(c)) if c.failure.is_some() => {
                Expect::ReportedFailure
            }
            (Some("TIMEOUT_LENGTH" | "TIMEOUT_DATE"), _) => Expect::Completed,
            _ if answer.get("invokeTimeoutType").is_none() => Expect::Failed,
            _ => Expect::Answered,
        })
    }
}

fn step_schemas(a: &ActionStep, dir: Option<&Path>) -> Result<StepSchemas, String> {
    let mut s = StepSchemas::default();
    if let Some(rel) = &a.sample {
        let path = dir.map_or_else(|| rel.clone(), |d| d.join(rel));
        let sample = LoadedSample::load(&path)?;
        s.input = sample.input;
        s.output = sample.output;
        s.example_answer = sample.sample.example_answer;
    }
    if let Some(v) = &a.input_schema {
        s.input = Some(Schema::compile(v).map_err(|e| format!("inputSchema: {e}"))?);
    }
    if let Some(v) = &a.output_schema {
        s.output = Some(Schema::compile(v).map_err(|e| format!("outputSchema: {e}"))?);
    }
    if let Some(c) = &a.completion {
        if let Some(after) = &c.after {
            parse_duration(after)?;
        }
        if c.result.is_some() && c.failure.is_some() {
            return Err("completion has both result and failure: pick one".into());
        }
    }
    if let Some(f) = &a.fail
        && !(400..=599).contains(&f.status)
    {
        return Err(format!("fail.status {} must be 400 to 599", f.status));
    }
    Ok(s)
}

// ---- templates ---------------------------------------------------------------------------

/// What a template can read: the payload so far, and each finished step's output.
pub struct Scope<'a> {
    pub payload: &'a Value,
    /// Step id → `{"result": output}` for steps that succeeded.
    pub steps: &'a Map<String, Value>,
}

/// A template filled in: the value, the references that were missing, and problems (a wrong
/// type, an unclosed `{{`, an unknown root).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filled {
    pub value: Value,
    pub missing: Vec<String>,
    pub problems: Vec<String>,
}

impl Scope<'_> {
    /// The value at `path` (`payload.contact.email`, `steps.approve.result.decision`).
    fn get(&self, path: &str) -> Result<Option<&Value>, String> {
        let mut parts = path.split('.');
        let root = match parts.next() {
            Some("payload") => self.payload,
            Some("steps") => {
                let Some(id) = parts.next() else {
                    return Err(format!(
                        "{{{{{path}}}}} names no step: write steps.<id>.result…"
                    ));
                };
                match self.steps.get(id) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            _ => {
                return Err(format!(
                    "{{{{{path}}}}} starts with neither payload nor steps"
                ));
            }
        };
        let mut at = root;
        for p in parts {
            let next = match at {
                Value::Object(o) => o.get(p),
                Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            match next {
                Some(v) => at = v,
                None => return Ok(None),
            }
        }
        Ok(Some(at))
    }
}

/// Fills every `{{…}}` in `template`. A string that is exactly one template takes the value
/// referenced, of any type (a missing one leaves the field out); templates inside longer text
/// are written as text (a missing one as nothing; an object or array is a problem).
pub fn fill(template: &Value, scope: &Scope<'_>) -> Filled {
    let mut out = Filled::default();
    out.value =
        fill_value(template, scope, &mut out.missing, &mut out.problems).unwrap_or(Value::Null);
    out
}

fn fill_value(
    v: &Value,
    scope: &Scope<'_>,
    missing: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Option<Value> {
    match v {
        Value::String(s) => fill_string(s, scope, missing, problems),
        Value::Array(a) => Some(Value::Array(
            a.iter()
                .map(|x| fill_value(x, scope, missing, problems).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(o) => Some(Value::Object(
            o.iter()
                .filter_map(|(k, x)| {
                    fill_value(x, scope, missing, problems).map(|v| (k.clone(), v))
                })
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

fn fill_string(
    s: &str,
    scope: &Scope<'_>,
    missing: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Option<Value> {
    let trimmed = s.trim();
    // Exactly one template: the value itself, with its type.
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .filter(|i| !i.contains("{{") && !i.contains("}}"))
    {
        let path = inner.trim();
        return match scope.get(path) {
            Ok(Some(v)) => Some(v.clone()),
            Ok(None) => {
                missing.push(path.to_string());
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        };
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            problems.push(format!("{s:?} has a {{{{ that is never closed"));
            out.push_str(&rest[start..]);
            return Some(Value::String(out));
        };
        let path = after[..end].trim();
        match scope.get(path) {
            Ok(Some(Value::String(t))) => out.push_str(t),
            Ok(Some(v @ (Value::Object(_) | Value::Array(_)))) => {
                problems.push(format!(
                    "{{{{{path}}}}} is {}, which cannot be written into text ({s:?})",
                    wire::json_type(v)
                ));
                out.push_str(&v.to_string());
            }
            Ok(Some(Value::Null)) => {}
            Ok(Some(v)) => out.push_str(&v.to_string()),
            Ok(None) => missing.push(path.to_string()),
            Err(e) => problems.push(e),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(Value::String(out))
}

// ---- a run ---------------------------------------------------------------------------------

/// Where a step stands in a run.
#[derive(Clone, Debug, PartialEq)]
pub enum StepStatus {
    Pending,
    /// Asked: waiting for the answer (or the presenter).
    Running,
    /// Answered with a timeout: waiting for a report until the deadline.
    Waiting {
        deadline: DateTime<Utc>,
    },
    /// A delay, until then.
    Delaying {
        until: DateTime<Utc>,
    },
    Ended(StepEnd),
}

/// One step's record in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub status: StepStatus,
    /// The exchange in the log that carried the step's Invoke.
    pub exchange: Option<u64>,
    pub invocation_token: Option<String>,
    /// References its params needed that were missing, and template problems.
    pub missing: Vec<String>,
    pub problems: Vec<Finding>,
    pub started: Option<DateTime<Utc>>,
    /// Why Wix would not run the step with the params it was given, when it would not.
    pub not_run: Option<NotRun>,
}

/// Why a step is not run: the field its params break, in words and as data.
#[derive(Clone, Debug, PartialEq)]
pub struct NotRun {
    /// The field, as a path below `actionParams` (`decision`).
    pub field: String,
    /// The field's `title` in the input schema, when it has one ("Trainer's decision").
    pub title: Option<String>,
    /// The earlier step the field's template reads (its id and name) and how it ended.
    pub from: Option<(String, String, String)>,
    /// The whole reason, in one sentence.
    pub reason: String,
}

/// One run of a flow: one activation.
#[derive(Clone, Debug)]
pub struct FlowRun {
    pub flow: LoadedFlow,
    pub activation_id: String,
    pub source: Source,
    pub skip_delays: bool,
    /// The payload the next step sees: the trigger's, plus earlier steps' outputs.
    pub payload: Value,
    /// Step id → `{"result": output}`.
    pub outputs: Map<String, Value>,
    pub steps: Vec<StepRecord>,
}

impl FlowRun {
    pub fn new(flow: LoadedFlow, activation_id: String) -> FlowRun {
        let f = &flow.flow;
        let source = match &f.source {
            FlowSource::Trigger => Source::Trigger,
            FlowSource::TestRun => Source::Manual { test_mode: true },
            FlowSource::Manual => Source::Manual { test_mode: false },
            FlowSource::Rerun {
                original_activation_id,
            } => Source::Rerun {
                original_activation_id: original_activation_id
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                skip_delays: f.skip_delays,
            },
        };
        let steps = f
            .steps
            .iter()
            .map(|_| StepRecord {
                status: StepStatus::Pending,
                exchange: None,
                invocation_token: None,
                missing: vec![],
                problems: vec![],
                started: None,
                not_run: None,
            })
            .collect();
        FlowRun {
            payload: f.trigger.payload.clone(),
            skip_delays: f.skip_delays,
            source,
            activation_id,
            outputs: Map::new(),
            steps,
            flow,
        }
    }

    pub fn name(&self) -> &str {
        &self.flow.flow.name
    }

    /// The Invoke request for action step `i`, as Wix would send it in this run: params
    /// filled from the payload so far, and the shared `activationId`. Records what was missing.
    pub fn invoke_request(&mut self, i: usize, ids: &super::outbound::Ids) -> Option<Value> {
        let Some(Step::Action(a)) = self.flow.flow.steps.get(i) else {
            return None;
        };
        let scope = Scope {
            payload: &self.payload,
            steps: &self.outputs,
        };
        let filled = fill(&a.params, &scope);
        let mut problems: Vec<Finding> = filled
            .problems
            .iter()
            .map(|p| Finding::error("template", p.clone()).at("actionParams"))
            .collect();
        let mut not_run = None;
        if let Some(Some(s)) = self.flow.schemas.get(i)
            && let Some(input) = &s.input
        {
            let violations = input.violations(&filled.value);
            not_run = self.not_run(&a.params, input, &violations);
            problems.extend(super::contract::check_action_params(&filled.value, input));
        }
        let trigger = &self.flow.flow.trigger;
        let request = json!({
            "actionKey": a.action_key,
            "actionParams": filled.value,
            "activationContext": {
                "activationId": self.activation_id,
                "triggerKey": trigger.key,
                "triggerAppId": trigger.app_id,
                "actionId": ids.action_id,
                "invocationToken": ids.invocation_token,
                "payload": self.payload,
                "activationSourceInfo": self.source.info(),
            }
        });
        let rec = &mut self.steps[i];
        rec.missing = filled.missing;
        rec.problems = problems;
        rec.not_run = not_run;
        rec.invocation_token = Some(ids.invocation_token.clone());
        Some(request)
    }

    /// Why Wix would not run a step whose params (filled from `template`) break `input` in
    /// `violations`: the first field named (a missing required one first), the template that
    /// should have filled it, and how the earlier step it reads ended.
    fn not_run(
        &self,
        template: &Value,
        input: &Schema,
        violations: &[super::schema::Violation],
    ) -> Option<NotRun> {
        let v = violations
            .iter()
            .find(|v| v.rule == "REQUIRED_FIELD")
            .or_else(|| violations.first())?;
        let field = v.path.clone();
        let pointer: String = field
            .split('.')
            .filter(|p| !p.is_empty())
            .map(|p| format!("/{p}"))
            .collect();
        let title = input
            .source
            .pointer(&pointer.replace('/', "/properties/"))
            .and_then(|p| p.get("title"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let written = template
            .pointer(&pointer)
            .and_then(Value::as_str)
            .filter(|t| t.contains("{{"));
        // The earlier step a `{{steps.<id>…}}` template reads, and how it ended.
        let from = written.and_then(|t| {
            let id = t.split("{{").nth(1)?.trim().strip_prefix("steps.")?;
            let id = id.split(['.', '}']).next()?.trim().to_string();
            let (k, step) = self
                .flow
                .flow
                .steps
                .iter()
                .enumerate()
                .find(|(_, s)| match s {
                    Step::Action(a) => a.id == id,
                    Step::Delay(d) => d.id == id,
                })?;
            let name = match step {
                Step::Action(a) => a.name.clone(),
                Step::Delay(d) => d.name.clone().unwrap_or_else(|| d.id.clone()),
            };
            let ended = match &self.steps.get(k)?.status {
                StepStatus::Ended(e) => format!("{}, without an output", e.label()),
                _ => "has not ended".to_string(),
            };
            Some((id, name, ended))
        });
        let what = format!("actionParams.{field}");
        let reason = match (&from, written) {
            (Some((_, name, ended)), Some(t)) if v.rule == "REQUIRED_FIELD" => format!(
                "{what} is required and missing: it is filled from {}, and step \"{name}\" {ended}",
                t.trim()
            ),
            (None, Some(t)) if v.rule == "REQUIRED_FIELD" => {
                format!("{what} is required and missing: {} had no value", t.trim())
            }
            _ if v.rule == "REQUIRED_FIELD" => format!("{what} is required and missing"),
            _ => format!("{what}: {}", v.message),
        };
        Some(NotRun {
            field,
            title,
            from,
            reason: format!(
                "{reason}; Wix does not run an action whose params fail its input schema"
            ),
        })
    }

    /// Step `i` ended: a success adds its output to the payload later steps see.
    pub fn end_step(&mut self, i: usize, end: StepEnd) {
        let id = match self.flow.flow.steps.get(i) {
            Some(Step::Action(a)) => a.id.clone(),
            Some(Step::Delay(d)) => d.id.clone(),
            None => return,
        };
        if let Some(out) = end.output() {
            self.outputs.insert(id.clone(), json!({ "result": out }));
            let under = self.flow.flow.outputs_under.clone();
            if let Some(payload) = self.payload.as_object_mut() {
                if under.is_empty() {
                    payload.insert(id, out.clone());
                } else {
                    let slot = payload.entry(under).or_insert_with(|| json!({}));
                    if !slot.is_object() {
                        *slot = json!({});
                    }
                    if let Some(o) = slot.as_object_mut() {
                        o.insert(id, out.clone());
                    }
                }
            }
        }
        if let Some(rec) = self.steps.get_mut(i) {
            rec.status = StepStatus::Ended(end);
        }
    }

    /// Each action step's expectation, how it ended, and whether that matches.
    pub fn verdict(&self) -> Vec<(usize, Expect, Option<StepEnd>, bool)> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, rec)| {
                let expect = self.flow.expected(i)?;
                let end = match &rec.status {
                    StepStatus::Ended(e) => Some(e.clone()),
                    _ => None,
                };
                let ok = end.as_ref().is_some_and(|e| expect.met_by(e));
                Some((i, expect, end, ok))
            })
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.verdict().iter().all(|(_, _, _, ok)| *ok)
    }
}

// ---- captions ------------------------------------------------------------------------------

/// "2d" as "2 days".
fn spoken(duration: &str) -> String {
    parse_duration(duration).map_or_else(|_| duration.to_string(), super::clock::spoken_duration)
}

/// What happened, for captions and the event stream.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowEventKind {
    Started,
    Asked,
    /// Held for the presenter to answer.
    YourTurn,
    Answered,
    /// `wait`: from the answer to the deadline.
    Waiting {
        deadline: DateTime<Utc>,
        wait: Duration,
    },
    Completed {
        result: Value,
    },
    ReportedFailure {
        description: String,
    },
    Failed {
        reason: String,
    },
    TimedOut,
    DelayStarted {
        until: DateTime<Utc>,
    },
    DelaySkipped,
    DelayDone,
    /// Wix does not run the step (its params fail its input schema).
    NotRun {
        reason: String,
        /// In plain words: what is missing or wrong ("Trainer's decision").
        what: String,
        /// The earlier step that should have given it, by name, when one did.
        from: Option<String>,
    },
    Finished {
        passed: bool,
    },
}

/// The caption for `kind` on step `step` (None: the run itself), from the file or generated.
pub fn caption(flow: &Flow, step: Option<usize>, kind: &FlowEventKind) -> String {
    let s = step.and_then(|i| flow.steps.get(i));
    let own = |pick: fn(&Captions) -> &Option<String>| match s {
        Some(Step::Action(a)) => pick(&a.captions).clone(),
        _ => None,
    };
    let name = match s {
        Some(Step::Action(a)) => a.name.clone(),
        Some(Step::Delay(d)) => d.name.clone().unwrap_or_else(|| "Delay".into()),
        None => flow.name.clone(),
    };
    match kind {
        FlowEventKind::Started => flow
            .trigger
            .caption
            .clone()
            .unwrap_or_else(|| format!("{}: the automation starts", flow.trigger.name)),
        FlowEventKind::Asked => own(|c| &c.asked)
            .or_else(|| match s {
                Some(Step::Action(a)) => a.caption.clone(),
                _ => None,
            })
            .unwrap_or_else(|| format!("Wix asks {name} to run")),
        FlowEventKind::YourTurn => format!("{name} waits for you: answer it in the composer"),
        FlowEventKind::Answered => own(|c| &c.answered)
            .unwrap_or_else(|| format!("{name} is done at once; the automation goes on")),
        FlowEventKind::Waiting { wait, .. } => own(|c| &c.waiting).unwrap_or_else(|| {
            format!(
                "{name} asks Wix to wait up to {}",
                super::clock::spoken_duration(*wait)
            )
        }),
        FlowEventKind::Completed { .. } => own(|c| &c.completed)
            .unwrap_or_else(|| format!("{name} reports back: done, and the automation goes on")),
        FlowEventKind::ReportedFailure { description } => own(|c| &c.failed).unwrap_or_else(|| {
            format!("{name} reports that it failed ({description}); the automation goes on")
        }),
        FlowEventKind::Failed { reason } => own(|c| &c.failed)
            .unwrap_or_else(|| format!("{name} failed ({reason}); the automation goes on")),
        FlowEventKind::TimedOut => own(|c| &c.timed_out).unwrap_or_else(|| {
            "No answer in time: the step fails and the automation goes on".to_string()
        }),
        FlowEventKind::DelayStarted { .. } => match s {
            Some(Step::Delay(d)) => d
                .caption
                .clone()
                .unwrap_or_else(|| format!("The automation waits {}", spoken(&d.duration))),
            _ => "The automation waits".into(),
        },
        FlowEventKind::DelaySkipped => match s {
            Some(Step::Delay(d)) => format!(
                "The {} wait is skipped, as this run skips delays",
                spoken(&d.duration)
            ),
            _ => "The wait is skipped".into(),
        },
        FlowEventKind::DelayDone => "The wait is over; the automation goes on".into(),
        FlowEventKind::NotRun { what, from, .. } => own(|c| &c.skipped).unwrap_or_else(|| {
            match from {
                Some(step) => format!(
                    "Wix does not run this step: {what} is missing, because \"{step}\" gave no output; the automation goes on"
                ),
                None => format!(
                    "Wix does not run this step: {what} is missing or not valid; the automation goes on"
                ),
            }
        }),
        FlowEventKind::Finished { passed: true } => {
            format!("{}: every step ended as expected", flow.name)
        }
        FlowEventKind::Finished { passed: false } => {
            format!("{}: some steps did not end as expected", flow.name)
        }
    }
}
