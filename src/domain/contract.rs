//! Contract checks: what protocol.md says an answer or a report must be, as findings.

use super::schema::Schema;
use super::wire::{MAX_ERROR_DESCRIPTION_LEN, MAX_TIMEOUT_MINUTES, MAX_TOKEN_LEN, json_type};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing a message gets wrong (or suspiciously), with a stable code for tests and CI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// The field it is about, as a path in the checked message (`result.amount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Wix's name for the broken rule (`fieldViolations[].violatedRule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
            field: None,
            rule: None,
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            code,
            message: message.into(),
            field: None,
            rule: None,
        }
    }
    /// Names the field the finding is about.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    /// Names the rule it breaks, in Wix's words.
    pub fn rule(mut self, rule: &'static str) -> Self {
        self.rule = Some(rule);
        self
    }
    /// A schema violation below `parent` (`result`, `successInfo.result`, `actionParams`).
    pub fn schema(
        severity: Severity,
        code: &'static str,
        parent: &str,
        v: &super::schema::Violation,
        why: &str,
    ) -> Self {
        let field = v.under(parent);
        Finding {
            severity,
            code,
            message: format!("{field}: {}{why}", v.message),
            field: Some(field),
            rule: Some(v.rule),
        }
    }
}

/// The errors among `findings`, as one sentence.
pub fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Parses `body` as JSON, or says why it is not.
pub fn parse_json_body(body: &[u8]) -> Result<Value, Finding> {
    serde_json::from_slice(body)
        .map_err(|e| Finding::error("not-json", format!("the body is not JSON: {e}")))
}

/// When a call was made and when it is answered. A timeout's limits count from the request
/// ("up to 1 year from the current date", 1440 minutes), on the clock the deadline uses; a
/// date "in the past" is one that has passed when the answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerTimes {
    pub requested: DateTime<Utc>,
    pub answered: DateTime<Utc>,
}

impl From<DateTime<Utc>> for AnswerTimes {
    /// Answered the moment it was requested.
    fn from(t: DateTime<Utc>) -> Self {
        AnswerTimes {
            requested: t,
            answered: t,
        }
    }
}

