//! Calling the developer's own action over HTTP, as Wix does: no redirects followed, a time
//! limit, at most 1 MiB read. A target that cannot answer becomes a [`Failure`] in words, never
//! a hang or a panic.

use bytes::Bytes;
use std::time::{Duration, Instant};

/// The most of an answer that is read (as Wix's own limit is not documented, the inbox's).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// How long a call may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a target answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
    pub latency: Duration,
}

/// Why a target gave no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens there.
    Refused(String),
    /// The host name does not resolve.
    UnknownHost(String),
    /// No answer within the time limit.
    Timeout(Duration),
    /// The TLS handshake failed (https targets).
    Tls(String),
    /// A 3xx answer: Wix does not follow redirects, and neither does ActionBench.
    Redirect { status: u16, location: String },
    /// The answer is larger than [`MAX_ANSWER_BYTES`].
    TooLarge,
    /// The connection closed before a whole answer came.
    Closed(String),
    /// The URL cannot be called at all.
    BadUrl(String),
}

impl Failure {
    /// A stable code, for findings and JUnit.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Refused(_) => "target-refused",
            Failure::UnknownHost(_) => "target-unknown-host",
            Failure::Timeout(_) => "target-timeout",
            Failure::Tls(_) => "target-tls",
            Failure::Redirect { .. } => "target-redirect",
            Failure::TooLarge => "target-answer-too-large",
            Failure::Closed(_) => "target-closed",
            Failure::BadUrl(_) => "target-bad-url",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(u) => write!(
                f,
                "connection refused at {u}: is your action running, and on this port?"
            ),
            Failure::UnknownHost(u) => write!(f, "the host of {u} does not resolve"),
            Failure::Timeout(d) => write!(
                f,
                "no answer within {} s: Wix gives up on a slow action, so answer at once and report completion later",
                d.as_secs_f32()
            ),
            Failure::Tls(e) => write!(f, "the TLS handshake failed: {e}"),
            Failure::Redirect { status, location } => write!(
                f,
                "answered {status} redirecting to {location:?}: Wix does not follow redirects, so serve the method at the URL itself"
            ),
            Failure::TooLarge => write!(
                f,
                "the answer is over {MAX_ANSWER_BYTES} bytes (1 MiB); it was not read to the end"
            ),
            Failure::Closed(e) => write!(f, "the connection closed before a whole answer: {e}"),
            Failure::BadUrl(e) => write!(f, "the target URL cannot be called: {e}"),
        }
    }
}

/// A client as Wix calls with: no redirects, a time limit for the whole call.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent("Wix")
        .build()
        .unwrap_or_default()
}

/// Whether `e` or anything it wraps says `needle` (reqwest keeps the cause in its sources).
fn mentions(e: &(dyn std::error::Error + 'static), needles: &[&str]) -> bool {
    let mut src = Some(e);
    while let Some(s) = src {
        let text = s.to_string().to_ascii_lowercase();
        if needles.iter().any(|n| text.contains(n)) {
            return true;
        }
        src = s.source();
    }
    false
}

/// `e` and its causes, as one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}

fn classify(e: reqwest::Error, url: &str, timeout: Duration) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout(timeout);
    }
    if e.is_builder() {
        return Failure::BadUrl(e.to_string());
    }
    if mentions(
        &e,
        &["dns error", "failed to lookup", "name or service not known"],
    ) {
        return Failure::UnknownHost(url.to_string());
    }
    // rustls' words: a bad certificate, or no TLS at all on the other side.
    if url.starts_with("https:")
        && mentions(
            &e,
            &["certificate", "tls", "handshake", "corrupt message", "peer"],
        )
    {
        return Failure::Tls(chain(&e));
    }
    if e.is_connect() && mentions(&e, &["refused"]) {
        return Failure::Refused(url.to_string());
    }
    Failure::Closed(chain(&e))
}

/// POSTs `body` to `url` and reads the answer, up to [`MAX_ANSWER_BYTES`].
pub async fn call(
    client: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    timeout: Duration,
) -> Result<Answered, Failure> {
    let started = Instant::now();
    let mut res = client
        .post(url)
        .header("content-type", content_type)
        .timeout(timeout)
        .body(body)
        .send()
        .await
        .map_err(|e| classify(e, url, timeout))?;
    let status = res.status().as_u16();
    if (300..400).contains(&status) {
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return Err(Failure::Redirect { status, location });
    }
    if res
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(Failure::TooLarge);
    }
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut read = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| classify(e, url, timeout))? {
        if read.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Failure::TooLarge);
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Answered {
        status,
        content_type,
        body: Bytes::from(read),
        latency: started.elapsed(),
    })
}
