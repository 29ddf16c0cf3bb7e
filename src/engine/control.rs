//! What the window (or a test) asks of the engine: answer a held call, report completion,
//! stop; and the clock's tick.

use super::*;

impl Engine {
    /// Answers a held call with `reply`, crafted by the developer.
    pub fn answer(&self, id: ExchangeId, reply: Reply) -> Result<(), String> {
        self.answer_as(id, reply, AnsweredBy::Developer)
    }

    /// Answers a held call with `reply`, sent by `by` (the developer in the window, or an
    /// agent through the MCP server).
    pub fn answer_as(&self, id: ExchangeId, reply: Reply, by: AnsweredBy) -> Result<(), String> {
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
        self.finish(&mut st, id, reply, by, sim);
        Ok(())
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
        self.report_completion_from(id, report, "from the window")
    }

    /// [`Engine::report_completion`] from `whom` (as the timeline says it: "from the agent").
    pub fn report_completion_from(
        &self,
        id: ExchangeId,
        report: &CompletionReport,
        whom: &str,
    ) -> Result<(), Reply> {
        let sim = self.now();
        let mut st = self.lock();
        let value = serde_json::to_value(report).unwrap_or_default();
        self.apply_report(&mut st, id, &value, whom, sim)
            .map(|_| ())
    }

    /// The invocation a completion report carrying `token` would complete (the oldest one
    /// still waiting, else the newest with that token), if any carried it.
    pub fn invocation_of(&self, token: &str) -> Option<ExchangeId> {
        self.report_target(token)
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
