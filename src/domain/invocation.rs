//! One exchange in the log and, for Invoke, the invocation's life: held → answered →
//! waiting → completed / failed / timed out. The transitions live here, free of any server or UI.

use super::contract::{Finding, InvokeOutcome, Severity};
use super::envelope::{self, EnvelopeKind, Inspected};
use super::wire::Method;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

pub use super::summary::{Packed, Row, Summary, SummaryOf, shared_text};
pub use super::timeline::{AnsweredBy, Note, TimelineEntry};

pub type ExchangeId = u64;

/// Where an exchange stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum Phase {
    /// Just arrived: not yet answered, held or refused.
    Received,
    /// The caller waits for the developer's answer until `hold_until`.
    Held { hold_until: DateTime<Utc> },
    /// Forward mode: relayed to the developer's action; the caller waits for its answer.
    Forwarding,
    /// Answered and done: an IMMEDIATE invoke, or a validate-configuration / quota-info answer.
    Answered,
    /// A timeout answer was sent: Wix waits for a completion report until `deadline`.
    Waiting { deadline: DateTime<Utc> },
    /// The completion report said SUCCESS; the run moves on with `result`.
    Completed { result: Value },
    /// The completion report said FAILURE.
    ReportedFailure { description: String },
    /// No report came before the deadline: the step failed.
    TimedOut { deadline: DateTime<Utc> },
    /// The answer was an error or broke the contract: the step failed.
    Failed { reason: String },
    /// The workbench refused the request itself (malformed, unauthenticated, unknown route).
    Rejected { code: String, message: String },
    /// A completion report the mock API accepted.
    Accepted,
    /// The caller hung up before it was answered.
    CallerGone,
    /// The workbench closed while the call was held; it was answered 503.
    ShutDown,
}

/// How a phase looks, whatever draws it (the window's colours, a shared page's classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Held: someone has to act.
    Warning,
    Waiting,
    Ok,
    /// Ended without an answer that counts (the caller left, ActionBench stopped).
    Muted,
    Error,
}

impl Tone {
    pub fn name(self) -> &'static str {
        match self {
            Tone::Warning => "warning",
            Tone::Waiting => "waiting",
            Tone::Ok => "ok",
            Tone::Muted => "muted",
            Tone::Error => "error",
        }
    }
}

impl Phase {
    /// How the phase looks.
    pub fn tone(&self) -> Tone {
        match self {
            Phase::Held { .. } => Tone::Warning,
            Phase::Waiting { .. } => Tone::Waiting,
            Phase::Answered | Phase::Completed { .. } | Phase::Accepted => Tone::Ok,
            Phase::CallerGone | Phase::ShutDown => Tone::Muted,
            _ => Tone::Error,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Phase::Received => "received",
            Phase::Held { .. } => "held",
            Phase::Forwarding => "forwarding",
            Phase::Answered => "answered",
            Phase::Waiting { .. } => "waiting",
            Phase::Completed { .. } => "completed",
            Phase::ReportedFailure { .. } => "reported failure",
            Phase::TimedOut { .. } => "timed out",
            Phase::Failed { .. } => "failed",
            Phase::Rejected { .. } => "rejected",
            Phase::Accepted => "accepted",
            Phase::CallerGone => "caller gone",
            Phase::ShutDown => "shut down",
        }
    }

    /// The phase an answer leads to, from `Received` or `Held` only.
    pub fn answer(&self, outcome: InvokeOutcome) -> Result<Phase, TransitionError> {
        match self {
            Phase::Received | Phase::Held { .. } | Phase::Forwarding => Ok(match outcome {
                InvokeOutcome::Immediate => Phase::Answered,
                InvokeOutcome::Wait { deadline } => Phase::Waiting { deadline },
                InvokeOutcome::Failed { reason } => Phase::Failed { reason },
            }),
            other => Err(TransitionError::NotHeld(other.label())),
        }
    }

