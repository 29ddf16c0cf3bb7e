//! Every expression of an automation checked where it stands, before a run: a function Wix does
//! not have, the wrong number of arguments, a field the node cannot see (a sibling branch's or a
//! later step's output, a variable no ancestor sets, a payload field the trigger's schema does
//! not have), what the builder would reject; and each action's mapping against its input schema
//! when its definition is loaded. Each finding names the action and the field.

use super::super::{NodeInfo, SOURCE_EXPRESSIONS, SOURCE_VALIDATION, WixAutomation, WixNode};
use crate::domain::definition::{Definitions, Level, LintFinding};
use crate::domain::expr::{self, ExprContext, Visible};
use crate::domain::trigger::Triggers;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What an automation's expressions are checked against: the definitions loaded.
#[derive(Clone, Copy, Default)]
pub struct Known<'a> {
    pub definitions: Option<&'a Definitions>,
    pub triggers: Option<&'a Triggers>,
}

/// Where each output lives: namespace → the node that makes it; and each node's parent.
struct Shape<'a> {
    by_namespace: HashMap<&'a str, &'a str>,
    variables: HashMap<&'a str, &'a str>,
    parent: HashMap<&'a str, &'a str>,
    nodes: HashMap<&'a str, &'a WixNode>,
}

impl<'a> Shape<'a> {
    fn of(a: &'a WixAutomation) -> Shape<'a> {
        let mut s = Shape {
            by_namespace: HashMap::new(),
            variables: HashMap::new(),
            parent: HashMap::new(),
            nodes: HashMap::new(),
        };
        for (id, n) in &a.actions {
            s.nodes.insert(id, n);
            for next in n.successors() {
                s.parent.entry(next).or_insert(id);
            }
            match &n.info {
                NodeInfo::AppDefined { .. } => {
                    if let Some(ns) = &n.namespace {
                        s.by_namespace.insert(ns, id);
                    }
                }
                NodeInfo::SetVariables { mapping, .. } => {
                    for k in mapping.as_object().into_iter().flat_map(|m| m.keys()) {
                        s.variables.insert(k, id);
                    }
                }
                _ => {}
            }
        }
        s
    }

    /// `id`'s ancestors (not itself).
    fn ancestors(&self, id: &str) -> HashSet<&'a str> {
        let mut out = HashSet::new();
        let mut at = self.parent.get(id).copied();
        while let Some(p) = at {
            if !out.insert(p) {
                break;
            }
            at = self.parent.get(p).copied();
        }
        out
    }
}

/// The schema at `path` below `schema`'s properties, if the path is there.
fn schema_at<'s>(schema: &'s Value, path: &[&str]) -> Option<&'s Value> {
    path.iter().try_fold(schema, |at, key| {
        at.get("properties").and_then(|p| p.get(*key))
    })
}

fn known_path(schema: Option<&Value>, path: &[&str]) -> Visible {
    match schema {
        None => Visible::Unknown,
        Some(s) if path.is_empty() || schema_at(s, path).is_some() => Visible::Yes,
        // A schema that lets anything in below (no properties listed) cannot say no.
        Some(s) if s.get("properties").is_none() => Visible::Unknown,
        Some(_) => Visible::No,
    }
}

/// Whether node `id` can see var path `p`.
fn visible(
    a: &WixAutomation,
    shape: &Shape<'_>,
    known: Known<'_>,
    id: Option<&str>,
    p: &str,
) -> Visible {
    let parts: Vec<&str> = p.split('.').collect();
    let first = parts.first().copied().unwrap_or_default();
    let ancestors = id.map(|i| shape.ancestors(i)).unwrap_or_default();
    if let Some(maker) = shape.by_namespace.get(first) {
        if !ancestors.contains(maker) {
            return Visible::No;
        }
        let key = shape.nodes.get(maker).and_then(|n| match &n.info {
            NodeInfo::AppDefined { action_key, .. } => Some(action_key.as_str()),
            _ => None,
        });
        let out = key
            .and_then(|k| known.definitions?.find(k))
            .and_then(|(_, d)| d.output_schema());
        return known_path(out, &parts[1..]);
    }
    if first == "setVariable" {
        return match parts.get(1).and_then(|k| shape.variables.get(k)) {
            Some(maker) if ancestors.contains(maker) => Visible::Yes,
            _ => Visible::No,
        };
    }
    if matches!(first, "contact" | "member") {
        return Visible::Unknown;
    }
    let trigger = a.trigger.override_schema.as_ref().or_else(|| {
        known
            .triggers?
            .find(&a.trigger.trigger_key)
            .map(|t| &t.def.payload_schema)
    });
    known_path(trigger, &parts)
}

