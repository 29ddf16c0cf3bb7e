//! What the log keeps of an exchange once its whole record is on disk: its summary, made in
//! one place from what each holder of an exchange has ([`SummaryOf`]), and packed into 32
//! bytes for the window's list ([`Packed`], [`Row`]), with the texts summaries name kept once.

use super::contract::Severity;
use super::envelope::EnvelopeKind;
use super::invocation::{Direction, Exchange, ExchangeId, Phase, flagged};
use super::wire::Method;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What the log keeps of an exchange whose whole record went to disk (the session journal):
/// what its row shows and the filters use, about 100 bytes. The whole is read back when asked
/// for; [`Exchange::from_summary`] stands in for it in the list meanwhile.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub id: ExchangeId,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub method: Option<Method>,
    pub envelope: Option<EnvelopeKind>,
    /// The answer's status, if one went.
    pub status: Option<u16>,
    pub flagged: bool,
    /// The phase, by name (what it carried is in the journal).
    pub phase: &'static str,
    pub http_method: Arc<str>,
    pub path: Arc<str>,
    pub action_key: Option<Arc<str>>,
    pub tag: Option<Arc<str>>,
}

/// The texts summaries name (paths, HTTP methods, action keys, tags), each kept once and
/// numbered: a session names a few dozen.
struct Texts {
    all: Vec<Arc<str>>,
    numbers: std::collections::HashMap<Arc<str>, u32>,
}

/// An empty text, shared.
static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| "".into());

fn texts() -> std::sync::MutexGuard<'static, Texts> {
    use std::sync::{LazyLock, Mutex};
    static TEXTS: LazyLock<Mutex<Texts>> = LazyLock::new(|| {
        Mutex::new(Texts {
            all: vec!["".into()],
            numbers: Default::default(),
        })
    });
    TEXTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The number of `s` in the text table (past 1,000,000 distinct texts, a note saying so).
fn text_number(t: &mut Texts, s: &str) -> u32 {
    if let Some(n) = t.numbers.get(s) {
        return *n;
    }
    if t.all.len() >= 1_000_000 {
        return text_number(t, "(too many distinct texts to summarise)");
    }
    let n = t.all.len() as u32;
    let k: Arc<str> = s.into();
    t.all.push(k.clone());
    t.numbers.insert(k, n);
    n
}

/// The number text `s` has, if any summary has named it: a filter asks once, then compares
/// numbers row by row instead of unpacking each row's texts.
pub fn known_text_number(s: &str) -> Option<u32> {
    texts().numbers.get(s).copied()
}

/// One copy of a text the summaries name.
pub fn shared_text(s: &str) -> Arc<str> {
    let mut t = texts();
    let n = text_number(&mut t, s) as usize;
    t.all[n].clone()
}

const PHASES: [&str; 13] = [
    "received",
    "held",
    "forwarding",
    "answered",
    "waiting",
    "completed",
    "reported failure",
    "timed out",
    "failed",
    "rejected",
    "accepted",
    "caller gone",
    "shut down",
];

/// One row of a log's list: the exchange whole, or, for an old ended one, its [`Packed`]
/// summary (32 bytes instead of a stand-in's several hundred: a list of a million rows fits in
/// tens of megabytes). Its id is its place in the list.
#[derive(Clone, Debug)]
pub enum Row {
    /// Shared with the engine's log: the window's copy of a call costs a pointer until the
    /// engine changes it (then the engine's side is copied, and the window gets the new one).
    Whole(Arc<Exchange>),
    Packed(Packed),
}

impl Row {
    /// The exchange, or a stand-in for it ([`Exchange::from_summary`]) if packed; `id` is the
    /// row's place, from 1.
    pub fn exchange(&self, id: ExchangeId) -> std::borrow::Cow<'_, Exchange> {
        match self {
            Row::Whole(ex) => std::borrow::Cow::Borrowed(ex),
            Row::Packed(p) => std::borrow::Cow::Owned(Exchange::from_summary(&p.unpack(id))),
        }
    }

    pub fn is_packed(&self) -> bool {
        matches!(self, Row::Packed(_))
    }
}

/// A [`Summary`] in 32 bytes, as the log keeps one for each exchange on disk (a million of
/// them take 32 MB). Its id is its place in the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Packed {
    at_nanos: i64,
    http_method: u32,
    path: u32,
    /// 0: none.
    action_key: u32,
    /// 0: none.
    tag: u32,
    /// 0: no answer.
    status: u16,
    phase: u8,
    flagged: bool,
    direction: Direction,
    method: Option<Method>,
    envelope: Option<EnvelopeKind>,
}

/// What a summary is made of, as whoever holds an exchange has it: the exchange itself, or a
/// journal line read whole or in part. [`SummaryOf::summary`] and [`SummaryOf::pack`] are the
/// one place that decides a summary's status, flag, phase name and shared texts; `I` is the
/// severities of the findings, about the request and the answer.
pub struct SummaryOf<'a, I> {
    pub id: ExchangeId,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub method: Option<Method>,
    pub envelope: Option<EnvelopeKind>,
    /// The answer's status, if one went.
    pub status: Option<u16>,
    pub phase: &'a Phase,
    pub severities: I,
    pub http_method: &'a str,
    pub path: &'a str,
    pub action_key: Option<&'a str>,
    pub tag: Option<&'a str>,
}