/// The latest `timeoutDate` allowed for a request made at `requested`: one calendar year on
/// (29 February gives 28 February).
pub fn latest_timeout_date(requested: DateTime<Utc>) -> DateTime<Utc> {
    requested
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// What a provider's answer to Invoke means, once it passed the checks.
#[derive(Clone, Debug, PartialEq)]
pub enum InvokeOutcome {
    /// `IMMEDIATE`: the run moves on with `result`.
    Immediate,
    /// A timeout: Wix waits for a completion report until `deadline`.
    Wait { deadline: DateTime<Utc> },
    /// A non-2xx status or a broken answer: the step fails.
    Failed { reason: String },
}

/// Checks an answer to Invoke as raw bytes (what a provider really sent). `now` is when the
/// request was answered (timeout dates are measured from it); `output` is the action's output
/// schema, when known.
pub fn check_invoke_answer(
    status: u16,
    body: &[u8],
    output: Option<&Schema>,
    now: impl Into<AnswerTimes>,
) -> Vec<Finding> {
    match parse_json_body(body) {
        Ok(v) => check_invoke_json(status, &v, output, now),
        Err(f) if is_success(status) => vec![f],
        Err(f) => vec![
            Finding::error(
                "non-2xx-status",
                format!("HTTP status {status}: Wix treats the step as failed"),
            ),
            Finding::warning("not-json", f.message),
        ],
    }
}

/// Checks an answer to Invoke already parsed as JSON.
pub fn check_invoke_json(
    status: u16,
    v: &Value,
    output: Option<&Schema>,
    now: impl Into<AnswerTimes>,
) -> Vec<Finding> {
    let now = now.into();
    let mut out = Vec::new();
    if !is_success(status) {
        out.push(Finding::error(
            "non-2xx-status",
            format!("HTTP status {status}: Wix treats the step as failed"),
        ));
        check_application_error(v, &mut out);
        return out;
    }
    check_invoke_value(v, output, now, &mut out);
    out
}

fn check_application_error(v: &Value, out: &mut Vec<Finding>) {
    match v.get("applicationError") {
        Some(Value::Object(e)) => {
            if !e.get("code").is_some_and(Value::is_string) {
                out.push(Finding::warning("application-error-shape", "applicationError.code should be a string"));
            }
        }
        _ => out.push(Finding::warning(
            "application-error-shape",
            "an error body is expected as {\"applicationError\": {\"code\", \"data\"}} (the SDK's shape)",
        )),
    }
}

fn check_invoke_value(
    v: &Value,
    output: Option<&Schema>,
    now: AnswerTimes,
    out: &mut Vec<Finding>,
) {
    let Some(obj) = v.as_object() else {
        out.push(Finding::error(
            "not-object",
            format!("the answer must be a JSON object, not {}", json_type(v)),
        ));
        return;
    };
    let ty = match obj.get("invokeTimeoutType") {
        None | Some(Value::Null) => "IMMEDIATE",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            out.push(
                Finding::error(
                    "timeout-type-invalid",
                    format!(
                        "invokeTimeoutType must be a string, not {}",
                        json_type(other)
                    ),
                )
                .at("invokeTimeoutType")
                .rule("VALIDATION"),
            );
            return;
        }
    };
    let length = obj.get("timeoutLengthOptions").filter(|v| !v.is_null());
    let date = obj.get("timeoutDateOptions").filter(|v| !v.is_null());
    if length.is_some() && date.is_some() {
        out.push(
            Finding::error(
                "both-timeout-options",
                "timeoutLengthOptions and timeoutDateOptions are one-of: send only one",
            )
            .at("timeoutDateOptions")
            .rule("ONE_OF_ALIGNMENT"),
        );
    }
    match ty {
        "IMMEDIATE" => {
            if let Some(k) = [("timeoutLengthOptions", length), ("timeoutDateOptions", date)]
                .iter()
                .find_map(|(k, v)| v.map(|_| *k))
            {
                out.push(Finding::error("options-contradict-type", format!("{k} contradicts invokeTimeoutType IMMEDIATE")).at(k.to_string()).rule("ONE_OF_ALIGNMENT"));
            }
        }
        "TIMEOUT_LENGTH" => {
            if date.is_some() && length.is_none() {
                out.push(Finding::error(
                    "options-contradict-type",
                    "timeoutDateOptions contradicts invokeTimeoutType TIMEOUT_LENGTH",
                ).at("timeoutDateOptions").rule("ONE_OF_ALIGNMENT"));
            }
            match length {
                None => out.push(Finding::error(
                    "missing-timeout-options",
                    "TIMEOUT_LENGTH needs timeoutLengthOptions.timeoutInMinutes",
                ).at("timeoutLengthOptions").rule("REQUIRED_FIELD")),
                Some(l) => check_minutes(l.get("timeoutInMinutes"), out),
            }
        }
        "TIMEOUT_DATE" => {
            if length.is_some() && date.is_none() {
                out.push(Finding::error(
                    "options-contradict-type",
                    "timeoutLengthOptions contradicts invokeTimeoutType TIMEOUT_DATE",
                ).at("timeoutLengthOptions").rule("ONE_OF_ALIGNMENT"));
            }
            match date {
                None => out.push(Finding::error(
                    "missing-timeout-options",
                    "TIMEOUT_DATE needs timeoutDateOptions.timeoutDate",
                ).at("timeoutDateOptions").rule("REQUIRED_FIELD")),
                Some(d) => check_date(d.get("timeoutDate"), now, out),
            }
        }
        "UNKNOWN_INVOKE_TIMEOUT_TYPE" => out.push(Finding::error(
            "timeout-type-invalid",
            "UNKNOWN_INVOKE_TIMEOUT_TYPE is the zero value, not an answer: use IMMEDIATE, TIMEOUT_LENGTH or TIMEOUT_DATE",
        ).at("invokeTimeoutType").rule("INVALID_ENUM_VALUE")),
        other => out.push(Finding::error(
            "timeout-type-invalid",
            format!("invokeTimeoutType {other:?} is not one of IMMEDIATE, TIMEOUT_LENGTH, TIMEOUT_DATE"),
        ).at("invokeTimeoutType").rule("INVALID_ENUM_VALUE")),
    }
    match obj.get("result") {
        None | Some(Value::Null) => {
            if ty == "IMMEDIATE" && output.is_some_and(|s| s.source.get("properties").is_some()) {
                out.push(
                    Finding::warning(
                        "result-missing",
                        "the action has an output schema but the answer carries no result",
                    )
                    .at("result")
                    .rule("REQUIRED_FIELD"),
                );
            }
        }
        Some(r @ Value::Object(_)) => {
            // A timeout answer's result is not what later steps see: the completion report's is.
            if ty == "IMMEDIATE"
                && let Some(schema) = output
            {
                for v in schema.violations(r) {
                    out.push(Finding::schema(
                        Severity::Error,
                        "result-schema",
                        "result",
                        &v,
                        "",
                    ));
                }
            }
        }
        Some(other) => out.push(
            Finding::error(
                "result-not-object",
                format!(
                    "result must be an object ({{}} when there is no output schema), not {}",
                    json_type(other)
                ),
            )
            .at("result")
            .rule("VALIDATION"),
        ),
    }
}

