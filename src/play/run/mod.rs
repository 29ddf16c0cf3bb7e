//! The runner behind [`crate::play::automation::start`]: it walks a flow's tree (a flow file's
//! straight line, or Wix's automation) one node at a time, each branch with the payload its
//! ancestors made ([`Branch`]), the branches of a condition's path, a SPLIT or parallel roots
//! side by side; it tells what happens as [`FlowEvent`]s and keeps the run's state for whoever
//! reads it. Actions and delays are in `action.rs` and `wait.rs`; Wix's own nodes here.

mod action;
mod wait;

use crate::domain::flow::{
    self, Branch, FlowEvent, FlowEventKind, FlowRun, Links, Step, StepEnd, StepStatus,
};
use crate::domain::invocation::ExchangeId;
use crate::engine::Engine;
use crate::play::{Player, Target};
use chrono::{DateTime, Utc};
use futures_util::future::{BoxFuture, join_all};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

/// How a run is driven.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Every action step goes to this target instead (`flow run --target`).
    pub all_to: Option<Target>,
    /// Where steps answered by "target" go.
    pub target: Option<Target>,
    /// Wait for [`crate::play::automation::RunHandle::advance`] before each step (presenter mode).
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

/// How often a run looks at the engine for its step's phase (real time).
pub(crate) const POLL: std::time::Duration = std::time::Duration::from_millis(40);
/// How often a run looks when nothing is due soon: a long delay, a wait for a completion
/// report with no scripted one coming.
pub(crate) const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(250);

pub(crate) struct Runner {
    pub engine: Arc<Engine>,
    pub player: Player,
    pub options: RunOptions,
    pub state: Arc<Mutex<FlowRun>>,
    pub tx: Sender<FlowEvent>,
    pub advance: Arc<tokio::sync::Notify>,
    pub stop: Arc<AtomicBool>,
    pub cancel: Arc<AtomicBool>,
    /// Why Refresh Payload ended the run (set by the branch whose delay asked it).
    pub provider_cancelled: Mutex<Option<String>>,
    /// Simulated time the last wait for the presenter took, told with the next event.
    pub paused: Mutex<chrono::Duration>,
}

impl Runner {
    fn lock(&self) -> MutexGuard<'_, FlowRun> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    /// Stopped, cancelled by the app, or by the trigger provider: no branch takes another step.
    fn halted(&self) -> bool {
        self.stopped()
            || self.cancelled()
            || self
                .provider_cancelled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
    }

