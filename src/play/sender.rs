//! Sends samples over HTTP, as Wix would: used by the window's "Send to inbox".

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
    let res = client
        .post(&url)
        .header("user-agent", "Wix")
        .header("content-type", "text/plain; charset=utf-8")
        .body(sample.envelope(true).to_string())
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
