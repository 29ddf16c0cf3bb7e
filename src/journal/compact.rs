//! Format 2 of an exchange's line: what format 1 wrote, without what can be rebuilt.
//!
//! - A JSON body is kept as JSON (format 1 escaped it into a string); other text as a string,
//!   other bytes in base64.
//! - One time per record: the exchange's `at` (nanoseconds since 1970), and the answer's and
//!   each timeline entry's only where they differ from it.
//! - The timeline as the events that make it (`["arrived"]`, `["answered"]`, `["waiting",
//!   at]`, …), their sentences written when shown; a sentence said as it is becomes
//!   `["say", text]`. A failed step's reason that repeats the answer's finding names it (`fr`).
//! - Headers once per session: a `headers` line defines a numbered set the first time it is
//!   seen, and each exchange names its number. A `content-length` equal to the body's length
//!   is written as `*` in the set (and `cl` says so), so that calls differing only in their
//!   length share one set.
//! - Fields with their usual value are left out (an inbound POST to its method's path, no
//!   findings, the event its phase implies), and names are short.

use super::*;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Sentences the engine says as they are, each written as a short code.
/// (`arrived`, the first of most timelines, is said from the exchange's method.)
const SAID: &[(&str, &str)] = &[
    ("moves-on", "the run moves on with the result"),
    ("held", "held: waiting for the developer's answer"),
    ("forwarded", "forward mode: relayed to your action"),
    ("hung-up", "the caller hung up before it was answered"),
    (
        "stopped",
        "ActionBench stopped before this call was answered",
    ),
];

fn said_code(text: &str) -> Option<&'static str> {
    SAID.iter().find(|(_, t)| *t == text).map(|(c, _)| *c)
}

fn said_text(code: &str) -> Option<&'static str> {
    SAID.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

/// The header sets a session has defined, by number (1, 2, …).
#[derive(Default)]
pub(super) struct HeaderSets {
    ids: HashMap<Arc<str>, u32>,
    texts: Vec<Option<Arc<str>>>,
}

impl HeaderSets {
    /// The number of set `text`, and whether it is new (its `headers` line is then due).
    pub(super) fn intern(&mut self, text: &str) -> (u32, bool) {
        if let Some(id) = self.ids.get(text) {
            return (*id, false);
        }
        let text: Arc<str> = text.into();
        self.texts.push(Some(text.clone()));
        let id = self.texts.len() as u32;
        self.ids.insert(text, id);
        (id, true)
    }

    /// A set read back from its `headers` line.
    pub(super) fn define(&mut self, id: u32, text: &str) {
        let Some(i) = (id as usize).checked_sub(1) else {
            return;
        };
        if self.texts.len() <= i {
            self.texts.resize(i + 1, None);
        }
        let text: Arc<str> = text.into();
        self.ids.insert(text.clone(), id);
        self.texts[i] = Some(text);
    }

    pub(super) fn get(&self, id: u32) -> Option<&Arc<str>> {
        self.texts.get((id as usize).checked_sub(1)?)?.as_ref()
    }
}

/// The headers as written into a set: a `content-length` equal to the body's length as `*`.
fn headers_for_set(headers: &str, body_len: usize) -> (std::borrow::Cow<'_, str>, bool) {
    let mut start = 0;
    for line in headers.split_inclusive('\n') {
        if let Some(v) = line.strip_prefix("content-length: ") {
            let v = v.trim_end_matches('\n');
            if v.parse::<usize>().ok() == Some(body_len) {
                let mut out = String::with_capacity(headers.len());
                out.push_str(&headers[..start]);
                out.push_str("content-length: *");
                out.push_str(&headers[start + line.trim_end_matches('\n').len()..]);
                return (out.into(), true);
            }
        }
        start += line.len();
    }
    (headers.into(), false)
}

/// The headers as they came, from their set.
fn headers_from_set(set: &str, cl: bool, body_len: usize) -> String {
    if !cl {
        return set.to_string();
    }
    let mut start = 0;
    for line in set.split_inclusive('\n') {
        if line.trim_end_matches('\n') == "content-length: *" {
            return format!(
                "{}content-length: {body_len}{}",
                &set[..start],
                &set[start + "content-length: *".len()..]
            );
        }
        start += line.len();
    }
    set.to_string()
}

