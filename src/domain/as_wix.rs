//! Requests as Wix makes them, for playing Wix against the developer's own action: a sample's
//! request with a fresh `activationContext` and `metadata`, sent plain or as a compact JWT
//! signed RS256 with the claims protocol.md names (`iss` wix.com, `aud` the app ID, `iat`, `exp`,
//! `data` = `{request, metadata}`).

use super::sample::Sample;
use super::wire::{APP_EXTENSION_TYPE, Method};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// How the activation started, as `activationSourceInfo` tells the action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A trigger event (`TRIGGER_PROVIDER_EVENT`).
    Trigger,
    /// A manual run, in test mode or not (`MANUAL_ACTIVATION`).
    Manual { test_mode: bool },
    /// A rerun of an earlier activation (`RERUN_ACTIVATION`).
    Rerun {
        original_activation_id: String,
        skip_delays: bool,
    },
}

impl Source {
    pub fn info(&self) -> Value {
        match self {
            Source::Trigger => json!({ "activationInitiationSource": "TRIGGER_PROVIDER_EVENT" }),
            Source::Manual { test_mode } => json!({
                "activationInitiationSource": "MANUAL_ACTIVATION",
                "manualActivationInfo": { "testMode": test_mode }
            }),
            Source::Rerun {
                original_activation_id,
                skip_delays,
            } => json!({
                "activationInitiationSource": "RERUN_ACTIVATION",
                "rerunActivationInfo": {
                    "originalActivationId": original_activation_id,
                    "skipDelays": skip_delays
                }
            }),
        }
    }
}

/// The IDs every real run gets anew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    pub activation_id: String,
    pub action_id: String,
    pub invocation_token: String,
    pub request_id: String,
}

impl Ids {
    pub fn fresh() -> Ids {
        let id = || uuid::Uuid::new_v4().to_string();
        Ids {
            activation_id: id(),
            action_id: id(),
            invocation_token: format!("tok-{}", id()),
            request_id: id(),
        }
    }
}

/// Who Wix calls on behalf of: the app and its instance on a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub app_id: String,
    pub instance_id: String,
}

/// `{request, metadata}` for `sample` as Wix would send it: for Invoke, the sample's
/// `activationContext` (trigger, payload…) with fresh IDs and `source`; metadata with the
/// app's instance, a fresh request ID and the action provider's extension type.
pub fn wix_envelope(sample: &Sample, source: &Source, ids: &Ids, app: &App) -> Value {
    let mut request = sample.request.clone();
    if sample.method == Method::Invoke
        && let Some(req) = request.as_object_mut()
    {
        let ctx = req.entry("activationContext").or_insert_with(|| json!({}));
        if !ctx.is_object() {
            *ctx = json!({});
        }
        if let Some(ctx) = ctx.as_object_mut() {
            ctx.insert("activationId".into(), json!(ids.activation_id));
            ctx.insert("actionId".into(), json!(ids.action_id));
            ctx.insert("invocationToken".into(), json!(ids.invocation_token));
            ctx.insert("actionAppId".into(), json!(app.app_id));
            ctx.insert("activationSourceInfo".into(), source.info());
        }
    }
    let mut metadata = serde_json::to_value(&sample.metadata).unwrap_or_else(|_| json!({}));
    if !metadata.is_object() {
        metadata = json!({});
    }
    metadata["requestId"] = json!(ids.request_id);
    metadata["instanceId"] = json!(app.instance_id);
    metadata["appExtensionType"] = json!(APP_EXTENSION_TYPE);
    json!({ "request": request, "metadata": metadata })
}

/// `{request, metadata}` for a request built elsewhere (a flow's step, whose
/// `activationContext` the run made): metadata with the app's instance, a fresh request ID and
/// the action provider's extension type.
pub fn envelope_for(request: Value, ids: &Ids, app: &App) -> Value {
    json!({
        "request": request,
        "metadata": {
            "requestId": ids.request_id,
            "instanceId": app.instance_id,
            "appExtensionType": APP_EXTENSION_TYPE,
        }
    })
}

/// `{request, metadata}` for a call to the app's Trigger Provider service plugin: metadata as
/// for the action provider's, with the trigger provider's extension type (which the SDK routes
/// on, since `/validate-configuration` ends both plugins' paths).
pub fn trigger_envelope(request: Value, ids: &Ids, app: &App) -> Value {
    json!({
        "request": request,
        "metadata": {
            "requestId": ids.request_id,
            "instanceId": app.instance_id,
            "appExtensionType": super::trigger::provider::TRIGGER_EXTENSION_TYPE,
        }
    })
}

/// How long a signed request stays valid, as Wix's tokens do (`exp` − `iat`).
pub const TOKEN_LIFETIME: Duration = Duration::minutes(5);

/// `envelope` as a compact JWT signed RS256 with `key`, addressed to `app_id`, issued `now`.
pub fn sign(
    envelope: &Value,
    app_id: &str,
    key: &jsonwebtoken::EncodingKey,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let claims = json!({
        "iss": "wix.com",
        "aud": app_id,
        "iat": now.timestamp(),
        "exp": (now + TOKEN_LIFETIME).timestamp(),
        "data": envelope,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        key,
    )
    .map_err(|e| format!("cannot sign the request: {e}"))
}
