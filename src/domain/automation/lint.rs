//! The automation builder's rules, checked on an imported automation before it runs: the shape
//! of the tree (one parent each, no cycles, no orphans, ids equal to their keys, at most 45
//! actions, one root, RATE_LIMIT only as the root), each node's limits (conditions, SPLITs,
//! delays, variables, code), the lengths Wix's API allows. An error is what Wix refuses or what
//! cannot run; a warning is what the API takes and the builder would not draw, rewrite or lose.
//! Expressions and mappings are checked by [`super::check`] with the definitions loaded.

use super::{
    NodeInfo, SOURCE_CONDITIONS, SOURCE_DELAYS, SOURCE_GRAPH, SOURCE_SDK, SOURCE_TRIGGER,
    SOURCE_VALIDATION, SplitPath, TimeUnit, WixAutomation, WixNode,
};
use crate::domain::definition::{Level, LintFinding};
use std::collections::{HashMap, HashSet};

mod expressions;

pub use expressions::{Known, expressions};

/// Every finding of `a`: the tree's and each node's rules, then its expressions and mappings
/// against what `known` holds.
pub fn lint(a: &WixAutomation, known: Known<'_>) -> Vec<LintFinding> {
    let mut out = structure(a);
    out.extend(expressions(a, known));
    out
}

/// The builder's cap on actions.
pub const MAX_ACTIONS: usize = 45;

/// Every structural finding of `a`, each with its place (`configuration.actions.<id>…`).
pub fn structure(a: &WixAutomation) -> Vec<LintFinding> {
    let mut out = vec![];
    top_level(a, &mut out);
    tree(a, &mut out);
    for (id, n) in &a.actions {
        node(id, n, &mut out);
    }
    out
}

fn error(
    path: impl Into<String>,
    rule: &'static str,
    msg: impl Into<String>,
    src: &'static str,
) -> LintFinding {
    LintFinding::new(Level::Error, path, rule, msg, src)
}

