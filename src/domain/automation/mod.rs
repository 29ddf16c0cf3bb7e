//! Wix's own automations (Automations V2): the `Automation` object as Wix's API returns it, read
//! as it comes (a bare object, Get's `{"automation": …}`, Query's `{"automations": […]}`; `id`
//! or `_id`), every action by its `*Info` (APP_DEFINED, CONDITION, CODE_CONDITION, DELAY,
//! RATE_LIMIT, SPLIT, SET_VARIABLES), and what ActionBench does not run (MERGE, OUTPUT, a type
//! it does not know) kept verbatim and named, never dropped. The facts and their sources are in
//! `shared/automations-v2.md`; where Wix's versions disagree (its SDK 1.0.24 and the builder's
//! skills), the union is read.
//!
//! Pure data: no clock, no IO. [`crate::domain::flow`] turns an automation into a flow the
//! runner walks; [`lint`] holds the builder's rules.

pub mod lint;

use serde_json::{Map, Value};

/// Where the facts come from, for findings and docs.
pub const SOURCE_GRAPH: &str = "Wix skills: Automations Graph and Data Model (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-graph-and-data-model)";
pub const SOURCE_DELAYS: &str = "Wix skills: Automations Delays Variables and Branches (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-delays-variables-and-branches)";
pub const SOURCE_CONDITIONS: &str = "Wix skills: Automations Conditions (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-conditions)";
pub const SOURCE_EXPRESSIONS: &str = "Wix skills: Automations Mapping Expressions (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-mapping-expressions)";
pub const SOURCE_VALIDATION: &str = "Wix skills: Automations Validation and Persistence (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-validation-and-persistence)";
pub const SOURCE_TRIGGER: &str = "Wix skills: Automations Trigger Configuration (dev.wix.com/docs/api-reference/business-management/automations/skills/automations-trigger-configuration)";
pub const SOURCE_SDK: &str = "@wix/auto_sdk_automations_automations-service-v-2 1.0.24 typings";

/// One automation as Wix stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct WixAutomation {
    /// `id` or `_id` (absent in a Create body).
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    /// `configuration.status`: only an ACTIVE automation runs for events.
    pub active: bool,
    /// `configuration.status` as written (`ACTIVE`, `INACTIVE`, …).
    pub status: String,
    pub trigger: WixTrigger,
    /// `configuration.rootActionIds`: the first actions, run in parallel.
    pub roots: Vec<String>,
    /// `configuration.actions`, by id (the map's keys).
    pub actions: Vec<(String, WixNode)>,
    /// The whole object as it came, kept verbatim.
    pub raw: Value,
}

/// `configuration.trigger`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WixTrigger {
    pub app_id: String,
    pub trigger_key: String,
    pub filters: Vec<WixFilter>,
    /// `scheduledEventOffset`: the run starts this long before the event's date.
    pub scheduled_offset: Option<(String, TimeUnit)>,
    /// The trigger-level rate limit (the API's; the builder draws a RATE_LIMIT root instead).
    pub rate_limit: Option<RateLimit>,
    /// `overrideSchema`: replaces the trigger's payload schema (webhook and custom triggers).
    pub override_schema: Option<Value>,
}

/// One trigger filter: all must be true for the run to start.
#[derive(Clone, Debug, PartialEq)]
pub struct WixFilter {
    pub id: String,
    pub field_key: String,
    pub expression: String,
}

/// Wix's `TimeUnit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Unknown,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

impl TimeUnit {
    pub fn parse(s: &str) -> TimeUnit {
        match s {
            "MINUTES" => TimeUnit::Minutes,
            "HOURS" => TimeUnit::Hours,
            "DAYS" => TimeUnit::Days,
            "WEEKS" => TimeUnit::Weeks,
            "MONTHS" => TimeUnit::Months,
            _ => TimeUnit::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Unknown => "UNKNOWN_TIME_UNIT",
            TimeUnit::Minutes => "MINUTES",
            TimeUnit::Hours => "HOURS",
            TimeUnit::Days => "DAYS",
            TimeUnit::Weeks => "WEEKS",
            TimeUnit::Months => "MONTHS",
        }
    }

