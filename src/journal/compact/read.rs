//! Reading format 2's exchange lines back: whole, or only what reopening needs.

use super::super::{
    AnsweredBy, Direction, Exchange, Finding, Note, STANDARD, SentResponse, Summary, SummaryOf,
    TimelineEntry, Value, intern,
};
use super::{
    Arc, Arrival, BROKEN, DateTime, Deserialize, EnvelopeKind, HeaderSets, Method, Phase, RawValue,
    SeqAccess, Sev, Severity, Utc, Visitor, de, de_envelope, de_phase, de_time, de_time_opt,
    default_method, headers_from_set, said_text,
};
use base64::Engine as _;

/// An exchange's line of format 2 as read back: whole ([`Record2`]), or only what reopening
/// needs ([`Peek2`]: the body and the timeline skipped without being kept). `J` is what the
/// JSON body is read into, `S` the other bodies, `F` a finding, `R` an answer, `T` a
/// timeline entry.
#[derive(Deserialize)]
pub(in crate::journal) struct Rec<J, S, F, R, T> {
    pub(in crate::journal) id: u64,
    #[serde(deserialize_with = "de_time")]
    pub(in crate::journal) at: DateTime<Utc>,
    #[serde(default, rename = "d")]
    pub(in crate::journal) direction: Direction,
    #[serde(default, rename = "hm")]
    pub(in crate::journal) http_method: Option<String>,
    #[serde(default, rename = "p")]
    pub(in crate::journal) path: Option<String>,
    #[serde(default = "default_method", rename = "m")]
    pub(in crate::journal) method: Option<Method>,
    #[serde(default, rename = "key")]
    pub(in crate::journal) action_key: Option<String>,
    #[serde(default, rename = "env", deserialize_with = "de_envelope")]
    pub(in crate::journal) envelope: Option<EnvelopeKind>,
    #[serde(default, rename = "tok")]
    pub(in crate::journal) invocation_token: Option<String>,
    #[serde(default, rename = "h")]
    pub(in crate::journal) headers: Option<u32>,
    #[serde(default)]
    pub(in crate::journal) cl: u8,
    #[serde(default = "Option::default")]
    pub(in crate::journal) json: Option<J>,
    #[serde(default = "Option::default", rename = "b")]
    pub(in crate::journal) text: Option<S>,
    #[serde(default = "Option::default", rename = "b64")]
    pub(in crate::journal) base64: Option<S>,
    #[serde(default)]
    pub(in crate::journal) unread: Option<String>,
    #[serde(default = "Vec::new", rename = "f")]
    pub(in crate::journal) findings: Vec<F>,
    #[serde(rename = "ph", deserialize_with = "de_phase")]
    pub(in crate::journal) phase: Phase,
    #[serde(default)]
    pub(in crate::journal) fr: Option<usize>,
    #[serde(default = "Option::default", rename = "r")]
    pub(in crate::journal) response: Option<R>,
    #[serde(default = "Option::default", rename = "ta")]
    pub(in crate::journal) target_answer: Option<R>,
    #[serde(default = "Vec::new", rename = "tl")]
    pub(in crate::journal) timeline: Vec<T>,
    #[serde(default)]
    pub(in crate::journal) tag: Option<String>,
}

/// A format 2 exchange line, whole.
pub(in crate::journal) type Record2 = Rec<Box<RawValue>, String, Finding2, Response2, Entry2>;

/// What reopening needs of a format 2 exchange line (see [`PeekExchange`]).
pub(in crate::journal) type Peek2 = Rec<
    serde::de::IgnoredAny,
    serde::de::IgnoredAny,
    PeekFinding2,
    PeekResponse2,
    serde::de::IgnoredAny,
>;

/// A finding read back, whole or only its severity.
pub(in crate::journal) trait Severe {
    fn severity(&self) -> Severity;
}

/// An answer read back, whole or only what a summary shows.
pub(in crate::journal) trait Status<F> {
    fn status(&self) -> u16;
    fn findings(&self) -> &[F];
}

impl<J, S, F: Severe, R: Status<F>, T> Rec<J, S, F, R, T> {
    pub(in crate::journal) fn carries_body(&self) -> bool {
        self.headers.is_some()
            || self.json.is_some()
            || self.text.is_some()
            || self.base64.is_some()
            || self.unread.is_some()
    }