fn warning(
    path: impl Into<String>,
    rule: &'static str,
    msg: impl Into<String>,
    src: &'static str,
) -> LintFinding {
    LintFinding::new(Level::Warning, path, rule, msg, src)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn top_level(a: &WixAutomation, out: &mut Vec<LintFinding>) {
    let name = chars(&a.name);
    if name == 0 {
        out.push(error(
            "name",
            "name-length",
            "the automation has no name: Wix requires 1–500 characters",
            SOURCE_SDK,
        ));
    } else if name > 500 {
        out.push(error(
            "name",
            "name-length",
            format!("the name is {name} characters; Wix's API allows 500"),
            SOURCE_SDK,
        ));
    } else if name > 100 {
        out.push(warning(
            "name",
            "name-length",
            format!("the name is {name} characters; the builder holds 100 (the API allows 500)"),
            SOURCE_VALIDATION,
        ));
    }
    if chars(&a.description) > 2000 {
        out.push(error(
            "description",
            "description-length",
            "the description is over 2000 characters",
            SOURCE_SDK,
        ));
    }
    let t = &a.trigger;
    let key = chars(&t.trigger_key);
    if !(1..=100).contains(&key) {
        out.push(error(
            "configuration.trigger.triggerKey",
            "trigger-key-length",
            format!("triggerKey is {key} characters; Wix allows 1–100"),
            SOURCE_SDK,
        ));
    }
    if t.filters.len() > 5 {
        out.push(error(
            "configuration.trigger.filters",
            "filters-count",
            format!(
                "{} filters; a trigger takes at most 5 (all must pass)",
                t.filters.len()
            ),
            SOURCE_SDK,
        ));
    }
    for (i, f) in t.filters.iter().enumerate() {
        let len = chars(&f.expression);
        let at = format!("configuration.trigger.filters[{i}].filterExpression");
        if len > 5000 {
            out.push(error(
                at,
                "expression-length",
                format!("{len} characters: the builder saves at most 5000 (the API 2500)"),
                SOURCE_VALIDATION,
            ));
        } else if len > 2500 {
            out.push(warning(
                at,
                "expression-length",
                format!("{len} characters: Wix's API takes at most 2500 (the builder 5000)"),
                SOURCE_SDK,
            ));
        }
        if f.field_key.is_empty() {
            out.push(error(
                format!("configuration.trigger.filters[{i}].fieldKey"),
                "filter-field-key",
                "a filter names the payload field it filters (fieldKey)",
                SOURCE_TRIGGER,
            ));
        }
    }
    if a.actions.len() > MAX_ACTIONS {
        out.push(error(
            "configuration.actions",
            "max-actions",
            format!(
                "{} actions: the builder caps an automation at {MAX_ACTIONS}",
                a.actions.len()
            ),
            SOURCE_GRAPH,
        ));
    }
}

/// One parent each, no cycles, no orphans, every reference known, one root.
fn tree(a: &WixAutomation, out: &mut Vec<LintFinding>) {
    let known: HashSet<&str> = a.actions.iter().map(|(k, _)| k.as_str()).collect();
    let roots = "configuration.rootActionIds";
    match a.roots.len() {
        0 if !a.actions.is_empty() => out.push(error(roots, "one-root", "no root action: an automation without one is saved as a draft and cannot run", SOURCE_GRAPH)),
        0 => out.push(error(roots, "one-root", "no actions: an automation without an action is saved as a draft and cannot run", SOURCE_GRAPH)),
        1 => {}
        n if n > 20 => out.push(error(roots, "one-root", format!("{n} roots: the API takes at most 20"), SOURCE_SDK)),
        n => out.push(warning(roots, "one-root", format!("{n} roots: they run in parallel, but the docs allow one and the builder draws only the first"), SOURCE_GRAPH)),
    }
    let mut parents: HashMap<&str, Vec<String>> = HashMap::new();
    for r in &a.roots {
        if !known.contains(r.as_str()) {
            out.push(error(
                roots,
                "post-action-not-found",
                format!("root {r} is not in configuration.actions"),
                SOURCE_VALIDATION,
            ));
        }
        parents
            .entry(r.as_str())
            .or_default()
            .push("the trigger".into());
    }
    for (id, n) in &a.actions {
        for next in n.successors() {
            if !known.contains(next) {
                out.push(error(
                    format!("configuration.actions.{id}"),
                    "post-action-not-found",
                    format!("it is followed by {next}, which is not in configuration.actions"),
                    SOURCE_VALIDATION,
                ));
            }
            parents.entry(next).or_default().push(id.clone());
        }
    }
    for (child, from) in &parents {
        if from.len() > 1 && known.contains(child) {
            out.push(error(format!("configuration.actions.{child}"), "single-parent", format!("{child} follows {} nodes ({}): the tree has no joins, and it would run once for each", from.len(), from.join(", ")), SOURCE_GRAPH));
        }
    }
    let reached = reachable(a);
    for (id, _) in &a.actions {
        if !reached.contains(id.as_str()) && !cycles_through(a, id) {
            out.push(warning(
                format!("configuration.actions.{id}"),
                "orphan",
                "no root leads here: it never runs, and the builder deletes it on the next save",
                SOURCE_GRAPH,
            ));
        }
    }
    for (id, _) in &a.actions {
        if cycles_through(a, id) {
            out.push(error(
                format!("configuration.actions.{id}"),
                "no-cycles",
                "following its successors leads back to it: the tree has no cycles",
                SOURCE_GRAPH,
            ));
        }
    }
    let limits: Vec<&str> = a
        .actions
        .iter()
        .filter(|(_, n)| matches!(n.info, NodeInfo::RateLimit { .. }))
        .map(|(k, _)| k.as_str())
        .collect();
    for id in &limits {
        if a.roots.first().map(String::as_str) != Some(*id) {
            out.push(error(
                format!("configuration.actions.{id}"),
                "rate-limit-root",
                "a RATE_LIMIT must be the first root: anywhere else it \"spins forever\"",
                SOURCE_GRAPH,
            ));
        }
    }
    if limits.len() > 1 {
        out.push(error(
            "configuration.actions",
            "rate-limit-root",
            format!(
                "{} RATE_LIMIT nodes: at most one, as the root",
                limits.len()
            ),
            SOURCE_GRAPH,
        ));
    }
    let splits = a
        .actions
        .iter()
        .filter(|(_, n)| matches!(n.info, NodeInfo::Split { .. }))
        .count();
    if splits > 10 {
        out.push(error(
            "configuration.actions",
            "split-count",
            format!("{splits} SPLIT nodes: at most 10"),
            SOURCE_DELAYS,
        ));
    }
    namespaces(a, out);
}

/// Every node a root leads to.
pub fn reachable(a: &WixAutomation) -> HashSet<&str> {
    let by_id: HashMap<&str, &WixNode> = a.actions.iter().map(|(k, n)| (k.as_str(), n)).collect();
    let mut seen = HashSet::new();
    let mut todo: Vec<&str> = a.roots.iter().map(String::as_str).collect();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(n) = by_id.get(id) {
            todo.extend(n.successors());
        }
    }
    seen
}

