//! What the trigger lints share: the pages that state the rules, where the sources disagree,
//! the schema types, and how a finding is made. Both the definition's lint and the payload
//! schema's draw on it.

use crate::domain::findings::{Level, LintFinding};
use serde_json::Value;

/// The Trigger Catalog's trigger object (fields, lengths, filters, implemented methods).
pub const SOURCE_TRIGGER_OBJECT: &str = "dev.wix.com/docs/api-reference/business-management/automations/triggers/trigger-catalog/trigger-object";
/// The dashboard's rules for a trigger key.
pub const SOURCE_TRIGGER_KEY: &str = "dev.wix.com/docs/rest/business-management/automations/triggers/add-a-trigger-in-the-dev-center";
/// The payload schema's rules.
pub const SOURCE_PAYLOAD: &str =
    "dev.wix.com/docs/rest/business-management/automations/triggers/the-trigger-payload-schema";
/// The older, longer text of the same rules (nesting, examples, futureDate).
pub const SOURCE_PAYLOAD_LEGACY: &str =
    "wix-rest-docs triggered-events/docs/the-payload-schema.md (2024)";
/// Connecting a property to a contact.
pub const SOURCE_IDENTITY: &str = "dev.wix.com/docs/build-apps/develop-your-app/extensions/backend-extensions/automations/triggers/payload-schema";
/// The Trigger Provider service plugin and what the SDK dispatches.
pub const SOURCE_PROVIDER: &str = "dev.wix.com/docs/sdk/backend-modules/automations/service-plugins/trigger-provider/introduction";

pub(super) const CONFLICT_TOP_OBJECT: &str = "conflict: the payload-schema guide (legacy, 2024) allows first-level objects; Report Event's field description (2026 SDK, newest) lists only primitives and arrays of objects";
pub(super) const CONFLICT_ITEM_FIELDS: &str = "conflict: the 2023 text and Report Event's field description (2026 SDK, newest) allow only primitive fields in array items; the 2024 text allows what first-level properties allow";
pub(super) const CONFLICT_IDENTITY: &str = "conflict: public docs (2023/2024) and Get Identities Schema (newest SDK) say contact only; the internal guide adds visitor and member, an SDK comment visitor and user";

pub(super) const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];
pub(super) fn error(
    path: impl Into<String>,
    rule: &'static str,
    why: impl Into<String>,
    source: &'static str,
) -> LintFinding {
    LintFinding::new(Level::Error, path, rule, why, source)
}

pub(super) fn warning(
    path: impl Into<String>,
    rule: &'static str,
    why: impl Into<String>,
    source: &'static str,
) -> LintFinding {
    LintFinding::new(Level::Warning, path, rule, why, source)
}

pub(super) fn json_type(v: &Value) -> &'static str {
    crate::domain::wire::json_type(v)
}
