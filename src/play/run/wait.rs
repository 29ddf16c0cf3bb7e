//! Waiting in a run: a scheduled event's start, delays (a flow file's duration, Wix's offset or
//! due date) on the engine's warpable clock, and the Refresh Payload that follows a delay.

use super::Runner;
use crate::domain::flow::{Branch, FlowEventKind, StepEnd, StepStatus};
use chrono::{DateTime, Utc};

impl Runner {
    /// A scheduled event's run waits for its time on the (warpable) clock; a time already
    /// past skips the run. False: the run goes no further.
    pub(super) async fn wait_for_schedule(&self) -> bool {
        let Some(at) = self.options.event.as_ref().and_then(|e| e.starts_at) else {
            return true;
        };
        if at <= self.engine.now() {
            self.drop_pending(
                "the event's date had passed, so Wix skips it (SCHEDULE_DATE_EXPIRED)",
                FlowEventKind::Expired { at },
            );
            return false;
        }
        self.emit(None, FlowEventKind::Scheduled { at }, None);
        if self.sleep_until(at).await {
            return true;
        }
        if self.cancelled() {
            self.drop_pending("cancelled by your app", FlowEventKind::Cancelled);
        }
        false
    }

    /// Waits until `at` on the engine's (warpable) clock; false when the run was stopped or
    /// cancelled first.
    pub(super) async fn sleep_until(&self, at: DateTime<Utc>) -> bool {
        loop {
            let now = self.engine.now();
            if now >= at {
                return true;
            }
            if self.halted() {
                return false;
            }
            // As long as is left in real time at the current warp, but never more than a
            // quarter second, so a faster warp, a cancel or a stop is seen soon: two thousand
            // waiting runs wake eight thousand times a second, not fifty thousand.
            let factor = i64::from(self.engine.warp().factor().max(1));
            let left = ((at - now).num_milliseconds() / factor).max(0) as u64;
            let nap = std::time::Duration::from_millis(left).clamp(super::POLL, super::IDLE_POLL);
            tokio::time::sleep(nap).await;
        }
    }

    /// Delay step `i`: waits it out, then (against your target) asks Refresh Payload. What
    /// follows it, or None when the run goes no further on this branch.
    pub(super) async fn delay(&self, i: usize, branch: &mut Branch) -> Option<Vec<usize>> {
        let next = self.lock().flow.flow.tree.next(i);
        if self.lock().skip_delays {
            self.finish(
                i,
                StepEnd::Waited { skipped: true },
                FlowEventKind::DelaySkipped,
                branch,
            );
            return Some(next);
        }
        let now = self.engine.now();
        let until = match self.lock().delay_until(i, branch, now) {
            Ok(u) => u,
            Err(reason) => {
                // A delay that cannot say when it ends fails; its branch goes on, as after any
                // step that fails.
                let kind = FlowEventKind::Failed {
                    reason: reason.clone(),
                };
                self.finish(i, StepEnd::Failed { reason }, kind, branch);
                return Some(next);
            }
        };
        self.set_status(i, StepStatus::Delaying { until });
        self.emit(Some(i), FlowEventKind::DelayStarted { until }, Some(branch));
        // Stopped or cancelled, the step is left to the run's end.
        if !self.sleep_until(until).await {
            return None;
        }
        self.finish(
            i,
            StepEnd::Waited { skipped: false },
            FlowEventKind::DelayDone,
            branch,
        );
        self.refresh_payload(i, branch).await.then_some(next)
    }

    /// When a delay is over and the run plays against your target, Wix asks the trigger
    /// provider for the payload as it is now (Refresh Payload), if the trigger's definition
    /// says it implements it: the steps after run with the payload it answers, or not at all
    /// when it answers `cancelActivation: true`. False: the run goes no further.
    async fn refresh_payload(&self, i: usize, branch: &mut Branch) -> bool {
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
                run.trigger_payload(branch),
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
                    self.cancel_by_provider(
                        "your trigger provider cancelled the run (Refresh Payload answered cancelActivation: true)",
                    );
                    return false;
                }
                provider::Judged {
                    refreshed: Some(Refreshed::Payload(p)),
                    findings,
                } => {
                    let changed = p != payload;
                    self.lock().refresh_payload(p, branch);
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
                self.cancel_by_provider(&format!(
                    "Refresh Payload failed ({what}), and a failed refresh cancels the run (an assumption you switched on)"
                ));
                return false;
            }
            what.push_str(": the steps after run with the payload they had");
        }
        self.emit(Some(i), FlowEventKind::Refreshed { what }, Some(branch));
        true
    }

    /// The trigger provider ended the run: every branch stops, and the run's end says `why`.
    fn cancel_by_provider(&self, why: &str) {
        self.provider_cancelled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(|| why.to_string());
        self.advance.notify_waiters();
    }
}
