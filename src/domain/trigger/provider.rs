//! The Trigger Provider service plugin (Wix → the app, `../shared/triggers.md` §6): its three
//! methods, the requests Wix sends them built from a trigger definition, and what an answer
//! must be. Pure data and rules: no HTTP.

use super::LoadedTrigger;
use super::events::is_guid;
use crate::domain::contract::Finding;
use crate::domain::findings::Level;
use crate::domain::wire::{Method, json_type};
use serde_json::{Map, Value, json};

/// `metadata.appExtensionType` of a trigger provider's envelope (the SDK compares it
/// case-insensitively).
pub const TRIGGER_EXTENSION_TYPE: &str = "AUTOMATIONS_TRIGGER_PROVIDER";

/// Whether an envelope's `appExtensionType` names the trigger provider.
pub fn is_trigger_extension(ext: Option<&str>) -> bool {
    ext.is_some_and(|e| e.eq_ignore_ascii_case(TRIGGER_EXTENSION_TYPE))
}

/// The trigger provider's methods a definition says it implements, in the order Wix meets
/// them (saving an automation, picking a filter value, a delayed step).
pub fn implemented(t: &LoadedTrigger) -> Vec<Method> {
    let on = |k: &str| {
        t.def.implemented_methods.as_ref().and_then(|m| m.get(k)) == Some(&Value::Bool(true))
    };
    Method::TRIGGER_PROVIDER
        .into_iter()
        .filter(|m| m.implemented_key().is_some_and(on))
        .collect()
}

/// The filter choices a site owner would make: for each filter on a payload field, the field's
/// first example (as text, as Wix sends filter values).
pub fn selected_filter_options(t: &LoadedTrigger) -> Value {
    let example = t.example_payload();
    let options: Vec<Value> = t
        .def
        .filters
        .iter()
        .filter_map(|f| {
            let key = f.get("staticFieldKey").and_then(Value::as_str)?;
            let value = match example.get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => return None,
            };
            Some(json!({ "fieldKey": key, "values": [value] }))
        })
        .take(5)
        .collect();
    Value::Array(options)
}

/// The request Wix sends `method` for trigger `t`: Validate Configuration and Get Dynamic
/// Schema with the filter choices (and the automation's config, its schema's skeleton);
/// Refresh Payload with the event's entity and payload.
pub fn request(method: Method, t: &LoadedTrigger, payload: &Value, entity: &str) -> Value {
    match method {
        Method::TriggerValidateConfiguration => json!({
            "triggerKey": t.key(),
            "selectedFilterOptions": selected_filter_options(t),
            "automationConfigMapping": t
                .def
                .automation_config_schema
                .as_ref()
                .map_or_else(|| json!({}), crate::domain::schema::skeleton),
        }),
        Method::TriggerDynamicSchema => json!({
            "triggerKey": t.key(),
            "selectedFilterOptions": selected_filter_options(t),
        }),
        _ => json!({
            "triggerKey": t.key(),
            "externalEntityId": entity,
            "payload": payload,
        }),
    }
}

/// What a trigger-provider request breaks (as the SDK's types state it), one finding each.
pub fn check_request(method: Method, req: &Value) -> Vec<Finding> {
    let mut out = vec![];
    match req.get("triggerKey") {
        Some(Value::String(k)) if (1..=100).contains(&k.chars().count()) => {}
        Some(_) => out.push(
            Finding::error(
                "invalid-field",
                "triggerKey must be a string of 1 to 100 characters",
            )
            .at("triggerKey"),
        ),
        None => {
            out.push(Finding::error("missing-field", "triggerKey is required").at("triggerKey"))
        }
    }
    if method == Method::TriggerRefreshPayload {
        match req.get("payload") {
            Some(Value::Object(_)) => {}
            _ => out.push(
                Finding::error("missing-field", "payload (an object) is required").at("payload"),
            ),
        }
        if let Some(e) = req.get("externalEntityId")
            && !e.as_str().is_some_and(is_guid)
        {
            out.push(
                Finding::error("invalid-field", "externalEntityId must be a GUID")
                    .at("externalEntityId"),
            );
        }
    } else if let Some(opts) = req.get("selectedFilterOptions") {
        match opts.as_array() {
            Some(list) if list.len() <= 5 => {
                for (i, o) in list.iter().enumerate() {
                    let values = o.get("values").and_then(Value::as_array);
                    if o.get("fieldKey").and_then(Value::as_str).is_none()
                        || !values.is_some_and(|v| v.len() <= 100 && v.iter().all(Value::is_string))
                    {
                        out.push(
                            Finding::error(
                                "invalid-field",
                                "a filter option is {fieldKey, values (at most 100 strings)}",
                            )
                            .at(format!("selectedFilterOptions[{i}]")),
                        );
                    }
                }
            }
            _ => out.push(
                Finding::error(
                    "invalid-field",
                    "selectedFilterOptions is a list of at most 5 filter choices",
                )
                .at("selectedFilterOptions"),
            ),
        }
    }
    out
}