/// Whether following `id`'s successors comes back to it.
pub fn cycles_through(a: &WixAutomation, id: &str) -> bool {
    let by_id: HashMap<&str, &WixNode> = a.actions.iter().map(|(k, n)| (k.as_str(), n)).collect();
    let mut seen = HashSet::new();
    let mut todo: Vec<&str> = by_id.get(id).map(|n| n.successors()).unwrap_or_default();
    while let Some(next) = todo.pop() {
        if next == id {
            return true;
        }
        if seen.insert(next)
            && let Some(n) = by_id.get(next)
        {
            todo.extend(n.successors());
        }
    }
    false
}

/// Two nodes with output under one namespace: the later overwrites the earlier's.
fn namespaces(a: &WixAutomation, out: &mut Vec<LintFinding>) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (id, n) in &a.actions {
        let Some(ns) = n.namespace.as_deref() else {
            continue;
        };
        if matches!(n.info, NodeInfo::SetVariables { .. }) {
            continue;
        }
        if let Some(first) = seen.insert(ns, id) {
            out.push(warning(format!("configuration.actions.{id}.namespace"), "namespace-unique", format!("{first} has the namespace {ns:?} too: later steps read only one of their outputs"), SOURCE_SDK));
        }
    }
}

fn node(id: &str, n: &WixNode, out: &mut Vec<LintFinding>) {
    let at = format!("configuration.actions.{id}");
    if let Some(own) = &n.id
        && own != id
    {
        out.push(error(
            format!("{at}.id"),
            "id-is-key",
            format!("the action's id {own:?} differs from its key: they must be equal"),
            SOURCE_GRAPH,
        ));
    }
    let infos: Vec<&str> = n
        .raw
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .filter(|k| k.ends_with("Info"))
        .map(String::as_str)
        .collect();
    if infos.len() > 1 {
        out.push(error(
            &at,
            "one-info",
            format!(
                "it has {}: exactly one *Info, matching its type",
                infos.join(" and ")
            ),
            SOURCE_GRAPH,
        ));
    }
    match n.info_kind() {
        Some(k) if !n.kind.is_empty() && k != n.kind => out.push(error(format!("{at}.type"), "info-matches-type", format!("type {} with {}: the builder follows the *Info, Wix's validation refuses the mismatch", n.kind, n.info_field()), SOURCE_GRAPH)),
        Some(_) => {}
        None => {
            if let NodeInfo::NotRunLocally { why, .. } = &n.info {
                out.push(warning(&at, "not-run-locally", format!("{why}: kept as it is, shown, not run"), SOURCE_GRAPH));
            }
        }
    }
    match &n.namespace {
        Some(ns) if chars(ns) > 100 || ns.is_empty() => out.push(error(
            format!("{at}.namespace"),
            "namespace-length",
            "a namespace has 1–100 characters",
            SOURCE_SDK,
        )),
        _ => {}
    }
    if let Some(d) = &n.display_name
        && !(1..=60).contains(&chars(d))
    {
        out.push(warning(
            format!("{at}.displayName"),
            "display-name-length",
            "displayName has 1–60 characters",
            SOURCE_GRAPH,
        ));
    }
    if let Some(s) = &n.skip {
        if chars(s) > 1000 {
            out.push(error(
                format!("{at}.skipActionExpression"),
                "expression-length",
                "over 1000 characters",
                SOURCE_SDK,
            ));
        } else if s != "{{true}}" {
            out.push(warning(
                format!("{at}.skipActionExpression"),
                "skip-true",
                format!(
                    "{s:?}: the builder writes only \"{{{{true}}}}\" (skipped) or nothing (runs)"
                ),
                SOURCE_GRAPH,
            ));
        }
    }
    info(&at, n, out);
}

