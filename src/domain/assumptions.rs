//! Where the protocol is not documented, the workbench assumes, says so, and lets the user
//! choose. Each field is one [assumed] of protocol.md; the defaults are the assumptions.

use serde::{Deserialize, Serialize};

/// What the completion API does with a report it has no use for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtraReport {
    /// 409 with a JSON error naming why (the assumption).
    Refuse,
    /// 200 `{}`, recorded on the timeline, with no effect on the invocation.
    Ignore,
}

impl ExtraReport {
    pub const ALL: [ExtraReport; 2] = [ExtraReport::Refuse, ExtraReport::Ignore];
    pub fn label(self) -> &'static str {
        match self {
            ExtraReport::Refuse => "refuse (409)",
            ExtraReport::Ignore => "ignore (200, no effect)",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Assumptions {
    /// A second report for an invocation already completed.
    pub second_report: ExtraReport,
    /// A report for an invocation whose deadline passed.
    pub report_after_timeout: ExtraReport,
    /// Refuse (401) a completion report without an Authorization header, instead of a warning.
    pub require_authorization: bool,
    /// An answer that breaks the contract fails the step. When off, only a non-2xx status or
    /// an answer that cannot be acted on (no usable timeout) fails it.
    pub broken_answer_fails_step: bool,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            second_report: ExtraReport::Refuse,
            report_after_timeout: ExtraReport::Refuse,
            require_authorization: false,
            broken_answer_fails_step: true,
        }
    }
}

/// Each assumption in words, for the window's help and the README: what is not documented,
/// and what the workbench does by default.
pub const EXPLAINED: [(&str, &str); 6] = [
    (
        "A second completion report for the same token",
        "refused with 409 ALREADY_COMPLETED (switchable: ignore with 200)",
    ),
    (
        "A completion report after the deadline",
        "refused with 409 TIMED_OUT (switchable: ignore with 200)",
    ),
    (
        "A completion report without an Authorization header",
        "accepted with a warning (switchable: refuse with 401)",
    ),
    (
        "An answer that breaks the contract",
        "fails the step (switchable: only a non-2xx status or an unusable timeout fails it)",
    ),
    (
        "A non-2xx answer",
        "fails the step, and the run moves on without the action's output",
    ),
    (
        "A completion report for a token nobody issued",
        "refused with 404 UNKNOWN_INVOCATION_TOKEN",
    ),
];