    /// The phase a completion report leads to. `now` is simulated time.
    pub fn report(
        &self,
        success: Option<Value>,
        failure: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Phase, ReportRefusal> {
        match self {
            Phase::Waiting { deadline } if now >= *deadline => {
                Err(ReportRefusal::TimedOut(*deadline))
            }
            Phase::Waiting { .. } => Ok(match (success, failure) {
                (Some(result), _) => Phase::Completed { result },
                (None, Some(description)) => Phase::ReportedFailure { description },
                (None, None) => Phase::ReportedFailure {
                    description: String::new(),
                },
            }),
            Phase::Completed { .. } | Phase::ReportedFailure { .. } => {
                Err(ReportRefusal::AlreadyCompleted)
            }
            Phase::TimedOut { deadline } => Err(ReportRefusal::TimedOut(*deadline)),
            other => Err(ReportRefusal::NotWaiting(other.label())),
        }
    }

    /// `TimedOut` once simulated time reaches a waiting invocation's deadline.
    pub fn deadline_passed(&self, now: DateTime<Utc>) -> Option<Phase> {
        match self {
            Phase::Waiting { deadline } if now >= *deadline => Some(Phase::TimedOut {
                deadline: *deadline,
            }),
            _ => None,
        }
    }

    /// Still open: held for an answer, or waiting for a completion report.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Phase::Held { .. } | Phase::Forwarding | Phase::Waiting { .. }
        )
    }

    pub fn is_held(&self) -> bool {
        matches!(self, Phase::Held { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    NotHeld(&'static str),
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionError::NotHeld(p) => write!(f, "the call is no longer held (it is {p})"),
        }
    }
}

/// Why the completion API refuses a report for a known token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportRefusal {
    AlreadyCompleted,
    TimedOut(DateTime<Utc>),
    NotWaiting(&'static str),
}

impl ReportRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            ReportRefusal::AlreadyCompleted => "ALREADY_COMPLETED",
            ReportRefusal::TimedOut(_) => "TIMED_OUT",
            ReportRefusal::NotWaiting(_) => "NOT_WAITING",
        }
    }
}

impl std::fmt::Display for ReportRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportRefusal::AlreadyCompleted => write!(f, "this invocation was already completed"),
            ReportRefusal::TimedOut(d) => {
                write!(
                    f,
                    "this invocation timed out at {}",
                    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            }
            ReportRefusal::NotWaiting(p) => {
                write!(
                    f,
                    "this invocation is not waiting for a completion report (it is {p})"
                )
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentResponse {
    pub status: u16,
    pub body: Arc<Value>,
    pub by: AnsweredBy,
    pub at: DateTime<Utc>,
    /// Contract findings about the answer; an answer with errors was sent on purpose.
    pub findings: Vec<Finding>,
}

/// What arrived, kept as it came: headers and the body's bytes. Shared, never changed.
/// The parsed parts are not kept: [`Arrival::inspect`] decodes them when someone looks, so a
/// long log holds each body once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Arrival {
    /// The request headers, one `name: value` line each (one allocation per call).
    pub headers: String,
    pub body: bytes::Bytes,
    /// Why the body was not read, when it was not.
    pub unread: Option<String>,
}

impl Arrival {
    /// The body as text (lossy for non-UTF-8), or why it was not read.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.unread {
            Some(why) => why.as_str().into(),
            None => String::from_utf8_lossy(&self.body),
        }
    }

    /// The body's parts, decoded for display (a JWT is decoded, never verified here).
    pub fn inspect(&self) -> Inspected {
        envelope::inspect(&self.body)
    }
}

/// Which way an exchange went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A call to the inbox (from Wix, a test, or "Send to inbox").
    #[default]
    Inbound,
    /// A call ActionBench made to the developer's action, playing Wix.
    Outbound,
}

/// One HTTP request, its answer and what followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub id: ExchangeId,
    pub direction: Direction,
    /// Simulated time of arrival.
    pub at: DateTime<Utc>,
    pub http_method: String,
    pub path: String,
    pub method: Option<Method>,
    pub action_key: Option<String>,
    pub envelope: Option<EnvelopeKind>,
    pub invocation_token: Option<String>,
    pub arrival: Arc<Arrival>,
    /// Findings about the request itself.
    pub findings: Vec<Finding>,
    pub phase: Phase,
    pub response: Option<SentResponse>,
    pub timeline: Vec<TimelineEntry>,
    /// Forward mode: what the developer's action answered, before any edit in the window
    /// (`response` is what went back to the caller).
    pub target_answer: Option<SentResponse>,
    /// What kind of call this was beyond its method, when it is special: a lab envelope, a
    /// request sent despite its input schema, a forwarded call, the source of a send.
    pub tag: Option<String>,
}

