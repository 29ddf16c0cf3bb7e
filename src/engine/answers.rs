//! Answers: the developer's answer to a held call, holding it longer, the caller hanging up,
//! closing (every held call answered 503); judging an answer against the contract, writing it
//! into the exchange, and the saved answers each key gives.
//!
//! Methods: `answer`, `answer_as`, `keep_holding`, `caller_gone`, `close`; within the engine `finish`,
//! `judge_for`, `record_answer`, `judge_saved`.

use super::{
    AnswerTimes, AnsweredBy, Arc, DateTime, Engine, EventKind, Exchange, ExchangeId, Finding,
    InvokeOutcome, Method, Note, Ordering, Phase, Policy, Reply, Schema, SentResponse, State, Utc,
    Value, contract, json, log, wire,
};

impl Engine {
    /// Judges an answer to exchange `id` and records it: for the rarer paths (developer,
    /// fallback, shutdown), under the state's lock.
    pub(super) fn finish(
        &self,
        st: &mut State,
        id: ExchangeId,
        reply: Reply,
        by: AnsweredBy,
        sim: DateTime<Utc>,
    ) -> Reply {
        let Some(ex) = self.log.lock(id) else {
            return reply;
        };
        let method = ex.method.unwrap_or(Method::Invoke);
        let times = AnswerTimes {
            requested: ex.at,
            answered: sim,
        };
        let (findings, phase) = self.judge_for(method, ex.action_key.as_deref(), &reply, times);
        let phase = if by == AnsweredBy::Shutdown {
            Phase::ShutDown
        } else {
            phase
        };
        self.record_answer(st, ex, reply, by, findings, phase, sim)
    }

    /// [`judge`] with the key's output schema and the assumptions in force.
    pub(super) fn judge_for(
        &self,
        method: Method,
        action_key: Option<&str>,
        reply: &Reply,
        times: AnswerTimes,
    ) -> (Vec<Finding>, Phase) {
        if method.is_trigger_provider() {
            // A trigger provider's answer is judged against its trigger's definition.
            let triggers = self.triggers();
            let t = action_key.and_then(|k| triggers.find(k));
            let findings = crate::domain::trigger::provider::check_answer(
                method,
                reply.status,
                &reply.body,
                t,
            )
            .findings;
            let phase = if contract::has_errors(&findings) {
                Phase::Failed {
                    reason: format!(
                        "answered HTTP {} {}",
                        reply.status,
                        contract::summary(&findings)
                    ),
                }
            } else {
                Phase::Answered
            };
            return (findings, phase);
        }
        let output = self.output_schema(action_key);
        judge(
            method,
            reply,
            output.as_ref(),
            times,
            self.assumptions().broken_answer_fails_step,
        )
    }

    /// Records an answer already judged into exchange `ex` (locked), and sends it to a held
    /// caller.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_answer(
        &self,
        st: &mut State,
        mut ex: log::Entry<'_>,
        reply: Reply,
        by: AnsweredBy,
        findings: Vec<Finding>,
        phase: Phase,
        sim: DateTime<Utc>,
    ) -> Reply {
        let id = ex.id;
        apply_answer(&mut ex, &reply, by, findings, phase.clone(), sim);
        if let Phase::Waiting { deadline } = phase {
            st.waiting.insert((deadline, id));
        }
        st.fallbacks.remove(&id);
        // Recorded first: the journal has the answer before the caller does.
        self.emit(EventKind::of(&phase), ex);
        if let Some(tx) = st.pending.remove(&id) {
            // The caller may have gone; its drop guard records that.
            let _ = tx.send(reply.clone());
        }
        reply
    }
}

/// A key's saved IMMEDIATE answer to Invoke, judged against an output schema: every call
/// auto-answered with it gets the same findings and phase, so it is judged once. The policy
/// and the schema are held, so that the pointers compared stay theirs (a freed one's address
/// could come back for another). An answer that waits is judged each time: its deadline, and
/// the checks of a date, depend on the time.
pub(super) struct Judged {
    policy: Arc<Policy>,
    schema: Option<Schema>,
    broken_fails: bool,
    findings: Vec<Finding>,
    phase: Phase,
}

/// Judged answers kept at most (a key's policy changes when its answer is edited).
const JUDGED_KEPT: usize = 64;

