//! Drafts of answers and completion reports: plain data the window edits, turned into replies
//! and checked with the same contract checks the engine applies. No drawing here.

use crate::domain::contract::{self, AnswerTimes, Finding};
use crate::domain::schema::Schema;
use crate::domain::wire::{self, CompletionReport, InvokeResponse, Method};
use crate::engine::{ActionSchemas, Reply, check_answer};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    Immediate,
    TimeoutLength,
    TimeoutDate,
    Error,
    /// Any status and JSON body, as written: what a forwarded action answered, to edit.
    Raw,
}

impl AnswerKind {
    pub const ALL: [AnswerKind; 5] = [
        AnswerKind::Immediate,
        AnswerKind::TimeoutLength,
        AnswerKind::TimeoutDate,
        AnswerKind::Error,
        AnswerKind::Raw,
    ];
    pub fn label(self) -> &'static str {
        match self {
            AnswerKind::Immediate => "IMMEDIATE",
            AnswerKind::TimeoutLength => "TIMEOUT_LENGTH",
            AnswerKind::TimeoutDate => "TIMEOUT_DATE",
            AnswerKind::Error => "Error",
            AnswerKind::Raw => "Raw JSON",
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// An answer being written for one held call.
#[derive(Clone, Debug)]
pub struct AnswerDraft {
    pub method: Method,
    pub kind: AnswerKind,
    /// IMMEDIATE's `result`, as JSON text.
    pub result: String,
    pub minutes: i64,
    pub date: String,
    pub error_status: u16,
    pub error_code: String,
    /// validate-configuration and quota-info answers, as JSON text.
    pub body: String,
    pub status: u16,
    pub output: Option<Schema>,
    /// What the draft said when it was made: it is edited once it says something else.
    pristine: String,
}

impl AnswerDraft {
    /// What the draft says, as one string to compare.
    fn said(&self) -> String {
        format!(
            "{:?}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.kind,
            self.result,
            self.minutes,
            self.date,
            self.error_status,
            self.error_code,
            self.body,
            self.status
        )
    }

    /// Whether the developer changed the draft since it was made.
    pub fn edited(&self) -> bool {
        self.said() != self.pristine
    }

    /// Takes what the draft says now as where it started (it was made, not yet edited).
    fn settle(mut self) -> AnswerDraft {
        self.pristine = self.said();
        self
    }

    /// Starts from the sample's example answer, else the output schema's skeleton.
    pub fn new(method: Method, schemas: &ActionSchemas, now: DateTime<Utc>) -> AnswerDraft {
        let start = schemas.starting_answer();
        let result = start.get("result").cloned().unwrap_or_else(|| json!({}));
        let skeleton = schemas
            .output
            .as_ref()
            .map(Schema::skeleton)
            .unwrap_or_else(|| json!({}));
        let kind = match start.get("invokeTimeoutType").and_then(Value::as_str) {
            Some("TIMEOUT_LENGTH") => AnswerKind::TimeoutLength,
            Some("TIMEOUT_DATE") => AnswerKind::TimeoutDate,
            _ => AnswerKind::Immediate,
        };
        let body = match method {
            Method::ValidateConfiguration => wire::valid_configuration(),
            _ => wire::unenforced_quota(),
        };
        AnswerDraft {
            method,
            kind,
            // A timeout answer's own result is not what later steps see; keep the skeleton.
            result: pretty(if kind == AnswerKind::Immediate {
                &result
            } else {
                &skeleton
            }),
            minutes: start
                .pointer("/timeoutLengthOptions/timeoutInMinutes")
                .and_then(Value::as_i64)
                .unwrap_or(1440),
            date: wire::resolve_answer(&start, now)
                .as_ref()
                .unwrap_or(&start)
                .pointer("/timeoutDateOptions/timeoutDate")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    (now + Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
                }),
            error_status: 500,
            error_code: "ACTION_FAILED".into(),
            body: pretty(&body),
            status: 200,
            output: schemas.output.clone(),
            pristine: String::new(),
        }
        .settle()
    }

    /// Starts from what the developer's action answered (forward mode with pause): the status
    /// and body as they came, to read or edit before they go back.
    pub fn from_target(
        method: Method,
        status: u16,
        body: &Value,
        schemas: &ActionSchemas,
        now: DateTime<Utc>,
    ) -> AnswerDraft {
        let mut d = AnswerDraft::new(method, schemas, now);
        d.kind = AnswerKind::Raw;
        d.status = status;
        d.body = match body {
            // A body that was not JSON is kept as a string: shown as it came.
            Value::String(s) => s.clone(),
            v => pretty(v),
        };
        d.settle()
    }

    /// The reply this draft describes, or why it cannot be built (text that is not JSON).
    pub fn build(&self) -> Result<Reply, String> {
        let status = match (self.method, self.kind) {
            (Method::Invoke, AnswerKind::Error) => Some(self.error_status),
            (Method::Invoke, AnswerKind::Raw) => Some(self.status),
            (Method::Invoke, _) => None,
            _ => Some(self.status),
        };
        if let Some(s) = status
            && let Some(why) = unsendable_status(s)
        {
            return Err(why);
        }
        if self.method != Method::Invoke {
            let body: Value = serde_json::from_str(&self.body)
                .map_err(|e| format!("the answer is not JSON: {e}"))?;
            return Ok(Reply::json(self.status, body));
        }
        Ok(match self.kind {
            AnswerKind::Immediate => {
                let result: Value = serde_json::from_str(&self.result)
                    .map_err(|e| format!("the result is not JSON: {e}"))?;
                Reply::json(200, InvokeResponse::immediate(result).to_value())
            }
            AnswerKind::TimeoutLength => {
                Reply::json(200, InvokeResponse::timeout_length(self.minutes).to_value())
            }
            AnswerKind::TimeoutDate => Reply::json(
                200,
                InvokeResponse::timeout_date(self.date.trim()).to_value(),
            ),
            AnswerKind::Error => Reply::json(
                self.error_status,
                wire::application_error(&self.error_code, json!({})),
            ),
            AnswerKind::Raw => {
                let body: Value = serde_json::from_str(&self.body)
                    .map_err(|e| format!("the answer is not JSON: {e}"))?;
                Reply::json(self.status, body)
            }
        })
    }

    /// Contract findings about `reply` (this draft, built), as the engine will judge it at `now`.
    pub fn findings(&self, reply: &Reply, now: AnswerTimes) -> Vec<Finding> {
        check_answer(
            self.method,
            reply.status,
            &reply.body,
            self.output.as_ref(),
            now,
        )
    }
}

/// Why an answer cannot go out with HTTP status `s` as written: an informational status is
/// not a final answer, and 204, 205 and 304 carry no body, so the JSON would be dropped.
pub fn unsendable_status(s: u16) -> Option<String> {
    match s {
        0..=199 => Some(format!(
            "HTTP {s} is not a final answer: pick a status from 200 to 599"
        )),
        204 | 205 | 304 => Some(format!(
            "HTTP {s} carries no body, so the JSON answer would not reach the caller: pick another status"
        )),
        600.. => Some(format!(
            "HTTP {s} is not a status: pick one from 200 to 599"
        )),
        _ => None,
    }
}

/// A completion report being written for one waiting invocation.
#[derive(Clone, Debug)]
pub struct ReportDraft {
    pub result: String,
    pub description: String,
    pub output: Option<Schema>,
}

impl ReportDraft {
    pub fn new(schemas: &ActionSchemas) -> ReportDraft {
        let skeleton = schemas
            .output
            .as_ref()
            .map(Schema::skeleton)
            .unwrap_or_else(|| json!({}));
        ReportDraft {
            result: pretty(&skeleton),
            description: String::new(),
            output: schemas.output.clone(),
        }
    }

    pub fn success(&self, token: &str) -> Result<CompletionReport, String> {
        let result: Value = serde_json::from_str(&self.result)
            .map_err(|e| format!("the result is not JSON: {e}"))?;
        Ok(CompletionReport::success(token, result))
    }

    pub fn failure(&self, token: &str) -> CompletionReport {
        CompletionReport::failure(token, &self.description)
    }

    pub fn findings(&self, report: &CompletionReport) -> Vec<Finding> {
        let v = serde_json::to_value(report).unwrap_or_default();
        contract::check_completion_report(&v, self.output.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statuses_that_carry_the_json_answer_can_be_sent() {
        for s in [100, 101, 199, 204, 205, 304, 600] {
            assert!(unsendable_status(s).is_some(), "{s}");
        }
        for s in [200, 201, 299, 400, 409, 429, 500, 599] {
            assert!(unsendable_status(s).is_none(), "{s}");
        }
        let mut d = AnswerDraft::new(Method::QuotaInfo, &ActionSchemas::default(), Utc::now());
        d.status = 204;
        assert!(d.build().is_err_and(|e| e.contains("no body")));
        d.status = 200;
        assert!(d.build().is_ok());
    }
}
