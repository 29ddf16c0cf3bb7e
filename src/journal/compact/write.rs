//! Writing format 2's exchange lines: borrowed from the live exchange, what can be rebuilt
//! left out.

use super::super::{
    AnsweredBy, Direction, Exchange, FORMAT, Finding, Note, STANDARD, SentResponse, TimelineEntry,
    Value,
};
use super::{
    BARE_PHASES, BROKEN, DateTime, EnvelopeKind, EventKind, HeaderSets, Method, Mutex, Phase,
    RawValue, Serialize, Sev, Time, Utc, envelope_name, headers_for_set, nanos, said_code,
};
use base64::Engine as _;
use serde::ser::SerializeSeq as _;

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

fn is_zero(n: &u8) -> bool {
    *n == 0
}

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
pub(super) fn decoded_json(ex: &Exchange) -> bool {
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

/// A body kept as JSON when it is JSON on one line (a newline would end the journal's line).
pub(super) fn json_body(body: &[u8]) -> Option<&RawValue> {
    if memchr::memchr2(b'\n', b'\r', body).is_some() {
        return None;
    }
    // Byte for byte: a body with spaces around it is kept as text.
    serde_json::from_slice::<&RawValue>(body)
        .ok()
        .filter(|raw| raw.get().len() == body.len())
}

/// What [`encode`] wrote: where the exchange's line starts, and the header set whose line it
/// wrote before it (to be marked recorded once the lines are: [`HeaderSets::recorded`]).
pub(in crate::journal) struct Encoded {
    pub(in crate::journal) line: usize,
    pub(in crate::journal) defines: Option<u32>,
}

/// Encodes exchange `ex` after `event` at the end of `buf`, with its headers and body when
/// `first`, as exchange `id`; a header set seen for the first time is defined by a `headers`
/// line before it when that line is due.
pub(in crate::journal) fn encode(
    buf: &mut Vec<u8>,
    event: &str,
    ex: &Exchange,
    id: u64,
    first: bool,
    sets: &Mutex<HeaderSets>,
) -> serde_json::Result<Encoded> {
    let start = buf.len();
    let body = &ex.arrival.body;
    let (mut json, mut text, mut base64) = (None, None, None);
    let (mut headers, mut cl, mut defines) = (None, 0, None);
    let splice = first && decoded_json(ex);
    if first {
        let raw = if splice {
            Some(&**SPLICED)
        } else {
            json_body(body)
        };
        match raw {
            Some(raw) => json = Some(raw),
            None => match std::str::from_utf8(body) {
                Ok(t) if !t.is_empty() => text = Some(t),
                Ok(_) => {}
                Err(_) => base64 = Some(STANDARD.encode(body)),
            },
        }
        let (set, took_length) = headers_for_set(&ex.arrival.headers, body.len());
        cl = u8::from(took_length);
        let (id, due) = sets.lock().unwrap_or_else(|e| e.into_inner()).intern(&set);
        if due {
            defines = Some(id);
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
    Ok(Encoded {
        line: line_start,
        defines,
    })
}

#[derive(Serialize)]
struct HeadersLine<'a> {
    v: u32,
    kind: &'static str,
    n: u32,
    text: &'a str,
}