/// A time as written: nanoseconds since 1970 (RFC 3339 text beyond the years 1677–2262).
fn nanos(t: &DateTime<Utc>) -> Time {
    match t.timestamp_nanos_opt() {
        Some(n) => Time::Nanos(n),
        None => Time::Text(*t),
    }
}

#[derive(Clone, Copy)]
enum Time {
    Nanos(i64),
    Text(DateTime<Utc>),
}

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Time::Nanos(n) => s.serialize_i64(*n),
            Time::Text(t) => t.serialize(s),
        }
    }
}

/// Reads a time written by [`nanos`].
fn de_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("nanoseconds since 1970, or an RFC 3339 time")
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(DateTime::from_timestamp_nanos(n))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            i64::try_from(n)
                .map(DateTime::from_timestamp_nanos)
                .map_err(|_| E::custom("time out of range"))
        }
        fn visit_str<E: de::Error>(self, t: &str) -> Result<Self::Value, E> {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.to_utc())
                .map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

fn de_time_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    de_time(d).map(Some)
}

/// An exchange's line, borrowed from the live exchange (it is written while it is locked).
#[derive(Serialize)]
struct LineRef<'a> {
    v: u32,
    /// Only when it is not the event the phase implies.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    ex: Record<'a>,
}

#[derive(Serialize)]
struct Record<'a> {
    id: u64,
    at: Time,
    #[serde(rename = "d", skip_serializing_if = "is_inbound")]
    direction: Direction,
    #[serde(rename = "hm", skip_serializing_if = "Option::is_none")]
    http_method: Option<&'a str>,
    #[serde(rename = "p", skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    /// Left out for an Invoke (most calls), `null` for no method.
    #[serde(rename = "m", skip_serializing_if = "is_invoke")]
    method: Option<Method>,
    #[serde(rename = "key", skip_serializing_if = "Option::is_none")]
    action_key: Option<&'a str>,
    #[serde(rename = "env", skip_serializing_if = "Option::is_none")]
    envelope: Option<&'static str>,
    #[serde(rename = "tok", skip_serializing_if = "Option::is_none")]
    invocation_token: Option<&'a str>,
    #[serde(rename = "h", skip_serializing_if = "Option::is_none")]
    headers: Option<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    cl: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<&'a RawValue>,
    #[serde(rename = "b", skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(rename = "b64", skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unread: Option<&'a str>,
    #[serde(rename = "f", skip_serializing_if = "Findings::is_empty")]
    findings: Findings<'a>,
    #[serde(rename = "ph")]
    phase: PhaseOut<'a>,
    /// A failed phase's reason is "the answer breaks the contract: " and the message of the
    /// answer's finding this many: the reason is then written empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    fr: Option<usize>,
    #[serde(rename = "r", skip_serializing_if = "Option::is_none")]
    response: Option<Response<'a>>,
    #[serde(rename = "ta", skip_serializing_if = "Option::is_none")]
    target_answer: Option<Response<'a>>,
    #[serde(rename = "tl")]
    timeline: Timeline<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
}

fn is_inbound(d: &Direction) -> bool {
    *d == Direction::Inbound
}

fn is_invoke(m: &Option<Method>) -> bool {
    *m == Some(Method::Invoke)
}

/// Envelopes by a short name.
const ENVELOPES: &[(&str, EnvelopeKind)] = &[
    ("json", EnvelopeKind::PlainJson),
    ("envelope", EnvelopeKind::PlainEnvelope),
    ("jwt", EnvelopeKind::JwtVerified),
    ("jwt-no-aud", EnvelopeKind::JwtVerifiedNoAudience),
    ("jwt-unverified", EnvelopeKind::JwtUnverified),
];

fn envelope_name(e: EnvelopeKind) -> &'static str {
    ENVELOPES
        .iter()
        .find(|(_, k)| *k == e)
        .map_or("?", |(n, _)| n)
}

