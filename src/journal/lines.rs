//! The journal's lines: what each kind of line holds, and format 1's exchange lines read back
//! into exchanges (format 2's are in `compact`).

use super::{
    AnsweredBy, Arc, Arrival, DateTime, Deserialize, Direction, EnvelopeKind, Exchange, Finding,
    Method, Mutex, Note, Phase, STANDARD, SentResponse, Serialize, Severity, TimelineEntry, Utc,
    Value,
};
use base64::Engine as _;

#[derive(Serialize, Deserialize)]
pub(super) struct Line {
    pub(super) v: u32,
    #[serde(flatten)]
    pub(super) what: What,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum What {
    /// The first line of a run (each reopening adds one), with the process that writes it.
    Session {
        at: DateTime<Utc>,
        version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
    },
    /// Writing failed from `since` to `until` (why: `cause`): calls meanwhile were refused,
    /// and `dropped` lines could not be kept.
    Trouble {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        cause: String,
        dropped: u64,
    },
    /// Simulated time's lead over real time, when it changes.
    Clock { offset_ms: i64 },
}

#[derive(Serialize, Deserialize)]
pub(super) struct FindingRecord {
    pub(super) severity: Severity,
    pub(super) code: String,
    pub(super) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rule: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ResponseRecord {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) by: AnsweredBy,
    pub(super) at: DateTime<Utc>,
    pub(super) findings: Vec<FindingRecord>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ExchangeRecord {
    pub(super) id: u64,
    pub(super) direction: Direction,
    pub(super) at: DateTime<Utc>,
    pub(super) http_method: String,
    pub(super) path: String,
    pub(super) method: Option<Method>,
    pub(super) action_key: Option<String>,
    pub(super) envelope: Option<EnvelopeKind>,
    pub(super) invocation_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) headers: Option<String>,
    /// The body as text, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) body: Option<String>,
    /// The body in base64, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) body_b64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) unread: Option<String>,
    pub(super) findings: Vec<FindingRecord>,
    pub(super) phase: Phase,
    pub(super) response: Option<ResponseRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) target_answer: Option<ResponseRecord>,
    pub(super) timeline: Vec<(DateTime<Utc>, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tag: Option<String>,
}

/// Codes and rules are `&'static str` in a live finding; read back, each distinct one is
/// kept once (a journal names a few dozen).
pub(super) fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = seen.iter().find(|k| **k == s) {
        return k;
    }
    if seen.len() >= 4096 {
        return "restored";
    }
    let k: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(k);
    k
}

pub(super) fn finding(r: FindingRecord) -> Finding {
    Finding {
        severity: r.severity,
        code: intern(&r.code),
        message: r.message,
        field: r.field,
        rule: r.rule.as_deref().map(intern),
    }
}

pub(super) fn response(r: ResponseRecord) -> SentResponse {
    SentResponse {
        status: r.status,
        body: Arc::new(r.body),
        by: r.by,
        at: r.at,
        findings: r.findings.into_iter().map(finding).collect(),
    }
}

/// An exchange from its record; `arrival` is the one its first line carried.
pub(super) fn exchange(r: ExchangeRecord, arrival: Arc<Arrival>) -> Exchange {
    Exchange {
        id: r.id,
        direction: r.direction,
        at: r.at,
        http_method: r.http_method,
        path: r.path,
        method: r.method,
        action_key: r.action_key,
        envelope: r.envelope,
        invocation_token: r.invocation_token,
        arrival,
        findings: r.findings.into_iter().map(finding).collect(),
        phase: r.phase,
        response: r.response.map(response),
        target_answer: r.target_answer.map(response),
        timeline: r
            .timeline
            .into_iter()
            .map(|(at, text)| TimelineEntry {
                at,
                note: Note::Said(text.into()),
            })
            .collect(),
        tag: r.tag,
    }
}

/// The arrival an exchange's first line carried.
pub(super) fn arrival_of(ex: &ExchangeRecord) -> Arc<Arrival> {
    let body = match (&ex.body, &ex.body_b64) {
        (Some(t), _) => bytes::Bytes::from(t.clone().into_bytes()),
        (None, Some(b)) => STANDARD
            .decode(b)
            .map(bytes::Bytes::from)
            .unwrap_or_default(),
        (None, None) => bytes::Bytes::new(),
    };
    Arc::new(Arrival {
        headers: ex.headers.clone().unwrap_or_default(),
        body,
        unread: ex.unread.clone(),
    })
}

pub(super) fn carries_body(ex: &ExchangeRecord) -> bool {
    ex.body.is_some() || ex.body_b64.is_some() || ex.headers.is_some()
}

/// Format 1's record of `ex` as it stands: self-describing (the body as text, every time
/// given, headers and timeline as text), which is what a shared page embeds: any ActionBench
/// reads it back, and the page's script shows it without rebuilding anything.
pub(super) fn record_of(ex: &Exchange) -> ExchangeRecord {
    let findings = |f: &[Finding]| {
        f.iter()
            .map(|f| FindingRecord {
                severity: f.severity,
                code: f.code.to_string(),
                message: f.message.clone(),
                field: f.field.clone(),
                rule: f.rule.map(str::to_string),
            })
            .collect()
    };
    let response = |r: &SentResponse| ResponseRecord {
        status: r.status,
        body: (*r.body).clone(),
        by: r.by,
        at: r.at,
        findings: findings(&r.findings),
    };
    let (body, body_b64) = match std::str::from_utf8(&ex.arrival.body) {
        Ok(t) => (Some(t.to_string()), None),
        Err(_) => (None, Some(STANDARD.encode(&ex.arrival.body))),
    };
    ExchangeRecord {
        id: ex.id,
        direction: ex.direction,
        at: ex.at,
        http_method: ex.http_method.clone(),
        path: ex.path.clone(),
        method: ex.method,
        action_key: ex.action_key.clone(),
        envelope: ex.envelope,
        invocation_token: ex.invocation_token.clone(),
        headers: Some(ex.arrival.headers.clone()).filter(|h| !h.is_empty()),
        body: body.filter(|b| !b.is_empty() || body_b64.is_none()),
        body_b64,
        unread: ex.arrival.unread.clone(),
        findings: findings(&ex.findings),
        phase: ex.phase.clone(),
        response: ex.response.as_ref().map(response),
        target_answer: ex.target_answer.as_ref().map(response),
        timeline: ex
            .timeline
            .iter()
            .map(|t| (t.at, t.text().into_owned()))
            .collect(),
        tag: ex.tag.clone(),
    }
}