    /// `n` of this unit from `from` (months by the calendar, clamped to the month's end).
    pub fn add(
        self,
        from: chrono::DateTime<chrono::Utc>,
        n: i64,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::Duration;
        match self {
            TimeUnit::Minutes => from.checked_add_signed(Duration::try_minutes(n)?),
            TimeUnit::Hours => from.checked_add_signed(Duration::try_hours(n)?),
            TimeUnit::Days => from.checked_add_signed(Duration::try_days(n)?),
            TimeUnit::Weeks => from.checked_add_signed(Duration::try_weeks(n)?),
            TimeUnit::Months => {
                let months = chrono::Months::new(u32::try_from(n.unsigned_abs()).ok()?);
                if n >= 0 {
                    from.checked_add_months(months)
                } else {
                    from.checked_sub_months(months)
                }
            }
            TimeUnit::Unknown => None,
        }
    }
}

/// A rate limit, on a RATE_LIMIT action or on the trigger.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    /// `maxActivationsExpression`.
    pub max: String,
    /// `rateLimitDurationExpression` (the trigger's `durationExpression`); none: forever.
    pub duration: Option<String>,
    pub unit: TimeUnit,
    /// `uniqueIdentifierExpression`: what is counted (a contact…); none: every run.
    pub identifier: Option<String>,
}

/// A condition's group: its expressions joined by AND or OR.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `AND` or `OR` (a missing operator is saved as OR, the builder says).
    pub and: bool,
    pub expressions: Vec<String>,
}

/// One SPLIT path.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitPath {
    pub id: String,
    pub name: String,
    /// The path's one action (none: an empty path).
    pub next: Option<String>,
}

/// What a node does, by its `*Info`.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeInfo {
    AppDefined {
        app_id: String,
        action_key: String,
        input_mapping: Value,
        /// `skipConditionOrExpressionGroups` (SDK 1.0.24): skipped when any group is true.
        skip_groups: Vec<Group>,
        override_output_schema: Option<Value>,
        next: Vec<String>,
    },
    Condition {
        groups: Vec<Group>,
        yes: Vec<String>,
        no: Vec<String>,
    },
    CodeCondition {
        language: String,
        code: String,
        /// `dynamicVariableExpressions`: the only fields the code sees.
        declared: Vec<String>,
        yes: Vec<String>,
        no: Vec<String>,
    },
    Delay {
        offset: Option<String>,
        unit: TimeUnit,
        /// `dueDateExpression` (the builder's: an ISO literal, `{{var()}}` or a date formula).
        due_date: Option<String>,
        /// `dueDateEpochExpression` (SDK 1.0.24: epoch milliseconds).
        due_epoch: Option<String>,
        next: Vec<String>,
    },
    RateLimit {
        limit: RateLimit,
        next: Vec<String>,
    },
    Split {
        paths: Vec<SplitPath>,
    },
    SetVariables {
        mapping: Value,
        schema: Option<Value>,
        next: Vec<String>,
    },
    /// MERGE, OUTPUT, an unknown type, or a node with no `*Info` ActionBench knows: kept as
    /// it came, shown, not run.
    NotRunLocally {
        why: String,
        next: Vec<String>,
    },
}

/// One action of `configuration.actions`.
#[derive(Clone, Debug, PartialEq)]
pub struct WixNode {
    /// The node's own `id` (`_id`), which the builder requires to equal its map key.
    pub id: Option<String>,
    /// `type` as written.
    pub kind: String,
    pub namespace: Option<String>,
    pub display_name: Option<String>,
    /// `skipActionExpression` (`"{{true}}"`: skipped).
    pub skip: Option<String>,
    pub info: NodeInfo,
    /// The node as it came.
    pub raw: Value,
}

impl WixNode {
    /// Every action that follows it, in order (both of a condition's paths, each SPLIT path).
    pub fn successors(&self) -> Vec<&str> {
        match &self.info {
            NodeInfo::AppDefined { next, .. }
            | NodeInfo::Delay { next, .. }
            | NodeInfo::RateLimit { next, .. }
            | NodeInfo::SetVariables { next, .. }
            | NodeInfo::NotRunLocally { next, .. } => next.iter().map(String::as_str).collect(),
            NodeInfo::Condition { yes, no, .. } | NodeInfo::CodeCondition { yes, no, .. } => {
                yes.iter().chain(no).map(String::as_str).collect()
            }
            NodeInfo::Split { paths } => paths.iter().filter_map(|p| p.next.as_deref()).collect(),
        }
    }