fn de_envelope<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<EnvelopeKind>, D::Error> {
    let name = String::deserialize(d)?;
    Ok(ENVELOPES.iter().find(|(n, _)| *n == name).map(|(_, k)| *k))
}

/// Reads `m`: left out for an Invoke (see [`Record`]), `null` for none.
fn default_method() -> Option<Method> {
    Some(Method::Invoke)
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// The start of a reason the contract check gives (`contract::invoke_outcome_with`).
const BROKEN: &str = "the answer breaks the contract: ";

/// Which of the answer's findings a failed phase's reason repeats, if it does.
fn reason_from(ex: &Exchange) -> Option<usize> {
    let Phase::Failed { reason } = &ex.phase else {
        return None;
    };
    let message = reason.strip_prefix(BROKEN)?;
    ex.response
        .as_ref()?
        .findings
        .iter()
        .position(|f| f.message == message)
}

/// The phase, its reason left out when `fr` says where it comes from.
enum PhaseOut<'a> {
    Whole(&'a Phase),
    FailedFromFinding,
}

/// Phases that carry nothing, by the name their `phase` tag has.
const BARE_PHASES: &[(&str, Phase)] = &[
    ("received", Phase::Received),
    ("forwarding", Phase::Forwarding),
    ("answered", Phase::Answered),
    ("accepted", Phase::Accepted),
    ("caller-gone", Phase::CallerGone),
    ("shut-down", Phase::ShutDown),
];

impl Serialize for PhaseOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // A phase that carries nothing is its name; a failed one whose reason is a
            // finding's (`fr`) too.
            PhaseOut::Whole(p) => match BARE_PHASES.iter().find(|(_, b)| b == *p) {
                Some((name, _)) => s.serialize_str(name),
                None => p.serialize(s),
            },
            PhaseOut::FailedFromFinding => s.serialize_str("failed"),
        }
    }
}

/// Reads a phase written by [`PhaseOut`]: a name, or the whole phase.
fn de_phase<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Phase, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Phase;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a phase: its name, or an object")
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<Phase, E> {
            if name == "failed" {
                return Ok(Phase::Failed {
                    reason: String::new(),
                });
            }
            BARE_PHASES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| p.clone())
                .ok_or_else(|| E::custom(format!("unknown phase {name:?}")))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Phase, A::Error> {
            Phase::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V)
}

#[derive(Serialize)]
struct Response<'a> {
    #[serde(rename = "s")]
    status: u16,
    #[serde(rename = "b")]
    body: &'a Value,
    by: AnsweredBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<Time>,
    #[serde(rename = "f", skip_serializing_if = "Findings::is_empty")]
    findings: Findings<'a>,
}

impl<'a> Response<'a> {
    fn of(r: &'a SentResponse, at: &DateTime<Utc>) -> Self {
        Response {
            status: r.status,
            body: &r.body,
            by: r.by,
            at: (r.at != *at).then(|| nanos(&r.at)),
            findings: Findings(&r.findings),
        }
    }
}

/// Findings as `[severity, code, message, field, rule]` arrays, the last two when present.
struct Findings<'a>(&'a [Finding]);

impl Findings<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            let severity = Sev(f.severity);
            match (&f.field, f.rule) {
                (None, None) => seq.serialize_element(&(severity, f.code, &f.message))?,
                (field, None) => seq.serialize_element(&(severity, f.code, &f.message, field))?,
                (field, Some(rule)) => {
                    seq.serialize_element(&(severity, f.code, &f.message, field, rule))?
                }
            }
        }
        seq.end()
    }
}

/// A severity by its letter: `e`, `w`.
#[derive(Clone, Copy)]
pub(super) struct Sev(pub(super) Severity);

impl Serialize for Sev {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self.0 {
            Severity::Error => "e",
            Severity::Warning => "w",
        })
    }
}

impl<'de> Deserialize<'de> for Sev {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "e" => Ok(Sev(Severity::Error)),
            "w" => Ok(Sev(Severity::Warning)),
            other => Err(de::Error::custom(format!("unknown severity {other:?}"))),
        }
    }
}

