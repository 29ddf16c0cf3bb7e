//! Forward mode: a call to the inbox is relayed to the developer's action (by whoever holds an
//! HTTP client, through [`Relay`]); its answer comes back here, is judged, and goes back to the
//! caller, or waits in the composer first when the key pauses answers. Both versions are kept:
//! `target_answer` (what the action said) and `response` (what the caller got).
//!
//! Methods: `relay`, `set_relay`, `forwarded`.

use super::{
    AnswerTimes, AnsweredBy, Arc, Engine, EventKind, ExchangeId, Finding, Method, Phase, Relay,
    Reply, SentResponse, TargetAnswer,
};

/// Why a forwarded call got no answer when no target is set.
pub const NO_TARGET: &str = "forward mode is on, but no target is set: give your action's base URL in the window or with --target";

impl Engine {
    /// Where forward mode relays calls, if anywhere yet.
    pub fn relay(&self) -> Option<Arc<dyn Relay>> {
        self.relay.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets (or clears) where forward mode relays calls.
    pub fn set_relay(&self, relay: Option<Arc<dyn Relay>>) {
        *self.relay.write().unwrap_or_else(|e| e.into_inner()) = relay;
    }

    /// The action's answer to forwarded call `id` (relayed to `url`): judged, recorded as the
    /// target's answer, and sent back to the caller, or held for the developer when the key
    /// pauses answers.
    pub fn forwarded(&self, id: ExchangeId, url: &str, answer: TargetAnswer) {
        let real = self.clock.now();
        let sim = self.now();
        let (method, key, at) = {
            match self.log.lock(id) {
                Some(ex) if ex.phase == Phase::Forwarding => (
                    ex.method.unwrap_or(Method::Invoke),
                    ex.action_key.clone(),
                    ex.at,
                ),
                // Answered meanwhile (the workbench closed, the caller left).
                _ => return,
            }
        };
        let pause = key.as_deref().is_some_and(|k| self.policy_arc(k).pause);
        let times = AnswerTimes {
            requested: at,
            answered: sim,
        };
        let judged = match answer {
            TargetAnswer::Failed { code, reason } => Err((code, reason)),
            TargetAnswer::Answered {
                status,
                body,
                latency,
            } => Ok((
                self.judge_target(method, key.as_deref(), status, &body, times),
                latency,
            )),
        };
        let mut st = self.lock();
        let Some(mut ex) = self.log.lock(id) else {
            return;
        };
        if ex.phase != Phase::Forwarding {
            return;
        }
        match judged {
            Err((code, reason)) => {
                let message =
                    format!("forward mode: your action at {url} gave no answer: {reason}");
                ex.findings.push(Finding::error(code, message.clone()));
                let reply = Reply::error(502, "ACTION_UNREACHABLE", &message);
                let phase = Phase::Failed { reason: message };
                self.record_answer(&mut st, ex, reply, AnsweredBy::Target, vec![], phase, sim);
            }
            Ok(((reply, findings, phase), latency)) => {
                ex.note(
                    sim,
                    format!(
                        "your action at {url} answered HTTP {} in {} ms",
                        reply.status,
                        latency.as_millis()
                    ),
                );
                ex.target_answer = Some(SentResponse {
                    status: reply.status,
                    body: reply.body.clone(),
                    by: AnsweredBy::Target,
                    at: sim,
                    findings: findings.clone(),
                });
                if pause {
                    ex.phase = Phase::Held {
                        hold_until: real + self.config.hold_for,
                    };
                    ex.note(
                        sim,
                        "paused: your action's answer waits in the composer; read or edit it, then send",
                    );
                    self.emit(EventKind::Held, ex);
                } else {
                    self.record_answer(
                        &mut st,
                        ex,
                        reply,
                        AnsweredBy::Target,
                        findings,
                        phase,
                        sim,
                    );
                }
            }
        }
    }
}
