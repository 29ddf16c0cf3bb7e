//! The Triggered Events API's requests (an app → Wix): Report Event, Bulk Report Event, Cancel
//! Event and Bulk Cancel Event, read with Wix's field limits (`../shared/triggers.md` §1), and
//! their answers' shapes. A request that breaks a limit is a list of findings (a 400 with
//! field violations); a bulk item that does is that item's failure.

use crate::domain::contract::Finding;
use serde_json::{Map, Value, json};

/// How long an idempotency key lives when the report does not say: one week.
pub const DEFAULT_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// At most this many items in a bulk request.
pub const MAX_BULK: usize = 100;

/// One event as reported: the payload (an object, `{}` when left out), the entity it is
/// about, and the idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub struct EventInfo {
    pub payload: Value,
    pub external_entity_id: Option<String>,
    pub idempotency: Option<Idempotency>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Idempotency {
    pub key: String,
    pub ttl_ms: i64,
}

/// A read request: what it asks, and warnings that do not refuse it.
pub type Read<T> = Result<(T, Vec<Finding>), Vec<Finding>>;

/// `triggerKey` in a request: 1 to 100 characters.
pub fn check_trigger_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if (1..=100).contains(&n) {
        Ok(())
    } else {
        Err(format!("triggerKey has {n} characters: Wix takes 1 to 100"))
    }
}

/// A payload key (and a payload schema's property key): `A-Z a-z 0-9 _`, not starting with `_`.
pub fn check_payload_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("an empty key: keys are A-Z, a-z, 0-9 and _".into());
    }
    if key.starts_with('_') {
        return Err(format!("{key:?} starts with _: Wix keys may not"));
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!(
            "{key:?} has {c:?}: keys are A-Z, a-z, 0-9 and _ only"
        ));
    }
    Ok(())
}

/// Whether `s` is a GUID (`8-4-4-4-12` hex digits).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, Vec<Finding>> {
    v.as_object().ok_or_else(|| {
        vec![Finding::error(
            "not-an-object",
            format!("{what} must be a JSON object"),
        )]
    })
}

fn trigger_key(o: &Map<String, Value>) -> Result<String, Vec<Finding>> {
    match o.get("triggerKey") {
        Some(Value::String(k)) => check_trigger_key(k).map(|()| k.clone()).map_err(|why| {
            vec![
                Finding::error("trigger-key", why)
                    .at("triggerKey")
                    .rule("MAX_LENGTH"),
            ]
        }),
        Some(_) => Err(vec![
            Finding::error("trigger-key", "triggerKey must be a string").at("triggerKey"),
        ]),
        None => Err(vec![
            Finding::error("trigger-key", "triggerKey is required")
                .at("triggerKey")
                .rule("REQUIRED_FIELD"),
        ]),
    }
}

fn entity_id(v: Option<&Value>, at: &str, required: bool) -> Result<Option<String>, Finding> {
    match v {
        None | Some(Value::Null) if required => Err(Finding::error(
            "external-entity-id",
            format!("{at} is required"),
        )
        .at(at)
        .rule("REQUIRED_FIELD")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_guid(s) => Ok(Some(s.clone())),
        Some(other) => Err(Finding::error(
            "external-entity-id",
            format!("{at} {other} is not a GUID: Wix takes a GUID here"),
        )
        .at(at)
        .rule("FORMAT")),
    }
}

/// One event's fields (`payload`, `externalEntityId`, `idempotency`) from `o`, fields named
/// below `at` (`""` or `eventsInfo[3]`).
fn event_info(o: &Map<String, Value>, at: &str) -> Read<EventInfo> {
    let field = |f: &str| crate::domain::schema::join_path(at, f);
    let (mut errors, mut warnings) = (vec![], vec![]);
    let payload = match o.get("payload") {
        None | Some(Value::Null) => json!({}),
        Some(p @ Value::Object(_)) => {
            key_problems(p, &field("payload"), &mut errors);
            p.clone()
        }
        Some(_) => {
            errors.push(
                Finding::error("payload", "payload must be a JSON object").at(field("payload")),
            );
            json!({})
        }
    };
    let external_entity_id =
        entity_id(o.get("externalEntityId"), &field("externalEntityId"), false).unwrap_or_else(
            |f| {
                errors.push(f);
                None
            },
        );
    let idempotency = match o.get("idempotency") {
        None | Some(Value::Null) => None,
        Some(Value::Object(i)) => {
            let at = field("idempotency");
            let key = match i.get("key") {
                Some(Value::String(k)) if (1..=80).contains(&k.chars().count()) => Some(k.clone()),
                Some(Value::String(k)) => {
                    errors.push(
                        Finding::error(
                            "idempotency",
                            format!(
                                "idempotency.key has {} characters: Wix takes 1 to 80",
                                k.chars().count()
                            ),
                        )
                        .at(format!("{at}.key"))
                        .rule("MAX_LENGTH"),
                    );
                    None
                }
                _ => {
                    errors.push(
                        Finding::error("idempotency", "idempotency.key is required, a string")
                            .at(format!("{at}.key"))
                            .rule("REQUIRED_FIELD"),
                    );
                    None
                }
            };
            let ttl = match i.get("ttlInMilliseconds") {
                None | Some(Value::Null) => Some(DEFAULT_TTL_MS),
                Some(Value::String(s)) => match s.parse::<i64>() {
                    Ok(n) if n >= 1 => Some(n),
                    _ => {
                        errors.push(
                            Finding::error(
                                "idempotency",
                                format!("idempotency.ttlInMilliseconds {s:?} must be a whole number of 1 or more"),
                            )
                            .at(format!("{at}.ttlInMilliseconds")),
                        );
                        None
                    }
                },
                Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n >= 1) => {
                    warnings.push(
                        Finding::warning(
                            "idempotency",
                            "idempotency.ttlInMilliseconds is a number: it is a 64-bit integer, which Wix's JSON carries as a string",
                        )
                        .at(format!("{at}.ttlInMilliseconds")),
                    );
                    n.as_i64()
                }
                Some(other) => {
                    errors.push(
                        Finding::error(
                            "idempotency",
                            format!("idempotency.ttlInMilliseconds {other} must be a whole number of 1 or more, as a string"),
                        )
                        .at(format!("{at}.ttlInMilliseconds")),
                    );
                    None
                }
            };
            key.zip(ttl)
                .map(|(key, ttl_ms)| Idempotency { key, ttl_ms })
        }
        Some(_) => {
            errors.push(
                Finding::error(
                    "idempotency",
                    "idempotency must be an object {key, ttlInMilliseconds}",
                )
                .at(field("idempotency")),
            );
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        EventInfo {
            payload,
            external_entity_id,
            idempotency,
        },
        warnings,
    ))
}