/// The timeline as events: `[code, …]`, after the entry's time when it is not the exchange's.
struct Timeline<'a> {
    ex: &'a Exchange,
}

impl Serialize for Timeline<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ex = self.ex;
        let mut seq = s.serialize_seq(Some(ex.timeline.len()))?;
        for t in &ex.timeline {
            seq.serialize_element(&Entry { t, ex })?;
        }
        seq.end()
    }
}

struct Entry<'a> {
    t: &'a TimelineEntry,
    ex: &'a Exchange,
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, ex) = (self.t, self.ex);
        let mut seq = s.serialize_seq(None)?;
        if t.at != ex.at {
            seq.serialize_element(&nanos(&t.at))?;
        }
        match &t.note {
            Note::Said(text) if ex.method.is_some_and(|m| m.arrived_note() == text) => {
                seq.serialize_element("arrived")?
            }
            Note::Said(text) => match said_code(text) {
                Some(code) => seq.serialize_element(code)?,
                None => {
                    seq.serialize_element("say")?;
                    seq.serialize_element(text.as_ref())?;
                }
            },
            Note::Answered {
                by,
                status,
                on_purpose,
            } => {
                seq.serialize_element("answered")?;
                // The answer it names is the one the exchange holds, most of the time.
                let same = ex
                    .response
                    .as_ref()
                    .is_some_and(|r| r.by == *by && r.status == *status);
                if !same || *on_purpose {
                    seq.serialize_element(by)?;
                    seq.serialize_element(status)?;
                    if *on_purpose {
                        seq.serialize_element(&true)?;
                    }
                }
            }
            Note::WaitingUntil(deadline) => {
                seq.serialize_element("waiting")?;
                seq.serialize_element(&nanos(deadline))?;
            }
            Note::StepFailed(reason) => {
                seq.serialize_element("failed")?;
                if !matches!(&ex.phase, Phase::Failed { reason: r } if r == reason) {
                    seq.serialize_element(reason)?;
                }
            }
        }
        seq.end()
    }
}

/// Whether `ex`'s body was read as JSON by the engine already (an inbound call it decoded as
/// a plain JSON body or envelope), and can be written as it is: on one line, nothing around
/// it. Checking it again cost a parse of every body.
fn decoded_json(ex: &Exchange) -> bool {
    let body = &ex.arrival.body;
    ex.direction == Direction::Inbound
        && matches!(
            ex.envelope,
            Some(EnvelopeKind::PlainJson | EnvelopeKind::PlainEnvelope)
        )
        && ex.arrival.unread.is_none()
        && body.first().is_some_and(|b| !b.is_ascii_whitespace())
        && body.last().is_some_and(|b| !b.is_ascii_whitespace())
        && memchr::memchr2(b'\n', b'\r', body).is_none()
}

/// Stands for a body written in after the line is encoded (see [`decoded_json`]).
static SPLICED: std::sync::LazyLock<Box<RawValue>> =
    std::sync::LazyLock::new(|| RawValue::from_string("0".into()).expect("0 is JSON"));

/// [`json_body`], not looked at when it is written in whole (`splice`).
fn json_body_unless(splice: bool, body: &[u8]) -> Option<&RawValue> {
    if splice { None } else { json_body(body) }
}

/// A body kept as JSON when it is JSON on one line (a newline would end the journal's line).
fn json_body(body: &[u8]) -> Option<&RawValue> {
    if memchr::memchr2(b'\n', b'\r', body).is_some() {
        return None;
    }
    // Byte for byte: a body with spaces around it is kept as text.
    serde_json::from_slice::<&RawValue>(body)
        .ok()
        .filter(|raw| raw.get().len() == body.len())
}

