//! Answers: judging an answer against the contract, writing it into the exchange, and the
//! saved answers each key gives.

use super::*;

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
            on_purpose: contract::has_errors(&findings) && by == AnsweredBy::Developer,
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
            reason: format!("answered HTTP {} {}", reply.status, summary(&findings)),
        },
    };
    // An answer is judged as if fresh; whether the call may still be answered is the caller's
    // concern (only held calls are answered later).
    let phase = Phase::Received.answer(outcome).unwrap_or(Phase::Answered);
    (findings, phase)
}

pub(super) fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
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
        Method::CompletionReport => vec![],
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