fn successors_limit(at: &str, field: &str, next: &[String], out: &mut Vec<LintFinding>) {
    if next.len() > 20 {
        out.push(error(
            format!("{at}.{field}"),
            "successors",
            format!("{} successors: the API takes at most 20", next.len()),
            SOURCE_SDK,
        ));
    } else if next.len() > 1 {
        out.push(warning(format!("{at}.{field}"), "successors", format!("{} successors run in parallel; the builder draws one (a SPLIT for paths that all run)", next.len()), SOURCE_GRAPH));
    }
}

fn info(at: &str, n: &WixNode, out: &mut Vec<LintFinding>) {
    let f = n.info_field();
    match &n.info {
        NodeInfo::AppDefined {
            next, skip_groups, ..
        } => {
            successors_limit(at, &format!("{f}.postActionIds"), next, out);
            if skip_groups.len() > 10 {
                out.push(error(
                    format!("{at}.{f}.skipConditionOrExpressionGroups"),
                    "skip-groups",
                    "at most 10 groups",
                    SOURCE_SDK,
                ));
            }
        }
        NodeInfo::Condition { groups, yes, no } => {
            let g = format!("{at}.{f}.orExpressionGroups");
            match groups.len() {
                0 => out.push(error(
                    &g,
                    "condition-groups",
                    "a condition needs an expression group",
                    SOURCE_CONDITIONS,
                )),
                1 => {}
                n if n > 10 => out.push(error(
                    &g,
                    "condition-groups",
                    format!("{n} groups: the API takes at most 10"),
                    SOURCE_SDK,
                )),
                n => out.push(warning(
                    &g,
                    "condition-groups",
                    format!("{n} groups (OR between them): the builder draws exactly one"),
                    SOURCE_CONDITIONS,
                )),
            }
            for (i, group) in groups.iter().enumerate() {
                let e = group.expressions.len();
                if !(1..=20).contains(&e) {
                    out.push(error(
                        format!("{g}[{i}].booleanExpressions"),
                        "condition-expressions",
                        format!("{e} expressions: a group holds 1–20"),
                        SOURCE_SDK,
                    ));
                }
                for (j, x) in group.expressions.iter().enumerate() {
                    let len = chars(x);
                    if len > 2500 {
                        out.push(error(
                            format!("{g}[{i}].booleanExpressions[{j}]"),
                            "expression-length",
                            format!("{len} characters: at most 2500"),
                            SOURCE_SDK,
                        ));
                    }
                }
            }
            branches(at, f, yes, no, out);
        }
        NodeInfo::CodeCondition {
            language,
            code,
            declared,
            yes,
            no,
        } => {
            code_condition(at, f, language, code, declared, out);
            branches(at, f, yes, no, out);
        }
        NodeInfo::Delay {
            offset,
            unit,
            due_date,
            due_epoch,
            next,
        } => {
            successors_limit(at, &format!("{f}.postActionIds"), next, out);
            delay(
                at,
                f,
                offset.as_deref(),
                *unit,
                due_date.as_deref(),
                due_epoch.as_deref(),
                out,
            );
        }
        NodeInfo::RateLimit { limit, next } => {
            successors_limit(at, &format!("{f}.postActionIds"), next, out);
            for (field, e) in [
                ("maxActivationsExpression", Some(&limit.max)),
                ("rateLimitDurationExpression", limit.duration.as_ref()),
            ] {
                if e.is_some_and(|e| chars(e) > 1000) {
                    out.push(error(
                        format!("{at}.{f}.{field}"),
                        "expression-length",
                        "over 1000 characters",
                        SOURCE_SDK,
                    ));
                }
            }
            if let Some(u) = &limit.identifier
                && !(1..=400).contains(&chars(u))
            {
                out.push(error(
                    format!("{at}.{f}.uniqueIdentifierExpression"),
                    "expression-length",
                    "1–400 characters",
                    SOURCE_SDK,
                ));
            }
            if limit.duration.is_some() && limit.unit == TimeUnit::Unknown {
                out.push(error(
                    format!("{at}.{f}.rateLimitDurationTimeUnit"),
                    "rate-limit-unit",
                    "a duration needs its unit (MINUTES, HOURS, DAYS, WEEKS or MONTHS)",
                    SOURCE_DELAYS,
                ));
            }
        }
        NodeInfo::Split { paths } => split(at, f, n, paths, out),
        NodeInfo::SetVariables { schema, next, .. } => {
            successors_limit(at, &format!("{f}.postActionIds"), next, out);
            if n.namespace.as_deref() != Some("setVariable") {
                out.push(warning(format!("{at}.namespace"), "set-variable-namespace", "a SET_VARIABLES node's namespace is the literal \"setVariable\": later steps read var(\"setVariable.<key>\")", SOURCE_DELAYS));
            }
            variables(at, f, schema.as_ref(), out);
        }
        NodeInfo::NotRunLocally { .. } => {}
    }
}