/// Encodes exchange `ex` after `event` at the end of `buf`, with its headers and body when
/// `first`, as exchange `id`; a header set seen for the first time is defined by a `headers`
/// line before it. Returns where the exchange's line starts in `buf`.
pub(super) fn encode(
    buf: &mut Vec<u8>,
    event: &str,
    ex: &Exchange,
    id: u64,
    first: bool,
    sets: &Mutex<HeaderSets>,
) -> serde_json::Result<usize> {
    let start = buf.len();
    let body = &ex.arrival.body;
    let (mut json, mut text, mut base64) = (None, None, None);
    let (mut headers, mut cl) = (None, 0);
    let splice = first && decoded_json(ex);
    if first {
        match (splice, json_body_unless(splice, body)) {
            (true, _) => json = Some(&**SPLICED),
            (false, Some(raw)) => json = Some(raw),
            (false, None) => match std::str::from_utf8(body) {
                Ok(t) if !t.is_empty() => text = Some(t),
                Ok(_) => {}
                Err(_) => base64 = Some(STANDARD.encode(body)),
            },
        }
        let (set, took_length) = headers_for_set(&ex.arrival.headers, body.len());
        cl = u8::from(took_length);
        let (id, new) = sets.lock().unwrap_or_else(|e| e.into_inner()).intern(&set);
        if new {
            serde_json::to_writer(
                &mut *buf,
                &HeadersLine {
                    v: FORMAT,
                    kind: "headers",
                    n: id,
                    text: &set,
                },
            )?;
            buf.push(b'\n');
        }
        headers = Some(id);
    }
    let line_start = buf.len();
    let fr = reason_from(ex);
    let method_path = ex.method.is_some_and(|m| m.path() == ex.path);
    let line = LineRef {
        v: FORMAT,
        event: (EventKind::of(&ex.phase).label() != event).then_some(event),
        ex: Record {
            id,
            at: nanos(&ex.at),
            direction: ex.direction,
            http_method: (ex.http_method != "POST").then_some(ex.http_method.as_str()),
            path: (!method_path).then_some(ex.path.as_str()),
            method: ex.method,
            action_key: ex.action_key.as_deref(),
            envelope: ex.envelope.map(envelope_name),
            invocation_token: ex.invocation_token.as_deref(),
            headers,
            cl,
            json,
            text,
            base64,
            unread: if first {
                ex.arrival.unread.as_deref()
            } else {
                None
            },
            findings: Findings(&ex.findings),
            phase: match fr {
                Some(_) => PhaseOut::FailedFromFinding,
                None => PhaseOut::Whole(&ex.phase),
            },
            fr,
            response: ex.response.as_ref().map(|r| Response::of(r, &ex.at)),
            target_answer: ex.target_answer.as_ref().map(|r| Response::of(r, &ex.at)),
            timeline: Timeline { ex },
            tag: ex.tag.as_deref(),
        },
    };
    if let Err(e) = serde_json::to_writer(&mut *buf, &line) {
        buf.truncate(start);
        return Err(e);
    }
    if splice {
        // The first `,"json":0,` is the field: a quote inside a string is escaped.
        const MARK: &[u8] = b",\"json\":0,";
        match memchr::memmem::find(&buf[line_start..], MARK) {
            Some(at) => {
                let zero = line_start + at + MARK.len() - 2;
                buf.splice(zero..zero + 1, body.iter().copied());
            }
            None => {
                buf.truncate(start);
                return Err(serde::ser::Error::custom("the body's place was not found"));
            }
        }
    }
    buf.push(b'\n');
    Ok(line_start)
}

#[derive(Serialize)]
struct HeadersLine<'a> {
    v: u32,
    kind: &'static str,
    n: u32,
    text: &'a str,
}

