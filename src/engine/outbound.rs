//! Outbound exchanges: calls ActionBench made to the developer's action, playing Wix. They are
//! entries of the same log as inbound calls, judged by the same contract checks, and a timeout
//! answer waits by token in the same place, so the completion API completes either.
//!
//! Methods: `record_outbound`, `adopt`; within the engine `judge_target`.

use super::{
    AnswerTimes, AnsweredBy, Arc, Arrival, DateTime, Direction, Engine, EventKind, Exchange,
    ExchangeId, Finding, Method, Phase, Reply, Utc, Value, apply_answer, contract, envelope,
};

/// A call ActionBench made, as plain data (the caller that made it is not the engine's concern).
#[derive(Clone, Debug)]
pub struct Outbound {
    /// The full URL called.
    pub url: String,
    pub method: Method,
    pub envelope: envelope::EnvelopeKind,
    /// The headers sent, one `name: value` line each.
    pub headers: String,
    pub body: bytes::Bytes,
    pub action_key: Option<String>,
    pub invocation_token: Option<String>,
    /// Findings about the request itself (sent anyway despite its input schema…).
    pub findings: Vec<Finding>,
    /// Shown beside the method: "lab: expired", "sent anyway", "test run"…
    pub tag: Option<String>,
    /// A lab envelope: the right answer is a refusal (any 4xx), not a contract answer.
    pub lab: Option<crate::domain::lab::Probe>,
    /// Simulated time it was sent.
    pub sent_at: DateTime<Utc>,
}

/// What the target did: answered, or why it gave no usable answer.
#[derive(Clone, Debug)]
pub enum TargetAnswer {
    Answered {
        status: u16,
        body: bytes::Bytes,
        latency: std::time::Duration,
    },
    /// A finding code and the reason in words (refused, timeout, redirect…).
    Failed { code: &'static str, reason: String },
}

impl Engine {
    /// Logs a call made to the developer's action and judges its answer. A timeout answer
    /// waits for a completion report like any invocation.
    pub fn record_outbound(&self, out: Outbound, answer: TargetAnswer) -> ExchangeId {
        let sim = self.now();
        let mut ex = Exchange {
            id: 0,
            direction: Direction::Outbound,
            at: out.sent_at,
            http_method: "POST".into(),
            path: out.url.clone(),
            method: Some(out.method),
            action_key: out.action_key.clone(),
            envelope: Some(out.envelope),
            invocation_token: out.invocation_token.clone(),
            arrival: Arc::new(Arrival {
                headers: out.headers,
                body: out.body,
                unread: None,
            }),
            findings: out.findings,
            phase: Phase::Received,
            response: None,
            timeline: vec![],
            tag: out.tag.clone(),
            target_answer: None,
        };
        let form = match out.envelope {
            envelope::EnvelopeKind::PlainJson | envelope::EnvelopeKind::PlainEnvelope => {
                "as plain JSON"
            }
            _ => "as a signed JWT",
        };
        ex.note(out.sent_at, format!("POST {} sent {form}", out.url));
        match (answer, out.lab) {
            (TargetAnswer::Failed { code, reason }, _) => {
                ex.findings.push(Finding::error(code, reason.clone()));
                ex.note(sim, format!("no answer: {reason}"));
                ex.phase = Phase::Failed { reason };
            }
            (
                TargetAnswer::Answered {
                    status,
                    body,
                    latency,
                },
                Some(probe),
            ) => {
                let verdict = crate::domain::lab::LabVerdict::of_status(status);
                let value = serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
                let explained = verdict.explain(&probe);
                let (findings, phase) = match verdict {
                    crate::domain::lab::LabVerdict::Refused(_) => (vec![], Phase::Answered),
                    crate::domain::lab::LabVerdict::Accepted(_) => (
                        vec![Finding::error("lab-accepted", explained.clone())],
                        Phase::Failed {
                            reason: explained.clone(),
                        },
                    ),
                    _ => (
                        vec![Finding::error("lab-not-4xx", explained.clone())],
                        Phase::Failed {
                            reason: explained.clone(),
                        },
                    ),
                };
                apply_answer(
                    &mut ex,
                    &Reply::json(status, value),
                    AnsweredBy::Target,
                    findings,
                    phase,
                    sim,
                );
                ex.note(sim, format!("lab \"{}\": {explained}", probe.what));
                ex.note(sim, format!("answered in {} ms", latency.as_millis()));
            }
            (
                TargetAnswer::Answered {
                    status,
                    body,
                    latency,
                },
                None,
            ) => {
                let times = AnswerTimes {
                    requested: out.sent_at,
                    answered: sim,
                };
                let (reply, findings, phase) =
                    self.judge_target(out.method, out.action_key.as_deref(), status, &body, times);
                apply_answer(&mut ex, &reply, AnsweredBy::Target, findings, phase, sim);
                ex.note(sim, format!("answered in {} ms", latency.as_millis()));
            }
        }
        let live = ex.phase.is_live();
        let (id, kind) = self.append(ex, live);
        self.emit_id(kind, id);
        id
    }
}

impl Engine {
    /// Logs an exchange another workbench had (the child an agent's `run_check` or `run_flow`
    /// runs in), as it ended there and marked `tag`: never live here, its token filed nowhere
    /// (a report for it went to that workbench, which has stopped).
    pub fn adopt(&self, mut ex: Exchange, tag: &str) -> ExchangeId {
        if ex.phase.is_live() {
            let sim = self.now();
            ex.phase = Phase::ShutDown;
            ex.note(sim, "the workbench that ran it stopped before it ended");
        }
        ex.tag = Some(tag.to_string());
        let kind = EventKind::of(&ex.phase);
        let id = self.log.push(ex, false);
        self.emit_id(kind, id);
        id
    }

    /// The developer's action's answer, judged: as a reply (a body that is not JSON is kept
    /// as a string), its findings and the phase it leads to.
    pub(super) fn judge_target(
        &self,
        method: Method,
        action_key: Option<&str>,
        status: u16,
        body: &[u8],
        times: AnswerTimes,
    ) -> (Reply, Vec<Finding>, Phase) {
        match contract::parse_json_body(body) {
            Ok(value) => {
                let reply = Reply::json(status, value);
                let (findings, phase) = self.judge_for(method, action_key, &reply, times);
                (reply, findings, phase)
            }
            Err(f) => {
                let text = Value::String(String::from_utf8_lossy(body).into_owned());
                let reason =
                    format!("your action answered HTTP {status} with a body that is not JSON");
                (Reply::json(status, text), vec![f], Phase::Failed { reason })
            }
        }
    }
}