    /// The `*Info` field the node's info was read from.
    pub fn info_field(&self) -> &'static str {
        match &self.info {
            NodeInfo::AppDefined { .. } => "appDefinedInfo",
            NodeInfo::Condition { .. } => "conditionInfo",
            NodeInfo::CodeCondition { .. } => "codeConditionInfo",
            NodeInfo::Delay { .. } => "delayInfo",
            NodeInfo::RateLimit { .. } => "rateLimitInfo",
            NodeInfo::Split { .. } => "splitInfo",
            NodeInfo::SetVariables { .. } => "setVariablesInfo",
            NodeInfo::NotRunLocally { .. } => "",
        }
    }

    /// The type the node's `*Info` says it is.
    pub fn info_kind(&self) -> Option<&'static str> {
        Some(match &self.info {
            NodeInfo::AppDefined { .. } => "APP_DEFINED",
            NodeInfo::Condition { .. } => "CONDITION",
            NodeInfo::CodeCondition { .. } => "CODE_CONDITION",
            NodeInfo::Delay { .. } => "DELAY",
            NodeInfo::RateLimit { .. } => "RATE_LIMIT",
            NodeInfo::Split { .. } => "SPLIT",
            NodeInfo::SetVariables { .. } => "SET_VARIABLES",
            NodeInfo::NotRunLocally { .. } => return None,
        })
    }

    /// Fields ActionBench does not read (kept in `raw`, shown as not run locally).
    pub fn unread_fields(&self) -> Vec<String> {
        const READ: [&str; 15] = [
            "id",
            "_id",
            "type",
            "namespace",
            "displayName",
            "skipActionExpression",
            "appDefinedInfo",
            "conditionInfo",
            "codeConditionInfo",
            "delayInfo",
            "rateLimitInfo",
            "splitInfo",
            "setVariablesInfo",
            "outputInfo",
            "mergeInfo",
        ];
        self.raw
            .as_object()
            .map(|o| {
                o.keys()
                    .filter(|k| !READ.contains(&k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Whether `v` is Wix's automation JSON (rather than a flow file): the wrappers of Get, Create
/// and Query, or a bare automation (a `configuration` with a `trigger` or `actions`).
pub fn looks_like(v: &Value) -> bool {
    let bare = |a: &Value| {
        a.get("configuration")
            .is_some_and(|c| c.get("trigger").is_some() || c.get("actions").is_some())
    };
    v.get("automation").is_some_and(bare)
        || v.get("automations").is_some_and(Value::is_array)
        || bare(v)
}

/// Every automation in `v`: a bare `Automation`, `{"automation": …}` (Get, Create, a
/// revision) or `{"automations": […]}` (Query). Errors say which field is wrong.
pub fn read(v: &Value) -> Result<Vec<WixAutomation>, String> {
    if let Some(list) = v.get("automations") {
        let list = list
            .as_array()
            .ok_or("automations must be an array (Query Automations' answer)")?;
        if list.is_empty() {
            return Err("automations is empty: the query found none".into());
        }
        return list
            .iter()
            .enumerate()
            .map(|(i, a)| read_one(a).map_err(|e| format!("automations[{i}]: {e}")))
            .collect();
    }
    if let Some(a) = v.get("automation") {
        return read_one(a)
            .map(|a| vec![a])
            .map_err(|e| format!("automation: {e}"));
    }
    read_one(v).map(|a| vec![a])
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn ids(v: &Value, key: &str) -> Result<Vec<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{key} must hold action IDs (strings)"))
            })
            .collect(),
        Some(_) => Err(format!("{key} must be an array of action IDs")),
    }
}

fn read_one(a: &Value) -> Result<WixAutomation, String> {
    let o = a.as_object().ok_or("an automation must be a JSON object")?;
    let c = o
        .get("configuration")
        .ok_or("no configuration: an automation holds its trigger and actions there")?;
    let status = str_of(c, "status").unwrap_or_else(|| "UNKNOWN_STATUS".into());
    let t = c.get("trigger").ok_or("configuration.trigger is missing")?;
    let actions = match c.get("actions") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("configuration.actions must be an object (id → action)".into()),
    };
    let mut nodes = Vec::with_capacity(actions.len());
    for (id, node) in &actions {
        nodes.push((
            id.clone(),
            read_node(node).map_err(|e| format!("configuration.actions.{id}: {e}"))?,
        ));
    }
    Ok(WixAutomation {
        id: str_of(a, "id").or_else(|| str_of(a, "_id")),
        name: str_of(a, "name").unwrap_or_default(),
        description: str_of(a, "description").unwrap_or_default(),
        active: status == "ACTIVE",
        status,
        trigger: read_trigger(t).map_err(|e| format!("configuration.trigger: {e}"))?,
        roots: ids(c, "rootActionIds").map_err(|e| format!("configuration.{e}"))?,
        actions: nodes,
        raw: a.clone(),
    })
}

fn read_trigger(t: &Value) -> Result<WixTrigger, String> {
    let filters = match t.get("filters") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(fs)) => fs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Ok(WixFilter {
                    id: str_of(f, "id").unwrap_or_default(),
                    field_key: str_of(f, "fieldKey").unwrap_or_default(),
                    expression: str_of(f, "filterExpression")
                        .ok_or_else(|| format!("filters[{i}].filterExpression is missing"))?,
                })
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("filters must be an array".into()),
    };
    let scheduled_offset = t.get("scheduledEventOffset").and_then(|s| {
        Some((
            str_of(s, "preScheduledEventOffsetExpression")?,
            TimeUnit::parse(&str_of(s, "scheduledEventOffsetTimeUnit").unwrap_or_default()),
        ))
    });
    let rate_limit = t
        .get("rateLimit")
        .filter(|r| r.is_object())
        .map(|r| RateLimit {
            max: str_of(r, "maxActivationsExpression").unwrap_or_else(|| "{{1}}".into()),
            duration: str_of(r, "durationExpression"),
            unit: TimeUnit::parse(&str_of(r, "durationTimeUnit").unwrap_or_default()),
            identifier: str_of(r, "uniqueIdentifierExpression"),
        });
    Ok(WixTrigger {
        app_id: str_of(t, "appId").unwrap_or_default(),
        trigger_key: str_of(t, "triggerKey").ok_or("triggerKey is missing")?,
        filters,
        scheduled_offset,
        rate_limit,
        override_schema: t.get("overrideSchema").filter(|s| s.is_object()).cloned(),
    })
}

