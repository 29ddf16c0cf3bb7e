//! Reading calls: a page of them, one whole, and waiting for the next that matches.

use super::views::{
    AnswerView, BodyView, CallFilter, CallRow, CallView, FindingView, GetCallIn, ListCallsIn,
    ListCallsOut, TimelineLine, WaitForCallIn, WaitForCallOut,
};
use crate::domain::contract::{Finding, Severity};
use crate::domain::invocation::{Direction, Exchange, ExchangeId, Phase, SentResponse};
use crate::domain::summary::{Row, known_text_number};
use crate::domain::timeline::AnsweredBy;
use crate::domain::wire::Method;
use crate::engine::{Engine, key_tag};
use chrono::SecondsFormat;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The most calls one page gives.
pub const MAX_PAGE: u32 = 200;
const DEFAULT_PAGE: u32 = 50;
/// The longest a wait lasts: below the minute clients give a tool call.
pub const MAX_WAIT_SECONDS: u32 = 50;
const DEFAULT_WAIT_SECONDS: u32 = 30;
const DEFAULT_BODY_BYTES: u32 = 64 * 1024;

/// A cursor as the tools give it: the id of the last call it covers.
pub fn parse_cursor(field: &str, c: &str) -> Result<ExchangeId, String> {
    c.trim().parse::<ExchangeId>().map_err(|_| {
        format!("{field}: {c:?} is not a cursor (pass a nextCursor a previous call gave)")
    })
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A method as the filters and rows name it (its kebab-case wire name).
pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Invoke => "invoke",
        Method::ValidateConfiguration => "validate-configuration",
        Method::QuotaInfo => "quota-info",
        Method::CompletionReport => "completion-report",
        Method::ReportEvent => "report-event",
        Method::BulkReportEvent => "bulk-report-event",
        Method::CancelEvent => "cancel-event",
        Method::BulkCancelEvent => "bulk-cancel-event",
        Method::AccessToken => "access-token",
        Method::TriggerValidateConfiguration => "trigger-validate-configuration",
        Method::TriggerDynamicSchema => "trigger-dynamic-schema",
        Method::TriggerRefreshPayload => "trigger-refresh-payload",
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// Who answered, as the rows name it.
pub fn by_name(by: AnsweredBy) -> &'static str {
    match by {
        AnsweredBy::Developer => "developer",
        AnsweredBy::Auto => "auto",
        AnsweredBy::FailPolicy => "fail-policy",
        AnsweredBy::Fallback => "fallback",
        AnsweredBy::Workbench => "workbench",
        AnsweredBy::Shutdown => "shutdown",
        AnsweredBy::Target => "target",
        AnsweredBy::Agent => "agent",
    }
}

/// What a filter looks at, for a whole exchange or a packed one alike.
struct Facts<'a> {
    phase: &'a str,
    action_key: Option<&'a str>,
    method: Option<Method>,
    flagged: bool,
}

/// A filter made ready to test many rows: its method read once.
pub struct Ready<'a> {
    filter: &'a CallFilter,
    /// `Some(None)`: a method no call has (nothing matches).
    method: Option<Option<Method>>,
    /// The action key's number in the summaries' texts; `Some(None)`: no summary names it, so
    /// no packed row matches. Read once, so a packed row is tested by numbers, never unpacked
    /// unless it matches (a scan of every row stays a scan of integers).
    key_number: Option<Option<u32>>,
    /// The action key's tag ([`key_tag`]): a row whose tag differs is skipped without being
    /// read (a scan of every row for a key reads a number a row).
    key_tag: Option<u32>,
}

impl CallFilter {
    pub fn ready(&self) -> Ready<'_> {
        Ready {
            filter: self,
            method: self
                .method
                .as_ref()
                .map(|m| serde_json::from_value::<Method>(Value::String(m.clone())).ok()),
            key_number: self.action_key.as_deref().map(known_text_number),
            key_tag: self.action_key.as_deref().map(|k| key_tag(Some(k))),
        }
    }
}

