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

use super::{
    Arc, Arrival, DateTime, Deserialize, EnvelopeKind, EventKind, Method, Mutex, Phase, Serialize,
    Severity, Utc,
};
use serde::de::{self, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashMap;

mod read;
mod write;
pub(super) use read::{Peek2, Record2};
pub(super) use write::{Encoded, encode};

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
    /// Whether each set's `headers` line is among the lines recorded (in a shard, or
    /// written): until it is, every line that names the set brings its own.
    recorded: Vec<bool>,
}

impl HeaderSets {
    /// The number of set `text`, and whether its `headers` line is due (not recorded yet:
    /// new, or its line went with a record that was encoded and then not recorded).
    pub(super) fn intern(&mut self, text: &str) -> (u32, bool) {
        if let Some(id) = self.ids.get(text) {
            return (*id, !self.recorded[*id as usize - 1]);
        }
        let text: Arc<str> = text.into();
        self.texts.push(Some(text.clone()));
        self.recorded.push(false);
        let id = self.texts.len() as u32;
        self.ids.insert(text, id);
        (id, true)
    }

    /// Set `id`'s `headers` line is recorded.
    pub(super) fn recorded(&mut self, id: u32) {
        if let Some(r) = (id as usize)
            .checked_sub(1)
            .and_then(|i| self.recorded.get_mut(i))
        {
            *r = true;
        }
    }

    /// Lines were dropped (see [`PENDING_CAP`]): every set's line is due again, since the
    /// one recorded may have gone with them.
    pub(super) fn forget_recorded(&mut self) {
        self.recorded.fill(false);
    }

    /// A set read back from its `headers` line.
    pub(super) fn define(&mut self, id: u32, text: &str) {
        let Some(i) = (id as usize).checked_sub(1) else {
            return;
        };
        if self.texts.len() <= i {
            self.texts.resize(i + 1, None);
            self.recorded.resize(i + 1, false);
        }
        let text: Arc<str> = text.into();
        self.ids.insert(text.clone(), id);
        self.texts[i] = Some(text);
        self.recorded[i] = true;
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

/// The start of a reason the contract check gives (`contract::invoke_outcome_with`).
const BROKEN: &str = "the answer breaks the contract: ";

/// Phases that carry nothing, by the name their `phase` tag has.
const BARE_PHASES: &[(&str, Phase)] = &[
    ("received", Phase::Received),
    ("forwarding", Phase::Forwarding),
    ("answered", Phase::Answered),
    ("accepted", Phase::Accepted),
    ("caller-gone", Phase::CallerGone),
    ("shut-down", Phase::ShutDown),
];

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

#[cfg(test)]
mod tests {
    use super::read::*;
    use super::write::*;
    use super::*;
    use crate::journal::read;
    use crate::journal::reading::{Parsed, parse};

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
            let at = encode(&mut buf, event, ex, ex.id, true, &sets)
                .expect("encodes")
                .line;
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
        let at = encode(&mut buf, "completed", &ex, 1, true, &sets)
            .expect("encodes")
            .line;
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
