//! A session, or a flow run, shared as one HTML file that opens anywhere, offline: everything
//! inline, a Content-Security-Policy that forbids every request, and the exchanges embedded
//! once, as the journal's self-describing lines (format 1's exchange records: any ActionBench
//! reads the file back with `--session`, and the page's script shows them as they are), gzip
//! and base64 when large. Secrets stay home unless asked: JWT signatures, `Authorization` and
//! cookie headers and the app's `instanceId` are replaced by a marker, and the page says what
//! was. Nothing in the data runs: it is JSON with `<`, `>` and `&` escaped inside a
//! `<script type="application/json">`, and the page only ever writes it as text.

mod page;
mod redact;

pub use page::{flow_page, session_page};
pub use redact::{REDACTED, Redacted};

use super::{
    Deserialize, EventKind, Exchange, ExchangeRecord, Line, Method, Path, STANDARD, Serialize, Utc,
    Value, What, record_of,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The embedded journal's element id.
pub const DATA_ID: &str = "actionbench-journal";

/// Past this many bytes of lines, the embedded journal is gzipped.
const COMPRESS_OVER: usize = 64 * 1024;

/// How the embedded journal is written.
#[derive(Serialize, Deserialize)]
struct Embedded {
    /// `jsonl`, or `gzip+base64`.
    encoding: String,
    data: String,
}

/// The journal lines of `exchanges` (a `session` line, then one line per exchange as it
/// stands), redacted when `redact` says so: the text, and what was redacted.
fn journal_lines(exchanges: &[Exchange], redact: bool) -> (String, Redacted) {
    let mut redacted = Redacted::default();
    let mut out = String::new();
    let session = Line {
        v: 1,
        what: What::Session {
            at: Utc::now(),
            version: env!("CARGO_PKG_VERSION").into(),
            pid: None,
        },
    };
    out.push_str(&serde_json::to_string(&session).unwrap_or_default());
    out.push('\n');
    #[derive(Serialize)]
    struct ExchangeLine<'a> {
        v: u32,
        kind: &'static str,
        event: &'a str,
        ex: ExchangeRecord,
    }
    for ex in exchanges {
        let shown;
        let ex = if redact {
            shown = redacted.apply(ex);
            &shown
        } else {
            ex
        };
        let line = ExchangeLine {
            v: 1,
            kind: "exchange",
            event: EventKind::of(&ex.phase).label(),
            ex: record_of(ex),
        };
        if let Ok(text) = serde_json::to_string(&line) {
            out.push_str(&text);
            out.push('\n');
        }
    }
    (out, redacted)
}

/// The `<script type="application/json">` content holding `lines`: JSON, with `<`, `>` and
/// `&` escaped so that nothing in it can end the element or be read as markup.
fn embed(lines: &str) -> String {
    let embedded = if lines.len() > COMPRESS_OVER {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = gz.write_all(lines.as_bytes());
        let bytes = gz.finish().unwrap_or_default();
        Embedded {
            encoding: "gzip+base64".into(),
            data: STANDARD.encode(bytes),
        }
    } else {
        Embedded {
            encoding: "jsonl".into(),
            data: lines.to_string(),
        }
    };
    script_safe(&serde_json::to_string(&embedded).unwrap_or_default())
}

/// JSON text made safe inside an HTML `<script>` element: `<`, `>` and `&` (which occur only
/// inside strings) as `\u` escapes, and the line and paragraph separators too.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The journal lines a shared page embeds, when `bytes` are one (`None`: not a shared page;
/// `Some(Err)`: one whose data cannot be read).
pub fn extract(bytes: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let head = &bytes[..bytes.len().min(512)];
    let text_start = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    if !text_start.starts_with("<!doctype html") {
        return None;
    }
    let open = format!("<script type=\"application/json\" id=\"{DATA_ID}\">");
    let text = String::from_utf8_lossy(bytes);
    let Some(start) = text.find(&open).map(|i| i + open.len()) else {
        return Some(Err(
            "an HTML page with no ActionBench journal in it (not a page ActionBench shared)".into(),
        ));
    };
    let Some(len) = text[start..].find("</script>") else {
        return Some(Err("the page's journal is cut short".into()));
    };
    let embedded: Embedded = match serde_json::from_str(&text[start..start + len]) {
        Ok(e) => e,
        Err(e) => return Some(Err(format!("the page's journal is not readable: {e}"))),
    };
    Some(match embedded.encoding.as_str() {
        "jsonl" => Ok(embedded.data.into_bytes()),
        "gzip+base64" => STANDARD
            .decode(embedded.data.as_bytes())
            .map_err(|e| format!("the page's journal is not base64: {e}"))
            .and_then(|gz| {
                use std::io::Read;
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&gz[..])
                    .read_to_end(&mut out)
                    .map(|_| out)
                    .map_err(|e| format!("the page's journal does not unzip: {e}"))
            }),
        other => Err(format!(
            "the page's journal is in an unknown encoding {other:?}"
        )),
    })
}

/// A base64url JWT part as JSON, if it is one.
fn jwt_part(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?).ok()
}

/// The calls of activation `activation` among `exchanges`: its invocations (those that came
/// in and those sent to your action), and the completion reports for their tokens.
pub fn of_activation(exchanges: &[Exchange], activation: &str) -> Vec<Exchange> {
    let of = |ex: &Exchange| {
        crate::domain::envelope::inspect(&ex.arrival.body)
            .request
            .and_then(|r| {
                r.pointer("/activationContext/activationId")
                    .and_then(Value::as_str)
                    .map(|a| a == activation)
            })
            .unwrap_or(false)
    };
    let mine: Vec<&Exchange> = exchanges.iter().filter(|ex| of(ex)).collect();
    let tokens: std::collections::HashSet<&str> = mine
        .iter()
        .filter_map(|ex| ex.invocation_token.as_deref())
        .collect();
    exchanges
        .iter()
        .filter(|ex| {
            of(ex)
                || (ex.method == Some(Method::CompletionReport)
                    && ex
                        .invocation_token
                        .as_deref()
                        .is_some_and(|t| tokens.contains(t)))
        })
        .cloned()
        .collect()
}

/// A flow run as one page: its story from `events`, its calls from `exchanges` (those of its
/// activation), each step's call one click away.
pub fn run_page(
    run: &crate::domain::flow::FlowRun,
    events: &[crate::domain::flow::FlowEvent],
    exchanges: &[Exchange],
    redact: bool,
    file: &str,
) -> Result<String, String> {
    let story = crate::domain::flow::Story::of(&run.flow.flow, events);
    let calls: Vec<Option<crate::domain::invocation::ExchangeId>> =
        run.steps.iter().map(|s| s.exchange).collect();
    flow_page(
        &story,
        &calls,
        &of_activation(exchanges, &run.activation_id),
        redact,
        file,
    )
}

/// A path's file name, as a page says it (how to open it again).
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
