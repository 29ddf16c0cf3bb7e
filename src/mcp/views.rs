//! What the tools take and give: typed, so that each tool's input and output JSON Schema is
//! written from the same types that read and write its JSON.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A call's phase, as the filters name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    Received,
    Held,
    Forwarding,
    Answered,
    Waiting,
    Completed,
    ReportedFailure,
    TimedOut,
    Failed,
    Rejected,
    Accepted,
    CallerGone,
    ShutDown,
}

impl PhaseName {
    /// The workbench's label of this phase (`"reported failure"`), as `Phase::label` says it.
    pub fn label(self) -> &'static str {
        match self {
            PhaseName::Received => "received",
            PhaseName::Held => "held",
            PhaseName::Forwarding => "forwarding",
            PhaseName::Answered => "answered",
            PhaseName::Waiting => "waiting",
            PhaseName::Completed => "completed",
            PhaseName::ReportedFailure => "reported failure",
            PhaseName::TimedOut => "timed out",
            PhaseName::Failed => "failed",
            PhaseName::Rejected => "rejected",
            PhaseName::Accepted => "accepted",
            PhaseName::CallerGone => "caller gone",
            PhaseName::ShutDown => "shut down",
        }
    }
}

/// Which calls: every field given must match.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    pub phase: Option<PhaseName>,
    pub action_key: Option<String>,
    pub method: Option<String>,
    pub flagged: Option<bool>,
}

