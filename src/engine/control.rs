//! What the window (or a test) asks of the engine: answer a held call, report completion,
//! stop; and the clock's tick.

use super::*;

impl Engine {
    /// Answers a held call with `reply`, crafted by the developer.
    pub fn answer(&self, id: ExchangeId, reply: Reply) -> Result<(), String> {
        let sim = self.now();
        let mut st = self.lock();
        {
            let ex = self.load(id).ok_or_else(|| format!("no exchange #{id}"))?;
            if !ex.phase.is_held() || !st.pending.contains_key(&id) {
                return Err(format!(
                    "#{id} is not held any more (it is {})",
                    ex.phase.label()
                ));
            }
        }
        self.finish(&mut st, id, reply, AnsweredBy::Developer, sim);
        Ok(())
    }

    /// Keeps held call `id` held `more` from now: the developer is still writing its answer,
    /// and the saved answer would otherwise go. When it would go now.
    pub fn keep_holding(
        &self,
        id: ExchangeId,
        more: chrono::Duration,
    ) -> Result<DateTime<Utc>, String> {
        let real = self.clock.now();
        let sim = self.now();
        let st = self.lock();
        if !st.pending.contains_key(&id) {
            return Err(format!("#{id} is not held any more"));
        }
        let Some(mut ex) = self.log.lock(id) else {
            return Err(format!("no exchange #{id}"));
        };
        let Phase::Held { hold_until } = ex.phase else {
            return Err(format!("#{id} is not held (it is {})", ex.phase.label()));
        };
        let until = hold_until.max(real + more);
        ex.phase = Phase::Held { hold_until: until };
        ex.note(
            sim,
            format!(
                "held longer: the saved answer goes at {} unless one is sent",
                until.format("%H:%M:%S")
            ),
        );
        self.emit(EventKind::Held, ex);
        drop(st);
        Ok(until)
    }

    /// The caller of a held call hung up.
    pub fn caller_gone(&self, id: ExchangeId) {
        let sim = self.now();
        let mut st = self.lock();
        st.fallbacks.remove(&id);
        if st.pending.remove(&id).is_some()
            && let Some(mut ex) = self.log.lock(id)
        {
            ex.phase = Phase::CallerGone;
            ex.note(sim, "the caller hung up before it was answered");
            self.emit(EventKind::CallerGone, ex);
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

    /// Reports completion of invocation `id` from the window, through the same checks as the
    /// mock completion API.
    pub fn report_completion(
        &self,
        id: ExchangeId,
        report: &CompletionReport,
    ) -> Result<(), Reply> {
        let sim = self.now();
        let mut st = self.lock();
        let value = serde_json::to_value(report).unwrap_or_default();
        self.apply_report(&mut st, id, &value, "from the window", sim)
            .map(|_| ())
    }

    /// Answers every held call 503 and refuses new ones: the server is about to stop.
    pub fn close(&self) {
        let sim = self.now();
        let mut st = self.lock();
        self.closing.store(true, Ordering::Release);
        let held: Vec<ExchangeId> = st.pending.keys().copied().collect();
        for id in held {
            let reply = Reply::error(503, "SHUTTING_DOWN", "the workbench is closing");
            self.finish(&mut st, id, reply, AnsweredBy::Shutdown, sim);
        }
    }
}