/// An exchange's line of format 2 as read back: whole ([`Record2`]), or only what reopening
/// needs ([`Peek2`]: the body and the timeline skipped without being kept). `J` is what the
/// JSON body is read into, `S` the other bodies, `F` a finding, `R` an answer, `T` a
/// timeline entry.
#[derive(Deserialize)]
pub(super) struct Rec<J, S, F, R, T> {
    pub(super) id: u64,
    #[serde(deserialize_with = "de_time")]
    pub(super) at: DateTime<Utc>,
    #[serde(default, rename = "d")]
    pub(super) direction: Direction,
    #[serde(default, rename = "hm")]
    pub(super) http_method: Option<String>,
    #[serde(default, rename = "p")]
    pub(super) path: Option<String>,
    #[serde(default = "default_method", rename = "m")]
    pub(super) method: Option<Method>,
    #[serde(default, rename = "key")]
    pub(super) action_key: Option<String>,
    #[serde(default, rename = "env", deserialize_with = "de_envelope")]
    pub(super) envelope: Option<EnvelopeKind>,
    #[serde(default, rename = "tok")]
    pub(super) invocation_token: Option<String>,
    #[serde(default, rename = "h")]
    pub(super) headers: Option<u32>,
    #[serde(default)]
    pub(super) cl: u8,
    #[serde(default = "Option::default")]
    pub(super) json: Option<J>,
    #[serde(default = "Option::default", rename = "b")]
    pub(super) text: Option<S>,
    #[serde(default = "Option::default", rename = "b64")]
    pub(super) base64: Option<S>,
    #[serde(default)]
    pub(super) unread: Option<String>,
    #[serde(default = "Vec::new", rename = "f")]
    pub(super) findings: Vec<F>,
    #[serde(rename = "ph", deserialize_with = "de_phase")]
    pub(super) phase: Phase,
    #[serde(default)]
    pub(super) fr: Option<usize>,
    #[serde(default = "Option::default", rename = "r")]
    pub(super) response: Option<R>,
    #[serde(default = "Option::default", rename = "ta")]
    pub(super) target_answer: Option<R>,
    #[serde(default = "Vec::new", rename = "tl")]
    pub(super) timeline: Vec<T>,
    #[serde(default)]
    pub(super) tag: Option<String>,
}

/// A format 2 exchange line, whole.
pub(super) type Record2 = Rec<Box<RawValue>, String, Finding2, Response2, Entry2>;

/// What reopening needs of a format 2 exchange line (see [`PeekExchange`]).
pub(super) type Peek2 = Rec<
    serde::de::IgnoredAny,
    serde::de::IgnoredAny,
    PeekFinding2,
    PeekResponse2,
    serde::de::IgnoredAny,
>;

/// A finding read back, whole or only its severity.
pub(super) trait Severe {
    fn severity(&self) -> Severity;
}

/// An answer read back, whole or only what a summary shows.
pub(super) trait Status<F> {
    fn status(&self) -> u16;
    fn findings(&self) -> &[F];
}

impl<J, S, F: Severe, R: Status<F>, T> Rec<J, S, F, R, T> {
    pub(super) fn carries_body(&self) -> bool {
        self.headers.is_some()
            || self.json.is_some()
            || self.text.is_some()
            || self.base64.is_some()
            || self.unread.is_some()
    }

