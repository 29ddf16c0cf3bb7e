//! The hot path for the common call: a plain JSON Invoke body, read without building a tree.
//!
//! [`quick_invoke`] borrows what the engine needs (action key, token, params) straight from the
//! bytes, and checks the typed fields' JSON types as it goes. It either agrees with the full
//! decode ([`super::envelope::decode`] and the engine's checks) or gives up with `None`, and the
//! full decode then runs and names the problem. A test holds the two together.

use super::envelope::EnvelopeKind;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What the hot path takes from a valid plain Invoke body.
#[derive(Debug)]
pub struct QuickInvoke<'a> {
    pub kind: EnvelopeKind,
    pub action_key: Cow<'a, str>,
    /// `actionParams`, still as JSON text (an object).
    pub action_params: &'a RawValue,
    pub invocation_token: Option<Cow<'a, str>>,
    pub activation_source: Option<Cow<'a, str>>,
}

/// Any JSON object, skipped; anything else is an error.
struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<AnyObject, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyObject)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    request: Option<Request<'a>>,
    #[serde(default)]
    metadata: Option<AnyObject>,
    #[serde(rename = "actionKey", borrow, default)]
    action_key: Option<Cow<'a, str>>,
    #[serde(rename = "actionParams", borrow, default)]
    action_params: Option<&'a RawValue>,
    #[serde(rename = "activationContext", borrow, default)]
    activation_context: Option<Context<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(borrow, default)]
    action_key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action_params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    activation_context: Option<Context<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // read only to check types
struct Context<'a> {
    #[serde(borrow, default)]
    activation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    trigger_key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    trigger_app_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action_id: Option<Cow<'a, str>>,
    #[serde(default)]
    payload: Option<AnyObject>,
    #[serde(borrow, default)]
    action_app_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    invocation_token: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    activation_source_info: Option<Source<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Source<'a> {
    #[serde(borrow, default)]
    activation_initiation_source: Option<Cow<'a, str>>,
    #[serde(default)]
    manual_activation_info: Option<Manual>,
    #[serde(borrow, default)]
    rerun_activation_info: Option<Rerun<'a>>,
    #[serde(borrow, default)]
    initiator_info: Option<Initiator<'a>>,
    #[serde(borrow, default)]
    preinstalled_info: Option<Preinstalled<'a>>,
    #[serde(default)]
    force_sync: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Manual {
    #[serde(default)]
    test_mode: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Rerun<'a> {
    #[serde(borrow, default)]
    original_activation_id: Option<Cow<'a, str>>,
    #[serde(default)]
    skip_delays: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Initiator<'a> {
    #[serde(borrow, default)]
    initiator_user_id: Option<Cow<'a, str>>,
    #[serde(default)]
    wix_employee: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Preinstalled<'a> {
    #[serde(borrow, default)]
    app_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    component_id: Option<Cow<'a, str>>,
}

/// The hot path's reading of a plain JSON Invoke body, or `None` to take the full path.
pub fn quick_invoke(body: &[u8]) -> Option<QuickInvoke<'_>> {
    let bytes = body.trim_ascii();
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let b: Body<'_> = serde_json::from_slice(bytes).ok()?;
    let (kind, key, params, ctx) = match b.request {
        // The envelope form: {request, metadata}, with no request fields beside them.
        Some(r)
            if b.action_key.is_none()
                && b.action_params.is_none()
                && b.activation_context.is_none() =>
        {
            (
                EnvelopeKind::PlainEnvelope,
                r.action_key?,
                r.action_params?,
                r.activation_context,
            )
        }
        Some(_) => return None,
        None if b.metadata.is_none() => (
            EnvelopeKind::PlainJson,
            b.action_key?,
            b.action_params?,
            b.activation_context,
        ),
        None => return None,
    };
    if key.is_empty() || !params.get().starts_with('{') {
        return None;
    }
    let (token, source) = match ctx {
        Some(c) => (
            c.invocation_token,
            c.activation_source_info
                .and_then(|s| s.activation_initiation_source),
        ),
        None => (None, None),
    };
    Some(QuickInvoke {
        kind,
        action_key: key,
        action_params: params,
        invocation_token: token,
        activation_source: source,
    })
}