/// What an answer to Refresh Payload decides for the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Refreshed {
    /// The step runs with this payload.
    Payload(Value),
    /// No payload came back: the step runs with the one it had.
    Unchanged,
    /// `cancelActivation: true`: the run is cancelled (`CANCELLED_BY_REFRESH_PAYLOAD`).
    Cancel,
}

/// An answer judged: its findings and, for Refresh Payload, what it decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    pub findings: Vec<Finding>,
    pub refreshed: Option<Refreshed>,
}

/// The findings about an answer to `method`, with HTTP `status` and JSON `body`, for trigger
/// `t` (its schema judges a refreshed payload).
pub fn check_answer(
    method: Method,
    status: u16,
    body: &Value,
    t: Option<&LoadedTrigger>,
) -> Judged {
    let mut findings = vec![];
    let mut refreshed = None;
    if status == 404
        && body
            .pointer("/applicationError/code")
            .and_then(Value::as_str)
            == Some("PROVIDER_NOT_FOUND")
    {
        findings.push(Finding::error(
            "provider-not-found",
            "PROVIDER_NOT_FOUND (404): your provider says it does not handle this trigger; Wix shows the site owner an error",
        ));
        return Judged {
            findings,
            refreshed,
        };
    }
    if !(200..300).contains(&status) {
        findings.push(Finding::error(
            "provider-status",
            format!(
                "HTTP {status}: Wix expects 200 with the method's answer{}",
                body.pointer("/applicationError/code")
                    .or_else(|| body.get("message"))
                    .map_or(String::new(), |m| format!(" (said: {m})"))
            ),
        ));
        return Judged {
            findings,
            refreshed,
        };
    }
    let Some(o) = body.as_object() else {
        findings.push(Finding::error(
            "answer-not-object",
            format!("the answer must be a JSON object, not {}", json_type(body)),
        ));
        return Judged {
            findings,
            refreshed,
        };
    };
    match method {
        Method::TriggerValidateConfiguration => validate_answer(o, &mut findings),
        Method::TriggerDynamicSchema => dynamic_answer(o, t, &mut findings),
        _ => refreshed = Some(refresh_answer(o, t, &mut findings)),
    }
    Judged {
        findings,
        refreshed,
    }
}

fn validate_answer(o: &Map<String, Value>, out: &mut Vec<Finding>) {
    let valid = match o.get("valid") {
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => {
            out.push(
                Finding::error(
                    "invalid-field",
                    format!("valid must be true or false, not {v}"),
                )
                .at("valid"),
            );
            None
        }
        None => {
            out.push(
                Finding::error(
                    "missing-field",
                    "valid is missing: Wix reads it as false, so every automation with this trigger is shown as misconfigured",
                )
                .at("valid"),
            );
            None
        }
    };
    let errors = match o.get("configurationErrors") {
        None => 0,
        Some(Value::Array(list)) => {
            for (i, e) in list.iter().enumerate() {
                let at = format!("configurationErrors[{i}]");
                let Some(e) = e.as_object() else {
                    out.push(Finding::error("invalid-field", "a configuration error is an object {fieldKey, message, ctaLabel, ctaUrl, title}").at(at));
                    continue;
                };
                for k in ["fieldKey", "message", "ctaLabel", "ctaUrl", "title"] {
                    if let Some(v) = e.get(k)
                        && !v.is_string()
                        && !v.is_null()
                    {
                        out.push(
                            Finding::error(
                                "invalid-field",
                                format!("{k} must be a string, not {}", json_type(v)),
                            )
                            .at(format!("{at}.{k}")),
                        );
                    }
                }
                if e.get("message")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    out.push(Finding::warning("no-message", "a configuration error without a message: the site owner is told nothing").at(format!("{at}.message")));
                }
            }
            list.len()
        }
        Some(v) => {
            out.push(
                Finding::error(
                    "invalid-field",
                    format!("configurationErrors must be a list, not {}", json_type(v)),
                )
                .at("configurationErrors"),
            );
            0
        }
    };
    match (valid, errors) {
        (Some(false), 0) => out.push(Finding::warning(
            "no-configuration-errors",
            "valid is false with no configurationErrors: the site owner cannot tell what to fix",
        )),
        (Some(true), n) if n > 0 => out.push(Finding::warning(
            "valid-with-errors",
            format!("valid is true, yet {n} configuration error(s) came with it"),
        )),
        _ => {}
    }
}