    pub(in crate::journal) fn summary(&self) -> Summary {
        let path = match (&self.path, self.method) {
            (Some(p), _) => p.as_str(),
            (None, Some(m)) => m.path(),
            (None, None) => "",
        };
        SummaryOf {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.response.as_ref().map(Status::status),
            phase: &self.phase,
            severities: self
                .findings
                .iter()
                .chain(self.response.iter().flat_map(|r| r.findings().iter()))
                .map(Severe::severity),
            http_method: self.http_method.as_deref().unwrap_or("POST"),
            path,
            action_key: self.action_key.as_deref(),
            tag: self.tag.as_deref(),
        }
        .summary()
    }
}

impl Severe for Finding2 {
    fn severity(&self) -> Severity {
        self.severity.0
    }
}

impl Severe for PeekFinding2 {
    fn severity(&self) -> Severity {
        self.0
    }
}

impl Status<Finding2> for Response2 {
    fn status(&self) -> u16 {
        self.status
    }
    fn findings(&self) -> &[Finding2] {
        &self.findings
    }
}

impl Status<PeekFinding2> for PeekResponse2 {
    fn status(&self) -> u16 {
        self.status
    }
    fn findings(&self) -> &[PeekFinding2] {
        &self.findings
    }
}

#[derive(Deserialize)]
pub(in crate::journal) struct Finding2 {
    severity: Sev,
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    rule: Option<String>,
}

#[derive(Deserialize)]
pub(in crate::journal) struct Response2 {
    #[serde(rename = "s")]
    status: u16,
    #[serde(rename = "b")]
    body: Value,
    by: AnsweredBy,
    #[serde(default, deserialize_with = "de_time_opt")]
    at: Option<DateTime<Utc>>,
    #[serde(default, rename = "f")]
    findings: Vec<Finding2>,
}

/// A timeline entry as written: its time where it differs, its code and what it carries.
pub(in crate::journal) struct Entry2 {
    at: Option<DateTime<Utc>>,
    code: String,
    args: Vec<Value>,
}

impl<'de> Deserialize<'de> for Entry2 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry2;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a timeline entry: [time?, code, …]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry2, A::Error> {
                let first: Value = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("an empty timeline entry"))?;
                let (at, code) = match first {
                    Value::String(code) => (None, code),
                    Value::Number(n) => {
                        let at = n
                            .as_i64()
                            .map(DateTime::from_timestamp_nanos)
                            .ok_or_else(|| de::Error::custom("a time out of range"))?;
                        let code: String = seq
                            .next_element()?
                            .ok_or_else(|| de::Error::custom("a timeline entry without code"))?;
                        (Some(at), code)
                    }
                    other => {
                        let at = serde_json::from_value::<DateTime<Utc>>(other)
                            .map_err(de::Error::custom)?;
                        let code: String = seq
                            .next_element()?
                            .ok_or_else(|| de::Error::custom("a timeline entry without code"))?;
                        (Some(at), code)
                    }
                };
                let mut args = vec![];
                while let Some(v) = seq.next_element::<Value>()? {
                    args.push(v);
                }
                Ok(Entry2 { at, code, args })
            }
        }
        d.deserialize_seq(V)
    }
}

fn finding2(f: Finding2) -> Finding {
    Finding {
        severity: f.severity.0,
        code: intern(&f.code),
        message: f.message,
        field: f.field,
        rule: f.rule.as_deref().map(intern),
    }
}

fn response2(r: Response2, at: DateTime<Utc>) -> SentResponse {
    SentResponse {
        status: r.status,
        body: Arc::new(r.body),
        by: r.by,
        at: r.at.unwrap_or(at),
        findings: r.findings.into_iter().map(finding2).collect(),
    }
}

