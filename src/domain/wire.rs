//! Wire types of the action provider protocol, with Wix's field names verbatim.
//!
//! Every struct keeps the fields it does not know in `extra`, so nothing a caller sends is
//! dropped: it round-trips and the window shows it. Enumerations stay strings so that an
//! unknown value is kept and flagged by the contract checks instead of failing to parse.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// The service plugin methods Wix calls, plus the completion API the workbench stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Invoke,
    ValidateConfiguration,
    QuotaInfo,
    CompletionReport,
    /// The Triggered Events API (an app → Wix) and the access token the SDK fetches first.
    ReportEvent,
    BulkReportEvent,
    CancelEvent,
    BulkCancelEvent,
    AccessToken,
    /// The Trigger Provider service plugin (Wix → the app): told apart from the action
    /// provider's methods by the envelope's `appExtensionType`, not by the path alone.
    TriggerValidateConfiguration,
    TriggerDynamicSchema,
    TriggerRefreshPayload,
}

pub const REPORT_EVENT_PATH: &str = "/automations/v1/events/report";
pub const BULK_REPORT_EVENT_PATH: &str = "/automations/v1/events/bulk-report";
pub const CANCEL_EVENT_PATH: &str = "/automations/v1/events/cancel";
pub const BULK_CANCEL_EVENT_PATH: &str = "/automations/v1/events/bulk-cancel";
pub const ACCESS_TOKEN_PATH: &str = "/oauth2/token";
/// The trigger provider's paths: no `/v1` (the SDK dispatches on how the URL ends).
pub const TRIGGER_VALIDATE_CONFIGURATION_PATH: &str = "/validate-configuration";
pub const TRIGGER_DYNAMIC_SCHEMA_PATH: &str = "/dynamic-schema";
pub const TRIGGER_REFRESH_PAYLOAD_PATH: &str = "/refresh-payload";

pub const INVOKE_PATH: &str = "/v1/invoke";
pub const VALIDATE_CONFIGURATION_PATH: &str = "/v1/validate-configuration";
pub const QUOTA_INFO_PATH: &str = "/v1/quota-info";
pub const COMPLETION_REPORT_PATH: &str =
    "/automations_runtime/v1/report-action-invocation-completed";

impl Method {
    /// Every method; the action provider's come before the trigger provider's, so that
    /// `/v1/validate-configuration` is the action's until an envelope says otherwise.
    pub const ALL: [Method; 12] = [
        Method::Invoke,
        Method::ValidateConfiguration,
        Method::QuotaInfo,
        Method::CompletionReport,
        Method::ReportEvent,
        Method::BulkReportEvent,
        Method::CancelEvent,
        Method::BulkCancelEvent,
        Method::AccessToken,
        Method::TriggerValidateConfiguration,
        Method::TriggerDynamicSchema,
        Method::TriggerRefreshPayload,
    ];