/// A code condition's snippet: JavaScript, at most 1000 characters, a default export, and
/// each declared variable one `{{var("…")}}`.
fn code_condition(
    at: &str,
    f: &str,
    language: &str,
    code: &str,
    declared: &[String],
    out: &mut Vec<LintFinding>,
) {
    if language != "JAVASCRIPT" {
        out.push(error(
            format!("{at}.{f}.snippet.language"),
            "code-language",
            format!("{language}: code conditions are JAVASCRIPT"),
            SOURCE_CONDITIONS,
        ));
    }
    let len = chars(code);
    if len > 1000 {
        out.push(error(
            format!("{at}.{f}.snippet.code"),
            "code-length",
            format!("{len} characters: the whole code is at most 1000"),
            SOURCE_CONDITIONS,
        ));
    }
    if !code.contains("export default") {
        out.push(error(
            format!("{at}.{f}.snippet.code"),
            "code-default-export",
            "the code must default-export a function (payload) returning a boolean",
            SOURCE_CONDITIONS,
        ));
    }
    for (i, d) in declared.iter().enumerate() {
        let t = d.trim();
        if !(t.starts_with("{{var(") && t.ends_with(")}}")) {
            out.push(error(
                format!("{at}.{f}.dynamicVariableExpressions[{i}]"),
                "code-declared",
                format!("{d:?}: each entry is one {{{{var(\"<path>\")}}}}"),
                SOURCE_CONDITIONS,
            ));
        }
    }
}

/// A SPLIT: 2–10 paths, each named and with an id of its own, and no postActionIds.
fn split(at: &str, f: &str, n: &WixNode, paths: &[SplitPath], out: &mut Vec<LintFinding>) {
    let p = format!("{at}.{f}.paths");
    if !(2..=10).contains(&paths.len()) {
        out.push(error(
            &p,
            "split-paths",
            format!("{} paths: a SPLIT has 2–10", paths.len()),
            SOURCE_DELAYS,
        ));
    }
    let mut ids = HashSet::new();
    for (i, path) in paths.iter().enumerate() {
        if !(1..=100).contains(&chars(&path.name)) {
            out.push(error(
                format!("{p}[{i}].name"),
                "split-path-name",
                "a path's name has 1–100 characters",
                SOURCE_DELAYS,
            ));
        }
        if !ids.insert(path.id.as_str()) || path.id.is_empty() {
            out.push(error(
                format!("{p}[{i}].id"),
                "split-path-id",
                "each path has an id of its own",
                SOURCE_GRAPH,
            ));
        }
    }
    if n.raw.pointer("/splitInfo/postActionIds").is_some() {
        out.push(warning(
            format!("{at}.{f}.postActionIds"),
            "split-no-post",
            "a SPLIT has only paths, no postActionIds: they are not read",
            SOURCE_DELAYS,
        ));
    }
}

