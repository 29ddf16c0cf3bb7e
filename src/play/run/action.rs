//! An action step in a run: the Invoke built from what its branch has seen, sent to your
//! action or answered by the workbench (held for the presenter, or scripted), then followed in
//! the engine's log until it ends. In Wix's automation an action may be skipped by its skip
//! expression, and one that is not yours (no definition loaded) is always the workbench's.

use super::Runner;
use crate::domain::as_wix::{self, App, Ids};
use crate::domain::flow::{
    self, ActionStep, AnsweredBy, Branch, FlowEventKind, StepEnd, StepStatus,
};
use crate::domain::invocation::{Exchange, ExchangeId, Phase};
use crate::domain::wire::CompletionReport;
use crate::engine::{CallOptions, Incoming, Mode, Policy};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

impl Runner {
    /// Action step `a` (step `i`): what follows it, or None when its branch ends here.
    pub(super) async fn action(
        &self,
        i: usize,
        a: &ActionStep,
        branch: &mut Branch,
    ) -> Option<Vec<usize>> {
        let next = self.lock().flow.flow.tree.next(i);
        let skipped = self.lock().skipped(i, branch, self.engine.now());
        if let Some(why) = skipped {
            let kind = FlowEventKind::Skipped { why: why.clone() };
            self.finish(i, StepEnd::Skipped { why }, kind, branch);
            if self.engine.assumptions().skip_stops_branch {
                let tree = self.lock().flow.flow.tree.clone();
                let left: Vec<usize> = next.iter().flat_map(|s| tree.subtree(*s)).collect();
                self.lock()
                    .not_taken(&left, "the action before was skipped, which ends its branch (an assumption you switched on)");
                return None;
            }
            return Some(next);
        }
        let end = self.ask(i, a, branch).await?;
        let keep_timeout_result = matches!(end.0, StepEnd::TimedOut)
            && self.engine.assumptions().timeout_keeps_answer_result;
        self.end(i, end.0, branch);
        if keep_timeout_result
            && let Some(result) = end
                .1
                .filter(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        {
            self.lock().add_output(i, result, branch);
        }
        Some(next)
    }

    /// Whether step `a` goes to your action: every step with `--target` (`flow run`, `serve`),
    /// a step answered by "target", and in Wix's automation each of your actions when a
    /// target is set and no side file says otherwise. Someone else's action never does.
    fn to_target(&self, a: &ActionStep) -> bool {
        match &a.wix {
            Some(w) if w.simulated.is_some() => false,
            Some(w) if !w.answered_by_given => {
                self.options.all_to.is_some() || self.target().is_some()
            }
            _ => self.options.all_to.is_some() || a.answered_by == AnsweredBy::Target,
        }
    }

    /// Asks step `i`: how it ended, and the result its answer carried (None: the branch
    /// stops, the run having been stopped).
    async fn ask(
        &self,
        i: usize,
        a: &ActionStep,
        branch: &Branch,
    ) -> Option<(StepEnd, Option<serde_json::Value>)> {
        let ids = {
            let run = self.lock();
            Ids {
                activation_id: run.activation_id.clone(),
                ..Ids::fresh()
            }
        };
        let now = self.engine.now();
        let (request, findings, flow_name, total, saved, app_id, not_run) = {
            let mut run = self.lock();
            let request = run.invoke_request(i, &ids, branch, now);
            let not_run = run.steps[i].not_run.clone();
            let rec = &mut run.steps[i];
            rec.status = StepStatus::Running;
            rec.started = Some(now);
            (
                request,
                rec.problems.clone(),
                run.name().to_string(),
                run.flow.flow.steps.len(),
                run.flow.saved_answer(i),
                run.flow.flow.trigger.app_id.clone(),
                not_run,
            )
        };
        let request = request?;
        // Wix validates params against the input schema before it calls: a step whose params
        // fail it is not run, and no request goes anywhere.
        if let Some(n) = not_run {
            return Some((StepEnd::NotRun { reason: n.reason }, None));
        }
        self.emit(Some(i), FlowEventKind::Asked, Some(branch));
        let tag = Some(format!("flow: {flow_name} · step {}/{total}", i + 1));
        let to_target = self.to_target(a);
        let id: ExchangeId = if to_target {
            let Some(target) = self.target() else {
                let reason = "this step is answered by your action, and no target is set";
                return Some((
                    StepEnd::Failed {
                        reason: reason.into(),
                    },
                    None,
                ));
            };
            match self
                .player
                .send_invoke(target, request, &ids, findings, tag)
                .await
            {
                Ok(sent) => sent.id,
                Err(not) => return Some((StepEnd::Failed { reason: not.reason }, None)),
            }
        } else {
            let app = App {
                app_id: app_id.clone(),
                instance_id: "00000000-0000-4000-8000-00000000f10a".into(),
            };
            let body = as_wix::envelope_for(request, &ids, &app).to_string();
            let incoming = Incoming::post("/v1/invoke", body)?;
            let presenter = a.answered_by == AnsweredBy::Presenter;
            let mode = match (&a.fail, presenter) {
                (_, true) => Mode::Hold,
                (Some(_), false) => Mode::Fail,
                (None, false) => Mode::Auto,
            };
            let mut policy = Policy::new(mode, saved);
            if let Some(f) = &a.fail {
                policy.fail_status = f.status;
                policy.fail_code = f.code.clone();
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
                self.emit(Some(i), FlowEventKind::YourTurn, Some(branch));
            }
            id
        };
        // (A workbench step's exchange was recorded before its turn was announced.)
        if let Some(rec) = self.lock().steps.get_mut(i) {
            rec.exchange.get_or_insert(id);
        }
        let completion = if to_target {
            None
        } else {
            a.completion.clone()
        };
        self.watch(i, id, completion, branch).await
    }

    /// Step `i` ended as `end`: told as its event, its output (if any) on `branch`.
    fn end(&self, i: usize, end: StepEnd, branch: &mut Branch) {
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
            StepEnd::Skipped { why } => FlowEventKind::Skipped { why: why.clone() },
            StepEnd::NotRunLocally { why } => FlowEventKind::NotRunLocally { why: why.clone() },
            // Ends of Wix's own nodes are told where they are decided; an action never has them.
            StepEnd::Decided { .. }
            | StepEnd::RateLimit { .. }
            | StepEnd::Variables { .. }
            | StepEnd::Split
            | StepEnd::NotTaken { .. } => FlowEventKind::Failed {
                reason: format!("ended as {}", end.label()),
            },
        };
        self.finish(i, end, kind, branch);
    }

