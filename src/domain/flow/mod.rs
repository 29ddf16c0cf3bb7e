//! Flows: a whole automation, run step by step. A flow file names a trigger (its payload) and
//! an ordered list of steps: action calls, whose `actionParams` are filled from the payload and
//! earlier steps' outputs with `{{…}}` templates, and delays. One run is one activation: every
//! step shares its `activationId` and gets its own `invocationToken`; each step's output joins
//! the payload later steps see; a failed or timed-out step adds nothing and the run goes on.
//!
//! Pure data and rules: no clock, no HTTP. The runner (`crate::play::automation`) drives it.

use super::as_wix::Source;
use super::contract::Finding;
use super::sample::LoadedSample;
use super::schema::Schema;
use super::wire::{self, InvokeResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

mod activation;
mod caption;
mod evaluate;
pub mod nodes;
pub mod rate;
mod story;
mod template;
pub mod tree;
pub mod wix;

pub use activation::*;
pub use caption::*;
pub use evaluate::{Decision, RateKey};
pub use nodes::{
    ConditionStep, NotRunStep, RateLimitStep, SetVariablesStep, Skip, SplitStep, Test, WixDelay,
};
pub use story::*;
pub use template::*;
pub use tree::{Links, Side, Tree};

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
    /// How the steps follow each other: a straight line for a flow file, Wix's tree for an
    /// automation.
    #[serde(skip)]
    pub tree: Tree,
    /// Read from Wix's automation JSON: the automation as it came, its filters and rate limit.
    #[serde(skip)]
    pub wix: Option<Box<wix::WixFlow>>,
}

impl Flow {
    /// Whether it is Wix's own automation (its expressions are Wix's, its outputs under each
    /// action's namespace), rather than a flow file.
    pub fn is_wix(&self) -> bool {
        self.wix.is_some()
    }
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
    /// A scheduled trigger's "before" offset (Wix's `scheduledEventOffset`): the run starts
    /// this long before the event's date ("1h", "2d"). "After" is a delay step.
    #[serde(default)]
    pub before: Option<String>,
    /// Switched off, the flow does not answer its trigger's reported events (an automation
    /// that is not active); it still runs from the window or `flow run`.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
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

/// One step. A flow file has actions and delays; the other kinds come from Wix's automations.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Step {
    Action(Box<ActionStep>),
    Delay(DelayStep),
    #[serde(skip)]
    Condition(Box<ConditionStep>),
    #[serde(skip)]
    RateLimit(Box<RateLimitStep>),
    #[serde(skip)]
    Split(SplitStep),
    #[serde(skip)]
    SetVariables(Box<SetVariablesStep>),
    #[serde(skip)]
    NotRun(Box<NotRunStep>),
}

impl Step {
    /// Its name in plain words: the action's, or the delay's ("Delay" when it has none).
    pub fn name(&self) -> String {
        match self {
            Step::Action(a) => a.name.clone(),
            Step::Delay(d) => d.name.clone().unwrap_or_else(|| "Delay".into()),
            Step::Condition(c) => c.name.clone(),
            Step::RateLimit(r) => r.name.clone(),
            Step::Split(s) => s.name.clone(),
            Step::SetVariables(v) => v.name.clone(),
            Step::NotRun(n) => n.name.clone(),
        }
    }

    /// Its id: a flow file's step id, or the automation's action id.
    pub fn id(&self) -> &str {
        match self {
            Step::Action(a) => &a.id,
            Step::Delay(d) => &d.id,
            Step::Condition(c) => &c.id,
            Step::RateLimit(r) => &r.id,
            Step::Split(s) => &s.id,
            Step::SetVariables(v) => &v.id,
            Step::NotRun(n) => &n.id,
        }
    }