fn groups(v: &Value, key: &str) -> Result<Vec<Group>, String> {
    let Some(list) = v.get(key).filter(|g| !g.is_null()) else {
        return Ok(vec![]);
    };
    let list = list
        .as_array()
        .ok_or_else(|| format!("{key} must be an array of expression groups"))?;
    list.iter()
        .enumerate()
        .map(|(i, g)| {
            let expressions = match g.get("booleanExpressions") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|e| {
                        e.as_str().map(str::to_string).ok_or_else(|| {
                            format!("{key}[{i}].booleanExpressions must hold strings")
                        })
                    })
                    .collect::<Result<_, String>>()?,
                _ => return Err(format!("{key}[{i}].booleanExpressions is missing")),
            };
            Ok(Group {
                and: g.get("operator").and_then(Value::as_str) == Some("AND"),
                expressions,
            })
        })
        .collect()
}

/// The node's info from the first `*Info` present, in the canvas's order (it ignores `type`
/// when it finds children), then CODE_CONDITION and SPLIT, which came later.
fn read_node(n: &Value) -> Result<WixNode, String> {
    if !n.is_object() {
        return Err("an action must be a JSON object".into());
    }
    let kind = str_of(n, "type").unwrap_or_default();
    let info = if let Some(i) = n.get("appDefinedInfo").filter(|i| i.is_object()) {
        NodeInfo::AppDefined {
            app_id: str_of(i, "appId").unwrap_or_default(),
            action_key: str_of(i, "actionKey").ok_or("appDefinedInfo.actionKey is missing")?,
            input_mapping: i
                .get("inputMapping")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
            skip_groups: groups(i, "skipConditionOrExpressionGroups")
                .map_err(|e| format!("appDefinedInfo.{e}"))?,
            override_output_schema: i.get("overrideOutputSchema").cloned(),
            next: ids(i, "postActionIds").map_err(|e| format!("appDefinedInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("delayInfo").filter(|i| i.is_object()) {
        NodeInfo::Delay {
            offset: str_of(i, "offsetExpression"),
            unit: TimeUnit::parse(&str_of(i, "offsetTimeUnit").unwrap_or_default()),
            due_date: str_of(i, "dueDateExpression"),
            due_epoch: str_of(i, "dueDateEpochExpression"),
            next: ids(i, "postActionIds").map_err(|e| format!("delayInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("rateLimitInfo").filter(|i| i.is_object()) {
        NodeInfo::RateLimit {
            limit: RateLimit {
                max: str_of(i, "maxActivationsExpression").unwrap_or_else(|| "{{1}}".into()),
                duration: str_of(i, "rateLimitDurationExpression"),
                unit: TimeUnit::parse(&str_of(i, "rateLimitDurationTimeUnit").unwrap_or_default()),
                identifier: str_of(i, "uniqueIdentifierExpression"),
            },
            next: ids(i, "postActionIds").map_err(|e| format!("rateLimitInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("setVariablesInfo").filter(|i| i.is_object()) {
        NodeInfo::SetVariables {
            mapping: i
                .get("outputMapping")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
            schema: i.get("outputSchema").cloned(),
            next: ids(i, "postActionIds").map_err(|e| format!("setVariablesInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("conditionInfo").filter(|i| i.is_object()) {
        NodeInfo::Condition {
            groups: groups(i, "orExpressionGroups").map_err(|e| format!("conditionInfo.{e}"))?,
            yes: ids(i, "truePostActionIds").map_err(|e| format!("conditionInfo.{e}"))?,
            no: ids(i, "falsePostActionIds").map_err(|e| format!("conditionInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("codeConditionInfo").filter(|i| i.is_object()) {
        let snippet = i.get("snippet").cloned().unwrap_or(Value::Null);
        NodeInfo::CodeCondition {
            language: str_of(&snippet, "language").unwrap_or_else(|| "JAVASCRIPT".into()),
            code: str_of(&snippet, "code").ok_or("codeConditionInfo.snippet.code is missing")?,
            declared: ids(i, "dynamicVariableExpressions")
                .map_err(|e| format!("codeConditionInfo.{e}"))?,
            yes: ids(i, "truePostActionIds").map_err(|e| format!("codeConditionInfo.{e}"))?,
            no: ids(i, "falsePostActionIds").map_err(|e| format!("codeConditionInfo.{e}"))?,
        }
    } else if let Some(i) = n.get("splitInfo").filter(|i| i.is_object()) {
        let paths = match i.get("paths") {
            Some(Value::Array(ps)) => ps
                .iter()
                .map(|p| SplitPath {
                    id: str_of(p, "id").unwrap_or_default(),
                    name: str_of(p, "displayName")
                        .or_else(|| str_of(p, "name"))
                        .unwrap_or_default(),
                    next: str_of(p, "postActionId").filter(|s| !s.is_empty()),
                })
                .collect(),
            _ => return Err("splitInfo.paths must be an array".into()),
        };
        NodeInfo::Split { paths }
    } else {
        not_run_locally(n, &kind)
    };
    Ok(WixNode {
        id: str_of(n, "id").or_else(|| str_of(n, "_id")),
        namespace: str_of(n, "namespace"),
        display_name: str_of(n, "displayName"),
        skip: str_of(n, "skipActionExpression"),
        kind,
        info,
        raw: n.clone(),
    })
}

/// A node ActionBench does not run, and why in words; its successors (where a `postActionIds`
/// can be found in any `*Info`) are kept so the tree below it still shows.
fn not_run_locally(n: &Value, kind: &str) -> NodeInfo {
    let why = match kind {
        "MERGE" => "a MERGE node (the API has it; the builder cannot draw it, and ActionBench does not run it)".to_string(),
        "OUTPUT" => "an OUTPUT node (Wix's synchronous \"Functions\" automations; not run locally)".to_string(),
        "" => "a node without a type ActionBench knows".to_string(),
        k => format!("a {k} node, which ActionBench does not know"),
    };
    let next = n
        .as_object()
        .into_iter()
        .flat_map(|o| o.iter())
        .filter(|(k, v)| k.ends_with("Info") && v.is_object())
        .find_map(|(_, v)| ids(v, "postActionIds").ok())
        .unwrap_or_default();
    NodeInfo::NotRunLocally { why, next }
}

#[cfg(test)]
mod tests;
