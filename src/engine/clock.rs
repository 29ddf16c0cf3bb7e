//! Clock and warp: real time, simulated time and how fast it runs, and the tick that sends
//! fallback answers to holds that ran out and times out waits past their deadline.
//!
//! Methods: `real_now`, `now`, `warp`, `set_warp`, `back_to_now`, `tick`; within the engine
//! `record_clock`.

use super::{
    AnsweredBy, DateTime, Engine, EventKind, ExchangeId, Method, Phase, Reply, TimeWarp, Utc,
    auto_body,
};

impl Engine {
    /// Real (unwarped) time: hold deadlines and JWT times use it.
    pub fn real_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Simulated time: arrival stamps, timeouts and deadlines use it.
    pub fn now(&self) -> DateTime<Utc> {
        let warp = *self.warp.lock().unwrap_or_else(|e| e.into_inner());
        warp.simulated(self.clock.now())
    }

    pub fn warp(&self) -> TimeWarp {
        *self.warp.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_warp(&self, factor: u32) {
        let real = self.clock.now();
        self.warp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_factor(real, factor);
        self.record_clock();
    }

    /// Simulated time back to real time, at ×1.
    pub fn back_to_now(&self) {
        let real = self.clock.now();
        self.warp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .back_to_now(real);
        self.record_clock();
    }

    /// Tells the recorder how far simulated time is ahead (a reopened session resumes there).
    pub(super) fn record_clock(&self) {
        let offset = self.warp().offset(self.clock.now());
        if let Some(r) = self.recorder() {
            r.clock(offset);
        }
    }

    /// Sends fallback answers to holds that ran out and times out waits past their deadline.
    pub fn tick(&self) {
        let real = self.clock.now();
        let sim = self.now();
        let mut st = self.lock();
        let expired: Vec<ExchangeId> = st
            .pending
            .keys()
            .copied()
            .filter(|id| {
                self.log.lock(*id).is_some_and(
                    |ex| matches!(ex.phase, Phase::Held { hold_until } if hold_until <= real),
                )
            })
            .collect();
        for id in expired {
            let reply = {
                let Some(ex) = self.log.lock(id) else {
                    continue;
                };
                let key = ex.action_key.clone().unwrap_or_default();
                let method = ex.method.unwrap_or(Method::Invoke);
                // A paused forward falls back to what the action said; a hold to the saved
                // answer.
                match &ex.target_answer {
                    Some(t) => Reply::json(t.status, t.body.clone()),
                    None => {
                        let policy = match st.fallbacks.get(&id) {
                            Some(p) => p.clone(),
                            None => self.policy_arc(&key),
                        };
                        Reply::json(200, auto_body(method, &policy, sim))
                    }
                }
            };
            self.finish(&mut st, id, reply, AnsweredBy::Fallback, sim);
        }
        while let Some(&(deadline, id)) = st.waiting.first() {
            if deadline > sim {
                break;
            }
            st.waiting.pop_first();
            let Some(mut ex) = self.load(id) else {
                continue;
            };
            if let Some(next) = ex.phase.deadline_passed(sim) {
                ex.phase = next;
                ex.note(
                    deadline,
                    "no completion report before the deadline: the step failed and the run moves on without its output",
                );
                self.emit(EventKind::TimedOut, ex);
            }
        }
    }
}