fn branches(at: &str, f: &str, yes: &[String], no: &[String], out: &mut Vec<LintFinding>) {
    successors_limit(at, &format!("{f}.truePostActionIds"), yes, out);
    successors_limit(at, &format!("{f}.falsePostActionIds"), no, out);
    if yes.is_empty() && no.is_empty() {
        out.push(warning(
            at,
            "condition-dead-end",
            "both paths are empty: whatever the condition says, nothing follows",
            SOURCE_CONDITIONS,
        ));
    }
}

fn delay(
    at: &str,
    f: &str,
    offset: Option<&str>,
    unit: TimeUnit,
    due_date: Option<&str>,
    due_epoch: Option<&str>,
    out: &mut Vec<LintFinding>,
) {
    for (field, e) in [
        ("offsetExpression", offset),
        ("dueDateExpression", due_date),
        ("dueDateEpochExpression", due_epoch),
    ] {
        if e.is_some_and(|e| chars(e) > 1000) {
            out.push(error(
                format!("{at}.{f}.{field}"),
                "expression-length",
                "over 1000 characters",
                SOURCE_SDK,
            ));
        }
    }
    match (offset, due_date.or(due_epoch)) {
        (None, None) => out.push(error(format!("{at}.{f}"), "delay-mode", "neither offsetExpression nor a due date: a delay waits for one of them", SOURCE_DELAYS)),
        (Some(_), Some(_)) if due_date.is_some() => out.push(warning(format!("{at}.{f}"), "delay-mode", "both an offset and dueDateExpression: the builder writes one, never both (ActionBench counts the offset from the due date, as the SDK describes)", SOURCE_DELAYS)),
        _ => {}
    }
    let Some(o) = offset else {
        return;
    };
    let whole = o
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .and_then(|n| n.parse::<i64>().ok());
    let Some(n) = whole else {
        out.push(warning(format!("{at}.{f}.offsetExpression"), "delay-offset", format!("{o:?}: the builder writes a whole number in braces, such as \"{{{{3}}}}\"; anything else loads in its panel as 1"), SOURCE_DELAYS));
        return;
    };
    let (lo, hi) = match unit {
        TimeUnit::Minutes | TimeUnit::Hours => (1, 999),
        TimeUnit::Days => (1, 365),
        TimeUnit::Weeks => (1, 52),
        TimeUnit::Months => (1, 12),
        TimeUnit::Unknown => {
            out.push(error(
                format!("{at}.{f}.offsetTimeUnit"),
                "delay-unit",
                "an offset needs its unit (MINUTES, HOURS, DAYS, WEEKS or MONTHS)",
                SOURCE_DELAYS,
            ));
            return;
        }
    };
    if !(lo..=hi).contains(&n) {
        out.push(warning(
            format!("{at}.{f}.offsetExpression"),
            "delay-bounds",
            format!("{n} {}: the builder's panel allows {lo}–{hi}", unit.name()),
            SOURCE_DELAYS,
        ));
    }
}

fn variables(at: &str, f: &str, schema: Option<&serde_json::Value>, out: &mut Vec<LintFinding>) {
    let Some(props) = schema
        .and_then(|s| s.get("properties"))
        .and_then(serde_json::Value::as_object)
    else {
        out.push(warning(
            format!("{at}.{f}.outputSchema"),
            "variable-schema",
            "no outputSchema with properties: later steps cannot be checked against the variables",
            SOURCE_DELAYS,
        ));
        return;
    };
    for (k, p) in props {
        let place = format!("{at}.{f}.outputSchema.properties.{k}");
        if p.get("title").and_then(serde_json::Value::as_str).is_none() {
            out.push(error(
                &place,
                "variable-title",
                "each variable needs a title",
                SOURCE_DELAYS,
            ));
        }
        let ty = p
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if !matches!(ty, "string" | "number" | "boolean") {
            out.push(error(
                &place,
                "variable-type",
                format!("type {ty:?}: a variable is a string, number or boolean"),
                SOURCE_DELAYS,
            ));
        }
    }
}

#[cfg(test)]
mod tests;