impl<I: Iterator<Item = Severity>> SummaryOf<'_, I> {
    /// The summary, its texts shared.
    pub fn summary(self) -> Summary {
        let texts = [self.http_method, self.path];
        let (key, tag) = (self.action_key, self.tag);
        let s = self.without_texts();
        Summary {
            http_method: shared_text(texts[0]),
            path: shared_text(texts[1]),
            action_key: key.map(shared_text),
            tag: tag.map(shared_text),
            ..s
        }
    }

    /// The summary, packed: its texts numbered once, without making shared copies first.
    pub fn pack(self) -> Packed {
        let texts = [self.http_method, self.path];
        let (key, tag) = (self.action_key, self.tag);
        pack(&self.without_texts(), texts, [key, tag])
    }

    /// The summary's fields that are not texts (those are left empty).
    fn without_texts(self) -> Summary {
        let empty: Arc<str> = EMPTY.clone();
        Summary {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.status,
            flagged: flagged(self.phase, self.severities),
            phase: self.phase.label(),
            http_method: empty.clone(),
            path: empty,
            action_key: None,
            tag: None,
        }
    }
}

impl Summary {
    pub fn pack(&self) -> Packed {
        pack(
            self,
            [&self.http_method, &self.path],
            [self.action_key.as_deref(), self.tag.as_deref()],
        )
    }
}

/// Packs `s` with its texts given apart (an exchange packs its own texts straight, without
/// making a summary's shared copies first).
fn pack(s: &Summary, [http_method, path]: [&str; 2], [key, tag]: [Option<&str>; 2]) -> Packed {
    let mut t = texts();
    let mut opt = |s: Option<&str>| s.map_or(0, |s| text_number(&mut t, s));
    let (action_key, tag) = (opt(key), opt(tag));
    Packed {
        at_nanos: s.at.timestamp_nanos_opt().unwrap_or(i64::MAX),
        http_method: text_number(&mut t, http_method),
        path: text_number(&mut t, path),
        action_key,
        tag,
        status: s.status.unwrap_or(0),
        phase: PHASES
            .iter()
            .position(|p| *p == s.phase)
            .unwrap_or(PHASES.len() - 1) as u8,
        flagged: s.flagged,
        direction: s.direction,
        method: s.method,
        envelope: s.envelope,
    }
}

impl Packed {
    pub fn unpack(&self, id: ExchangeId) -> Summary {
        let t = texts();
        let text = |n: u32| t.all.get(n as usize).cloned().unwrap_or_else(|| "".into());
        let opt = |n: u32| (n != 0).then(|| text(n));
        Summary {
            id,
            at: DateTime::from_timestamp_nanos(self.at_nanos),
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: (self.status != 0).then_some(self.status),
            flagged: self.flagged,
            phase: self.phase_label(),
            http_method: text(self.http_method),
            path: text(self.path),
            action_key: opt(self.action_key),
            tag: opt(self.tag),
        }
    }
}

/// The methods as a packed summary numbers them (its byte 29, written into the journal's
/// index): the same list as [`Method::ALL`] today, kept apart so that reordering that one
/// cannot change what an index on disk means.
const METHODS: [Method; 12] = [
    Method::Invoke,
    Method::ValidateConfiguration,
    Method::QuotaInfo,
    Method::CompletionReport,
    Method::ReportEvent,
    Method::BulkReportEvent,
    Method::CancelEvent,
    Method::BulkCancelEvent,
    Method::AccessToken,
    Method::TriggerValidateConfiguration,
    Method::TriggerDynamicSchema,
    Method::TriggerRefreshPayload,
];

const ENVELOPES: [EnvelopeKind; 5] = [
    EnvelopeKind::PlainJson,
    EnvelopeKind::PlainEnvelope,
    EnvelopeKind::JwtVerified,
    EnvelopeKind::JwtVerifiedNoAudience,
    EnvelopeKind::JwtUnverified,
];

/// The text numbered `n` in this process's table (empty if there is none).
pub fn text(n: u32) -> Arc<str> {
    texts()
        .all
        .get(n as usize)
        .cloned()
        .unwrap_or_else(|| EMPTY.clone())
}

/// The number `s` has in this process's table.
pub fn text_number_of(s: &str) -> u32 {
    text_number(&mut texts(), s)
}

/// Bytes of a packed summary written out ([`Packed::to_bytes`]).
pub const PACKED_BYTES: usize = 31;

impl Packed {
    /// The numbers of the texts it names: HTTP method, path, action key, tag (0: none).
    pub fn texts(&self) -> [u32; 4] {
        [self.http_method, self.path, self.action_key, self.tag]
    }

    /// The number of the action key it names (0: none), to compare with
    /// [`known_text_number`] without unpacking.
    pub fn action_key_number(&self) -> u32 {
        self.action_key
    }

