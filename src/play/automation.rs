//! Running a flow: one activation, step by step, through the same engine as everything else.
//! A step the workbench answers is a call the workbench makes to itself (`Engine::intake_as`,
//! with the step's saved answer, or held for the presenter); a step the developer's action
//! answers goes out through the [`Player`]. Either way the invocation lives in the engine's log,
//! waits by token, and is completed by a report or timed out by the (warpable) clock. The run
//! watches it there and tells what happens as [`FlowEvent`]s, with captions.

use crate::domain::as_wix::{self, App, Ids};
use crate::domain::flow::{
    self, AnsweredBy, FlowEventKind, FlowRun, LoadedFlow, Step, StepEnd, StepStatus,
};
pub use crate::domain::flow::{FlowEvent, cards};
use crate::domain::invocation::{ExchangeId, Phase};
use crate::domain::wire::CompletionReport;
use crate::engine::{CallOptions, Engine, Incoming, Mode, Policy};
use crate::play::{Player, Target};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a run is driven.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Every action step goes to this target instead (`flow run --target`).
    pub all_to: Option<Target>,
    /// Where steps answered by "target" go.
    pub target: Option<Target>,
    /// Wait for [`RunHandle::advance`] before each step (presenter mode).
    pub step_by_step: bool,
    /// Called after each event (the window repaints).
    pub wake: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Started by an app's reported event: its activation, payload and entity, instead of a
    /// new activation with the file's payload.
    pub event: Option<EventStart>,
}

/// A run an app's reported event starts.
#[derive(Clone, Debug)]
pub struct EventStart {
    pub activation_id: String,
    /// The reported payload, in place of the flow file's.
    pub payload: serde_json::Value,
    pub external_entity_id: Option<String>,
    /// A scheduled event's run starts then (the event's date, less the flow's `before`).
    pub starts_at: Option<DateTime<Utc>>,
    /// The exchange that reported the event.
    pub reported_in: ExchangeId,
}

/// What anyone may do to a run besides reading its events: cancel it as the app's Cancel
/// Event does, stop it, read its state.
#[derive(Clone)]
pub struct RunControl {
    state: Arc<Mutex<FlowRun>>,
    cancel: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    advance: Arc<tokio::sync::Notify>,
}

