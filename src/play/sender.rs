//! Sends samples over HTTP, as Wix would, and events, as an app would: used by the window's
//! "Send to inbox" and "Report event…".

use crate::domain::sample::Sample;
use serde_json::Value;

/// What came back from a send.
#[derive(Clone, Debug, PartialEq)]
pub struct SendOutcome {
    pub status: u16,
    pub body: String,
}

impl SendOutcome {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Posts `sample` (as a `{request, metadata}` JSON envelope with fresh IDs) to `base_url`.
pub async fn send_sample(
    client: &reqwest::Client,
    base_url: &str,
    sample: &Sample,
) -> Result<SendOutcome, String> {
    let url = format!("{}{}", base_url.trim_end_matches('/'), sample.method.path());
    let headers = [
        ("user-agent", "Wix"),
        ("content-type", "text/plain; charset=utf-8"),
    ];
    post(client, &url, &headers, sample.envelope(true).to_string()).await
}

/// Posts a Report Event body to the inbox at `base_url`, as an app on the SDK does (JSON, with
/// an Authorization header: the window stands in for the app).
pub async fn report_event(
    client: &reqwest::Client,
    base_url: &str,
    body: &Value,
) -> Result<SendOutcome, String> {
    let path = crate::domain::wire::REPORT_EVENT_PATH;
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let headers = [
        ("user-agent", "ActionBench window"),
        ("authorization", "(the ActionBench window)"),
        ("content-type", "application/json"),
    ];
    post(client, &url, &headers, body.to_string()).await
}

/// POSTs `body` to `url` with `headers`: the status and the answer's body, or why there is none.
async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<SendOutcome, String> {
    let mut req = client.post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req
        .body(body)
        .send()
        .await
        .map_err(|e| format!("could not reach {url}: {e}"))?;
    let status = res.status().as_u16();
    let body = res
        .text()
        .await
        .map_err(|e| format!("could not read the answer from {url}: {e}"))?;
    Ok(SendOutcome { status, body })
}