    /// The action key it names, if any.
    pub fn action_key_text(&self) -> Option<Arc<str>> {
        (self.action_key != 0)
            .then(|| texts().all.get(self.action_key as usize).cloned())
            .flatten()
    }

    /// Its phase's name, as [`Summary::phase`] gives it.
    pub fn phase_label(&self) -> &'static str {
        PHASES
            .get(self.phase as usize)
            .copied()
            .unwrap_or("shut down")
    }

    pub fn method(&self) -> Option<Method> {
        self.method
    }

    pub fn flagged(&self) -> bool {
        self.flagged
    }

    /// The same summary naming texts `t` (as [`Packed::texts`] gives them).
    pub fn with_texts(self, t: [u32; 4]) -> Packed {
        Packed {
            http_method: t[0],
            path: t[1],
            action_key: t[2],
            tag: t[3],
            ..self
        }
    }

    /// Written out, little-endian, its texts by this process's numbers (the journal's index
    /// writes the texts beside it).
    pub fn to_bytes(&self) -> [u8; PACKED_BYTES] {
        let mut b = [0u8; PACKED_BYTES];
        b[..8].copy_from_slice(&self.at_nanos.to_le_bytes());
        for (i, t) in self.texts().iter().enumerate() {
            b[8 + 4 * i..12 + 4 * i].copy_from_slice(&t.to_le_bytes());
        }
        b[24..26].copy_from_slice(&self.status.to_le_bytes());
        b[26] = self.phase;
        b[27] = self.flagged as u8;
        b[28] = (self.direction == Direction::Outbound) as u8;
        let place = |i: Option<usize>| i.map_or(0, |i| i as u8 + 1);
        b[29] = place(
            self.method
                .and_then(|m| METHODS.iter().position(|x| *x == m)),
        );
        b[30] = place(
            self.envelope
                .and_then(|e| ENVELOPES.iter().position(|x| *x == e)),
        );
        b
    }

    /// Read back from [`Packed::to_bytes`]; `None` for bytes no summary writes.
    pub fn from_bytes(b: &[u8; PACKED_BYTES]) -> Option<Packed> {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut at = [0u8; 8];
        at.copy_from_slice(&b[..8]);
        let pick = |n: u8, len: usize| match n {
            0 => Some(None),
            n if (n as usize) <= len => Some(Some(n as usize - 1)),
            _ => None,
        };
        if b[26] as usize >= PHASES.len() || b[27] > 1 || b[28] > 1 {
            return None;
        }
        Some(Packed {
            at_nanos: i64::from_le_bytes(at),
            http_method: u32_at(8),
            path: u32_at(12),
            action_key: u32_at(16),
            tag: u32_at(20),
            status: u16::from_le_bytes([b[24], b[25]]),
            phase: b[26],
            flagged: b[27] == 1,
            direction: if b[28] == 1 {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            method: pick(b[29], METHODS.len())?.map(|i| METHODS[i]),
            envelope: pick(b[30], ENVELOPES.len())?.map(|i| ENVELOPES[i]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method or envelope added without a place in the tables would be written as none:
    /// this match stops compiling first.
    #[test]
    fn every_method_and_envelope_round_trips_through_bytes() {
        for m in METHODS {
            match m {
                Method::Invoke
                | Method::ValidateConfiguration
                | Method::QuotaInfo
                | Method::CompletionReport
                | Method::ReportEvent
                | Method::BulkReportEvent
                | Method::CancelEvent
                | Method::BulkCancelEvent
                | Method::AccessToken
                | Method::TriggerValidateConfiguration
                | Method::TriggerDynamicSchema
                | Method::TriggerRefreshPayload => {}
            }
        }
        for e in ENVELOPES {
            match e {
                EnvelopeKind::PlainJson
                | EnvelopeKind::PlainEnvelope
                | EnvelopeKind::JwtVerified
                | EnvelopeKind::JwtVerifiedNoAudience
                | EnvelopeKind::JwtUnverified => {}
            }
        }
        let base = Summary {
            id: 7,
            at: DateTime::from_timestamp_nanos(1_795_773_600_123_456_789),
            direction: Direction::Outbound,
            method: None,
            envelope: None,
            status: Some(503),
            flagged: true,
            phase: "timed out",
            http_method: "POST".into(),
            path: "/v1/invoke".into(),
            action_key: Some("send-email".into()),
            tag: None,
        };
        let mut all = vec![base.clone()];
        all.extend(METHODS.iter().map(|m| Summary {
            method: Some(*m),
            ..base.clone()
        }));
        all.extend(ENVELOPES.iter().map(|e| Summary {
            envelope: Some(*e),
            direction: Direction::Inbound,
            status: None,
            ..base.clone()
        }));
        for s in all {
            let p = s.pack();
            assert_eq!(Packed::from_bytes(&p.to_bytes()), Some(p));
            assert_eq!(p.unpack(7), s);
        }
        let mut bad = base.pack().to_bytes();
        bad[29] = 200;
        assert_eq!(Packed::from_bytes(&bad), None, "no such method");
    }
}