    /// Wix's type for it, in words for people ("Condition", "Delay"…).
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Action(_) => "Action",
            Step::Delay(_) => "Delay",
            Step::Condition(c) => match c.test {
                Test::Groups(_) => "Condition",
                Test::Code { .. } => "Code condition",
            },
            Step::RateLimit(_) => "Rate limit",
            Step::Split(_) => "Split",
            Step::SetVariables(_) => "Set variables",
            Step::NotRun(_) => "Not run locally",
        }
    }
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
    /// Read from Wix's automation: its app, its namespace, when it is skipped, and whether it
    /// is someone else's action that ActionBench stands in for.
    #[serde(skip)]
    pub wix: Option<wix::WixAction>,
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
    /// "2h", "1d"… (a Wix DELAY says it in `wix` instead).
    pub duration: String,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(skip)]
    pub wix: Option<WixDelay>,
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
    /// Not run: the event was cancelled by the app, or its scheduled date had passed.
    Dropped { why: String },
    /// A condition decided: the path `value` names runs.
    Decided { value: bool },
    /// A rate limit let the run on, or stopped it.
    RateLimit { passed: bool },
    /// Variables were set (their values join the payload under `setVariable`).
    Variables { values: Value },
    /// A SPLIT sent the run down all its paths.
    Split,
    /// Not run: its skip expression is true (Wix skips it, and it adds no output).
    Skipped { why: String },
    /// Not run: it is on a path the run did not take (a condition's other side, a rate limit
    /// that stopped the run, filters that did not pass).
    NotTaken { why: String },
    /// Kept, not run: ActionBench does not run this kind of node.
    NotRunLocally { why: String },
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
            StepEnd::Dropped { .. } => "not run (cancelled)",
            StepEnd::Decided { value: true } => "true",
            StepEnd::Decided { value: false } => "false",
            StepEnd::RateLimit { passed: true } => "under the limit",
            StepEnd::RateLimit { passed: false } => "rate limited",
            StepEnd::Variables { .. } => "set",
            StepEnd::Split => "all paths",
            StepEnd::Skipped { .. } => "skipped",
            StepEnd::NotTaken { .. } => "not taken",
            StepEnd::NotRunLocally { .. } => "not run locally",
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
    /// Not reached: the run took another path.
    NotTaken,
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
            Expect::NotTaken => "not taken",
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
            Expect::Skipped => matches!(
                end,
                StepEnd::NotRun { .. } | StepEnd::Dropped { .. } | StepEnd::Skipped { .. }
            ),
            Expect::NotTaken => matches!(end, StepEnd::NotTaken { .. }),
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
    /// A Wix automation's lint findings (the builder's rules, its expressions and mappings
    /// against the definitions loaded), to show before it runs.
    pub findings: Vec<super::definition::LintFinding>,
}

#[derive(Clone, Debug, Default)]
pub struct StepSchemas {
    pub input: Option<Schema>,
    pub output: Option<Schema>,
    pub example_answer: Option<Value>,
}

