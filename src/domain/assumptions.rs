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
    /// Refuse (400) a reported event whose payload breaks its trigger's schema, instead of
    /// taking it (200) and running no automation, flagged.
    pub refuse_bad_payload: bool,
    /// A report whose idempotency key was seen (same trigger, key alive) answers the first
    /// report's `activationIds`, instead of none.
    pub duplicate_returns_first_ids: bool,
    /// Refuse (400) a scheduled event whose date has passed, instead of taking it and skipping
    /// its runs as expired.
    pub refuse_past_schedule: bool,
    /// Take (200, no runs) a report for a trigger that no definition and no flow knows,
    /// instead of refusing it with 428.
    pub accept_unknown_trigger: bool,
    /// A Refresh Payload that fails (no answer, not 2xx, or an answer that breaks the
    /// contract) cancels the run, instead of running the steps after with the payload they had.
    pub refresh_failure_cancels: bool,
    /// In Wix's automations: a condition expression that cannot be evaluated (a missing
    /// field, a wrong type) fails the condition, so neither path runs, instead of counting as
    /// false.
    pub condition_error_fails: bool,
    /// An action Wix skips (its skip expression is true) ends its branch, instead of handing
    /// on to the steps after it (the API's "will still run"; the action log says "post
    /// actions will not start").
    pub skip_stops_branch: bool,
    /// A rate limit counts in fixed windows (the first counted run opens one), instead of a
    /// window sliding back from each run.
    pub rate_limit_fixed_window: bool,
    /// An action that timed out keeps the `result` its timeout answer carried as its output
    /// (Wix's log calls it the default output), instead of adding nothing.
    pub timeout_keeps_answer_result: bool,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            second_report: ExtraReport::Refuse,
            report_after_timeout: ExtraReport::Refuse,
            require_authorization: false,
            broken_answer_fails_step: true,
            refuse_bad_payload: false,
            duplicate_returns_first_ids: false,
            refuse_past_schedule: false,
            accept_unknown_trigger: false,
            refresh_failure_cancels: false,
            condition_error_fails: false,
            skip_stops_branch: false,
            rate_limit_fixed_window: false,
            timeout_keeps_answer_result: false,
        }
    }
}

/// Each assumption in words, for the window's help and the README: what is not documented,
/// and what the workbench does by default.
pub const EXPLAINED: [(&str, &str); 20] = [
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
    (
        "A reported event whose payload breaks its trigger's schema",
        "taken with 200 and no activationIds, flagged; no automation runs (switchable: refuse with 400)",
    ),
    (
        "A report whose idempotency key was seen (same trigger, within its time to live)",
        "200 with empty activationIds, nothing runs (switchable: the first report's activationIds)",
    ),
    (
        "A scheduled event whose date has passed",
        "taken, and each run skipped as expired (switchable: refuse with 400)",
    ),
    (
        "A report for a trigger no definition or flow knows",
        "refused with 428 FAILED_PRECONDITION (switchable: taken with 200, no runs)",
    ),
    ("Cancel Event for an entity nothing waits for", "200 {}"),
    (
        "When Wix calls Refresh Payload",
        "once per delay step, when the delay ends, only if the trigger's implementedMethods says refreshPayload",
    ),
    (
        "A Refresh Payload that fails (no answer, not 2xx, or an answer that breaks the contract)",
        "the steps after run with the payload they had (switchable: the run is cancelled)",
    ),
    (
        "Cancel Event while a step waits for its action's completion report",
        "the step ends as its action says; the steps after it do not run",
    ),
    (
        "A condition expression that cannot be evaluated (a missing field, a wrong type)",
        "counts as false, and the run says why (switchable: the condition fails and neither path runs)",
    ),
    (
        "The steps after an action Wix skips (its skip expression is true)",
        "run, as the API says; the skipped action adds no output (switchable: its branch ends)",
    ),
    (
        "A rate limit's window",
        "slides back from each run; runs it stops do not count (switchable: fixed windows, opened by the first counted run)",
    ),
    (
        "An action that timed out after a timeout answer carrying a result",
        "adds no output (switchable: that result becomes its output, as Wix's log's default output suggests)",
    ),
    (
        "Where a site's dates and times are read",
        "in UTC, or in the offset a value carries; the site's time zone is not known locally",
    ),
    (
        "A SPLIT's paths and parallel successors",
        "each goes on with its own copy of the payload; a path never sees another path's outputs",
    ),
];
