//! Finding things in the log: a filter by direction, method, status, action key, envelope,
//! flagged, activation and free text over paths, keys, tags, findings and bodies. Plain data,
//! tested without a window.

use crate::domain::invocation::{Direction, Exchange};
use crate::domain::wire::Method;

/// Which answers to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    Any,
    Success,
    ClientError,
    ServerError,
    /// Not answered (yet): held, relayed, or never.
    NoAnswer,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 5] = [
        StatusFilter::Any,
        StatusFilter::Success,
        StatusFilter::ClientError,
        StatusFilter::ServerError,
        StatusFilter::NoAnswer,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Any => "any status",
            StatusFilter::Success => "2xx",
            StatusFilter::ClientError => "4xx",
            StatusFilter::ServerError => "5xx",
            StatusFilter::NoAnswer => "no answer",
        }
    }

    fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::Any, _) => true,
            (StatusFilter::NoAnswer, s) => s.is_none(),
            (StatusFilter::Success, Some(s)) => (200..300).contains(&s),
            (StatusFilter::ClientError, Some(s)) => (400..500).contains(&s),
            (StatusFilter::ServerError, Some(s)) => s >= 500,
            (_, None) => false,
        }
    }
}

/// What the log shows; the default shows everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Free text, case-insensitive: path, action key, tag, findings, request and answer bodies.
    pub text: String,
    pub direction: Option<Direction>,
    pub method: Option<Method>,
    pub status: StatusFilter,
    pub action_key: Option<String>,
    /// The envelope column's short label ("JWT ok", "JSON sent"…).
    pub envelope: Option<String>,
    pub flagged: bool,
    /// An activation ID: the calls of one automation run.
    pub activation: String,
}

/// Whether `hay` contains `needle_lower` (already lowercase), ignoring ASCII case.
fn contains_ci(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if hay.len() < needle_lower.len() {
        return false;
    }
    // The first byte in either case finds candidates quickly; then compare the rest.
    let first = needle_lower[0];
    let upper = first.to_ascii_uppercase();
    let mut at = 0;
    while let Some(i) = memchr::memchr2(first, upper, &hay[at..]) {
        let start = at + i;
        if hay.len() - start < needle_lower.len() {
            return false;
        }
        if hay[start..start + needle_lower.len()]
            .iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
        {
            return true;
        }
        at = start + 1;
    }
    false
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub fn matches(&self, ex: &Exchange) -> bool {
        self.matcher().matches(ex)
    }

    /// The filter made ready to test many exchanges (its text lowercased once).
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            filter: self,
            text: self.text.trim().to_ascii_lowercase().into_bytes(),
            activation: self.activation.trim(),
        }
    }
}

/// A [`Filter`] ready to test many exchanges.
pub struct Matcher<'f> {
    filter: &'f Filter,
    text: Vec<u8>,
    activation: &'f str,
}

/// Whether any string, key or number in `v` contains `t` (lowercase), ignoring case; the
/// value is walked rather than printed, so a long log is looked through without allocating.
fn value_contains_ci(v: &serde_json::Value, t: &[u8]) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => contains_ci(s.as_bytes(), t),
        Value::Number(n) => contains_ci(n.to_string().as_bytes(), t),
        Value::Bool(b) => contains_ci(if *b { b"true" } else { b"false" }, t),
        Value::Null => contains_ci(b"null", t),
        Value::Array(a) => a.iter().any(|v| value_contains_ci(v, t)),
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| contains_ci(k.as_bytes(), t) || value_contains_ci(v, t)),
    }
}

impl Matcher<'_> {
    pub fn matches(&self, ex: &Exchange) -> bool {
        self.matches_fields(ex) && self.matches_inside(ex)
    }

    /// Whether the filter looks inside exchanges (text, activation): a stand-in for one on
    /// disk must then be read back whole to be judged.
    pub fn looks_inside(&self) -> bool {
        !self.text.is_empty() || !self.activation.is_empty()
    }

    /// What a summary tells: direction, method, status, key, envelope, flagged.
    pub fn matches_fields(&self, ex: &Exchange) -> bool {
        let f = self.filter;
        if f.direction.is_some_and(|d| d != ex.direction)
            || f.method.is_some_and(|m| Some(m) != ex.method)
            || !f.status.matches(ex.response.as_ref().map(|r| r.status))
            || f.action_key
                .as_ref()
                .is_some_and(|k| ex.action_key.as_deref() != Some(k.as_str()))
            || f.envelope
                .as_ref()
                .is_some_and(|e| ex.envelope_label() != e)
            || (f.flagged && !ex.is_flagged())
        {
            return false;
        }
        true
    }

    /// The activation and the free text: inside the request, the answer and the findings.
    pub fn matches_inside(&self, ex: &Exchange) -> bool {
        // A reported event names the activations it started in its answer.
        if !self.activation.is_empty()
            && memchr::memmem::find(&ex.arrival.body, self.activation.as_bytes()).is_none()
            && !(ex.method.is_some_and(|m| m.is_event())
                && ex
                    .response
                    .as_ref()
                    .is_some_and(|r| r.body.to_string().contains(self.activation)))
        {
            return false;
        }
        let t = self.text.as_slice();
        if t.is_empty() {
            return true;
        }
        contains_ci(ex.path.as_bytes(), t)
            || ex
                .action_key
                .as_deref()
                .is_some_and(|k| contains_ci(k.as_bytes(), t))
            || ex
                .tag
                .as_deref()
                .is_some_and(|k| contains_ci(k.as_bytes(), t))
            || contains_ci(&ex.arrival.body, t)
            || contains_ci(ex.arrival.headers.as_bytes(), t)
            || ex
                .findings
                .iter()
                .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
                .any(|f| contains_ci(f.message.as_bytes(), t))
            || ex
                .response
                .as_ref()
                .is_some_and(|r| value_contains_ci(&r.body, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_found_in_either_case_and_only_where_it_is() {
        assert!(contains_ci(b"Hello World", b"world"));
        assert!(contains_ci(b"HELLO", b"hello"));
        assert!(!contains_ci(b"Hello", b"help"));
        assert!(contains_ci(b"aab", b"ab"));
        assert!(!contains_ci(b"a", b"ab"));
        assert!(contains_ci(b"anything", b""));
    }
}
