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
    /// `metadata.appExtensionType` of the envelope form, when it is a string.
    pub app_extension_type: Option<Cow<'a, str>>,
}

/// A metadata key: the one the hot path reads, or any other (read without allocating).
enum MetaKey {
    AppExtensionType,
    Other,
}

impl<'de> Deserialize<'de> for MetaKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MetaKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<MetaKey, E> {
                Ok(if k == "appExtensionType" {
                    MetaKey::AppExtensionType
                } else {
                    MetaKey::Other
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// A string borrowed from the body where it has no escapes.
struct BorrowedStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for BorrowedStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                s: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The envelope's metadata: any JSON object, of which only `appExtensionType` is read (a
/// string or null; anything else steps aside).
struct Meta<'a> {
    app_extension_type: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Meta<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Meta<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Meta<'de>, A::Error> {
                let mut app_extension_type = None;
                while let Some(key) = m.next_key::<MetaKey>()? {
                    match key {
                        MetaKey::AppExtensionType => {
                            app_extension_type =
                                m.next_value::<Option<BorrowedStr<'de>>>()?.map(|s| s.0);
                        }
                        MetaKey::Other => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Meta { app_extension_type })
            }
        }
        d.deserialize_map(V)
    }
}

/// `T` read from a JSON object only: serde's derived structs also take arrays (fields by
/// position), which the full decode refuses.
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(Obj)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
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
    request: Option<Obj<Request<'a>>>,
    #[serde(borrow, default)]
    metadata: Option<Meta<'a>>,
    #[serde(rename = "actionKey", borrow, default)]
    action_key: Option<Cow<'a, str>>,
    #[serde(rename = "actionParams", borrow, default)]
    action_params: Option<&'a RawValue>,
    #[serde(rename = "activationContext", borrow, default)]
    activation_context: Option<Obj<Context<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(borrow, default)]
    action_key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action_params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    activation_context: Option<Obj<Context<'a>>>,
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
    activation_source_info: Option<Obj<Source<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Source<'a> {
    #[serde(borrow, default)]
    activation_initiation_source: Option<Cow<'a, str>>,
    #[serde(default)]
    manual_activation_info: Option<Obj<Manual>>,
    #[serde(borrow, default)]
    rerun_activation_info: Option<Obj<Rerun<'a>>>,
    #[serde(borrow, default)]
    initiator_info: Option<Obj<Initiator<'a>>>,
    #[serde(borrow, default)]
    preinstalled_info: Option<Obj<Preinstalled<'a>>>,
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

/// Whether a body holds what serde_json checks when it builds values but not when it skips
/// them, so that only the full decode can judge it: nesting past its recursion limit, a
/// number that may be out of range (an exponent, or over 300 digits), a `\\u` escape in the
/// surrogate range. One pass over the bytes, no allocation.
fn needs_full_decode(bytes: &[u8]) -> bool {
    let (mut depth, mut digits, mut prev) = (0usize, 0usize, 0u8);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            // Jump through the string to its closing quote; only escapes need a look.
            let mut j = i + 1;
            loop {
                let Some(rest) = bytes.get(j..) else {
                    return false; // ends inside an escape: the parser refuses it anyway
                };
                match memchr::memchr2(b'"', b'\\', rest) {
                    None => return false, // unterminated: the parser refuses it anyway
                    Some(k) if bytes[j + k] == b'"' => {
                        j += k + 1;
                        break;
                    }
                    Some(k) => {
                        let e = j + k + 1;
                        // \uD800–\uDFFF: a surrogate, which must pair up.
                        if bytes.get(e) == Some(&b'u')
                            && matches!(bytes.get(e + 1..e + 3), Some([b'd' | b'D', c]) if matches!(c, b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'))
                        {
                            return true;
                        }
                        j = e + 1;
                    }
                }
            }
            i = j;
            prev = b'"';
            digits = 0;
            continue;
        }
        match b {
            b'{' | b'[' => {
                depth += 1;
                if depth > super::envelope::MAX_JSON_DEPTH {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'e' | b'E' if prev.is_ascii_digit() || prev == b'.' => return true,
            _ => {}
        }
        digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
        if digits > 300 {
            return true;
        }
        prev = b;
        i += 1;
    }
    false
}

/// The hot path's reading of a plain JSON Invoke body, or `None` to take the full path.
pub fn quick_invoke(body: &[u8]) -> Option<QuickInvoke<'_>> {
    let bytes = body.trim_ascii();
    if bytes.first() != Some(&b'{') || needs_full_decode(bytes) {
        return None;
    }
    // serde_json does not check the UTF-8 of values it skips; the full decode does.
    let text = std::str::from_utf8(bytes).ok()?;
    let b: Body<'_> = serde_json::from_str(text).ok()?;
    let app_extension_type = b
        .metadata
        .as_ref()
        .and_then(|m| m.app_extension_type.clone());
    let (kind, key, params, ctx) = match b.request.map(|r| r.0) {
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
                r.activation_context.map(|c| c.0),
            )
        }
        Some(_) => return None,
        None if b.metadata.is_none() => (
            EnvelopeKind::PlainJson,
            b.action_key?,
            b.action_params?,
            b.activation_context.map(|c| c.0),
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
                .and_then(|s| s.0.activation_initiation_source),
        ),
        None => (None, None),
    };
    Some(QuickInvoke {
        kind,
        action_key: key,
        action_params: params,
        invocation_token: token,
        activation_source: source,
        app_extension_type,
    })
}