fn dynamic_answer(o: &Map<String, Value>, t: Option<&LoadedTrigger>, out: &mut Vec<Finding>) {
    let Some(schema) = o.get("dynamicSchema") else {
        out.push(
            Finding::error(
                "missing-field",
                "dynamicSchema is missing: Wix has nothing to add to the payload schema",
            )
            .at("dynamicSchema"),
        );
        return;
    };
    // An empty schema adds nothing, which is a fair answer; anything else is held to the
    // payload schema's rules, as Wix appends it to the trigger's.
    if schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        return;
    }
    let mut lint = vec![];
    super::payload::lint(schema, "dynamicSchema", &mut lint);
    for f in lint {
        let message = format!("{} (source: {})", f.message, f.source);
        out.push(
            match f.level {
                Level::Error => Finding::error(f.rule, message),
                Level::Warning => Finding::warning(f.rule, message),
            }
            .at(f.path),
        );
    }
    if let (Some(t), Some(props)) = (t, schema.get("properties").and_then(Value::as_object)) {
        let own = t
            .def
            .payload_schema
            .get("properties")
            .and_then(Value::as_object);
        for k in props
            .keys()
            .filter(|k| own.is_some_and(|o| o.contains_key(*k)))
        {
            out.push(Finding::warning("dynamic-overrides", format!("{k} is already in the trigger's payload schema: Wix appends the dynamic schema, so one of them is lost")).at(format!("dynamicSchema.properties.{k}")));
        }
    }
}

fn refresh_answer(
    o: &Map<String, Value>,
    t: Option<&LoadedTrigger>,
    out: &mut Vec<Finding>,
) -> Refreshed {
    let cancel = match o.get("cancelActivation") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            out.push(Finding::error("invalid-field", format!("cancelActivation must be true or false, not {v}: Wix would not read it as a cancel")).at("cancelActivation"));
            false
        }
    };
    if cancel {
        return Refreshed::Cancel;
    }
    match o.get("payload") {
        None | Some(Value::Null) => {
            out.push(Finding::warning("no-payload", "no payload and no cancelActivation: the step runs with the payload it had (what Wix does then is not documented)").at("payload"));
            Refreshed::Unchanged
        }
        Some(p @ Value::Object(_)) => {
            if let Some(t) = t {
                out.extend(t.payload_violations(p));
            }
            Refreshed::Payload(p.clone())
        }
        Some(v) => {
            out.push(
                Finding::error(
                    "invalid-field",
                    format!("payload must be an object, not {}", json_type(v)),
                )
                .at("payload"),
            );
            Refreshed::Unchanged
        }
    }
}

/// A plain answer the inbox gives a trigger-provider call when nobody crafts one: valid, no
/// extra schema, the payload as it came.
pub fn default_answer(method: Method, request: &Value) -> Value {
    match method {
        Method::TriggerValidateConfiguration => json!({ "valid": true, "configurationErrors": [] }),
        Method::TriggerDynamicSchema => {
            json!({ "dynamicSchema": { "type": "object", "properties": {} } })
        }
        _ => json!({
            "payload": request.get("payload").cloned().unwrap_or_else(|| json!({})),
            "cancelActivation": false,
        }),
    }
}