impl RunControl {
    /// Cancels the steps that have not started (a step already asked ends as its action
    /// says), as Cancel Event does.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
        self.advance.notify_one();
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// The run's state now (a copy).
    pub fn snapshot(&self) -> FlowRun {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A run in progress: its events, and what anyone may do to it ([`RunControl`], through
/// `Deref`), besides advancing and stopping it.
pub struct RunHandle {
    pub events: Receiver<FlowEvent>,
    control: RunControl,
    stop: Arc<AtomicBool>,
}

impl std::ops::Deref for RunHandle {
    type Target = RunControl;
    fn deref(&self) -> &RunControl {
        &self.control
    }
}

impl RunHandle {
    /// A handle on the run without its events (to cancel it, to read its state).
    pub fn control(&self) -> RunControl {
        self.control.clone()
    }

    /// Lets a step-by-step run take its next step.
    pub fn advance(&self) {
        self.control.advance.notify_one();
    }

    /// Stops the run at its next look (a step already asked stays in the log as it is).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.control.advance.notify_one();
    }
}

/// How often a run looks at the engine for its step's phase (real time).
const POLL: Duration = Duration::from_millis(40);

/// Starts `flow` on `rt` as a new activation.
pub fn start(
    rt: &tokio::runtime::Handle,
    engine: Arc<Engine>,
    player: Player,
    flow: LoadedFlow,
    options: RunOptions,
) -> RunHandle {
    let (tx, rx) = channel();
    // The engine judges each step's answers and reports against the step's own schemas.
    for (step, schemas) in flow.flow.steps.iter().zip(&flow.schemas) {
        if let (Step::Action(a), Some(s)) = (step, schemas) {
            engine.set_schemas(
                &a.action_key,
                crate::engine::ActionSchemas {
                    input: s.input.clone(),
                    output: s.output.clone(),
                    example_answer: s.example_answer.clone(),
                },
            );
        }
    }
    let mut run = match &options.event {
        Some(e) => FlowRun::new(flow, e.activation_id.clone()),
        None => FlowRun::new(flow, uuid::Uuid::new_v4().to_string()),
    };
    if let Some(e) = &options.event {
        run.payload = e.payload.clone();
        run.external_entity_id = e.external_entity_id.clone();
        run.reported_in = Some(e.reported_in);
    }
    let state = Arc::new(Mutex::new(run));
    let advance = Arc::new(tokio::sync::Notify::new());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let cancel = Arc::new(AtomicBool::new(false));
    let runner = Runner {
        engine,
        player,
        options,
        state: state.clone(),
        tx,
        advance: advance.clone(),
        stop: stop.clone(),
        cancel: cancel.clone(),
    };
    let finished = done.clone();
    rt.spawn(async move {
        runner.run().await;
        finished.store(true, Ordering::Release);
        if let Some(w) = &runner.options.wake {
            w();
        }
    });
    RunHandle {
        events: rx,
        control: RunControl {
            state,
            cancel,
            done,
            advance,
        },
        stop,
    }
}

struct Runner {
    engine: Arc<Engine>,
    player: Player,
    options: RunOptions,
    state: Arc<Mutex<FlowRun>>,
    tx: Sender<FlowEvent>,
    advance: Arc<tokio::sync::Notify>,
    stop: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
}

impl Runner {
    fn lock(&self) -> std::sync::MutexGuard<'_, FlowRun> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    /// Every step from `from` on that has not ended does not run, for `why`; then the run
    /// ends with `last` (cancelled, expired).
    fn drop_rest(&self, from: usize, why: &str, last: FlowEventKind) {
        let n = self.lock().steps.len();
        for i in from..n {
            let ended = matches!(self.lock().steps[i].status, StepStatus::Ended(_));
            if !ended {
                self.end(
                    i,
                    StepEnd::Dropped {
                        why: why.to_string(),
                    },
                );
            }
        }
        self.emit(None, last);
    }

    /// A scheduled event's run waits for its time on the (warpable) clock; a time already
    /// past skips the run. False: the run goes no further.
    async fn wait_for_schedule(&self) -> bool {
        let Some(at) = self.options.event.as_ref().and_then(|e| e.starts_at) else {
            return true;
        };
        if at <= self.engine.now() {
            self.drop_rest(
                0,
                "the event's date had passed, so Wix skips it (SCHEDULE_DATE_EXPIRED)",
                FlowEventKind::Expired { at },
            );
            return false;
        }
        self.emit(None, FlowEventKind::Scheduled { at });
        if self.sleep_until(at).await {
            return true;
        }
        if self.cancelled() {
            self.drop_rest(0, "cancelled by your app", FlowEventKind::Cancelled);
        }
        false
    }

    /// Waits until `at` on the engine's (warpable) clock; false when the run was stopped or
    /// cancelled first.
    async fn sleep_until(&self, at: DateTime<Utc>) -> bool {
        while self.engine.now() < at {
            if self.stopped() || self.cancelled() {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }

    fn emit(&self, step: Option<usize>, kind: FlowEventKind) {
        let (caption, payload) = {
            let run = self.lock();
            (
                flow::caption(&run.flow.flow, step, &kind),
                run.payload.clone(),
            )
        };
        let _ = self.tx.send(FlowEvent {
            at: self.engine.now(),
            step,
            kind,
            caption,
            payload,
        });
        if let Some(w) = &self.options.wake {
            w();
        }
    }

    fn end(&self, i: usize, end: StepEnd) {
        let kind = match &end {
            StepEnd::Answered { .. } => FlowEventKind::Answered,
            StepEnd::Completed { result } => FlowEventKind::Completed {
                result: result.clone(),
            },
            StepEnd::ReportedFailure { description } => FlowEventKind::ReportedFailure {
                description: description.clone(),
            },
            StepEnd::Failed { reason } => FlowEventKind::Failed {
                reason: reason.clone(),
            },
            StepEnd::TimedOut => FlowEventKind::TimedOut,
            StepEnd::Dropped { why } => FlowEventKind::Dropped { why: why.clone() },
            StepEnd::Waited { skipped: true } => FlowEventKind::DelaySkipped,
            StepEnd::Waited { skipped: false } => FlowEventKind::DelayDone,
            StepEnd::NotRun { reason } => {
                let run = self.lock();
                let not_run = run.steps.get(i).and_then(|r| r.not_run.clone());
                FlowEventKind::NotRun {
                    reason: reason.clone(),
                    what: not_run.as_ref().map_or_else(
                        || "a field".to_string(),
                        |n| {
                            n.title
                                .clone()
                                .map_or_else(|| n.field.clone(), |t| format!("\"{t}\""))
                        },
                    ),
                    from: not_run.and_then(|n| n.from).map(|(_, name, _)| name),
                }
            }
        };
        self.lock().end_step(i, end);
        self.emit(Some(i), kind);
    }

    fn set_status(&self, i: usize, status: StepStatus) {
        if let Some(rec) = self.lock().steps.get_mut(i) {
            rec.status = status;
        }
    }

    async fn run(&self) {
        self.emit(None, FlowEventKind::Started);
        if !self.wait_for_schedule().await {
            return;
        }
        let steps = self.lock().flow.flow.steps.clone();
        for (i, step) in steps.iter().enumerate() {
            if self.options.step_by_step && !self.cancelled() {
                self.advance.notified().await;
            }
            if self.stopped() {
                return;
            }
            if self.cancelled() {
                self.drop_rest(i, "cancelled by your app", FlowEventKind::Cancelled);
                return;
            }
            match step {
                Step::Delay(d) => {
                    if self.delay(i, &d.duration).await && !self.refresh_payload(i).await {
                        return;
                    }
                }
                Step::Action(a) => self.action(i, a.answered_by).await,
            }
            if self.stopped() {
                return;
            }
            if self.cancelled() {
                self.drop_rest(i, "cancelled by your app", FlowEventKind::Cancelled);
                return;
            }
        }
        let passed = self.lock().passed();
        self.emit(None, FlowEventKind::Finished { passed });
    }

    /// Your action (and trigger provider): where every step goes, or where steps answered
    /// by "target" go.
    fn target(&self) -> Option<&Target> {
        self.options
            .all_to
            .as_ref()
            .or(self.options.target.as_ref())
    }

    /// Waits the delay out; true when it was waited (not skipped, stopped or cancelled).
    async fn delay(&self, i: usize, duration: &str) -> bool {
        let d = flow::parse_duration(duration).unwrap_or_else(|_| chrono::Duration::zero());
        if self.lock().skip_delays {
            self.end(i, StepEnd::Waited { skipped: true });
            return false;
        }
        let until = self.engine.now() + d;
        self.set_status(i, StepStatus::Delaying { until });
        self.emit(Some(i), FlowEventKind::DelayStarted { until });
        // Stopped or cancelled, the step is left to the run's loop.
        let waited = self.sleep_until(until).await;
        if waited {
            self.end(i, StepEnd::Waited { skipped: false });
        }
        waited
    }

    /// When a delay is over and the run plays against your target, Wix asks the trigger
    /// provider for the payload as it is now (Refresh Payload), if the trigger's definition
    /// says it implements it: the steps after run with the payload it answers, or not at all
    /// when it answers `cancelActivation: true`. False: the run goes no further.
    async fn refresh_payload(&self, i: usize) -> bool {
        use crate::domain::trigger::provider::{self, Refreshed};
        use crate::domain::wire::Method;
        let method = Method::TriggerRefreshPayload;
        let Some(target) = self.target() else {
            return true;
        };
        let triggers = self.engine.triggers();
        let (key, payload, entity) = {
            let run = self.lock();
            (
                run.flow.flow.trigger.key.clone(),
                run.trigger_payload(),
                run.external_entity_id.clone(),
            )
        };
        let Some(t) = triggers.find(&key) else {
            return true;
        };
        if !provider::implemented(t).contains(&method) {
            return true;
        }
        let entity = entity.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let request = provider::request(method, t, &payload, &entity);
        let tag = Some(format!("flow: {} · Refresh Payload", self.lock().name()));
        let sent = self.player.send_trigger(target, method, request, tag).await;
        let answer = sent
            .ok()
            .and_then(|s| self.engine.exchange(s.id))
            .and_then(|ex| ex.response);
        let summary = |findings: &[crate::domain::contract::Finding]| {
            if findings.is_empty() {
                String::new()
            } else {
                format!(" ({})", crate::domain::contract::summary(findings))
            }
        };
        let (mut what, failed) = match answer {
            None => ("your trigger provider gave no answer".to_string(), true),
            Some(r) => match provider::check_answer(method, r.status, &r.body, Some(t)) {
                provider::Judged {
                    refreshed: Some(Refreshed::Cancel),
                    ..
                } => {
                    self.drop_rest(
                        i + 1,
                        "your trigger provider cancelled the run (Refresh Payload answered cancelActivation: true)",
                        FlowEventKind::CancelledByProvider,
                    );
                    return false;
                }
                provider::Judged {
                    refreshed: Some(Refreshed::Payload(p)),
                    findings,
                } => {
                    let changed = p != payload;
                    self.lock().refresh_payload(p);
                    let said = if changed {
                        "the steps after run with the refreshed payload"
                    } else {
                        "the payload came back unchanged"
                    };
                    (format!("{said}{}", summary(&findings)), false)
                }
                provider::Judged { findings, .. } => (
                    format!("HTTP {}{}", r.status, summary(&findings)),
                    !(200..300).contains(&r.status)
                        || crate::domain::contract::has_errors(&findings),
                ),
            },
        };
        if failed {
            if self.engine.assumptions().refresh_failure_cancels {
                self.drop_rest(
                    i + 1,
                    &format!(
                        "Refresh Payload failed ({what}), and a failed refresh cancels the run (an assumption you switched on)"
                    ),
                    FlowEventKind::CancelledByProvider,
                );
                return false;
            }
            what.push_str(": the steps after run with the payload they had");
        }
        self.emit(Some(i), FlowEventKind::Refreshed { what });
        true
    }

    async fn action(&self, i: usize, answered_by: AnsweredBy) {
        let ids = {
            let run = self.lock();
            Ids {
                activation_id: run.activation_id.clone(),
                ..Ids::fresh()
            }
        };
        let (request, findings, flow_name, total, saved, fail, app_id, not_run) = {
            let mut run = self.lock();
            let request = run.invoke_request(i, &ids);
            let not_run = run.steps[i].not_run.clone();
            let rec = &mut run.steps[i];
            rec.status = StepStatus::Running;
            rec.started = Some(self.engine.now());
            (
                request,
                rec.problems.clone(),
                run.name().to_string(),
                run.flow.flow.steps.len(),
                run.flow.saved_answer(i),
                match run.flow.flow.steps.get(i) {
                    Some(Step::Action(a)) => a.fail.clone(),
                    _ => None,
                },
                run.flow.flow.trigger.app_id.clone(),
                not_run,
            )
        };
        let Some(request) = request else {
            return;
        };
        // Wix validates params against the input schema before it calls: a step whose params
        // fail it is not run, and no request goes anywhere.
        if let Some(n) = not_run {
            self.end(i, StepEnd::NotRun { reason: n.reason });
            return;
        }
        self.emit(Some(i), FlowEventKind::Asked);
        let tag = Some(format!("flow: {flow_name} · step {}/{total}", i + 1));
        let to_target = self.options.all_to.is_some() || answered_by == AnsweredBy::Target;
        let id: ExchangeId = if to_target {
            let Some(target) = self.target() else {
                self.end(
                    i,
                    StepEnd::Failed {
                        reason: "this step is answered by your action, and no target is set".into(),
                    },
                );
                return;
            };
            match self
                .player
                .send_invoke(target, request, &ids, findings, tag)
                .await
            {
                Ok(sent) => sent.id,
                Err(not) => {
                    self.end(i, StepEnd::Failed { reason: not.reason });
                    return;
                }
            }
        } else {
            let app = App {
                app_id: app_id.clone(),
                instance_id: "00000000-0000-4000-8000-00000000f10a".into(),
            };
            let body = as_wix::envelope_for(request, &ids, &app).to_string();
            let Some(incoming) = Incoming::post("/v1/invoke", body) else {
                return;
            };
            let presenter = answered_by == AnsweredBy::Presenter;
            let mode = match (&fail, presenter) {
                (_, true) => Mode::Hold,
                (Some(_), false) => Mode::Fail,
                (None, false) => Mode::Auto,
            };
            let mut policy = Policy::new(mode, saved);
            if let Some(f) = fail {
                policy.fail_status = f.status;
                policy.fail_code = f.code;
            }
            let options = CallOptions {
                policy: Some(Arc::new(policy)),
                tag,
                // The presenter takes the time the audience needs.
                hold_for: presenter.then(|| chrono::Duration::hours(24)),
            };
            let (id, _) = self.engine.intake_as(incoming, &options);
            if let Some(rec) = self.lock().steps.get_mut(i) {
                rec.exchange = Some(id);
            }
            if presenter {
                self.emit(Some(i), FlowEventKind::YourTurn);
            }
            id
        };
        // (A workbench step's exchange was recorded before its turn was announced.)
        if let Some(rec) = self.lock().steps.get_mut(i) {
            rec.exchange.get_or_insert(id);
        }
        self.watch(i, id, to_target).await;
    }

    /// Follows step `i`'s invocation in the engine until it ends; plays its scripted
    /// completion when the workbench answered it.
    async fn watch(&self, i: usize, id: ExchangeId, to_target: bool) {
        let completion = match self.lock().flow.flow.steps.get(i) {
            Some(Step::Action(a)) if !to_target => a.completion.clone(),
            _ => None,
        };
        let mut waiting_since = None;
        let mut report_at: Option<DateTime<Utc>> = None;
        loop {
            if self.stopped() {
                return;
            }
            let Some(ex) = self.engine.exchange(id) else {
                self.end(
                    i,
                    StepEnd::Failed {
                        reason: "the invocation is not in the log".into(),
                    },
                );
                return;
            };
            let result_of = |ex: &crate::domain::invocation::Exchange| {
                ex.response
                    .as_ref()
                    .and_then(|r| r.body.get("result").cloned())
                    .unwrap_or_else(|| json!({}))
            };
            match &ex.phase {
                Phase::Received | Phase::Held { .. } | Phase::Forwarding => {}
                Phase::Answered => {
                    self.end(
                        i,
                        StepEnd::Answered {
                            result: result_of(&ex),
                        },
                    );
                    return;
                }
                Phase::Waiting { deadline } => {
                    let now = self.engine.now();
                    if waiting_since.is_none() {
                        let answered = ex.response.as_ref().map_or(now, |r| r.at);
                        waiting_since = Some(answered);
                        self.set_status(
                            i,
                            StepStatus::Waiting {
                                deadline: *deadline,
                            },
                        );
                        self.emit(
                            Some(i),
                            FlowEventKind::Waiting {
                                deadline: *deadline,
                                wait: *deadline - answered,
                            },
                        );
                        report_at = completion.as_ref().filter(|c| !c.times_out).map(|c| {
                            answered
                                + c.after
                                    .as_deref()
                                    .and_then(|a| flow::parse_duration(a).ok())
                                    .unwrap_or_else(chrono::Duration::zero)
                        });
                    }
                    if let (Some(at), Some(c)) = (report_at, &completion)
                        && now >= at
                    {
                        report_at = None;
                        let token = ex.invocation_token.clone().unwrap_or_default();
                        let report = match &c.failure {
                            Some(why) => CompletionReport::failure(&token, why),
                            None => CompletionReport::success(
                                &token,
                                c.result.clone().unwrap_or_else(|| json!({})),
                            ),
                        };
                        // Refused only when the deadline passed first: the tick times it out.
                        let _ = self.engine.report_completion(id, &report);
                    }
                }
                Phase::Completed { result } => {
                    self.end(
                        i,
                        StepEnd::Completed {
                            result: result.clone(),
                        },
                    );
                    return;
                }
                Phase::ReportedFailure { description } => {
                    self.end(
                        i,
                        StepEnd::ReportedFailure {
                            description: description.clone(),
                        },
                    );
                    return;
                }
                Phase::TimedOut { .. } => {
                    self.end(i, StepEnd::TimedOut);
                    return;
                }
                Phase::Failed { reason } => {
                    self.end(
                        i,
                        StepEnd::Failed {
                            reason: reason.clone(),
                        },
                    );
                    return;
                }
                Phase::Rejected { message, .. } => {
                    self.end(
                        i,
                        StepEnd::Failed {
                            reason: message.clone(),
                        },
                    );
                    return;
                }
                other => {
                    self.end(
                        i,
                        StepEnd::Failed {
                            reason: format!("the call ended {}", other.label()),
                        },
                    );
                    return;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