/// The sentence entry `e` stands for, in exchange `ex` (whose answer and phase it may name).
fn note(e: Entry2, response: Option<&SentResponse>, phase: &Phase, method: Option<Method>) -> Note {
    let text = |i: usize| e.args.get(i).and_then(Value::as_str).map(str::to_string);
    match e.code.as_str() {
        "say" => Note::Said(text(0).unwrap_or_default().into()),
        "answered" => {
            let by = e
                .args
                .first()
                .and_then(|v| serde_json::from_value::<AnsweredBy>(v.clone()).ok());
            let status = e.args.get(1).and_then(Value::as_u64).map(|s| s as u16);
            match (by, status, response) {
                (Some(by), Some(status), _) => Note::Answered {
                    by,
                    status,
                    on_purpose: e.args.get(2).and_then(Value::as_bool).unwrap_or(false),
                },
                (_, _, Some(r)) => Note::Answered {
                    by: r.by,
                    status: r.status,
                    on_purpose: false,
                },
                _ => Note::Said("answered".into()),
            }
        }
        "waiting" => match e.args.first() {
            Some(v) => match v
                .as_i64()
                .map(DateTime::from_timestamp_nanos)
                .or_else(|| serde_json::from_value(v.clone()).ok())
            {
                Some(d) => Note::WaitingUntil(d),
                None => Note::Said("waiting for a completion report".into()),
            },
            None => Note::Said("waiting for a completion report".into()),
        },
        "arrived" => Note::Said(method.map_or("POST arrived", |m| m.arrived_note()).into()),
        "failed" => match (text(0), phase) {
            (Some(reason), _) => Note::StepFailed(reason),
            (None, Phase::Failed { reason }) => Note::StepFailed(reason.clone()),
            (None, _) => Note::Said("the step failed".into()),
        },
        code => match said_text(code) {
            Some(t) => Note::Said(t.into()),
            // A code this version does not know: said by its name rather than lost.
            None => Note::Said(format!("({code})").into()),
        },
    }
}

impl Record2 {
    /// The arrival this first line carried; its headers from their set in `sets`.
    pub(in crate::journal) fn arrival(&self, sets: &HeaderSets) -> Arc<Arrival> {
        let body = match (&self.json, &self.text, &self.base64) {
            (Some(j), _, _) => bytes::Bytes::copy_from_slice(j.get().as_bytes()),
            (None, Some(t), _) => bytes::Bytes::copy_from_slice(t.as_bytes()),
            (None, None, Some(b)) => STANDARD
                .decode(b)
                .map(bytes::Bytes::from)
                .unwrap_or_default(),
            _ => bytes::Bytes::new(),
        };
        let headers = match self.headers {
            Some(id) => match sets.get(id) {
                Some(set) => headers_from_set(set, self.cl == 1, body.len()),
                None => format!("(headers not recorded: set {id} is missing from the session)\n"),
            },
            None => String::new(),
        };
        Arc::new(Arrival {
            headers,
            body,
            unread: self.unread.clone(),
        })
    }

    /// The exchange, with `arrival` (from its first line).
    pub(in crate::journal) fn exchange(self, arrival: Arc<Arrival>) -> Exchange {
        let response = self.response.map(|r| response2(r, self.at));
        let target_answer = self.target_answer.map(|r| response2(r, self.at));
        let at = self.at;
        let mut phase = self.phase;
        if let (Phase::Failed { reason }, Some(k)) = (&mut phase, self.fr)
            && reason.is_empty()
            && let Some(f) = response.as_ref().and_then(|r| r.findings.get(k))
        {
            *reason = format!("{BROKEN}{}", f.message);
        }
        let method = self.method;
        let timeline = self
            .timeline
            .into_iter()
            .map(|e| TimelineEntry {
                at: e.at.unwrap_or(at),
                note: note(e, response.as_ref(), &phase, method),
            })
            .collect();
        let path = match (self.path, self.method) {
            (Some(p), _) => p,
            (None, Some(m)) => m.path().to_string(),
            (None, None) => String::new(),
        };
        Exchange {
            id: self.id,
            direction: self.direction,
            at,
            http_method: self.http_method.unwrap_or_else(|| "POST".into()),
            path,
            method: self.method,
            action_key: self.action_key,
            envelope: self.envelope,
            invocation_token: self.invocation_token,
            arrival,
            findings: self.findings.into_iter().map(finding2).collect(),
            phase,
            response,
            target_answer,
            timeline,
            tag: self.tag,
        }
    }
}

/// A finding's severity, the first of its array.
pub(in crate::journal) struct PeekFinding2(pub(in crate::journal) Severity);

impl<'de> Deserialize<'de> for PeekFinding2 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PeekFinding2;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a finding: [severity, …]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PeekFinding2, A::Error> {
                let s: Sev = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a finding without severity"))?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(PeekFinding2(s.0))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
pub(in crate::journal) struct PeekResponse2 {
    #[serde(rename = "s")]
    pub(in crate::journal) status: u16,
    #[serde(default, rename = "f")]
    pub(in crate::journal) findings: Vec<PeekFinding2>,
}