fn check_minutes(v: Option<&Value>, out: &mut Vec<Finding>) {
    let field = "timeoutLengthOptions.timeoutInMinutes";
    let before = out.len();
    check_minutes_value(v, out);
    for f in &mut out[before..] {
        let rule = if f.code == "timeout-too-long" {
            "MAX"
        } else {
            "MIN"
        };
        *f = f.clone().at(field).rule(rule);
    }
}

fn check_minutes_value(v: Option<&Value>, out: &mut Vec<Finding>) {
    match v.and_then(Value::as_i64) {
        None => out.push(Finding::error(
            "timeout-minutes-invalid",
            "timeoutLengthOptions.timeoutInMinutes must be a whole number",
        )),
        Some(m) if m <= 0 => out.push(Finding::error(
            "timeout-minutes-invalid",
            format!("timeoutInMinutes must be positive, got {m}"),
        )),
        Some(m) if m > MAX_TIMEOUT_MINUTES => out.push(Finding::error(
            "timeout-too-long",
            format!("timeoutInMinutes is at most {MAX_TIMEOUT_MINUTES} (24 h), got {m}"),
        )),
        Some(_) => {}
    }
}

pub fn parse_timeout_date(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.to_utc())
        .map_err(|e| format!("timeoutDate {s:?} is not an RFC 3339 date-time: {e}"))
}

fn check_date(v: Option<&Value>, now: AnswerTimes, out: &mut Vec<Finding>) {
    let before = out.len();
    check_date_value(v, now, out);
    for f in &mut out[before..] {
        let rule = match f.code {
            "timeout-date-past" => "MIN",
            "timeout-date-too-far" => "MAX",
            _ => "FORMAT",
        };
        *f = f.clone().at("timeoutDateOptions.timeoutDate").rule(rule);
    }
}

