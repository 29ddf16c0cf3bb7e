//! One run of a flow, one activation: each step's record, the payload later steps see, why a
//! step Wix would not run is not run, and the verdict against what the flow expects. A run of
//! Wix's tree has branches: each sees the trigger's payload and its own ancestors' outputs,
//! never a sibling branch's ([`Branch`]).

use super::{
    DateTime, Expect, Filled, Finding, FlowSource, LoadedFlow, Map, Schema, Scope, Source, Step,
    StepEnd, Utc, Value, fill, json,
};

/// What one branch of a run has seen so far: the payload its next step receives (the
/// trigger's, plus its ancestors' outputs) and, for a flow file's templates, each earlier
/// step's output by id. A condition's paths and a SPLIT's each go on with a copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Branch {
    pub payload: Value,
    /// Step id → `{"result": output}` (a flow file's `{{steps.<id>.result…}}`).
    pub outputs: Map<String, Value>,
}

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
    /// Shared with the window and the automations that hold it: a run never copies its flow.
    pub flow: std::sync::Arc<LoadedFlow>,
    pub activation_id: String,
    pub source: Source,
    pub skip_delays: bool,
    /// The payload the next step sees: the trigger's, plus earlier steps' outputs.
    pub payload: Value,
    /// Step id → `{"result": output}`.
    pub outputs: Map<String, Value>,
    pub steps: Vec<StepRecord>,
    /// Started by an app's reported event: the exchange that reported it and the entity it is
    /// about (what Cancel Event names).
    pub reported_in: Option<u64>,
    pub external_entity_id: Option<String>,
}

impl FlowRun {
    pub fn new(flow: impl Into<std::sync::Arc<LoadedFlow>>, activation_id: String) -> FlowRun {
        let flow: std::sync::Arc<LoadedFlow> = flow.into();
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
            reported_in: None,
            external_entity_id: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.flow.flow.name
    }

    /// Sets the payload the run starts with (the file's, or a reported event's), with what
    /// Wix would add from the site (the side file's `enrich`) where the payload has none.
    pub fn start_with(&mut self, payload: Value) {
        self.payload = payload;
        let enrich = self.flow.flow.wix.as_ref().map(|w| w.enrich.clone());
        if let (Some(e), Some(p)) = (enrich, self.payload.as_object_mut()) {
            for (k, v) in e {
                p.entry(k).or_insert(v);
            }
        }
    }

    /// The branch a run starts with: the trigger's payload.
    pub fn start_branch(&self) -> Branch {
        Branch {
            payload: self.payload.clone(),
            outputs: Map::new(),
        }
    }

