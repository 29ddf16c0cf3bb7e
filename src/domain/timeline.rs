//! An exchange's timeline: what happened to it and when, kept as the events that make it, its
//! sentences written when shown; and who sent an answer, which those events name.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who sent the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnsweredBy {
    /// Crafted in the window.
    Developer,
    /// The action key's saved answer.
    Auto,
    /// The action key is set to fail.
    FailPolicy,
    /// The hold deadline passed; the saved answer went instead.
    Fallback,
    /// The workbench refused the request.
    Workbench,
    /// The workbench closed.
    Shutdown,
    /// The developer's own action, called by ActionBench playing Wix.
    Target,
    /// A coding agent, through the MCP server's `answer_call`.
    Agent,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub note: Note,
}

impl TimelineEntry {
    /// The entry's sentence, as the window shows it.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        self.note.text()
    }
}

/// What happened, as the timeline keeps it: the event with what it needs, its sentence
/// written when it is shown (a call answered at once keeps no sentence of its own).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A sentence said as it is.
    Said(std::borrow::Cow<'static, str>),
    /// An answer went: who sent it, its status, and whether it was sent despite contract errors.
    Answered {
        by: AnsweredBy,
        status: u16,
        on_purpose: bool,
    },
    /// A timeout answer: Wix waits for a completion report until then.
    WaitingUntil(DateTime<Utc>),
    /// The answer failed the step, for this reason.
    StepFailed(String),
}

impl Note {
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Note::Said(t) => std::borrow::Cow::Borrowed(t.as_ref()),
            Note::Answered {
                by,
                status,
                on_purpose,
            } => {
                let who = match by {
                    AnsweredBy::Developer => "the developer answered",
                    AnsweredBy::Auto => "answered with the saved answer",
                    AnsweredBy::FailPolicy => "answered with an error (the key is set to fail)",
                    AnsweredBy::Fallback => {
                        "the hold deadline passed: the saved answer was sent instead"
                    }
                    AnsweredBy::Workbench => "refused",
                    AnsweredBy::Shutdown => "the workbench closed: answered 503",
                    AnsweredBy::Target => "your action answered",
                    AnsweredBy::Agent => "the agent answered",
                };
                let on_purpose = if *on_purpose {
                    " (sent on purpose despite contract findings)"
                } else {
                    ""
                };
                format!("{who}: HTTP {status}{on_purpose}").into()
            }
            Note::WaitingUntil(deadline) => format!(
                "waiting for a completion report until {}",
                deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
            .into(),
            Note::StepFailed(reason) => format!("the step failed: {reason}").into(),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl From<&'static str> for Note {
    fn from(t: &'static str) -> Self {
        Note::Said(t.into())
    }
}

impl From<String> for Note {
    fn from(t: String) -> Self {
        Note::Said(t.into())
    }
}

impl From<std::borrow::Cow<'static, str>> for Note {
    fn from(t: std::borrow::Cow<'static, str>) -> Self {
        Note::Said(t)
    }
}
