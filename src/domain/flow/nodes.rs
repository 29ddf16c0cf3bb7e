//! The steps only Wix's automations have (a flow file has actions and delays): conditions and
//! code conditions, rate limits, SPLITs, variables, and what ActionBench keeps but does not run.
//! Each holds what the automation's JSON says, ready for the evaluator.

use crate::domain::automation::{Group, RateLimit, TimeUnit};
use serde_json::Value;

/// A CONDITION (groups of expressions) or a CODE_CONDITION (JavaScript).
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionStep {
    pub id: String,
    pub name: String,
    pub namespace: Option<String>,
    pub test: Test,
    pub caption: Option<String>,
}

/// What a condition evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// True when any group is; a group is the AND (or OR) of its expressions.
    Groups(Vec<Group>),
    /// A default-exported `function (payload)`; it sees only the `declared` var paths.
    Code { code: String, declared: Vec<String> },
}

/// A RATE_LIMIT: the run goes on only while the identifier's count in the window is under the
/// cap.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimitStep {
    pub id: String,
    pub name: String,
    pub namespace: Option<String>,
    pub limit: RateLimit,
}

/// A SPLIT: every path runs.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitStep {
    pub id: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// SET_VARIABLES: values later steps read as `var("setVariable.<key>")`.
#[derive(Clone, Debug, PartialEq)]
pub struct SetVariablesStep {
    pub id: String,
    pub name: String,
    pub namespace: Option<String>,
    /// `outputMapping`: key → expression.
    pub mapping: Value,
    /// `outputSchema`: each variable's type and title.
    pub schema: Option<Value>,
}

/// A node ActionBench keeps and shows but does not run (MERGE, OUTPUT, an unknown type); the
/// steps after it still run.
#[derive(Clone, Debug, PartialEq)]
pub struct NotRunStep {
    pub id: String,
    pub name: String,
    pub namespace: Option<String>,
    pub why: String,
    /// The node as it came.
    pub raw: Value,
}

/// How a Wix DELAY waits: an offset from when the step before finished, or a due date (an
/// expression, or epoch milliseconds), with the offset counted from it when both are given.
#[derive(Clone, Debug, PartialEq)]
pub struct WixDelay {
    pub offset: Option<String>,
    pub unit: TimeUnit,
    pub due_date: Option<String>,
    pub due_epoch: Option<String>,
}

/// When an action is skipped without running: Wix's `skipActionExpression` (the builder
/// writes `"{{true}}"`), or the SDK's `skipConditionOrExpressionGroups` (any group true).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Skip {
    pub expression: Option<String>,
    pub groups: Vec<Group>,
}

impl Skip {
    pub fn is_empty(&self) -> bool {
        self.expression.is_none() && self.groups.is_empty()
    }
}