impl Ready<'_> {
    /// Whether a call matches; `flagged` is asked only when the filter needs it (it reads the
    /// findings).
    fn matches(&self, f: &Facts<'_>) -> bool {
        if let Some(k) = &self.filter.action_key
            && f.action_key != Some(k.as_str())
        {
            return false;
        }
        self.matches_but_key(f)
    }

    /// Whether a call matches on everything but its action key (tested before, by number).
    fn matches_but_key(&self, f: &Facts<'_>) -> bool {
        let c = self.filter;
        if let Some(m) = self.method
            && (m.is_none() || f.method != m)
        {
            return false;
        }
        if let Some(p) = c.phase
            && p.label() != f.phase
        {
            return false;
        }
        if let Some(flag) = c.flagged
            && f.flagged != flag
        {
            return false;
        }
        true
    }

    /// Whether exchange `ex` matches.
    pub fn matches_exchange(&self, ex: &Exchange) -> bool {
        // Cheap fields first: most rows fail on the key.
        if let Some(k) = &self.filter.action_key
            && ex.action_key.as_deref() != Some(k.as_str())
        {
            return false;
        }
        self.matches(&Facts {
            phase: ex.phase.label(),
            action_key: ex.action_key.as_deref(),
            method: ex.method,
            flagged: self.filter.flagged.is_some() && ex.is_flagged(),
        })
    }

    /// Whether row `id` can be passed over on its key's tag alone (it is written, and its tag
    /// is not the filter's).
    fn skips(&self, engine: &Engine, id: ExchangeId) -> bool {
        self.key_tag
            .is_some_and(|t| engine.key_tag_of(id).is_some_and(|k| k != t))
    }

    /// Row `id`, as a list shows it, if it matches.
    fn row_if(&self, id: ExchangeId, row: &Row) -> Option<CallRow> {
        match row {
            Row::Whole(ex) => self.matches_exchange(ex).then(|| call_row(ex)),
            Row::Packed(p) => {
                if let Some(k) = self.key_number
                    && k != Some(p.action_key_number())
                {
                    return None;
                }
                let facts = Facts {
                    phase: p.phase_label(),
                    action_key: None,
                    method: p.method(),
                    flagged: p.flagged(),
                };
                if !self.matches_but_key(&facts) {
                    return None;
                }
                let s = p.unpack(id);
                Some(CallRow {
                    id,
                    at: time(s.at),
                    direction: direction(s.direction).into(),
                    http_method: s.http_method.to_string(),
                    path: s.path.to_string(),
                    method: s.method.map(|m| method_name(m).into()),
                    action_key: s.action_key.as_deref().map(str::to_string),
                    phase: s.phase.to_string(),
                    status: s.status,
                    flagged: s.flagged,
                    answered_by: None,
                    tag: s.tag.as_deref().map(str::to_string),
                })
            }
        }
    }
}

/// Exchange `ex` as a list shows it.
pub fn call_row(ex: &Exchange) -> CallRow {
    CallRow {
        id: ex.id,
        at: time(ex.at),
        direction: direction(ex.direction).into(),
        http_method: ex.http_method.clone(),
        path: ex.path.clone(),
        method: ex.method.map(|m| method_name(m).into()),
        action_key: ex.action_key.clone(),
        phase: ex.phase.label().to_string(),
        status: ex.response.as_ref().map(|r| r.status),
        flagged: ex.is_flagged(),
        answered_by: ex.response.as_ref().map(|r| by_name(r.by).into()),
        tag: ex.tag.clone(),
    }
}

pub fn finding_view(f: &Finding) -> FindingView {
    FindingView {
        severity: match f.severity {
            Severity::Error => "error".into(),
            Severity::Warning => "warning".into(),
        },
        code: f.code.to_string(),
        message: f.message.clone(),
        field: f.field.clone(),
        rule: f.rule.map(str::to_string),
    }
}

pub fn findings(fs: &[Finding]) -> Vec<FindingView> {
    fs.iter().map(finding_view).collect()
}

/// A page of calls: after `since` oldest first, else the newest.
pub fn list(engine: &Engine, args: &ListCallsIn) -> Result<ListCallsOut, String> {
    let owned = args.filter();
    let filter = owned.ready();
    let limit = args.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    let total = engine.len() as ExchangeId;
    let mut calls = Vec::with_capacity(limit.min(64));
    let mut has_more = false;
    let next_cursor;
    match &args.since {
        Some(c) => {
            let since = parse_cursor("since", c)?;
            // Everything up to here was looked at (a call still on its way in stops it).
            let mut covered = since.min(total);
            let mut id = since.saturating_add(1);
            while id <= total {
                if filter.skips(engine, id) {
                    covered = id;
                    id += 1;
                    continue;
                }
                let Some(row) = engine.row(id) else { break };
                if let Some(r) = filter.row_if(id, &row) {
                    if calls.len() == limit {
                        has_more = true;
                        break;
                    }
                    calls.push(r);
                }
                covered = id;
                id += 1;
            }
            next_cursor = covered.max(since);
        }
        None => {
            for id in (1..=total).rev() {
                if calls.len() == limit {
                    break;
                }
                if filter.skips(engine, id) {
                    continue;
                }
                if let Some(row) = engine.row(id)
                    && let Some(r) = filter.row_if(id, &row)
                {
                    calls.push(r);
                }
            }
            calls.reverse();
            next_cursor = total;
        }
    }
    Ok(ListCallsOut {
        calls,
        next_cursor: next_cursor.to_string(),
        has_more,
        total,
    })
}

fn body_view(bytes: &[u8], max: usize) -> BodyView {
    let truncated = bytes.len() > max;
    let cut = if truncated { &bytes[..max] } else { bytes };
    BodyView {
        text: String::from_utf8_lossy(cut).into_owned(),
        bytes: bytes.len() as u64,
        truncated,
    }
}

/// A JSON value that is too big to give whole: its size said instead.
fn cut_value(v: &Value, max: usize) -> Value {
    let text = v.to_string();
    if text.len() <= max {
        return v.clone();
    }
    json!({ "cut": format!("{} bytes of JSON, over the {max}-byte limit: raise maxBodyBytes to read it", text.len()) })
}