impl LoadedFlow {
    /// Reads `path`, a flow file or Wix's automation JSON (with its side file); a step's
    /// `sample` is read relative to it. A Query answer holding several automations is refused
    /// here: [`LoadedFlow::load_all`] reads them all.
    pub fn load(path: &Path) -> Result<LoadedFlow, String> {
        let mut all = LoadedFlow::load_all(path)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            n => Err(format!(
                "{}: holds {n} automations (a Query answer); save the one to run as a file of its own, or put the file in the flows folder, which reads them all",
                path.display()
            )),
        }
    }

    /// Every flow in `path`: one for a flow file, one per automation in Wix's JSON.
    pub fn load_all(path: &Path) -> Result<Vec<LoadedFlow>, String> {
        let at = |e: String| format!("{}: {e}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| at(e.to_string()))?;
        let dir = path.parent();
        let mut flows = match serde_json::from_str::<Value>(&text) {
            Ok(v) if super::automation::looks_like(&v) => {
                let side = wix::side_file(path)?;
                super::automation::read(&v)
                    .map_err(at)?
                    .into_iter()
                    .map(|a| wix::flow_of(a, side.clone(), dir).map_err(at))
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![LoadedFlow::parse(&text, dir).map_err(at)?],
        };
        for f in &mut flows {
            f.path = Some(path.to_path_buf());
        }
        Ok(flows)
    }

    /// Parses a flow file, or Wix's automation JSON holding one automation (no side file);
    /// `dir` is where relative sample paths start.
    pub fn parse(text: &str, dir: Option<&Path>) -> Result<LoadedFlow, String> {
        if let Ok(v) = serde_json::from_str::<Value>(text)
            && super::automation::looks_like(&v)
        {
            let mut all = super::automation::read(&v)?;
            if all.len() != 1 {
                return Err(format!("holds {} automations: one at a time", all.len()));
            }
            return wix::flow_of(all.remove(0), None, dir);
        }
        let mut flow: Flow =
            serde_json::from_str(text).map_err(|e| format!("not a flow file: {e}"))?;
        flow.tree = Tree::line(flow.steps.len());
        if flow.steps.is_empty() {
            return Err("a flow needs at least one step".into());
        }
        if !flow.trigger.payload.is_object() {
            return Err("trigger.payload must be an object".into());
        }
        if let Some(b) = &flow.trigger.before {
            parse_duration(b).map_err(|e| format!("trigger.before: {e}"))?;
        }
        let mut ids = std::collections::HashSet::new();
        let mut schemas = vec![];
        for step in &flow.steps {
            let id = step.id();
            if !ids.insert(id.to_string()) {
                return Err(format!("two steps have the id {id:?}: ids name outputs"));
            }
            match step {
                Step::Action(a) => {
                    schemas.push(Some(
                        step_schemas(a, dir).map_err(|e| format!("step {id}: {e}"))?,
                    ));
                }
                Step::Delay(d) => {
                    parse_duration(&d.duration).map_err(|e| format!("step {id}: {e}"))?;
                    schemas.push(None);
                }
                // A flow file has actions and delays only.
                _ => schemas.push(None),
            }
        }
        Ok(LoadedFlow {
            flow,
            path: None,
            schemas,
            findings: vec![],
        })
    }

    /// Takes the schemas a step does not write (in the step, or through its `sample`) from the
    /// definition of its action key in `defs`.
    /// In Wix's automation, an action whose key no definition has (and that the side file does
    /// not claim) is someone else's: ActionBench stands in for it, and says so.
    pub fn take_schemas_from(&mut self, defs: &super::definition::Definitions) {
        for (step, schemas) in self.flow.steps.iter_mut().zip(self.schemas.iter_mut()) {
            let (Step::Action(a), Some(s)) = (step, schemas) else {
                continue;
            };
            let found = defs.find(&a.action_key);
            if let Some(w) = a.wix.as_mut() {
                let yours = w.yours.unwrap_or(found.is_some());
                w.simulated = (!yours).then(|| {
                    format!(
                        "{} is not one of your actions (no definition with this key{}), so ActionBench stands in for it",
                        a.action_key,
                        if w.app_id.is_empty() {
                            String::new()
                        } else {
                            format!(", app {}", w.app_id)
                        }
                    )
                });
            }
            let Some((_, def)) = found else {
                continue;
            };
            if s.input.is_none() {
                s.input = def.input_schema().and_then(|v| Schema::compile(v).ok());
            }
            if s.output.is_none() {
                s.output = def.output_schema().and_then(|v| Schema::compile(v).ok());
            }
        }
    }

    /// What the flow's own file does not say, from what is loaded: its steps' schemas from the
    /// action definitions, a Wix automation's trigger from its trigger definition.
    pub fn fill_from(
        &mut self,
        defs: &super::definition::Definitions,
        triggers: &super::trigger::Triggers,
    ) {
        self.take_schemas_from(defs);
        self.take_trigger_from(triggers);
        if let Some(w) = &self.flow.wix {
            let known = super::automation::lint::Known {
                definitions: Some(defs),
                triggers: Some(triggers),
            };
            self.findings = super::automation::lint::lint(&w.automation, known);
        }
    }

    /// A Wix automation's trigger, when the side file does not give its payload and name: the
    /// payload made of its trigger definition's examples, and the definition's name.
    pub fn take_trigger_from(&mut self, triggers: &super::trigger::Triggers) {
        let Some(w) = &self.flow.wix else {
            return;
        };
        let given = w.payload_given;
        let named = w
            .side
            .as_ref()
            .is_some_and(|_| !self.flow.trigger.name.starts_with("The "));
        let Some(t) = triggers.find(&self.flow.trigger.key) else {
            return;
        };
        if !given {
            self.flow.trigger.payload = t.example_payload();
        }
        if !named {
            self.flow.trigger.name = t.def.display_name.clone();
        }
    }

    /// Every flow in `dir` (flow files and Wix's automation JSON; side files are read with the
    /// file they stand beside), sorted by file name; and the files that failed, with why.
    pub fn load_dir(dir: &Path) -> (Vec<LoadedFlow>, Vec<String>) {
        let (lists, errors) = super::sample::load_json_files(dir, |p: &Path| {
            if p.to_string_lossy().ends_with(wix::SIDE_SUFFIX) {
                return Ok(vec![]);
            }
            LoadedFlow::load_all(p)
        });
        (lists.into_iter().flatten().collect(), errors)
    }

    /// [`LoadedFlow::load_dir`] again, keeping the last good version of a file that no longer
    /// loads (a side file that no longer reads keeps its flow's too).
    pub fn reload_dir(
        dir: &Path,
        kept: &mut super::sample::Kept<Vec<LoadedFlow>>,
    ) -> (Vec<LoadedFlow>, Vec<String>) {
        let (lists, errors) = super::sample::load_json_files_keeping(
            dir,
            |p: &Path| {
                if p.to_string_lossy().ends_with(wix::SIDE_SUFFIX) {
                    return Ok(vec![]);
                }
                LoadedFlow::load_all(p)
            },
            kept,
        );
        (lists.into_iter().flatten().collect(), errors)
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
