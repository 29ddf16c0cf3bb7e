//! The shape of a service plugin request: what makes it refused, and what is worth a warning.

use super::{Finding, Method, Value, from_value_at, json_type, wire};

/// What is wrong with a request: the field, named as a path, and the rule it breaks.
pub(super) type RequestProblem = Finding;

/// A warning when a plain envelope's `metadata.appExtensionType` is not the action provider's
/// (a JWT with another type is refused, as the SDK refuses it).
pub(super) fn extension_finding(ext: Option<&str>) -> Option<Finding> {
    let ext = ext.filter(|e| !e.eq_ignore_ascii_case(wire::APP_EXTENSION_TYPE))?;
    Some(
        Finding::warning(
            "app-extension-type",
            format!(
                "metadata.appExtensionType is {ext:?}: the SDK routes only {:?} to an action provider",
                wire::APP_EXTENSION_TYPE
            ),
        )
        .at("metadata.appExtensionType"),
    )
}

/// A warning when `activationInitiationSource` is none of the documented values.
pub(super) fn source_finding(src: &str) -> Option<Finding> {
    (!wire::ACTIVATION_SOURCES.contains(&src)).then(|| {
        Finding::warning(
            "unknown-activation-source",
            format!(
                "activationInitiationSource {src:?} is not one of {:?}",
                wire::ACTIVATION_SOURCES
            ),
        )
        .at("activationContext.activationSourceInfo.activationInitiationSource")
        .rule("INVALID_ENUM_VALUE")
    })
}

pub(super) fn require_string<'a>(req: &'a Value, field: &str) -> Result<&'a str, RequestProblem> {
    let problem = |code, message: String, rule| Finding::error(code, message).at(field).rule(rule);
    match req.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(problem(
            "invalid-field",
            format!("{field} must not be empty"),
            "MIN_LENGTH",
        )),
        Some(other) => Err(problem(
            "invalid-field",
            format!("{field} must be a string, got {}", json_type(other)),
            "VALIDATION",
        )),
        None => Err(problem(
            "missing-field",
            format!("{field} is required"),
            "REQUIRED_FIELD",
        )),
    }
}

/// Checks a service plugin request's shape; returns its action key and findings about it.
pub(super) fn parse_plugin_request(
    method: Method,
    req: &Value,
) -> Result<(String, Vec<Finding>), RequestProblem> {
    if !req.is_object() {
        return Err(Finding::error(
            "not-object",
            format!("the request must be a JSON object, got {}", json_type(req)),
        )
        .at("request")
        .rule("VALIDATION"));
    }
    let key = require_string(req, "actionKey")?.to_string();
    let mut findings = vec![];
    match method {
        Method::Invoke => {
            match req.get("actionParams") {
                Some(Value::Object(_)) => {}
                Some(other) => {
                    return Err(Finding::error(
                        "invalid-field",
                        format!("actionParams must be an object, got {}", json_type(other)),
                    )
                    .at("actionParams")
                    .rule("VALIDATION"));
                }
                None => {
                    return Err(Finding::error("missing-field", "actionParams is required")
                        .at("actionParams")
                        .rule("REQUIRED_FIELD"));
                }
            }
            wire::check_field_types(req, wire::INVOKE_FIELD_TYPES).map_err(|e| {
                Finding::error("invalid-field", e.message)
                    .at(e.field)
                    .rule("VALIDATION")
            })?;
            if let Some(src) = req
                .pointer("/activationContext/activationSourceInfo/activationInitiationSource")
                .and_then(Value::as_str)
            {
                findings.extend(source_finding(src));
            }
        }
        Method::ValidateConfiguration => {
            let parsed: wire::ValidateConfigurationRequest = from_value_at(req).map_err(|e| {
                let field = e.split_once(": ").map_or("request", |(f, _)| f).to_string();
                Finding::error("invalid-field", e.clone())
                    .at(field)
                    .rule("VALIDATION")
            })?;
            if let Some(m) = parsed.input_mapping
                && !serde_json::from_str::<Value>(&m).is_ok_and(|v| v.is_object())
            {
                findings.push(Finding::warning(
                    "input-mapping-not-json",
                    "inputMapping should be a JSON object serialised as a string",
                ));
            }
        }
        _ => {}
    }
    Ok((key, findings))
}