/// Flagged in the log: refused, or a finding (about the request or the answer) is an error.
pub fn flagged(phase: &Phase, mut severities: impl Iterator<Item = Severity>) -> bool {
    matches!(phase, Phase::Rejected { .. }) || severities.any(|s| s == Severity::Error)
}

/// The arrival of an exchange that stands in for one on disk.
static ON_DISK: std::sync::LazyLock<Arc<Arrival>> = std::sync::LazyLock::new(|| {
    Arc::new(Arrival {
        headers: String::new(),
        body: bytes::Bytes::new(),
        unread: Some("kept in the session journal: select the exchange to read it back".into()),
    })
});

impl Phase {
    /// A phase of the kind `label` names, without what it carried: for a summary's stand-in.
    fn bare(label: &str, at: DateTime<Utc>) -> Phase {
        match label {
            "received" => Phase::Received,
            "held" => Phase::Held { hold_until: at },
            "forwarding" => Phase::Forwarding,
            "answered" => Phase::Answered,
            "waiting" => Phase::Waiting { deadline: at },
            "completed" => Phase::Completed {
                result: Value::Null,
            },
            "reported failure" => Phase::ReportedFailure {
                description: String::new(),
            },
            "timed out" => Phase::TimedOut { deadline: at },
            "failed" => Phase::Failed {
                reason: String::new(),
            },
            "rejected" => Phase::Rejected {
                code: String::new(),
                message: String::new(),
            },
            "accepted" => Phase::Accepted,
            "caller gone" => Phase::CallerGone,
            _ => Phase::ShutDown,
        }
    }
}

impl Exchange {
    /// What the log keeps of this exchange once it is on disk.
    pub fn summary(&self) -> Summary {
        self.summary_of().summary()
    }

    /// What [`Exchange::summary`] says, packed: its texts numbered once.
    pub fn pack(&self) -> Packed {
        self.summary_of().pack()
    }

    /// What its summary is made of.
    fn summary_of(&self) -> SummaryOf<'_, impl Iterator<Item = Severity> + '_> {
        SummaryOf {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.response.as_ref().map(|r| r.status),
            phase: &self.phase,
            severities: self.severities(),
            http_method: &self.http_method,
            path: &self.path,
            action_key: self.action_key.as_deref(),
            tag: self.tag.as_deref(),
        }
    }

    /// A stand-in for an exchange on disk, for its row: what the summary knows, no body, no
    /// timeline. [`Exchange::is_summary`] tells it apart; the whole is read back when needed.
    pub fn from_summary(s: &Summary) -> Exchange {
        Exchange {
            id: s.id,
            direction: s.direction,
            at: s.at,
            http_method: s.http_method.to_string(),
            path: s.path.to_string(),
            method: s.method,
            action_key: s.action_key.as_deref().map(str::to_string),
            envelope: s.envelope,
            invocation_token: None,
            arrival: ON_DISK.clone(),
            findings: if s.flagged {
                vec![Finding::error(
                    "on-disk",
                    "flagged: select the exchange to read its findings back",
                )]
            } else {
                vec![]
            },
            phase: Phase::bare(s.phase, s.at),
            response: s.status.map(|status| SentResponse {
                status,
                body: Arc::new(Value::Null),
                by: AnsweredBy::Auto,
                at: s.at,
                findings: vec![],
            }),
            timeline: vec![],
            target_answer: None,
            tag: s.tag.as_deref().map(str::to_string),
        }
    }

    /// Whether this stands in for an exchange on disk ([`Exchange::from_summary`]).
    pub fn is_summary(&self) -> bool {
        Arc::ptr_eq(&self.arrival, &ON_DISK)
    }

    /// Flagged in the log: refused, or something in it broke the contract.
    pub fn is_flagged(&self) -> bool {
        flagged(&self.phase, self.severities())
    }