    /// The Trigger Provider service plugin's three methods.
    pub const TRIGGER_PROVIDER: [Method; 3] = [
        Method::TriggerValidateConfiguration,
        Method::TriggerDynamicSchema,
        Method::TriggerRefreshPayload,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Method::Invoke => INVOKE_PATH,
            Method::ValidateConfiguration => VALIDATE_CONFIGURATION_PATH,
            Method::QuotaInfo => QUOTA_INFO_PATH,
            Method::CompletionReport => COMPLETION_REPORT_PATH,
            Method::ReportEvent => REPORT_EVENT_PATH,
            Method::BulkReportEvent => BULK_REPORT_EVENT_PATH,
            Method::CancelEvent => CANCEL_EVENT_PATH,
            Method::BulkCancelEvent => BULK_CANCEL_EVENT_PATH,
            Method::AccessToken => ACCESS_TOKEN_PATH,
            Method::TriggerValidateConfiguration => TRIGGER_VALIDATE_CONFIGURATION_PATH,
            Method::TriggerDynamicSchema => TRIGGER_DYNAMIC_SCHEMA_PATH,
            Method::TriggerRefreshPayload => TRIGGER_REFRESH_PAYLOAD_PATH,
        }
    }

    /// A method of the Trigger Provider service plugin.
    pub fn is_trigger_provider(self) -> bool {
        Method::TRIGGER_PROVIDER.contains(&self)
    }

    /// Its key in a trigger definition's `implementedMethods`.
    pub fn implemented_key(self) -> Option<&'static str> {
        match self {
            Method::TriggerValidateConfiguration => Some("validateConfiguration"),
            Method::TriggerDynamicSchema => Some("getDynamicSchema"),
            Method::TriggerRefreshPayload => Some("refreshPayload"),
            _ => None,
        }
    }

    /// The trigger provider's method at `path` (by how it ends, as the SDK dispatches once the
    /// envelope named the trigger provider).
    pub fn trigger_provider_at(path: &str) -> Option<Method> {
        Method::TRIGGER_PROVIDER
            .into_iter()
            .find(|m| path.ends_with(m.path()))
    }

    /// A call an app makes to Wix's APIs (answered by the stand-ins), not one Wix makes to
    /// the app's service plugin.
    pub fn is_wix_api(self) -> bool {
        !matches!(
            self,
            Method::Invoke | Method::ValidateConfiguration | Method::QuotaInfo
        ) && !self.is_trigger_provider()
    }

    /// One of the Triggered Events API's four methods.
    pub fn is_event(self) -> bool {
        matches!(
            self,
            Method::ReportEvent
                | Method::BulkReportEvent
                | Method::CancelEvent
                | Method::BulkCancelEvent
        )
    }

    /// The method served at `path`, chosen by how the path ends, as the SDK dispatches
    /// (`url.endsWith('/v1/invoke')`): a provider's `baseUri` may put any prefix in front
    /// (`/wix/actions/v1/invoke`). A trailing slash is tolerated.
    pub fn from_path(path: &str) -> Option<Method> {
        let path = path.strip_suffix('/').unwrap_or(path);
        Method::ALL.into_iter().find(|m| path.ends_with(m.path()))
    }

    /// The timeline's first line for a POST to this method's path.
    pub fn arrived_note(self) -> &'static str {
        match self {
            Method::Invoke => "POST /v1/invoke arrived",
            Method::ValidateConfiguration => "POST /v1/validate-configuration arrived",
            Method::QuotaInfo => "POST /v1/quota-info arrived",
            Method::CompletionReport => {
                "POST /automations_runtime/v1/report-action-invocation-completed arrived"
            }
            Method::ReportEvent => "POST /automations/v1/events/report arrived",
            Method::BulkReportEvent => "POST /automations/v1/events/bulk-report arrived",
            Method::CancelEvent => "POST /automations/v1/events/cancel arrived",
            Method::BulkCancelEvent => "POST /automations/v1/events/bulk-cancel arrived",
            Method::AccessToken => "POST /oauth2/token arrived",
            Method::TriggerValidateConfiguration => {
                "POST /validate-configuration arrived (trigger provider)"
            }
            Method::TriggerDynamicSchema => "POST /dynamic-schema arrived (trigger provider)",
            Method::TriggerRefreshPayload => "POST /refresh-payload arrived (trigger provider)",
        }
    }

    /// The name used in the log and in headless output.
    pub fn label(self) -> &'static str {
        match self {
            Method::Invoke => "invoke",
            Method::ValidateConfiguration => "validate-configuration",
            Method::QuotaInfo => "quota-info",
            Method::CompletionReport => "completion report",
            Method::ReportEvent => "report event",
            Method::BulkReportEvent => "bulk report event",
            Method::CancelEvent => "cancel event",
            Method::BulkCancelEvent => "bulk cancel event",
            Method::AccessToken => "access token",
            Method::TriggerValidateConfiguration => "trigger validate-configuration",
            Method::TriggerDynamicSchema => "trigger dynamic-schema",
            Method::TriggerRefreshPayload => "trigger refresh-payload",
        }
    }
}

pub const ACTIVATION_SOURCES: [&str; 3] = [
    "TRIGGER_PROVIDER_EVENT",
    "MANUAL_ACTIVATION",
    "RERUN_ACTIVATION",
];
pub const MAX_TIMEOUT_MINUTES: i64 = 24 * 60;
pub const MAX_TOKEN_LEN: usize = 500;
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 1000;
pub const APP_EXTENSION_TYPE: &str = "AUTOMATIONS_ACTION_PROVIDER";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeRequest {
    pub action_key: String,
    pub action_params: Object,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_context: Option<ActivationContext>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Object>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_source_info: Option<ActivationSourceInfo>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationSourceInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_initiation_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_activation_info: Option<ManualActivationInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_activation_info: Option<RerunActivationInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_info: Option<InitiatorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preinstalled_info: Option<PreinstalledInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_sync: Option<bool>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualActivationInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_mode: Option<bool>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RerunActivationInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_activation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_delays: Option<bool>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiatorInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wix_employee: Option<bool>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreinstalledInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(flatten)]
    pub extra: Object,
}