    pub(super) fn summary(&self) -> Summary {
        let path = match (&self.path, self.method) {
            (Some(p), _) => p.as_str(),
            (None, Some(m)) => m.path(),
            (None, None) => "",
        };
        Summary {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.response.as_ref().map(Status::status),
            flagged: flagged(
                &self.phase,
                self.findings
                    .iter()
                    .chain(self.response.iter().flat_map(|r| r.findings().iter()))
                    .map(Severe::severity),
            ),
            phase: self.phase.label(),
            http_method: shared_text(self.http_method.as_deref().unwrap_or("POST")),
            path: shared_text(path),
            action_key: self.action_key.as_deref().map(shared_text),
            tag: self.tag.as_deref().map(shared_text),
        }
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
pub(super) struct Finding2 {
    severity: Sev,
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    rule: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Response2 {
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
pub(super) struct Entry2 {
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
    pub(super) fn arrival(&self, sets: &HeaderSets) -> Arc<Arrival> {
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
    pub(super) fn exchange(self, arrival: Arc<Arrival>) -> Exchange {
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
pub(super) struct PeekFinding2(pub(super) Severity);

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
pub(super) struct PeekResponse2 {
    #[serde(rename = "s")]
    pub(super) status: u16,
    #[serde(default, rename = "f")]
    pub(super) findings: Vec<PeekFinding2>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_length_equal_to_the_body_is_shared_and_given_back() {
        let h = "host: 127.0.0.1:4010\ncontent-length: 12\ncontent-type: application/json\n";
        let (set, cl) = headers_for_set(h, 12);
        assert!(cl);
        assert_eq!(
            set,
            "host: 127.0.0.1:4010\ncontent-length: *\ncontent-type: application/json\n"
        );
        assert_eq!(headers_from_set(&set, true, 12), h);
        // Another length is kept as it came, and so is a literal `*` without the flag.
        let (set, cl) = headers_for_set(h, 13);
        assert!(!cl);
        assert_eq!(set, h);
        let odd = "content-length: *\n";
        assert_eq!(headers_from_set(odd, false, 5), odd);
        // Last line, without a newline.
        let (set, cl) = headers_for_set("a: b\ncontent-length: 3", 3);
        assert!(cl);
        assert_eq!(headers_from_set(&set, true, 3), "a: b\ncontent-length: 3");
    }

    #[test]
    fn a_body_is_json_only_when_it_is_json_on_one_line() {
        assert!(json_body(br#"{"a": [1, 2]}"#).is_some());
        assert!(json_body(b"{\"a\":\n1}").is_none());
        assert!(json_body(b"eyJhbGciOi.x.y").is_none());
        assert!(json_body(b"").is_none());
        assert!(json_body(b" {} ").is_none());
        // Kept byte for byte, spaces and escapes as they came.
        let raw = br#"{ "a" : "\u00e9" }"#;
        assert_eq!(json_body(raw).map(|r| r.get().as_bytes()), Some(&raw[..]));
    }

    /// Every exchange of the format 1 session in tests/fixtures (waits, reports, refusals,
    /// bytes that are not UTF-8, a forwarded call) written in format 2 reads back the same.
    #[test]
    fn every_exchange_of_the_format_1_fixture_reads_back_the_same_from_format_2() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/session-format-1.jsonl");
        let old = read(&fixture).expect("the fixture reads");
        assert_eq!(old.exchanges.len(), 13);
        let sets = Mutex::new(HeaderSets::default());
        let mut buf = vec![];
        for ex in &old.exchanges {
            buf.clear();
            let event = EventKind::of(&ex.phase).label();
            let at = encode(&mut buf, event, ex, ex.id, true, &sets).expect("encodes");
            let line = &buf[at..buf.len() - 1];
            let Ok(Parsed::Two(parsed)) = parse::<serde::de::IgnoredAny, Box<Record2>>(line) else {
                panic!("a format 2 line: {}", String::from_utf8_lossy(line));
            };
            let rec = parsed.ex.expect("an exchange");
            let arrival = rec.arrival(&sets.lock().expect("sets"));
            let back = rec.exchange(arrival);
            assert_eq!(&back, ex, "{}", String::from_utf8_lossy(line));
            // And what reopening peeks at says the same.
            let Ok(Parsed::Two(peek)) = parse::<serde::de::IgnoredAny, Peek2>(line) else {
                panic!("peeks");
            };
            let peek = peek.ex.expect("an exchange");
            assert_eq!(peek.summary().pack(), ex.summary().pack());
        }
    }

    /// The body written in after encoding goes where its field is, even when a text before
    /// it (the path, the token) holds what the field looks like.
    #[test]
    fn a_body_written_in_goes_to_its_field() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/session-format-1.jsonl");
        let mut ex = read(&fixture).expect("reads").exchanges.remove(0);
        assert!(decoded_json(&ex));
        ex.path = r#"/x,"json":0,/v1/invoke"#.into();
        ex.invocation_token = Some(r#"tok,"json":0,"#.into());
        let sets = Mutex::new(HeaderSets::default());
        let mut buf = vec![];
        let at = encode(&mut buf, "completed", &ex, 1, true, &sets).expect("encodes");
        let line = &buf[at..buf.len() - 1];
        let Ok(Parsed::Two(parsed)) = parse::<serde::de::IgnoredAny, Box<Record2>>(line) else {
            panic!("{}", String::from_utf8_lossy(line));
        };
        let rec = parsed.ex.expect("an exchange");
        let back = rec.exchange(Arc::new(Arrival::default()));
        assert_eq!(back.path, ex.path);
        assert_eq!(back.invocation_token, ex.invocation_token);
        assert!(
            memchr::memmem::find(line, &ex.arrival.body).is_some(),
            "the body, as it came"
        );
    }
}
