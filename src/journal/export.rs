//! Taking exchanges out of ActionBench: as HAR 1.2 (the `har` crate's types), a single one as
//! a curl command that replays it, or as a sample file the sample list reads back — the
//! fastest way to turn a real Wix call into a saved sample.

use crate::domain::envelope;
use crate::domain::invocation::{Direction, Exchange};
use crate::domain::wire::Method;
use crate::engine::ActionSchemas;
use har::v1_2;
use serde_json::{Value, json};

/// The URL an exchange went to: outbound ones keep theirs; inbound ones are on the host and
/// port their caller named (`Host`: where the session served them), else on `inbox`.
fn url_of(ex: &Exchange, inbox: &str) -> String {
    match ex.direction {
        Direction::Outbound => ex.path.clone(),
        Direction::Inbound => match headers(ex)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v)
            .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '@']))
        {
            Some(host) => format!("http://{host}{}", ex.path),
            None => format!("{}{}", inbox.trim_end_matches('/'), ex.path),
        },
    }
}

fn headers(ex: &Exchange) -> Vec<(String, String)> {
    ex.arrival
        .headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn content_type(ex: &Exchange) -> String {
    headers(ex)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v)
        .unwrap_or_else(|| "application/json".into())
}

/// The exchanges as a HAR 1.2 document; `inbox` is the inbox's base URL.
pub fn har(exchanges: &[Exchange], inbox: &str) -> har::Har {
    let entries = exchanges
        .iter()
        .map(|ex| {
            let body = ex.arrival.text().into_owned();
            let (status, status_text, answer, answered_at) = match &ex.response {
                Some(r) => (
                    i64::from(r.status),
                    http::StatusCode::from_u16(r.status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("")
                        .to_string(),
                    r.body.to_string(),
                    Some(r.at),
                ),
                // HAR's way to say "no response" (browsers write 0 for aborted requests).
                None => (0, String::new(), String::new(), None),
            };
            let wait = answered_at
                .map(|a| (a - ex.at).num_milliseconds().max(0) as f64)
                .unwrap_or(0.0);
            let mut comment = format!("{} · {}", ex.method_label(), ex.phase.label());
            if ex.is_flagged() {
                comment.push_str(" · flagged");
            }
            for f in ex
                .findings
                .iter()
                .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
            {
                comment.push_str(&format!("\n{}: {}", f.code, f.message));
            }
            for t in &ex.timeline {
                comment.push_str(&format!("\n{} {}", t.at.to_rfc3339(), t.note));
            }
            v1_2::Entries {
                started_date_time: ex.at.to_rfc3339(),
                time: wait,
                request: v1_2::Request {
                    method: ex.http_method.clone(),
                    url: url_of(ex, inbox),
                    http_version: "HTTP/1.1".into(),
                    headers: headers(ex)
                        .into_iter()
                        .map(|(name, value)| v1_2::Headers {
                            name,
                            value,
                            comment: None,
                        })
                        .collect(),
                    post_data: Some(v1_2::PostData {
                        mime_type: content_type(ex),
                        text: Some(body),
                        params: None,
                        comment: None,
                    }),
                    headers_size: -1,
                    body_size: ex.arrival.body.len() as i64,
                    ..Default::default()
                },
                response: v1_2::Response {
                    status,
                    status_text,
                    http_version: "HTTP/1.1".into(),
                    headers: vec![v1_2::Headers {
                        name: "content-type".into(),
                        value: "application/json".into(),
                        comment: None,
                    }],
                    content: v1_2::Content {
                        size: answer.len() as i64,
                        mime_type: Some("application/json".into()),
                        text: Some(answer.clone()),
                        ..Default::default()
                    },
                    redirect_url: Some(String::new()),
                    headers_size: -1,
                    body_size: answer.len() as i64,
                    ..Default::default()
                },
                timings: v1_2::Timings {
                    send: 0.0,
                    wait,
                    receive: 0.0,
                    ..Default::default()
                },
                comment: Some(comment),
                ..Default::default()
            }
        })
        .collect();
    har::Har {
        log: har::Spec::V1_2(v1_2::Log {
            creator: v1_2::Creator {
                name: "ActionBench".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                comment: None,
            },
            entries,
            ..Default::default()
        }),
    }
}

/// The document as JSON text.
pub fn har_json(exchanges: &[Exchange], inbox: &str) -> Result<String, String> {
    har::to_json(&har(exchanges, inbox)).map_err(|e| format!("cannot write HAR: {e}"))
}

/// `s` in single quotes for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A curl command that sends the same request again (to the inbox for inbound ones).
pub fn curl(ex: &Exchange, inbox: &str) -> String {
    let mut cmd = format!(
        "curl -sS -X {} {}",
        ex.http_method,
        quote(&url_of(ex, inbox))
    );
    for (k, v) in headers(ex) {
        // Set by curl itself, or meaningless on replay.
        if matches!(
            k.to_ascii_lowercase().as_str(),
            "host" | "content-length" | "accept" | "connection" | "accept-encoding"
        ) {
            continue;
        }
        cmd.push_str(&format!(" -H {}", quote(&format!("{k}: {v}"))));
    }
    if ex.arrival.unread.is_none() && !ex.arrival.body.is_empty() {
        cmd.push_str(&format!(" --data-binary {}", quote(&ex.arrival.text())));
    }
    cmd
}

/// The exchange as a sample file (the sample format), with the key's schemas: a call's
/// request and metadata as they came (a JWT's `data` decoded), and its answer as the
/// example answer when it was a good one.
pub fn as_sample(ex: &Exchange, schemas: &ActionSchemas) -> Result<Value, String> {
    let method = match ex.method {
        Some(m) if !m.is_wix_api() => m,
        _ => {
            return Err(
                "only Invoke, validate-configuration and quota-info calls make samples".into(),
            );
        }
    };
    let parts = envelope::inspect(&ex.arrival.body);
    let request = parts
        .request
        .ok_or("the body could not be read as a request, so it makes no sample")?;
    let key = ex.action_key.as_deref().unwrap_or("action");
    let mut sample = json!({
        "name": format!("{} {key} (saved from #{})", method.label(), ex.id),
        "description": format!(
            "Saved from exchange #{} of {}, {}.",
            ex.id,
            ex.at.format("%Y-%m-%d %H:%M UTC"),
            ex.phase.label()
        ),
        "method": method.label(),
        "request": request,
    });
    if let Some(m) = parts.metadata {
        sample["metadata"] = m;
    }
    if let Some(s) = &schemas.input {
        sample["inputSchema"] = (*s.source).clone();
    }
    if let Some(s) = &schemas.output {
        sample["outputSchema"] = (*s.source).clone();
    }
    if method == Method::Invoke
        && let Some(r) = &ex.response
        && (200..300).contains(&r.status)
        && !r
            .findings
            .iter()
            .any(|f| f.severity == crate::domain::contract::Severity::Error)
    {
        sample["exampleAnswer"] = (*r.body).clone();
    }
    Ok(sample)
}