    /// Its findings, about the request and then the answer.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> + '_ {
        self.findings
            .iter()
            .chain(self.response.iter().flat_map(|r| r.findings.iter()))
    }

    /// The severities of its findings, about the request and the answer.
    fn severities(&self) -> impl Iterator<Item = Severity> + '_ {
        self.all_findings().map(|f| f.severity)
    }

    /// The envelope column's text (also what the envelope filter compares): how a call came,
    /// or, for a call ActionBench made, how it was sent.
    pub fn envelope_label(&self) -> &'static str {
        match (self.direction, self.envelope) {
            (Direction::Outbound, Some(EnvelopeKind::PlainEnvelope)) => "JSON sent",
            (Direction::Outbound, Some(_)) => "JWT sent",
            (_, e) => e.map(|e| e.short_label()).unwrap_or("—"),
        }
    }

    /// The status column's text: the answer's status first (a narrow column still shows it),
    /// the phase, and `· FLAGGED` when flagged.
    pub fn status_label(&self) -> String {
        let status = self
            .response
            .as_ref()
            .map(|r| format!("{} ", r.status))
            .unwrap_or_default();
        let flag = if self.is_flagged() { " · FLAGGED" } else { "" };
        format!("{status}{}{flag}", self.phase.label())
    }

    /// The method's name; the HTTP method and path too when they are not what Wix sends.
    pub fn method_label(&self) -> String {
        let label = self.plain_method_label();
        match (&self.tag, self.direction) {
            (Some(t), Direction::Inbound) => format!("{label} ({t})"),
            _ => label,
        }
    }

    fn plain_method_label(&self) -> String {
        match self.method {
            Some(m) if self.direction == Direction::Outbound => match &self.tag {
                Some(t) => format!("» {} ({t})", m.label()),
                None => format!("» {}", m.label()),
            },
            Some(m) if self.http_method.eq_ignore_ascii_case("POST") && self.path == m.path() => {
                m.label().to_string()
            }
            // Under a prefix: the full path, as it came.
            Some(m) if self.http_method.eq_ignore_ascii_case("POST") => {
                format!("{} {}", m.label(), self.path)
            }
            _ => format!("{} {}", self.http_method, self.path),
        }
    }

    pub fn note(&mut self, at: DateTime<Utc>, note: impl Into<Note>) {
        self.timeline.push(TimelineEntry {
            at,
            note: note.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.to_utc())
            .expect("date")
    }

    #[test]
    fn held_answers_lead_to_their_phase() {
        let held = Phase::Held {
            hold_until: t("2026-01-01T00:00:25Z"),
        };
        assert_eq!(held.answer(InvokeOutcome::Immediate), Ok(Phase::Answered));
        let d = t("2026-01-02T00:00:00Z");
        assert_eq!(
            held.answer(InvokeOutcome::Wait { deadline: d }),
            Ok(Phase::Waiting { deadline: d })
        );
        assert!(matches!(
            held.answer(InvokeOutcome::Failed { reason: "x".into() }),
            Ok(Phase::Failed { .. })
        ));
        assert_eq!(
            Phase::Answered.answer(InvokeOutcome::Immediate),
            Err(TransitionError::NotHeld("answered"))
        );
    }

    #[test]
    fn reports_complete_only_waiting_invocations_before_the_deadline() {
        let deadline = t("2026-01-02T00:00:00Z");
        let waiting = Phase::Waiting { deadline };
        let before = deadline - Duration::minutes(1);
        assert_eq!(
            waiting.report(Some(json!({"ok": true})), None, before),
            Ok(Phase::Completed {
                result: json!({"ok": true})
            })
        );
        assert_eq!(
            waiting.report(None, Some("no".into()), before),
            Ok(Phase::ReportedFailure {
                description: "no".into()
            })
        );
        assert_eq!(
            waiting.report(None, None, deadline),
            Err(ReportRefusal::TimedOut(deadline))
        );
        let done = Phase::Completed { result: json!({}) };
        assert_eq!(
            done.report(None, None, before),
            Err(ReportRefusal::AlreadyCompleted)
        );
        assert_eq!(
            Phase::TimedOut { deadline }.report(None, None, before),
            Err(ReportRefusal::TimedOut(deadline))
        );
        assert_eq!(
            Phase::Answered.report(None, None, before),
            Err(ReportRefusal::NotWaiting("answered"))
        );
    }

    #[test]
    fn the_deadline_times_out_a_waiting_invocation_only() {
        let deadline = t("2026-01-02T00:00:00Z");
        let waiting = Phase::Waiting { deadline };
        assert_eq!(
            waiting.deadline_passed(deadline - Duration::seconds(1)),
            None
        );
        assert_eq!(
            waiting.deadline_passed(deadline),
            Some(Phase::TimedOut { deadline })
        );
        assert_eq!(Phase::Answered.deadline_passed(deadline), None);
    }
}