/// The `metadata` part of an envelope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_extension_type: Option<String>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_visitor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wix_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoke_timeout_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_length_options: Option<TimeoutLengthOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_date_options: Option<TimeoutDateOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutLengthOptions {
    pub timeout_in_minutes: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutDateOptions {
    pub timeout_date: String,
}

impl InvokeResponse {
    pub fn immediate(result: Value) -> Self {
        InvokeResponse {
            invoke_timeout_type: Some("IMMEDIATE".into()),
            result: Some(result),
            ..Default::default()
        }
    }

    pub fn timeout_length(minutes: i64) -> Self {
        InvokeResponse {
            invoke_timeout_type: Some("TIMEOUT_LENGTH".into()),
            timeout_length_options: Some(TimeoutLengthOptions {
                timeout_in_minutes: minutes,
            }),
            result: Some(Value::Object(Object::new())),
            ..Default::default()
        }
    }

    pub fn timeout_date(date: impl Into<String>) -> Self {
        InvokeResponse {
            invoke_timeout_type: Some("TIMEOUT_DATE".into()),
            timeout_date_options: Some(TimeoutDateOptions {
                timeout_date: date.into(),
            }),
            result: Some(Value::Object(Object::new())),
            ..Default::default()
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The body of a provider error, as the SDK sends it with the handler's HTTP status.
pub fn application_error(code: &str, data: Value) -> Value {
    serde_json::json!({ "applicationError": { "code": code, "data": data } })
}

/// Body of Report Action Invocation Completed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionReport {
    pub invocation_token: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_info: Option<SuccessInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_info: Option<FailureInfo>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessInfo {
    pub result: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInfo {
    pub error_description: String,
}

impl CompletionReport {
    pub fn success(token: &str, result: Value) -> Self {
        CompletionReport {
            invocation_token: token.into(),
            status: "SUCCESS".into(),
            success_info: Some(SuccessInfo { result }),
            ..Default::default()
        }
    }

    pub fn failure(token: &str, description: &str) -> Self {
        CompletionReport {
            invocation_token: token.into(),
            status: "FAILURE".into(),
            failure_info: Some(FailureInfo {
                error_description: description.into(),
            }),
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateConfigurationRequest {
    pub action_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mapping: Option<String>,
    #[serde(flatten)]
    pub extra: Object,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationError {
    pub field_key: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateConfigurationResponse {
    pub valid: bool,
    #[serde(default)]
    pub configuration_errors: Vec<ConfigurationError>,
}

/// A quota answer that enforces nothing: the default for quota-info.
pub fn unenforced_quota() -> Value {
    serde_json::json!({ "actionQuotaInfo": { "enforced": false, "quotaInfo": [] } })
}

/// A valid configuration with no errors: the default for validate-configuration.
pub fn valid_configuration() -> Value {
    let valid = ValidateConfigurationResponse {
        valid: true,
        configuration_errors: vec![],
    };
    serde_json::to_value(valid).unwrap_or_default()
}

/// A date relative to now, as a sample's example answer may give `timeoutDate`: `+90m`,
/// `+14h`, `+2d`. A fixed date in a shipped sample would pass into the past.
pub fn relative_date(
    s: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let rest = s.strip_prefix('+')?;
    let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    let d = match unit {
        "m" => chrono::Duration::try_minutes(n)?,
        "h" => chrono::Duration::try_hours(n)?,
        "d" => chrono::Duration::try_days(n)?,
        _ => return None,
    };
    now.checked_add_signed(d)
}

/// `answer` with a relative `timeoutDateOptions.timeoutDate` made absolute at `now`; `None`
/// when it has none (the answer goes as it is).
pub fn resolve_answer(answer: &Value, now: chrono::DateTime<chrono::Utc>) -> Option<Value> {
    let date = answer
        .pointer("/timeoutDateOptions/timeoutDate")?
        .as_str()?;
    let at = relative_date(date, now)?;
    let mut out = answer.clone();
    out["timeoutDateOptions"]["timeoutDate"] =
        Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Some(out)
}

/// Parses `value` as `T`, naming the path of the first field that does not fit.
pub fn from_value_at<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// The JSON types a field may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Bool,
    Object,
}

const CTX: &str = "/activationContext";
const SRC: &str = "/activationContext/activationSourceInfo";

/// The typed fields of an Invoke request below `actionParams`, as JSON pointers. They mirror
/// [`InvokeRequest`] (a test holds the two together) so a request can be checked without
/// building a typed copy of it on every call.
pub const INVOKE_FIELD_TYPES: &[(&str, JsonType)] = &[
    (CTX, JsonType::Object),
    ("/activationContext/activationId", JsonType::String),
    ("/activationContext/triggerKey", JsonType::String),
    ("/activationContext/triggerAppId", JsonType::String),
    ("/activationContext/actionId", JsonType::String),
    ("/activationContext/payload", JsonType::Object),
    ("/activationContext/actionAppId", JsonType::String),
    ("/activationContext/invocationToken", JsonType::String),
    (SRC, JsonType::Object),
    (
        "/activationContext/activationSourceInfo/activationInitiationSource",
        JsonType::String,
    ),
    (
        "/activationContext/activationSourceInfo/manualActivationInfo",
        JsonType::Object,
    ),
    (
        "/activationContext/activationSourceInfo/manualActivationInfo/testMode",
        JsonType::Bool,
    ),
    (
        "/activationContext/activationSourceInfo/rerunActivationInfo",
        JsonType::Object,
    ),
    (
        "/activationContext/activationSourceInfo/rerunActivationInfo/originalActivationId",
        JsonType::String,
    ),
    (
        "/activationContext/activationSourceInfo/rerunActivationInfo/skipDelays",
        JsonType::Bool,
    ),
    (
        "/activationContext/activationSourceInfo/initiatorInfo",
        JsonType::Object,
    ),
    (
        "/activationContext/activationSourceInfo/initiatorInfo/initiatorUserId",
        JsonType::String,
    ),
    (
        "/activationContext/activationSourceInfo/initiatorInfo/wixEmployee",
        JsonType::Bool,
    ),
    (
        "/activationContext/activationSourceInfo/preinstalledInfo",
        JsonType::Object,
    ),
    (
        "/activationContext/activationSourceInfo/preinstalledInfo/appId",
        JsonType::String,
    ),
    (
        "/activationContext/activationSourceInfo/preinstalledInfo/componentId",
        JsonType::String,
    ),
    (
        "/activationContext/activationSourceInfo/forceSync",
        JsonType::Bool,
    ),
];

/// A field with the wrong JSON type: where (with dots) and what it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldTypeError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FieldTypeError {
    pub fn starts_with(&self, p: &str) -> bool {
        self.message.starts_with(p)
    }
}

/// The first field of `v` in `table` that has the wrong type, named with dots. Absent and
/// null fields are fine: every one of them is optional.
pub fn check_field_types(v: &Value, table: &[(&str, JsonType)]) -> Result<(), FieldTypeError> {
    for (pointer, ty) in table {
        // Walk the keys directly: Value::pointer unescapes every token, which costs on every call.
        let mut found = v;
        let mut present = true;
        for key in pointer.split('/').skip(1) {
            match found.get(key) {
                Some(next) => found = next,
                None => {
                    present = false;
                    break;
                }
            }
        }
        if !present {
            continue;
        }
        let ok = matches!(
            (ty, found),
            (_, Value::Null)
                | (JsonType::String, Value::String(_))
                | (JsonType::Bool, Value::Bool(_))
                | (JsonType::Object, Value::Object(_))
        );
        if !ok {
            let name = pointer.trim_start_matches('/').replace('/', ".");
            let want = match ty {
                JsonType::String => "a string",
                JsonType::Bool => "a boolean",
                JsonType::Object => "an object",
            };
            let message = format!("{name} must be {want}, got {}", json_type(found));
            return Err(FieldTypeError {
                field: name,
                message,
            });
        }
    }
    Ok(())
}

/// A value's JSON type, as a sentence names it: "a string", "an object", "null".
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