    /// Tells event `kind` about `step` (None: the run), with `branch`'s payload (None: the
    /// run's latest).
    fn emit(&self, step: Option<usize>, kind: FlowEventKind, branch: Option<&Branch>) {
        let (caption, payload) = {
            let run = self.lock();
            (
                flow::caption(&run.flow.flow, step, &kind),
                branch.map_or_else(|| run.payload.clone(), |b| b.payload.clone()),
            )
        };
        let paused = std::mem::take(&mut *self.paused.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = self.tx.send(FlowEvent {
            at: self.engine.now(),
            step,
            kind,
            caption,
            payload,
            paused,
        });
        if let Some(w) = &self.options.wake {
            w();
        }
    }

    /// Step `i` ended as `end`, told as `kind`; its output (if any) joins `branch`.
    fn finish(&self, i: usize, end: StepEnd, kind: FlowEventKind, branch: &mut Branch) {
        self.lock().end_step(i, end, branch);
        self.emit(Some(i), kind, Some(branch));
    }

    fn set_status(&self, i: usize, status: StepStatus) {
        if let Some(rec) = self.lock().steps.get_mut(i) {
            rec.status = status;
        }
    }

    /// Every step that has not ended does not run, for `why` (an event each); then the run
    /// ends with `last`.
    fn drop_pending(&self, why: &str, last: FlowEventKind) {
        let n = self.lock().steps.len();
        for i in 0..n {
            let ended = matches!(self.lock().steps[i].status, StepStatus::Ended(_));
            if !ended {
                let mut branch = self.lock().start_branch();
                let end = StepEnd::Dropped {
                    why: why.to_string(),
                };
                let kind = FlowEventKind::Dropped {
                    why: why.to_string(),
                };
                self.lock().end_step(i, end, &mut branch);
                self.emit(Some(i), kind, None);
            }
        }
        self.emit(None, last, None);
    }

    /// Your action (and trigger provider): where every step goes, or where steps answered
    /// by "target" go.
    fn target(&self) -> Option<&Target> {
        self.options
            .all_to
            .as_ref()
            .or(self.options.target.as_ref())
    }

    pub(crate) async fn run(&self) {
        self.emit(None, FlowEventKind::Started, None);
        if !self.wait_for_schedule().await {
            return;
        }
        let branch = self.lock().start_branch();
        if let Err(why) = self.gate(&branch) {
            let all: Vec<usize> = (0..self.lock().steps.len()).collect();
            self.lock().not_taken(&all, &why);
            self.emit(None, FlowEventKind::RunSkipped { why }, None);
            return;
        }
        let roots = self.lock().flow.flow.tree.roots.clone();
        self.run_all(roots, branch).await;
        if self.stopped() {
            return;
        }
        if self.cancelled() {
            self.drop_pending("cancelled by your app", FlowEventKind::Cancelled);
            return;
        }
        let by_provider = self
            .provider_cancelled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(why) = by_provider {
            self.drop_pending(&why, FlowEventKind::CancelledByProvider);
            return;
        }
        // What no root leads to is kept and shown, never run.
        let all: Vec<usize> = (0..self.lock().steps.len()).collect();
        self.lock().not_taken(&all, "no root leads to it");
        let passed = self.lock().passed();
        self.emit(None, FlowEventKind::Finished { passed }, None);
    }

    /// Wix's trigger filters and the trigger's own rate limit, before any action: why the
    /// run is skipped, if it is.
    fn gate(&self, branch: &Branch) -> Result<(), String> {
        let now = self.engine.now();
        let (filters, limit) = {
            let run = self.lock();
            let limit = run
                .flow
                .flow
                .wix
                .as_ref()
                .and_then(|w| w.automation.trigger.rate_limit.clone());
            (run.filters_pass(branch, now), limit)
        };
        filters.map_err(|why| format!("{why} (TRIGGER_FILTERS_NOT_PASSED)"))?;
        let Some(limit) = limit else {
            return Ok(());
        };
        let key = self.lock().rate_key(&limit, branch, now);
        let key = key.map_err(|e| format!("the trigger's rate limit could not be read: {e}"))?;
        let (passed, why) = self.count(&key, "trigger");
        if passed {
            Ok(())
        } else {
            Err(format!(
                "the trigger's rate limit: {why} (RATE_LIMIT_EXCEEDED)"
            ))
        }
    }

    /// Counts this run against rate limit `key` of `node`: whether it passes, and why in words.
    fn count(&self, key: &flow::RateKey, node: &str) -> (bool, String) {
        let automation = {
            let run = self.lock();
            run.flow
                .flow
                .wix
                .as_ref()
                .and_then(|w| w.automation.id.clone())
                .unwrap_or_else(|| run.name().to_string())
        };
        let said = self.engine.rate_limit(
            &format!("{automation}\u{1f}{node}\u{1f}{}", key.identifier),
            key.max,
            key.window,
        );
        let who = if key.identifier.is_empty() {
            "every run".to_string()
        } else {
            format!("{:?}", key.identifier)
        };
        let within = key.window.map_or_else(
            || "ever".to_string(),
            |w| format!("in {}", crate::domain::clock::spoken_duration(w)),
        );
        (
            said.passed,
            format!(
                "{who} had {} run{} of at most {} {within}",
                said.before,
                if said.before == 1 { "" } else { "s" },
                key.max
            ),
        )
    }

    /// Runs `ids` (side by side when more than one), each with its own copy of `branch`.
    fn run_all(&self, ids: Vec<usize>, branch: Branch) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            match ids.as_slice() {
                [] => {}
                [one] => self.run_node(*one, branch).await,
                many => {
                    join_all(many.iter().map(|i| self.run_node(*i, branch.clone()))).await;
                }
            }
        })
    }

    /// Runs step `i` with `branch`, then what follows it.
    fn run_node(&self, i: usize, mut branch: Branch) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if self.options.step_by_step && !self.halted() {
                let asked = self.engine.now();
                self.advance.notified().await;
                *self.paused.lock().unwrap_or_else(|e| e.into_inner()) = self.engine.now() - asked;
            }
            if self.halted() {
                return;
            }
            let (step, links) = {
                let run = self.lock();
                let f = &run.flow.flow;
                match (f.steps.get(i), f.tree.links.get(i)) {
                    (Some(s), Some(l)) => (s.clone(), l.clone()),
                    _ => return,
                }
            };
            let next = match &step {
                Step::Action(a) => self.action(i, a, &mut branch).await,
                Step::Delay(_) => self.delay(i, &mut branch).await,
                Step::Condition(_) => self.condition(i, &links, &mut branch),
                Step::RateLimit(r) => self.rate_limit(i, &r.limit, &links, &mut branch),
                Step::Split(_) => {
                    let paths = match &links {
                        Links::Paths(p) => p.len(),
                        _ => 0,
                    };
                    self.finish(
                        i,
                        StepEnd::Split,
                        FlowEventKind::Split { paths },
                        &mut branch,
                    );
                    Some(links.all())
                }
                Step::SetVariables(_) => {
                    self.variables(i, &mut branch);
                    Some(links.all())
                }
                Step::NotRun(n) => {
                    let why = n.why.clone();
                    let end = StepEnd::NotRunLocally { why: why.clone() };
                    self.finish(i, end, FlowEventKind::NotRunLocally { why }, &mut branch);
                    Some(links.all())
                }
            };
            // None: the branch ends here (stopped, cancelled, or a step that ends it).
            let Some(next) = next else {
                return;
            };
            if self.halted() {
                return;
            }
            self.run_all(next, branch).await;
        })
    }

    /// A condition: its decision, the path not taken left out; what follows on the path taken.
    fn condition(&self, i: usize, links: &Links, branch: &mut Branch) -> Option<Vec<usize>> {
        let errors_fail = self.engine.assumptions().condition_error_fails;
        let d = self
            .lock()
            .decide(i, branch, self.engine.now(), errors_fail);
        let (yes, no) = match links {
            Links::Branch { yes, no } => (yes.clone(), no.clone()),
            other => (other.all(), vec![]),
        };
        let tree = self.lock().flow.flow.tree.clone();
        let below =
            |ids: &[usize]| -> Vec<usize> { ids.iter().flat_map(|s| tree.subtree(*s)).collect() };
        let (taken, left) = match d.value {
            Some(true) => (yes, below(&no)),
            Some(false) => (no, below(&yes)),
            None => (vec![], below(&[yes, no].concat())),
        };
        let why = match d.value {
            Some(v) => format!("the condition was {v}"),
            None => "the condition could not decide".to_string(),
        };
        self.lock().not_taken(&left, &why);
        let end = StepEnd::Decided {
            value: d.value.unwrap_or(false),
        };
        let kind = FlowEventKind::Decided {
            value: d.value,
            why: d.why,
        };
        self.finish(i, end, kind, branch);
        Some(taken)
    }

    /// A rate limit: the run goes on while this identifier is under its cap in the window.
    fn rate_limit(
        &self,
        i: usize,
        limit: &crate::domain::automation::RateLimit,
        links: &Links,
        branch: &mut Branch,
    ) -> Option<Vec<usize>> {
        let key = self.lock().rate_key(limit, branch, self.engine.now());
        let node = self.lock().flow.flow.steps[i].id().to_string();
        let (passed, why) = match key {
            Ok(k) => self.count(&k, &node),
            Err(e) => (false, format!("it could not be read ({e})")),
        };
        if !passed {
            let tree = self.lock().flow.flow.tree.clone();
            let left: Vec<usize> = links.all().iter().flat_map(|s| tree.subtree(*s)).collect();
            self.lock().not_taken(&left, "a rate limit stopped the run");
        }
        let kind = FlowEventKind::RateLimited { passed, why };
        self.finish(i, StepEnd::RateLimit { passed }, kind, branch);
        passed.then(|| links.all())
    }

    /// SET_VARIABLES: the values join the branch's payload under `setVariable`; what could not
    /// be set is a finding on the step.
    fn variables(&self, i: usize, branch: &mut Branch) {
        let (values, problems) = self.lock().variables(i, branch, self.engine.now());
        if let Some(rec) = self.lock().steps.get_mut(i) {
            rec.problems = problems
                .iter()
                .map(|p| crate::domain::contract::Finding::error("expression", p.clone()))
                .collect();
        }
        let kind = FlowEventKind::VariablesSet {
            values: values.clone(),
        };
        self.finish(i, StepEnd::Variables { values }, kind, branch);
    }
}