/// Every expression finding of `a`, each with its place.
pub fn expressions(a: &WixAutomation, known: Known<'_>) -> Vec<LintFinding> {
    let shape = Shape::of(a);
    let mut out = vec![];
    let mut push = |place: String, text: &str, ctx: ExprContext, id: Option<&str>| {
        let see = |p: &str| visible(a, &shape, known, id, p);
        for f in expr::check(text, ctx, &see) {
            out.push(LintFinding::new(
                f.level,
                place.clone(),
                f.rule,
                f.message,
                SOURCE_EXPRESSIONS,
            ));
        }
    };
    for (i, f) in a.trigger.filters.iter().enumerate() {
        push(
            format!("configuration.trigger.filters[{i}].filterExpression"),
            &f.expression,
            ExprContext::Filter,
            None,
        );
    }
    for (id, n) in &a.actions {
        let at = format!("configuration.actions.{id}");
        let f = n.info_field();
        if let Some(s) = &n.skip {
            push(
                format!("{at}.skipActionExpression"),
                s,
                ExprContext::Skip,
                Some(id),
            );
        }
        match &n.info {
            NodeInfo::AppDefined {
                input_mapping,
                skip_groups,
                ..
            } => {
                each_leaf(
                    input_mapping,
                    &format!("{at}.{f}.inputMapping"),
                    &mut |place, text| {
                        push(place, text, ExprContext::Mapping, Some(id));
                    },
                );
                for (g, group) in skip_groups.iter().enumerate() {
                    for (e, x) in group.expressions.iter().enumerate() {
                        push(
                            format!(
                                "{at}.{f}.skipConditionOrExpressionGroups[{g}].booleanExpressions[{e}]"
                            ),
                            x,
                            ExprContext::Condition,
                            Some(id),
                        );
                    }
                }
            }
            NodeInfo::Condition { groups, .. } => {
                for (g, group) in groups.iter().enumerate() {
                    for (e, x) in group.expressions.iter().enumerate() {
                        push(
                            format!("{at}.{f}.orExpressionGroups[{g}].booleanExpressions[{e}]"),
                            x,
                            ExprContext::Condition,
                            Some(id),
                        );
                    }
                }
            }
            NodeInfo::CodeCondition { declared, .. } => {
                for (i, d) in declared.iter().enumerate() {
                    push(
                        format!("{at}.{f}.dynamicVariableExpressions[{i}]"),
                        d,
                        ExprContext::Mapping,
                        Some(id),
                    );
                }
            }
            NodeInfo::Delay {
                offset,
                due_date,
                due_epoch,
                ..
            } => {
                for (e, field, ctx) in [
                    (offset, "offsetExpression", ExprContext::DelayOffset),
                    (due_date, "dueDateExpression", ExprContext::DueDate),
                    (due_epoch, "dueDateEpochExpression", ExprContext::DueDate),
                ] {
                    if let Some(x) = e {
                        push(format!("{at}.{f}.{field}"), x, ctx, Some(id));
                    }
                }
            }
            NodeInfo::RateLimit { limit, .. } => {
                push(
                    format!("{at}.{f}.maxActivationsExpression"),
                    &limit.max,
                    ExprContext::RateLimit,
                    Some(id),
                );
                if let Some(d) = &limit.duration {
                    push(
                        format!("{at}.{f}.rateLimitDurationExpression"),
                        d,
                        ExprContext::RateLimit,
                        Some(id),
                    );
                }
                if let Some(u) = &limit.identifier {
                    push(
                        format!("{at}.{f}.uniqueIdentifierExpression"),
                        u,
                        ExprContext::RateLimit,
                        Some(id),
                    );
                }
            }
            NodeInfo::SetVariables { mapping, .. } => {
                for (k, v) in mapping.as_object().into_iter().flatten() {
                    if let Some(text) = v.as_str() {
                        push(
                            format!("{at}.{f}.outputMapping.{k}"),
                            text,
                            ExprContext::SetVariable,
                            Some(id),
                        );
                    }
                }
            }
            NodeInfo::Split { .. } | NodeInfo::NotRunLocally { .. } => {}
        }
    }
    out.extend(mappings(a, known));
    out
}

/// Calls `f` with each string leaf of `v` (an inputMapping), and its place.
fn each_leaf(v: &Value, place: &str, f: &mut dyn FnMut(String, &str)) {
    match v {
        Value::String(s) => f(place.to_string(), s),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                each_leaf(x, &format!("{place}[{i}]"), f);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                each_leaf(x, &format!("{place}.{k}"), f);
            }
        }
        _ => {}
    }
}

/// Each action's inputMapping against its definition's input schema: keys it does not have,
/// required inputs it leaves out.
fn mappings(a: &WixAutomation, known: Known<'_>) -> Vec<LintFinding> {
    let Some(defs) = known.definitions else {
        return vec![];
    };
    let mut out = vec![];
    for (id, n) in &a.actions {
        let NodeInfo::AppDefined {
            action_key,
            input_mapping,
            ..
        } = &n.info
        else {
            continue;
        };
        let Some(schema) = defs.find(action_key).and_then(|(_, d)| d.input_schema()) else {
            continue;
        };
        let at = format!("configuration.actions.{id}.appDefinedInfo.inputMapping");
        let props = schema.get("properties").and_then(Value::as_object);
        for k in input_mapping.as_object().into_iter().flat_map(|m| m.keys()) {
            if props.is_some_and(|p| !p.contains_key(k)) {
                out.push(LintFinding::new(Level::Error, format!("{at}.{k}"), "MAPPING_SCHEMA_MISMATCH", format!("{action_key}'s input schema has no {k:?}: the mapping is keyed only by its property names"), SOURCE_VALIDATION));
            }
        }
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if input_mapping.get(r).is_none() {
                out.push(LintFinding::new(
                    Level::Error,
                    format!("{at}.{r}"),
                    "MAPPING_MISSING_REQUIRED_FIELD",
                    format!("{action_key} requires {r:?}, and the mapping leaves it out"),
                    SOURCE_VALIDATION,
                ));
            }
        }
    }
    out
}