    /// The Invoke request for action step `i`, as Wix would send it in this run: params
    /// filled from what `branch` has seen (a flow file's templates, or Wix's expressions
    /// evaluated at `now`), and the shared `activationId`. Records what was missing.
    pub fn invoke_request(
        &mut self,
        i: usize,
        ids: &crate::domain::as_wix::Ids,
        branch: &Branch,
        now: DateTime<Utc>,
    ) -> Option<Value> {
        let Some(Step::Action(a)) = self.flow.flow.steps.get(i) else {
            return None;
        };
        let input_source = self
            .flow
            .schemas
            .get(i)
            .and_then(|s| s.as_ref())
            .and_then(|s| s.input.as_ref())
            .map(|s| s.source.clone());
        let (filled, mut problems) = if self.flow.flow.is_wix() {
            let env = crate::domain::expr::Env {
                payload: &branch.payload,
                now,
            };
            let r = crate::domain::expr::resolve_mapping(&a.params, input_source.as_deref(), &env);
            let problems: Vec<Finding> = r
                .problems
                .iter()
                .map(|p| {
                    Finding::error("expression", p.message.clone())
                        .at(format!("actionParams.{}", p.field))
                })
                .collect();
            (
                Filled {
                    value: r.value,
                    missing: r.missing,
                    problems: vec![],
                },
                problems,
            )
        } else {
            let scope = Scope {
                payload: &branch.payload,
                steps: &branch.outputs,
            };
            let filled = fill(&a.params, &scope);
            let problems: Vec<Finding> = filled
                .problems
                .iter()
                .map(|p| Finding::error("template", p.clone()).at("actionParams"))
                .collect();
            (filled, problems)
        };
        let mut not_run = None;
        if let Some(Some(s)) = self.flow.schemas.get(i)
            && let Some(input) = &s.input
        {
            let violations = input.violations(&filled.value);
            not_run = self.not_run(&a.params, input, &violations);
            problems.extend(crate::domain::contract::check_action_params(
                &filled.value,
                input,
            ));
        }
        let trigger = &self.flow.flow.trigger;
        // In Wix's automation the action's id is the node's (the map key); a flow file's
        // steps get a fresh one per call.
        let action_id = if self.flow.flow.is_wix() {
            a.id.clone()
        } else {
            ids.action_id.clone()
        };
        let mut context = json!({
            "activationId": self.activation_id,
            "triggerKey": trigger.key,
            "triggerAppId": trigger.app_id,
            "actionId": action_id,
            "invocationToken": ids.invocation_token,
            "payload": branch.payload,
            "activationSourceInfo": self.source.info(),
        });
        if let Some(w) = &a.wix
            && !w.app_id.is_empty()
        {
            context["actionAppId"] = json!(w.app_id);
        }
        let request = json!({
            "actionKey": a.action_key,
            "actionParams": filled.value,
            "activationContext": context,
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
        violations: &[crate::domain::schema::Violation],
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
        // The earlier step the template reads, and how it ended.
        let from = written.and_then(|t| {
            let k = self.source_step(t)?;
            let step = self.flow.flow.steps.get(k)?;
            let id = step.id().to_string();
            let name = match step {
                Step::Delay(d) => d.name.clone().unwrap_or_else(|| d.id.clone()),
                s => s.name(),
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

    /// The step whose output a template reads: a flow file's `{{steps.<id>…}}`, or in Wix's
    /// automation the action whose namespace starts a `var("<namespace>.…")`.
    fn source_step(&self, template: &str) -> Option<usize> {
        let steps = &self.flow.flow.steps;
        if self.flow.flow.is_wix() {
            return crate::domain::expr::var_paths(template)
                .iter()
                .find_map(|p| {
                    steps.iter().position(|s| match s {
                        Step::Action(a) => a.wix.as_ref().is_some_and(|w| {
                            p.strip_prefix(w.namespace.as_str())
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                        }),
                        _ => false,
                    })
                });
        }
        let id = template.split("{{").nth(1)?.trim().strip_prefix("steps.")?;
        let id = id.split(['.', '}']).next()?.trim();
        steps.iter().position(|s| s.id() == id)
    }

    /// Where earlier steps' outputs sit in the payload: each under its step's id, or all under
    /// the flow's `outputsUnder`; in Wix's automation under each action's namespace, and the
    /// variables under `setVariable`.
    fn output_keys(&self, branch: &Branch) -> Vec<String> {
        if self.flow.flow.is_wix() {
            let mut keys: Vec<String> = self
                .flow
                .flow
                .steps
                .iter()
                .filter_map(|s| match s {
                    Step::Action(a) => a.wix.as_ref().map(|w| w.namespace.clone()),
                    _ => None,
                })
                .collect();
            keys.push(SET_VARIABLE.into());
            keys
        } else if self.flow.flow.outputs_under.is_empty() {
            branch.outputs.keys().cloned().collect()
        } else {
            vec![self.flow.flow.outputs_under.clone()]
        }
    }

    /// The trigger's part of `branch`'s payload (without earlier steps' outputs): what Refresh
    /// Payload is sent.
    pub fn trigger_payload(&self, branch: &Branch) -> Value {
        let mut p = branch.payload.clone();
        if let Some(o) = p.as_object_mut() {
            for k in self.output_keys(branch) {
                o.remove(&k);
            }
        }
        p
    }

    /// The trigger provider's refreshed payload replaces the trigger's part of `branch`'s;
    /// earlier steps' outputs stay.
    pub fn refresh_payload(&mut self, fresh: Value, branch: &mut Branch) {
        let keep: Vec<(String, Value)> = self
            .output_keys(branch)
            .into_iter()
            .filter_map(|k| Some((k.clone(), branch.payload.get(&k)?.clone())))
            .collect();
        branch.payload = fresh;
        if let Some(o) = branch.payload.as_object_mut() {
            o.extend(keep);
        }
        self.payload = branch.payload.clone();
    }

    /// Step `i` ended: a success adds its output to the payload the steps after it on
    /// `branch` see (a flow file's under the step's id, Wix's under the action's namespace;
    /// variables under `setVariable`). The run's `payload` follows the latest branch.
    pub fn end_step(&mut self, i: usize, end: StepEnd, branch: &mut Branch) {
        let Some(step) = self.flow.flow.steps.get(i) else {
            return;
        };
        let id = step.id().to_string();
        let wix_namespace = match step {
            Step::Action(a) => a.wix.as_ref().map(|w| w.namespace.clone()),
            _ => None,
        };
        if let StepEnd::Variables { values } = &end {
            if let Some(v) = values.as_object() {
                insert_under(&mut branch.payload, SET_VARIABLE, v.clone());
            }
        } else if let Some(out) = end.output() {
            branch.outputs.insert(id.clone(), json!({ "result": out }));
            self.outputs.insert(id.clone(), json!({ "result": out }));
            let under = self.flow.flow.outputs_under.clone();
            if let Some(ns) = wix_namespace {
                if let Some(payload) = branch.payload.as_object_mut() {
                    payload.insert(ns, out.clone());
                }
            } else if under.is_empty() {
                if let Some(payload) = branch.payload.as_object_mut() {
                    payload.insert(id, out.clone());
                }
            } else {
                insert_under(&mut branch.payload, &under, [(id, out.clone())]);
            }
        }
        self.payload = branch.payload.clone();
        if let Some(rec) = self.steps.get_mut(i) {
            rec.status = StepStatus::Ended(end);
        }
    }

    /// Adds `output` as step `i`'s on `branch` (a timed-out action's default output, when that
    /// assumption is on), where a success would put it.
    pub fn add_output(&mut self, i: usize, output: Value, branch: &mut Branch) {
        let status = self.steps.get(i).map(|r| r.status.clone());
        self.end_step(i, StepEnd::Answered { result: output }, branch);
        if let (Some(rec), Some(s)) = (self.steps.get_mut(i), status) {
            rec.status = s;
        }
    }

    /// What a finished run keeps when it keeps only its summary: each step's status, its call
    /// and what was missing, without the payloads and results (its calls hold them, read back
    /// from the journal).
    pub fn let_go_of_data(&mut self) {
        self.payload = Value::Null;
        self.outputs = Map::new();
        for rec in &mut self.steps {
            if let StepStatus::Ended(
                StepEnd::Answered { result }
                | StepEnd::Completed { result }
                | StepEnd::Variables { values: result },
            ) = &mut rec.status
            {
                *result = Value::Null;
            }
            rec.not_run = None;
        }
    }

    /// Every step of `nodes` that has not started ends as not taken, for `why` (no event: the
    /// decision that left them out has one).
    pub fn not_taken(&mut self, nodes: &[usize], why: &str) {
        for i in nodes {
            if let Some(rec) = self.steps.get_mut(*i)
                && rec.status == StepStatus::Pending
            {
                rec.status = StepStatus::Ended(StepEnd::NotTaken {
                    why: why.to_string(),
                });
            }
        }
    }

    /// Each action step's expectation, how it ended, and whether that matches. A step the run
    /// did not reach (another path was taken) or that Wix skips by its skip expression is left
    /// out unless the file expects something of it.
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
                let explicit = matches!(self.flow.flow.steps.get(i), Some(Step::Action(a)) if a.expect.is_some());
                if !explicit
                    && matches!(end, Some(StepEnd::NotTaken { .. } | StepEnd::Skipped { .. }))
                {
                    return None;
                }
                let ok = end.as_ref().is_some_and(|e| expect.met_by(e));
                Some((i, expect, end, ok))
            })
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.verdict().iter().all(|(_, _, _, ok)| *ok)
    }
}

/// Where Wix's variables sit in the payload: `var("setVariable.<key>")`.
pub const SET_VARIABLE: &str = "setVariable";

/// Adds `entries` to the object at `key` in `payload` (made, or replacing what is not an
/// object).
fn insert_under(
    payload: &mut Value,
    key: &str,
    entries: impl IntoIterator<Item = (String, Value)>,
) {
    if !payload.is_object() {
        *payload = json!({});
    }
    if let Some(o) = payload.as_object_mut() {
        let slot = o.entry(key.to_string()).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        if let Some(inner) = slot.as_object_mut() {
            inner.extend(entries);
        }
    }
}