/// Every key in `payload` (and in objects below it) that Wix would not take.
fn key_problems(v: &Value, at: &str, out: &mut Vec<Finding>) {
    match v {
        Value::Object(o) => {
            for (k, inner) in o {
                let here = crate::domain::schema::join_path(at, k);
                if let Err(why) = check_payload_key(k) {
                    out.push(Finding::error("payload-key", why).at(here.clone()));
                }
                key_problems(inner, &here, out);
            }
        }
        Value::Array(a) => {
            for (i, inner) in a.iter().enumerate() {
                key_problems(inner, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Report Event: `{triggerKey, payload, externalEntityId, idempotency}`.
pub fn read_report(v: &Value) -> Read<(String, EventInfo)> {
    let o = object(v, "the Report Event request")?;
    let key = trigger_key(o);
    let info = event_info(o, "");
    match (key, info) {
        (Ok(k), Ok((info, warnings))) => Ok(((k, info), warnings)),
        (k, i) => Err(k
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain(i.err().unwrap_or_default())
            .collect()),
    }
}

/// Bulk Report Event: `{triggerKey, eventsInfo[1..100]}`; each item read on its own.
pub fn read_bulk_report(v: &Value) -> Result<(String, Vec<Read<EventInfo>>), Vec<Finding>> {
    let o = object(v, "the Bulk Report Event request")?;
    let key = trigger_key(o)?;
    let items = list(o, "eventsInfo")?;
    let read = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("eventsInfo[{i}]");
            match item.as_object() {
                Some(io) => event_info(io, &at),
                None => Err(vec![
                    Finding::error("not-an-object", format!("{at} must be an object")).at(at),
                ]),
            }
        })
        .collect();
    Ok((key, read))
}

/// One `externalEntityIds` item read: the GUID, or why not.
pub type EntityId = Result<String, Finding>;

/// Cancel Event: `{triggerKey, externalEntityId}`, both required.
pub fn read_cancel(v: &Value) -> Result<(String, String), Vec<Finding>> {
    let o = object(v, "the Cancel Event request")?;
    let key = trigger_key(o);
    let id = entity_id(o.get("externalEntityId"), "externalEntityId", true);
    match (key, id) {
        (Ok(k), Ok(Some(id))) => Ok((k, id)),
        (k, id) => Err(k
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain(id.err())
            .collect()),
    }
}

/// Bulk Cancel Event: `{triggerKey, externalEntityIds[1..100]}`; each id read on its own.
pub fn read_bulk_cancel(v: &Value) -> Result<(String, Vec<EntityId>), Vec<Finding>> {
    let o = object(v, "the Bulk Cancel Event request")?;
    let key = trigger_key(o)?;
    let ids = list(o, "externalEntityIds")?;
    let read = ids
        .iter()
        .enumerate()
        .map(|(i, v)| {
            entity_id(Some(v), &format!("externalEntityIds[{i}]"), true)
                .map(|id| id.unwrap_or_default())
        })
        .collect();
    Ok((key, read))
}

fn list<'v>(o: &'v Map<String, Value>, name: &str) -> Result<&'v Vec<Value>, Vec<Finding>> {
    match o.get(name) {
        Some(Value::Array(a)) if (1..=MAX_BULK).contains(&a.len()) => Ok(a),
        Some(Value::Array(a)) => Err(vec![
            Finding::error(
                "bulk-size",
                format!("{name} has {} items: Wix takes 1 to {MAX_BULK}", a.len()),
            )
            .at(name)
            .rule("MAX_SIZE"),
        ]),
        Some(_) => Err(vec![
            Finding::error("bulk-size", format!("{name} must be an array")).at(name),
        ]),
        None => Err(vec![
            Finding::error("bulk-size", format!("{name} is required"))
                .at(name)
                .rule("REQUIRED_FIELD"),
        ]),
    }
}

/// One bulk item's `itemMetadata`: `{id, originalIndex, success, error}`.
pub fn item_metadata(index: usize, id: Option<&str>, error: Option<(&str, &str)>) -> Value {
    let mut m = json!({ "originalIndex": index, "success": error.is_none() });
    if let Some(id) = id {
        m["id"] = json!(id);
    }
    if let Some((code, description)) = error {
        m["error"] = json!({ "code": code, "description": description, "data": {} });
    }
    m
}

/// A bulk answer's `bulkActionMetadata` from its items' `itemMetadata`.
pub fn bulk_metadata(results: &[Value]) -> Value {
    let ok = results
        .iter()
        .filter(|r| r.pointer("/itemMetadata/success") == Some(&Value::Bool(true)))
        .count();
    json!({ "totalSuccesses": ok, "totalFailures": results.len() - ok, "undetailedFailures": 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "4b2a0c9e-1f3d-4e5a-8b6c-7d8e9f0a1b2c";

    #[test]
    fn a_report_is_read_with_wix_limits() {
        let ((key, info), warnings) = read_report(&json!({
            "triggerKey": "class-signup",
            "payload": {"name": "Dana", "items": [{"sku": "a"}]},
            "externalEntityId": GUID,
            "idempotency": {"key": "k1", "ttlInMilliseconds": "60000"}
        }))
        .expect("as expected");
        assert_eq!(key, "class-signup");
        assert!(warnings.is_empty());
        assert_eq!(
            info.idempotency,
            Some(Idempotency {
                key: "k1".into(),
                ttl_ms: 60000
            })
        );
        // Left out: an empty payload and a week-long key.
        let ((_, info), _) = read_report(&json!({"triggerKey": "k", "idempotency": {"key": "x"}}))
            .expect("as expected");
        assert_eq!(info.payload, json!({}));
        assert_eq!(
            info.idempotency.expect("as expected").ttl_ms,
            DEFAULT_TTL_MS
        );
    }

    #[test]
    fn what_breaks_a_limit_is_named() {
        let errs = read_report(&json!({
            "payload": {"_id": 1, "ok": {"bad-key": 2}},
            "externalEntityId": "order-17",
            "idempotency": {"key": "x".repeat(81)}
        }))
        .expect_err("refused");
        let fields: Vec<&str> = errs.iter().filter_map(|f| f.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "triggerKey",
                "payload._id",
                "payload.ok.bad-key",
                "externalEntityId",
                "idempotency.key"
            ]
        );
        assert!(read_report(&json!({"triggerKey": "k".repeat(101)})).is_err());
        assert!(read_report(&json!([1])).is_err());
    }

    #[test]
    fn bulk_items_are_read_each_on_its_own() {
        let (key, items) = read_bulk_report(&json!({
            "triggerKey": "k",
            "eventsInfo": [{"payload": {"a": 1}}, {"externalEntityId": "nope"}, 3]
        }))
        .expect("as expected");
        assert_eq!(key, "k");
        assert!(items[0].is_ok());
        assert_eq!(
            items[1].as_ref().expect_err("refused")[0].field.as_deref(),
            Some("eventsInfo[1].externalEntityId")
        );
        assert!(items[2].is_err());
        assert!(read_bulk_report(&json!({"triggerKey": "k", "eventsInfo": []})).is_err());
        let many: Vec<Value> = (0..101).map(|_| json!({})).collect();
        assert!(read_bulk_report(&json!({"triggerKey": "k", "eventsInfo": many})).is_err());
    }

    #[test]
    fn a_cancel_needs_its_key_and_a_guid() {
        assert_eq!(
            read_cancel(&json!({"triggerKey": "k", "externalEntityId": GUID}))
                .expect("as expected"),
            ("k".to_string(), GUID.to_string())
        );
        assert_eq!(
            read_cancel(&json!({"triggerKey": "k"}))
                .expect_err("refused")
                .len(),
            1
        );
        let (_, ids) =
            read_bulk_cancel(&json!({"triggerKey": "k", "externalEntityIds": [GUID, "x"]}))
                .expect("as expected");
        assert!(ids[0].is_ok() && ids[1].is_err());
    }
}