    /// Follows step `i`'s invocation in the engine until it ends; plays its scripted
    /// `completion` when the workbench answered it. How it ended, and the result its answer
    /// carried; None when the run was stopped first.
    async fn watch(
        &self,
        i: usize,
        id: ExchangeId,
        completion: Option<flow::Completion>,
        branch: &Branch,
    ) -> Option<(StepEnd, Option<serde_json::Value>)> {
        let mut waiting_since = None;
        let mut report_at: Option<DateTime<Utc>> = None;
        let result_of = |ex: &Exchange| {
            ex.response
                .as_ref()
                .and_then(|r| r.body.get("result").cloned())
                .unwrap_or_else(|| json!({}))
        };
        loop {
            if self.stopped() {
                return None;
            }
            let Some(ex) = self.engine.exchange(id) else {
                let reason = "the invocation is not in the log".into();
                return Some((StepEnd::Failed { reason }, None));
            };
            let answered = Some(result_of(&ex));
            let end = match &ex.phase {
                Phase::Received | Phase::Held { .. } | Phase::Forwarding => None,
                Phase::Answered => Some(StepEnd::Answered {
                    result: result_of(&ex),
                }),
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
                        let kind = FlowEventKind::Waiting {
                            deadline: *deadline,
                            wait: *deadline - answered,
                        };
                        self.emit(Some(i), kind, Some(branch));
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
                    None
                }
                Phase::Completed { result } => Some(StepEnd::Completed {
                    result: result.clone(),
                }),
                Phase::ReportedFailure { description } => Some(StepEnd::ReportedFailure {
                    description: description.clone(),
                }),
                Phase::TimedOut { .. } => Some(StepEnd::TimedOut),
                Phase::Failed { reason } => Some(StepEnd::Failed {
                    reason: reason.clone(),
                }),
                Phase::Rejected { message, .. } => Some(StepEnd::Failed {
                    reason: message.clone(),
                }),
                other => Some(StepEnd::Failed {
                    reason: format!("the call ended {}", other.label()),
                }),
            };
            if let Some(end) = end {
                return Some((end, answered));
            }
            // A wait for a report nobody scripted can be long: looked at less often.
            let idle = matches!(ex.phase, Phase::Waiting { .. }) && report_at.is_none();
            tokio::time::sleep(if idle { super::IDLE_POLL } else { super::POLL }).await;
        }
    }
}