fn check_date_value(v: Option<&Value>, now: AnswerTimes, out: &mut Vec<Finding>) {
    let Some(s) = v.and_then(Value::as_str) else {
        out.push(Finding::error(
            "timeout-date-invalid",
            "timeoutDateOptions.timeoutDate must be a date-time string",
        ));
        return;
    };
    match parse_timeout_date(s) {
        Err(e) => out.push(Finding::error("timeout-date-invalid", e)),
        Ok(d) if d <= now.answered => out.push(Finding::error(
            "timeout-date-past",
            format!(
                "timeoutDate {s} is not in the future (the answer goes at {})",
                now.answered
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )),
        Ok(d) if d > latest_timeout_date(now.requested) => out.push(Finding::error(
            "timeout-date-too-far",
            format!(
                "timeoutDate {s} is more than a year after the request (at most {})",
                latest_timeout_date(now.requested)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )),
        Ok(_) => {}
    }
}

/// What an answer to Invoke does to the run. Call after [`check_invoke_answer`]: a broken
/// answer (any error finding) fails the step [assumed: Wix's handling is not documented].
pub fn invoke_outcome(
    status: u16,
    v: &Value,
    findings: &[Finding],
    now: impl Into<AnswerTimes>,
) -> InvokeOutcome {
    invoke_outcome_with(status, v, findings, now.into(), true)
}

/// Findings that leave nothing to act on: no timeout the run could wait for.
const UNUSABLE: [&str; 7] = [
    "not-object",
    "timeout-type-invalid",
    "missing-timeout-options",
    "timeout-minutes-invalid",
    "timeout-date-invalid",
    "timeout-date-past",
    "not-json",
];

/// [`invoke_outcome`], with the assumption made explicit: when `broken_fails` is off, only a
/// non-2xx status or an answer that cannot be acted on fails the step; a result that breaks
/// the output schema or a timeout over its limit is taken as it is.
pub fn invoke_outcome_with(
    status: u16,
    v: &Value,
    findings: &[Finding],
    now: AnswerTimes,
    broken_fails: bool,
) -> InvokeOutcome {
    if !is_success(status) {
        return InvokeOutcome::Failed {
            reason: format!("the action answered HTTP {status}"),
        };
    }
    if let Some(f) = findings
        .iter()
        .find(|f| f.severity == Severity::Error && (broken_fails || UNUSABLE.contains(&f.code)))
    {
        return InvokeOutcome::Failed {
            reason: format!("the answer breaks the contract: {}", f.message),
        };
    }
    match v.get("invokeTimeoutType").and_then(Value::as_str) {
        Some("TIMEOUT_LENGTH") => {
            let m = v
                .pointer("/timeoutLengthOptions/timeoutInMinutes")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            // The wait is counted from when Wix made the call.
            InvokeOutcome::Wait {
                deadline: now.requested + Duration::minutes(m),
            }
        }
        Some("TIMEOUT_DATE") => {
            let d = v
                .pointer("/timeoutDateOptions/timeoutDate")
                .and_then(Value::as_str)
                .unwrap_or("");
            match parse_timeout_date(d) {
                Ok(deadline) => InvokeOutcome::Wait { deadline },
                Err(reason) => InvokeOutcome::Failed { reason },
            }
        }
        _ => InvokeOutcome::Immediate,
    }
}

/// Checks an answer to validate-configuration.
pub fn check_validate_answer(status: u16, body: &[u8]) -> Vec<Finding> {
    match parse_json_body(body) {
        Ok(v) => check_validate_json(status, &v),
        Err(f) => vec![f],
    }
}

/// Checks an answer to validate-configuration already parsed as JSON.
pub fn check_validate_json(status: u16, v: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let v = match answer_object(status, v, &mut out) {
        Some(v) => v,
        None => return out,
    };
    if !v.get("valid").is_some_and(Value::is_boolean) {
        out.push(Finding::error(
            "valid-missing",
            "validate-configuration answers need a boolean `valid`",
        ));
    }
    match v.get("configurationErrors") {
        None | Some(Value::Null) => {}
        Some(Value::Array(errs)) => {
            for (i, e) in errs.iter().enumerate() {
                for field in ["fieldKey", "message"] {
                    if !e.get(field).is_some_and(Value::is_string) {
                        out.push(Finding::error(
                            "configuration-error-shape",
                            format!("configurationErrors[{i}].{field} must be a string"),
                        ));
                    }
                }
            }
            if v.get("valid") == Some(&Value::Bool(true)) && !errs.is_empty() {
                out.push(Finding::warning(
                    "valid-with-errors",
                    "valid is true but configurationErrors is not empty",
                ));
            }
        }
        Some(other) => out.push(Finding::error(
            "configuration-error-shape",
            format!(
                "configurationErrors must be an array, not {}",
                json_type(other)
            ),
        )),
    }
    out
}

/// Checks an answer to quota-info.
pub fn check_quota_answer(status: u16, body: &[u8]) -> Vec<Finding> {
    match parse_json_body(body) {
        Ok(v) => check_quota_json(status, &v),
        Err(f) => vec![f],
    }
}

/// Checks an answer to quota-info already parsed as JSON.
pub fn check_quota_json(status: u16, v: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let v = match answer_object(status, v, &mut out) {
        Some(v) => v,
        None => return out,
    };
    match v.get("actionQuotaInfo") {
        Some(Value::Object(q)) => {
            if !q.get("enforced").is_some_and(Value::is_boolean) {
                out.push(Finding::error(
                    "quota-shape",
                    "actionQuotaInfo.enforced must be a boolean",
                ));
            }
            if !matches!(q.get("quotaInfo"), None | Some(Value::Array(_))) {
                out.push(Finding::error(
                    "quota-shape",
                    "actionQuotaInfo.quotaInfo must be an array",
                ));
            }
        }
        _ => out.push(Finding::error(
            "quota-shape",
            "quota-info answers need an actionQuotaInfo object",
        )),
    }
    out
}

fn answer_object<'v>(status: u16, v: &'v Value, out: &mut Vec<Finding>) -> Option<&'v Value> {
    if !is_success(status) {
        out.push(Finding::error(
            "non-2xx-status",
            format!("HTTP status {status}"),
        ));
        check_application_error(v, out);
        return None;
    }
    if v.is_object() {
        Some(v)
    } else {
        out.push(Finding::error(
            "not-object",
            format!("the answer must be a JSON object, not {}", json_type(v)),
        ));
        None
    }
}

/// Checks a Report Action Invocation Completed body. `output` is the output schema of the
/// action the token belongs to, when known.
pub fn check_completion_report(v: &Value, output: Option<&Schema>) -> Vec<Finding> {
    let mut out = completion_report_findings(v, output);
    let success = v.get("status").and_then(Value::as_str) == Some("SUCCESS");
    for f in out.iter_mut().filter(|f| f.field.is_none()) {
        let (field, rule) = match f.code {
            "token-missing" => ("invocationToken", "REQUIRED_FIELD"),
            "token-too-long" => ("invocationToken", "MAX_LENGTH"),
            "both-infos" => ("failureInfo", "ONE_OF_ALIGNMENT"),
            "status-invalid" => ("status", "INVALID_ENUM_VALUE"),
            "description-too-long" => ("failureInfo.errorDescription", "MAX_LENGTH"),
            "result-not-object" => ("successInfo.result", "VALIDATION"),
            "info-contradicts-status" if success => ("failureInfo", "ONE_OF_ALIGNMENT"),
            "info-contradicts-status" => ("successInfo", "ONE_OF_ALIGNMENT"),
            "missing-info" if success => ("successInfo.result", "REQUIRED_FIELD"),
            "missing-info" => ("failureInfo.errorDescription", "REQUIRED_FIELD"),
            _ => continue,
        };
        *f = f.clone().at(field).rule(rule);
    }
    out
}

