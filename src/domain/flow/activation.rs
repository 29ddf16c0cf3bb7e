//! One run of a flow, one activation: each step's record, the payload later steps see, why a
//! step Wix would not run is not run, and the verdict against what the flow expects.

use super::*;

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
    /// Started by an app's reported event: the exchange that reported it and the entity it is
    /// about (what Cancel Event names).
    pub reported_in: Option<u64>,
    pub external_entity_id: Option<String>,
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
            reported_in: None,
            external_entity_id: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.flow.flow.name
    }

    /// The Invoke request for action step `i`, as Wix would send it in this run: params
    /// filled from the payload so far, and the shared `activationId`. Records what was missing.
    pub fn invoke_request(&mut self, i: usize, ids: &crate::domain::as_wix::Ids) -> Option<Value> {
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
            problems.extend(crate::domain::contract::check_action_params(
                &filled.value,
                input,
            ));
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

    /// Where earlier steps' outputs sit in the payload: each under its step's id, or all under
    /// the flow's `outputsUnder`.
    fn output_keys(&self) -> Vec<String> {
        if self.flow.flow.outputs_under.is_empty() {
            self.outputs.keys().cloned().collect()
        } else {
            vec![self.flow.flow.outputs_under.clone()]
        }
    }

    /// The trigger's part of the payload (without earlier steps' outputs): what Refresh
    /// Payload is sent.
    pub fn trigger_payload(&self) -> Value {
        let mut p = self.payload.clone();
        if let Some(o) = p.as_object_mut() {
            for k in self.output_keys() {
                o.remove(&k);
            }
        }
        p
    }

    /// The trigger provider's refreshed payload replaces the trigger's part; earlier steps'
    /// outputs stay.
    pub fn refresh_payload(&mut self, fresh: Value) {
        let keep: Vec<(String, Value)> = self
            .output_keys()
            .into_iter()
            .filter_map(|k| Some((k.clone(), self.payload.get(&k)?.clone())))
            .collect();
        self.payload = fresh;
        if let Some(o) = self.payload.as_object_mut() {
            o.extend(keep);
        }
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