fn answer_view(r: &SentResponse, max: usize) -> AnswerView {
    AnswerView {
        status: r.status,
        body: cut_value(&r.body, max),
        answered_by: by_name(r.by).into(),
        at: time(r.at),
        findings: findings(&r.findings),
    }
}

fn phase_detail(p: &Phase) -> Option<Value> {
    match p {
        Phase::Held { hold_until } => Some(json!({ "holdUntil": time(*hold_until) })),
        Phase::Waiting { deadline } | Phase::TimedOut { deadline } => {
            Some(json!({ "deadline": time(*deadline) }))
        }
        Phase::Completed { result } => Some(json!({ "result": result })),
        Phase::ReportedFailure { description } => Some(json!({ "errorDescription": description })),
        Phase::Failed { reason } => Some(json!({ "reason": reason })),
        Phase::Rejected { code, message } => Some(json!({ "code": code, "message": message })),
        _ => None,
    }
}

/// Call `id` whole, redacted unless asked not to, its bodies cut past the limit.
pub fn get(engine: &Engine, args: &GetCallIn) -> Result<CallView, String> {
    let Some(ex) = engine.exchange(args.id) else {
        return Err(format!(
            "no call #{} (the session has {} call(s), numbered from 1)",
            args.id,
            engine.len()
        ));
    };
    let max = args.max_body_bytes.unwrap_or(DEFAULT_BODY_BYTES).max(256) as usize;
    let mut redacted = crate::journal::share::Redacted::default();
    let ex = if args.no_redact {
        ex
    } else {
        redacted.apply(&ex)
    };
    let inspected = ex.arrival.inspect();
    let big = ex.arrival.body.len() > max;
    Ok(CallView {
        row: call_row(&ex),
        invocation_token: ex.invocation_token.clone(),
        envelope: ex.envelope.map(|k| k.label().to_string()),
        request: inspected
            .request
            .filter(|_| !big)
            .map(|v| cut_value(&v, max)),
        metadata: inspected.metadata,
        claims: inspected.jwt_claims,
        jwt_header: inspected.jwt_header,
        headers: ex.arrival.headers.clone(),
        body: body_view(&ex.arrival.body, max),
        unread: ex.arrival.unread.clone(),
        phase_detail: phase_detail(&ex.phase),
        answer: ex.response.as_ref().map(|r| answer_view(r, max)),
        target_answer: ex.target_answer.as_ref().map(|r| answer_view(r, max)),
        findings: findings(&ex.findings),
        timeline: ex
            .timeline
            .iter()
            .map(|t| TimelineLine {
                at: time(t.at),
                text: t.text().into_owned(),
            })
            .collect(),
        redacted: redacted.sentence(),
    })
}

/// The first call after `since` that matches, looked for in the log.
fn first_after(engine: &Engine, filter: &Ready<'_>, since: ExchangeId) -> Option<CallRow> {
    let total = engine.len() as ExchangeId;
    (since.saturating_add(1)..=total).find_map(|id| {
        let row = engine.row(id)?;
        filter.row_if(id, &row)
    })
}

/// The next call after the cursor that matches, within the wait; or `timedOut` and the cursor
/// to wait from again. Woken by the engine's events, not by polling.
pub async fn wait(
    engine: &Arc<Engine>,
    args: &WaitForCallIn,
    cancelled: impl std::future::Future<Output = ()>,
) -> Result<WaitForCallOut, String> {
    tokio::pin!(cancelled);
    let owned = args.filter();
    let filter = owned.ready();
    let seconds = args
        .timeout_seconds
        .unwrap_or(DEFAULT_WAIT_SECONDS)
        .clamp(1, MAX_WAIT_SECONDS);
    let notify = Arc::new(tokio::sync::Notify::new());
    let waker = notify.clone();
    // Subscribed before looking: a call that comes meanwhile is in the events.
    let sub = engine.subscribe(1024, Some(Arc::new(move || waker.notify_one())));
    let since = match &args.since {
        Some(c) => parse_cursor("since", c)?,
        None => engine.len() as ExchangeId,
    };
    let found = |call: CallRow| WaitForCallOut {
        timed_out: false,
        next_cursor: call.id.to_string(),
        call: Some(call),
    };
    if let Some(call) = first_after(engine, &filter, since) {
        return Ok(found(call));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(seconds));
    loop {
        tokio::select! {
            _ = notify.notified() => {}
            _ = tokio::time::sleep_until(deadline) => break,
            _ = &mut cancelled => break,
        }
        let mut matched = None;
        while let Ok(ev) = sub.rx.try_recv() {
            if matched.is_none() && ev.exchange.id > since && filter.matches_exchange(&ev.exchange)
            {
                matched = Some(call_row(&ev.exchange));
            }
        }
        if matched.is_none() && sub.take_lagged() {
            matched = first_after(engine, &filter, since);
        }
        if let Some(call) = matched {
            return Ok(found(call));
        }
    }
    Ok(WaitForCallOut {
        timed_out: true,
        call: None,
        next_cursor: since.to_string(),
    })
}