fn completion_report_findings(v: &Value, output: Option<&Schema>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(obj) = v.as_object() else {
        out.push(Finding::error(
            "not-object",
            format!("the report must be a JSON object, not {}", json_type(v)),
        ));
        return out;
    };
    match obj.get("invocationToken") {
        Some(Value::String(t)) if t.is_empty() => {
            out.push(Finding::error("token-missing", "invocationToken is empty"))
        }
        Some(Value::String(t)) if t.chars().count() > MAX_TOKEN_LEN => out.push(Finding::error(
            "token-too-long",
            format!(
                "invocationToken is at most {MAX_TOKEN_LEN} characters, got {}",
                t.chars().count()
            ),
        )),
        Some(Value::String(_)) => {}
        Some(other) => out.push(Finding::error(
            "token-missing",
            format!("invocationToken must be a string, not {}", json_type(other)),
        )),
        None => out.push(Finding::error(
            "token-missing",
            "invocationToken is required",
        )),
    }
    let success = obj.get("successInfo").filter(|v| !v.is_null());
    let failure = obj.get("failureInfo").filter(|v| !v.is_null());
    if success.is_some() && failure.is_some() {
        out.push(Finding::error(
            "both-infos",
            "successInfo and failureInfo are one-of: send only one",
        ));
    }
    match obj.get("status").and_then(Value::as_str) {
        Some("SUCCESS") => {
            if failure.is_some() {
                out.push(Finding::error(
                    "info-contradicts-status",
                    "failureInfo contradicts status SUCCESS",
                ));
            }
            match success.map(|s| s.get("result")) {
                None => out.push(Finding::error(
                    "missing-info",
                    "status SUCCESS needs successInfo.result",
                )),
                Some(None) | Some(Some(Value::Null)) => out.push(Finding::error(
                    "missing-info",
                    "successInfo.result is required ({} when there is no output)",
                )),
                Some(Some(r @ Value::Object(_))) => {
                    if let Some(schema) = output {
                        for v in schema.violations(r) {
                            out.push(Finding::schema(
                                Severity::Error,
                                "result-schema",
                                "successInfo.result",
                                &v,
                                "",
                            ));
                        }
                    }
                }
                Some(Some(other)) => out.push(Finding::error(
                    "result-not-object",
                    format!(
                        "successInfo.result must be an object, not {}",
                        json_type(other)
                    ),
                )),
            }
        }
        Some("FAILURE") => {
            if success.is_some() {
                out.push(Finding::error(
                    "info-contradicts-status",
                    "successInfo contradicts status FAILURE",
                ));
            }
            match failure.map(|f| f.get("errorDescription")) {
                None => out.push(Finding::error("missing-info", "status FAILURE needs failureInfo.errorDescription")),
                Some(Some(Value::String(d))) if d.chars().count() > MAX_ERROR_DESCRIPTION_LEN => {
                    out.push(Finding::error(
                        "description-too-long",
                        format!(
                            "errorDescription is at most {MAX_ERROR_DESCRIPTION_LEN} characters, got {}",
                            d.chars().count()
                        ),
                    ))
                }
                Some(Some(Value::String(_))) => {}
                Some(_) => out.push(Finding::error(
                    "missing-info",
                    "failureInfo.errorDescription must be a string",
                )),
            }
        }
        Some(other) => out.push(Finding::error(
            "status-invalid",
            format!("status {other:?} is not SUCCESS or FAILURE"),
        )),
        None => out.push(Finding::error(
            "status-invalid",
            "status is required: SUCCESS or FAILURE",
        )),
    }
    out
}

/// Checks `actionParams` against the action's input schema. Wix validates before calling, so
/// a violation means the caller does not behave like Wix.
pub fn check_action_params(params: &Value, input: &Schema) -> Vec<Finding> {
    input
        .violations(params)
        .into_iter()
        .map(|v| {
            Finding::schema(
                Severity::Warning,
                "params-schema",
                "actionParams",
                &v,
                " (Wix validates params before calling)",
            )
        })
        .collect()
}