impl Engine {
    /// [`judge`] for `policy`'s saved answer, from the judgement kept for it when it is an
    /// IMMEDIATE answer.
    pub(super) fn judge_saved(
        &self,
        policy: &Arc<Policy>,
        reply: &Reply,
        output: Option<&Schema>,
        sim: DateTime<Utc>,
        broken_fails: bool,
    ) -> (Vec<Finding>, Phase) {
        let fits = |j: &Judged| {
            Arc::ptr_eq(&j.policy, policy)
                && j.broken_fails == broken_fails
                && match (&j.schema, output) {
                    (Some(a), Some(b)) => a.same(b),
                    (None, None) => true,
                    _ => false,
                }
        };
        if let Some(j) = self
            .judged
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|j| fits(j))
        {
            return (j.findings.clone(), j.phase.clone());
        }
        let (findings, phase) = judge(Method::Invoke, reply, output, sim.into(), broken_fails);
        let immediate =
            reply.body.get("invokeTimeoutType").and_then(Value::as_str) == Some("IMMEDIATE");
        if immediate && matches!(phase, Phase::Answered | Phase::Failed { .. }) {
            let mut judged = self.judged.write().unwrap_or_else(|e| e.into_inner());
            if judged.len() >= JUDGED_KEPT {
                judged.clear();
            }
            judged.push(Judged {
                policy: policy.clone(),
                schema: output.cloned(),
                broken_fails,
                findings: findings.clone(),
                phase: phase.clone(),
            });
        }
        (findings, phase)
    }

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

/// Writes an answer into an exchange: its response, phase and timeline.
pub(super) fn apply_answer(
    ex: &mut Exchange,
    reply: &Reply,
    by: AnsweredBy,
    findings: Vec<Finding>,
    phase: Phase,
    sim: DateTime<Utc>,
) {
    let method = ex.method.unwrap_or(Method::Invoke);
    ex.note(
        sim,
        Note::Answered {
            by,
            status: reply.status,
            on_purpose: contract::has_errors(&findings)
                && matches!(by, AnsweredBy::Developer | AnsweredBy::Agent),
        },
    );
    match &phase {
        Phase::Waiting { deadline } => ex.note(sim, Note::WaitingUntil(*deadline)),
        Phase::Failed { reason } => ex.note(sim, Note::StepFailed(reason.clone())),
        Phase::Answered if method == Method::Invoke => {
            ex.note(sim, "the run moves on with the result")
        }
        _ => {}
    }
    ex.response = Some(SentResponse {
        status: reply.status,
        body: reply.body.clone(),
        by,
        at: sim,
        findings,
    });
    ex.phase = phase;
}

/// The contract findings about an answer to `method`, and the phase it leads to.
pub(super) fn judge(
    method: Method,
    reply: &Reply,
    output: Option<&Schema>,
    sim: AnswerTimes,
    broken_fails: bool,
) -> (Vec<Finding>, Phase) {
    let findings = check_answer(method, reply.status, &reply.body, output, sim);
    let outcome = match method {
        Method::Invoke => {
            contract::invoke_outcome_with(reply.status, &reply.body, &findings, sim, broken_fails)
        }
        _ if (200..300).contains(&reply.status)
            && (!broken_fails || !contract::has_errors(&findings)) =>
        {
            InvokeOutcome::Immediate
        }
        _ => InvokeOutcome::Failed {
            reason: format!(
                "answered HTTP {} {}",
                reply.status,
                contract::summary(&findings)
            ),
        },
    };
    // An answer is judged as if fresh; whether the call may still be answered is the caller's
    // concern (only held calls are answered later).
    let phase = Phase::Received.answer(outcome).unwrap_or(Phase::Answered);
    (findings, phase)
}

/// The saved answer for `method`, a relative timeout date made absolute at `now`.
pub(super) fn auto_body(method: Method, policy: &Policy, now: DateTime<Utc>) -> Arc<Value> {
    match method {
        Method::Invoke => match wire::resolve_answer(&policy.answer, now) {
            Some(resolved) => Arc::new(resolved),
            None => policy.answer.clone(),
        },
        Method::ValidateConfiguration => Arc::new(wire::valid_configuration()),
        _ => Arc::new(wire::unenforced_quota()),
    }
}

pub(super) fn fail_reply(policy: &Policy) -> Reply {
    Reply::json(
        policy.fail_status,
        wire::application_error(&policy.fail_code, json!({})),
    )
}

/// The contract findings about an answer to `method`.
pub fn check_answer(
    method: Method,
    status: u16,
    body: &Value,
    output: Option<&Schema>,
    now: impl Into<AnswerTimes>,
) -> Vec<Finding> {
    match method {
        Method::Invoke => contract::check_invoke_json(status, body, output, now),
        Method::ValidateConfiguration => contract::check_validate_json(status, body),
        Method::QuotaInfo => contract::check_quota_json(status, body),
        m if m.is_trigger_provider() => {
            crate::domain::trigger::provider::check_answer(m, status, body, None).findings
        }
        // Calls to Wix's APIs: the workbench's own answers, nothing to judge.
        _ => vec![],
    }
}

/// Writes an answer the workbench itself gives (a refusal, a taken completion report) into an
/// exchange: its response, phase and timeline line.
pub(super) fn workbench_reply(
    ex: &mut Exchange,
    reply: &Reply,
    phase: Phase,
    note: String,
    sim: DateTime<Utc>,
) {
    ex.phase = phase;
    ex.response = Some(SentResponse {
        status: reply.status,
        body: reply.body.clone(),
        by: AnsweredBy::Workbench,
        at: sim,
        findings: vec![],
    });
    ex.note(sim, note);
}