/// The filter fields of an input, as a filter.
macro_rules! filter_of {
    ($t:ty) => {
        impl $t {
            pub fn filter(&self) -> CallFilter {
                CallFilter {
                    phase: self.phase,
                    action_key: self.action_key.clone(),
                    method: self.method.clone(),
                    flagged: self.flagged,
                }
            }
        }
    };
}
filter_of!(ListCallsIn);
filter_of!(WaitForCallIn);

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCallsIn {
    /// Only calls in this phase now.
    #[serde(default)]
    pub phase: Option<PhaseName>,
    /// Only calls for this action key (or trigger key).
    #[serde(default)]
    pub action_key: Option<String>,
    /// Only calls of this method: invoke, validate-configuration, quota-info,
    /// completion-report, report-event, bulk-report-event, cancel-event, bulk-cancel-event,
    /// access-token, trigger-validate-configuration, trigger-dynamic-schema,
    /// trigger-refresh-payload.
    #[serde(default)]
    pub method: Option<String>,
    /// Only flagged calls (refused, or an error finding about the request or its answer), or
    /// only unflagged ones.
    #[serde(default)]
    pub flagged: Option<bool>,
    /// Calls after this cursor (a previous page's or wait_for_call's `nextCursor`), oldest
    /// first. Without it: the newest calls that match.
    #[serde(default)]
    pub since: Option<String>,
    /// At most this many calls (1 to 200; default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One call in a list: what its row in the window shows.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallRow {
    /// The call's number in the session (get_call takes it).
    pub id: u64,
    /// When it arrived, on the workbench's (possibly warped) clock.
    pub at: String,
    /// inbound: a call to the inbox; outbound: a call ActionBench made to your action.
    pub direction: String,
    pub http_method: String,
    pub path: String,
    pub method: Option<String>,
    pub action_key: Option<String>,
    pub phase: String,
    /// The answer's HTTP status, when one went.
    pub status: Option<u16>,
    pub flagged: bool,
    /// Who answered: developer, agent, auto, fallback, target, workbench…
    pub answered_by: Option<String>,
    /// What kind of call beyond its method (a lab envelope, "sent by agent"…).
    pub tag: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListCallsOut {
    pub calls: Vec<CallRow>,
    /// Pass as `since` for the calls after these (and to wait_for_call).
    pub next_cursor: String,
    /// More calls after these match (ask again with `since: nextCursor`).
    pub has_more: bool,
    /// Calls in the session, all told.
    pub total: u64,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCallIn {
    /// The call's id (from list_calls or wait_for_call).
    pub id: u64,
    /// Keep secrets (JWT signatures, Authorization and cookie headers, instanceIds), which
    /// are otherwise replaced by "[redacted]" as a shared page replaces them.
    #[serde(default)]
    pub no_redact: bool,
    /// Bodies longer than this many bytes are cut, saying their size (default 65536).
    #[serde(default)]
    pub max_body_bytes: Option<u32>,
}

/// A finding: a rule of the contract a request or an answer breaks (or may break).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    /// error or warning.
    pub severity: String,
    pub code: String,
    pub message: String,
    /// The field it is about, as a path (`result.amount`).
    pub field: Option<String>,
    /// Wix's name for the broken rule.
    pub rule: Option<String>,
}

/// The answer that went back.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnswerView {
    pub status: u16,
    pub body: Value,
    pub answered_by: String,
    pub at: String,
    pub findings: Vec<FindingView>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineLine {
    pub at: String,
    pub text: String,
}

/// A body as it arrived, cut when long.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BodyView {
    /// The body as text (a JWT stays as it came; its parts are decoded beside).
    pub text: String,
    /// Its whole size in bytes.
    pub bytes: u64,
    /// The text was cut at maxBodyBytes.
    pub truncated: bool,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallView {
    #[serde(flatten)]
    pub row: CallRow,
    pub invocation_token: Option<String>,
    /// How the body came: plain JSON, or a JWT (and whether it was verified).
    pub envelope: Option<String>,
    /// The method's request (an Invoke's actionKey, actionParams and activationContext).
    pub request: Option<Value>,
    pub metadata: Option<Value>,
    /// A JWT body's claims and header, decoded.
    pub claims: Option<Value>,
    pub jwt_header: Option<Value>,
    /// The request headers, one `name: value` line each.
    pub headers: String,
    pub body: BodyView,
    /// Why the body was not read, when it was not.
    pub unread: Option<String>,
    /// What the phase carries: the result a completion reported, a failure's reason, a
    /// deadline…
    pub phase_detail: Option<Value>,
    pub answer: Option<AnswerView>,
    /// Forward mode: what your action answered, before any edit.
    pub target_answer: Option<AnswerView>,
    /// Findings about the request itself.
    pub findings: Vec<FindingView>,
    pub timeline: Vec<TimelineLine>,
    /// What was redacted ("2 JWT signatures, 1 instanceId"), when something was.
    pub redacted: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitForCallIn {
    /// Only calls in this phase now.
    #[serde(default)]
    pub phase: Option<PhaseName>,
    /// Only calls for this action key (or trigger key).
    #[serde(default)]
    pub action_key: Option<String>,
    /// Only calls of this method: invoke, validate-configuration, quota-info,
    /// completion-report, report-event, bulk-report-event, cancel-event, bulk-cancel-event,
    /// access-token, trigger-validate-configuration, trigger-dynamic-schema,
    /// trigger-refresh-payload.
    #[serde(default)]
    pub method: Option<String>,
    /// Only flagged calls (refused, or an error finding about the request or its answer), or
    /// only unflagged ones.
    #[serde(default)]
    pub flagged: Option<bool>,
    /// Wait for a call after this cursor (list_calls' or a previous wait's `nextCursor`).
    /// Without it: a call from now on.
    #[serde(default)]
    pub since: Option<String>,
    /// How long to wait, in seconds (1 to 50; default 30). Then `timedOut` with the cursor to
    /// wait from again.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitForCallOut {
    /// No matching call came in time.
    pub timed_out: bool,
    /// The call that matched (get_call reads it whole).
    pub call: Option<CallRow>,
    /// Wait again from here for the next one.
    pub next_cursor: String,
}

/// An error answer: an HTTP status and Wix's applicationError code.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorAnswer {
    /// 400 to 599.
    pub status: u16,
    /// applicationError.code (default ACTION_FAILED).
    #[serde(default)]
    pub code: Option<String>,
    /// applicationError.description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Any answer, as it goes: status and body.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawAnswer {
    pub status: u16,
    pub body: Value,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerCallIn {
    /// The held call's id.
    pub id: u64,
    /// IMMEDIATE: the action's output (checked against the output schema).
    #[serde(default)]
    pub result: Option<Value>,
    /// TIMEOUT by length: Wix waits this many minutes for a completion report.
    #[serde(default)]
    pub timeout_minutes: Option<i64>,
    /// TIMEOUT by date: Wix waits until this ISO-8601 date for a completion report.
    #[serde(default)]
    pub timeout_date: Option<String>,
    /// An error answer.
    #[serde(default)]
    pub error: Option<ErrorAnswer>,
    /// Any answer, as written (for methods other than invoke, or to break the contract on
    /// purpose with force).
    #[serde(default)]
    pub raw: Option<RawAnswer>,
    /// Send it even if it breaks the contract (the call is then marked as answered so on
    /// purpose).
    #[serde(default)]
    pub force: bool,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnswerCallOut {
    /// The answer went to the caller.
    pub taken: bool,
    /// Why not, when it did not.
    pub refused: Option<String>,
    /// What the contract says of the answer.
    pub findings: Vec<FindingView>,
    /// The call's phase after (answered, waiting, failed…).
    pub phase: Option<String>,
    /// The body that went (or would have).
    pub sent: Value,
    pub status: u16,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportCompletionIn {
    /// The invocation's id (a call answered with a timeout, now waiting)…
    #[serde(default)]
    pub id: Option<u64>,
    /// …or its invocation token.
    #[serde(default)]
    pub invocation_token: Option<String>,
    /// Success: the action's output (checked against the output schema).
    #[serde(default)]
    pub result: Option<Value>,
    /// Failure: why the action failed (errorDescription).
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportCompletionOut {
    /// The report was taken (as the completion API would take it).
    pub taken: bool,
    /// The invocation it reported on.
    pub id: Option<u64>,
    /// The completion API's answer.
    pub status: u16,
    pub answer: Value,
    /// The invocation's phase after.
    pub phase: Option<String>,
    pub findings: Vec<FindingView>,
}

/// Where a sample goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Destination {
    /// The workbench's own inbox: the call is logged and answered as its key's mode says.
    #[default]
    Inbox,
    /// Your action (the target), as Wix calls it.
    Target,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendSampleIn {
    /// A loaded sample's name (get_status lists them) or file name.
    #[serde(default)]
    pub sample: Option<String>,
    /// Or a sample written here: `{"request": {"actionKey": …, "actionParams": …}}`, as a
    /// sample file.
    #[serde(default)]
    pub inline: Option<Value>,
    /// inbox (default) or target.
    #[serde(default)]
    pub to: Destination,
    /// To the target: signed as Wix signs (RS256 JWT) or plain JSON [default: as the target
    /// is set].
    #[serde(default)]
    pub signed: Option<bool>,
    /// Send even if its actionParams break the input schema (Wix never would).
    #[serde(default)]
    pub anyway: bool,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendSampleOut {
    pub sent: bool,
    /// The call as logged (get_call reads it).
    pub id: Option<u64>,
    pub call: Option<CallRow>,
    /// Why it was not sent, or why the target could not be reached.
    pub reason: Option<String>,
    pub findings: Vec<FindingView>,
}

/// How an action key's calls are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModeName {
    /// Held for someone (you, or the person at the window) to answer.
    Hold,
    /// The saved answer goes at once.
    Auto,
    /// An error goes at once.
    Fail,
    /// Relayed to your action (the target); its answer checked and returned.
    Forward,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetModeIn {
    pub action_key: String,
    pub mode: ModeName,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyMode {
    pub action_key: String,
    pub mode: ModeName,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetModeOut {
    pub action_key: String,
    pub mode: ModeName,
    pub was: ModeName,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusOut {
    /// The inbox's URL: point Wix (or a tunnel) here.
    pub inbox_url: Option<String>,
    /// Where the MCP server answers over HTTP on this inbox.
    pub mcp_url: Option<String>,
    /// Your action's base URL (send_sample to target and run_check call it).
    pub target: Option<String>,
    /// Whether what goes to the target is signed (RS256 JWT).
    pub target_signed: bool,
    /// The mode of keys nobody set.
    pub default_mode: ModeName,
    pub modes: Vec<KeyMode>,
    /// The loaded samples, by name.
    pub samples: Vec<String>,
    /// The loaded flows, by name.
    pub flows: Vec<String>,
    /// The action keys of the loaded action definitions.
    pub definitions: Vec<String>,
    /// The session journal's path.
    pub session: Option<String>,
    pub calls: u64,
    /// The workbench's clock (simulated time) and how much faster than real time it runs.
    pub now: String,
    pub warp: u32,
    pub agents_connected: u64,
}
