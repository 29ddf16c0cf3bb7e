//! Completion reports: the stand-in for Wix's Report Action Invocation Completed API.
//!
//! Methods: `report_completion`, `report_completion_from`, `invocation_of`; within the engine `intake_report`, `authorization`,
//! `apply_report`.

use super::{
    CompletionReport, DateTime, Engine, EventKind, ExchangeId, Finding, Phase, Reply, State, Utc,
    Value, contract, envelope, from_value_at, json, workbench_reply,
};

impl Engine {
    /// A completion report that arrived over HTTP as exchange `id`. It takes the state's lock:
    /// it changes a waiting invocation.
    pub(super) fn intake_report(
        &self,
        id: ExchangeId,
        body: &[u8],
        authorized: bool,
        sim: DateTime<Utc>,
    ) -> Reply {
        let value = match json_body(body, "the completion report")
            .and_then(|v| self.authorization(id, authorized).map(|()| v))
        {
            Ok(v) => v,
            Err(reply) => return self.reject(id, reply, sim),
        };
        let token = value
            .get("invocationToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut st = self.lock();
        let target = token.as_ref().and_then(|t| self.report_target(t));
        let key = target.and_then(|t| self.log.lock(t).and_then(|ex| ex.action_key.clone()));
        // Checked once, against the output schema of the invocation the token names (if any).
        let output = target.and_then(|_| self.output_schema(key.as_deref()));
        let findings = contract::check_completion_report(&value, output.as_ref());
        if let Some(mut ex) = self.log.lock(id) {
            ex.findings.extend(findings.iter().cloned());
        }
        let Some(target) = target else {
            let reply = match &token {
                Some(t) if !contract::has_errors(&findings) => {
                    let msg = format!("no invocation has the invocationToken {t:?}");
                    Reply::error(404, "UNKNOWN_INVOCATION_TOKEN", &msg)
                }
                _ => Reply::violations(&findings),
            };
            return self.reject(id, reply, sim);
        };
        if let Some(mut ex) = self.log.lock(id) {
            ex.invocation_token = token.clone();
            ex.action_key = key;
        }
        match self.apply_report(&mut st, target, &value, &format!("over HTTP (#{id})"), sim) {
            Ok(applied) => {
                let reply = Reply::json(200, json!({}));
                let note = match applied {
                    Applied::Changed => format!("accepted: invocation #{target} updated"),
                    Applied::Ignored(why) => {
                        format!("accepted with no effect on invocation #{target}: {why}")
                    }
                };
                let sharing = token.as_deref().map_or(0, |t| self.tokens.count(t));
                if let Some(mut ex) = self.log.lock(id) {
                    workbench_reply(&mut ex, &reply, Phase::Accepted, note, sim);
                    if sharing > 1 {
                        ex.findings.push(
                            Finding::warning(
                                "token-reused",
                                format!("{sharing} invocations carry this invocationToken: this report completed #{target}, the oldest that was waiting"),
                            )
                            .at("invocationToken"),
                        );
                    }
                    self.emit(EventKind::Accepted, ex);
                }
                reply
            }
            Err(reply) => self.reject(id, reply, sim),
        }
    }

    /// A call to Wix's APIs without an Authorization header: refused (401) when the workbench
    /// is set so, else taken with a warning on exchange `id`, its plain JSON body noted.
    pub(super) fn authorization(&self, id: ExchangeId, authorized: bool) -> Result<(), Reply> {
        if !authorized && self.assumptions().require_authorization {
            return Err(Reply::error(
                401,
                "UNAUTHENTICATED",
                "no Authorization header: Wix's APIs need the app's access token (the workbench is set to refuse calls without one)",
            ));
        }
        if let Some(mut ex) = self.log.lock(id) {
            ex.envelope = Some(envelope::EnvelopeKind::PlainJson);
            if !authorized {
                ex.findings.push(Finding::warning(
                    "no-authorization",
                    "no Authorization header: Wix requires the app's access token here",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn apply_report(
        &self,
        st: &mut State,
        target: ExchangeId,
        report: &Value,
        via: &str,
        sim: DateTime<Utc>,
    ) -> Result<Applied, Reply> {
        let Some(mut ex) = self.load(target) else {
            return Err(Reply::error(
                404,
                "NOT_FOUND",
                &format!("no invocation #{target}"),
            ));
        };
        let output = self.output_schema(ex.action_key.as_deref());
        let findings = contract::check_completion_report(report, output.as_ref());
        if contract::has_errors(&findings) {
            ex.note(
                sim,
                format!(
                    "completion report {via} refused (400): {}",
                    contract::summary(&findings)
                ),
            );
            let kind = EventKind::of(&ex.phase);
            self.emit(kind, ex);
            return Err(Reply::violations(&findings));
        }
        let parsed: CompletionReport =
            from_value_at(report).map_err(|e| Reply::error(400, "VALIDATION_ERROR", &e))?;
        let success = parsed
            .success_info
            .map(|s| s.result)
            .filter(|_| parsed.status == "SUCCESS");
        let failure = parsed.failure_info.map(|f| f.error_description);
        match ex.phase.report(success, failure, sim) {
            Ok(next) => {
                let text = match &next {
                    Phase::Completed { .. } => format!(
                        "completion report {via}: SUCCESS: the run moves on with the result"
                    ),
                    Phase::ReportedFailure { description } => {
                        format!("completion report {via}: FAILURE ({description}): the step failed")
                    }
                    _ => format!("completion report {via}"),
                };
                if let Phase::Waiting { deadline } = ex.phase {
                    st.waiting.remove(&(deadline, target));
                }
                ex.phase = next.clone();
                ex.note(sim, text);
                self.emit(EventKind::of(&next), ex);
                Ok(Applied::Changed)
            }
            Err(refusal) if self.ignores(&refusal) => {
                let why = format!("{refusal} (assumption set to ignore such reports)");
                ex.note(
                    sim,
                    format!("completion report {via} ignored with 200: {why}"),
                );
                let kind = EventKind::of(&ex.phase);
                self.emit(kind, ex);
                Ok(Applied::Ignored(why))
            }
            Err(refusal) => {
                let reply = Reply::error(409, refusal.code(), &refusal.to_string());
                ex.note(
                    sim,
                    format!("completion report {via} refused (409): {refusal}"),
                );
                let kind = EventKind::of(&ex.phase);
                self.emit(kind, ex);
                Err(reply)
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
}

/// What a completion report did.
pub(super) enum Applied {
    Changed,
    /// Taken with 200 and no effect, as an assumption is set; why.
    Ignored(String),
}

/// The body of a call to Wix's APIs (`what`: "the completion report") as JSON, or the 400 that
/// says why it is not.
pub(super) fn json_body(body: &[u8], what: &'static str) -> Result<Value, Reply> {
    serde_json::from_slice(body).map_err(|e| match envelope::json_error(&e, what) {
        envelope::EnvelopeError::InvalidJson(e) => Reply::error(
            400,
            "INVALID_JSON",
            &format!("{what} is not valid JSON: {e}"),
        ),
        other => Reply::error(other.status(), other.code(), &other.to_string()),
    })
}
