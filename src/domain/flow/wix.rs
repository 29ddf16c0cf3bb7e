//! Wix's automation as a flow: its actions become steps in the order a depth-first walk from
//! its roots meets them (then any no root leads to, kept and shown), its successors the flow's
//! [`Tree`]. What the JSON cannot say (the event that starts a run from the window, scripted
//! answers, which actions are yours) comes from a side file beside it, `NAME.bench.json`, or
//! from the definitions loaded ([`LoadedFlow::take_schemas_from`], `take_trigger_from`).

use super::nodes::{
    ConditionStep, NotRunStep, RateLimitStep, SetVariablesStep, Skip, SplitStep, Test, WixDelay,
};
use super::tree::{Links, Tree};
use super::{
    ActionStep, AnsweredBy, Captions, Completion, DelayStep, Expect, FailAnswer, Flow, FlowSource,
    LoadedFlow, Step, Trigger,
};
use crate::domain::automation::{NodeInfo, TimeUnit, WixAutomation, WixNode};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The suffix of a side file: `order-paid.json` has `order-paid.bench.json` beside it.
pub const SIDE_SUFFIX: &str = ".bench.json";

/// What a flow read from Wix's JSON keeps of it.
#[derive(Clone, Debug, PartialEq)]
pub struct WixFlow {
    pub automation: WixAutomation,
    /// The side file read with it.
    pub side: Option<PathBuf>,
    /// The trigger payload came from the side file (else the trigger's definition fills it).
    pub payload_given: bool,
    /// What Wix adds to every run's payload from the site (a `contact`, a `member`): the side
    /// file's, since there is no site to read it from here.
    pub enrich: serde_json::Map<String, Value>,
}

/// What a flow keeps of one APP_DEFINED action.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WixAction {
    pub app_id: String,
    /// Where its output goes in the payload later steps see.
    pub namespace: String,
    pub skip: Skip,
    /// The side file says it is (true) or is not (false) the developer's action.
    pub yours: Option<bool>,
    /// The side file says who answers it (else: your target when one is set, the workbench
    /// otherwise).
    pub answered_by_given: bool,
    /// Not the developer's action (no definition is loaded for its key, the side file does not
    /// claim it): ActionBench stands in for it, and says so.
    pub simulated: Option<String>,
}

/// A side file: what a run needs that Wix's JSON cannot say.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SideFile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The event a run from the window or `flow run` starts with.
    #[serde(default)]
    pub trigger: SideTrigger,
    #[serde(default)]
    pub source: Option<FlowSource>,
    #[serde(default)]
    pub skip_delays: bool,
    /// Per action, by its id or its namespace: how ActionBench answers it.
    #[serde(default)]
    pub actions: BTreeMap<String, SideAction>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SideTrigger {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub payload: Option<Value>,
    #[serde(default)]
    pub caption: Option<String>,
    /// Objects Wix adds to every run's payload from the site's records (its identity
    /// enrichment: `contact`, `member`), for runs from the window and reported events alike.
    #[serde(default)]
    pub enrich: Map<String, Value>,
}

/// How ActionBench answers one action, as a flow file's action step says it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SideAction {
    /// It is the developer's action (runs against your target), or not (ActionBench stands in).
    #[serde(default)]
    pub yours: Option<bool>,
    #[serde(default)]
    pub answered_by: Option<AnsweredBy>,
    #[serde(default)]
    pub sample: Option<PathBuf>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub output_schema: Option<Value>,
    #[serde(default)]
    pub answer: Option<Value>,
    #[serde(default)]
    pub fail: Option<FailAnswer>,
    #[serde(default)]
    pub completion: Option<Completion>,
    #[serde(default)]
    pub expect: Option<Expect>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub captions: Captions,
}

/// The side file of `path` (`X.json` → `X.bench.json`), read when it is there.
pub fn side_file(path: &Path) -> Result<Option<(PathBuf, SideFile)>, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let Some(stem) = name.strip_suffix(".json") else {
        return Ok(None);
    };
    let side = path.with_file_name(format!("{stem}{SIDE_SUFFIX}"));
    if !side.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&side).map_err(|e| format!("{}: {e}", side.display()))?;
    let parsed: SideFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a side file: {e}", side.display()))?;
    Ok(Some((side, parsed)))
}

/// The steps in the order a depth-first walk from the roots meets them, then the rest (kept,
/// never run), in the map's order.
fn order(a: &WixAutomation) -> Vec<usize> {
    let index: HashMap<&str, usize> = a
        .actions
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_str(), i))
        .collect();
    let mut seen = vec![false; a.actions.len()];
    let mut out = vec![];
    let mut todo: Vec<usize> = a
        .roots
        .iter()
        .rev()
        .filter_map(|r| index.get(r.as_str()).copied())
        .collect();
    while let Some(i) = todo.pop() {
        if seen[i] {
            continue;
        }
        seen[i] = true;
        out.push(i);
        let next: Vec<usize> = a.actions[i]
            .1
            .successors()
            .iter()
            .filter_map(|s| index.get(s).copied())
            .collect();
        todo.extend(next.into_iter().rev());
    }
    out.extend((0..a.actions.len()).filter(|i| !seen[*i]));
    out
}

/// The flow for automation `a` (with its side file, whose relative paths start at `dir`).
pub fn flow_of(
    a: WixAutomation,
    side: Option<(PathBuf, SideFile)>,
    dir: Option<&Path>,
) -> Result<LoadedFlow, String> {
    let (side_path, side) = match side {
        Some((p, s)) => (Some(p), s),
        None => (None, SideFile::default()),
    };
    // A side file naming an action the automation does not have would change nothing, quietly.
    for key in side.actions.keys() {
        let known = a
            .actions
            .iter()
            .any(|(id, n)| id == key || n.namespace.as_deref() == Some(key.as_str()));
        if !known {
            return Err(format!(
                "the side file's actions.{key} names no action of the automation (by its id or its namespace)"
            ));
        }
    }
    let order = order(&a);
    let at: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(pos, i)| (a.actions[*i].0.as_str(), pos))
        .collect();
    let pos = |ids: &[String]| -> Vec<usize> {
        ids.iter()
            .filter_map(|i| at.get(i.as_str()).copied())
            .collect()
    };
    let mut steps = Vec::with_capacity(order.len());
    let mut links = Vec::with_capacity(order.len());
    let mut schemas = Vec::with_capacity(order.len());
    for i in &order {
        let (id, node) = &a.actions[*i];
        let (step, link) = step_of(id, node, &pos, &side)?;
        schemas.push(match &step {
            Step::Action(s) => {
                Some(super::step_schemas(s, dir).map_err(|e| format!("action {id}: {e}"))?)
            }
            _ => None,
        });
        if let (Step::Action(s), Some(Some(sch))) = (&step, schemas.last_mut())
            && sch.output.is_none()
            && let NodeInfo::AppDefined {
                override_output_schema: Some(o),
                ..
            } = &node.info
        {
            sch.output = crate::domain::schema::Schema::compile(o)
                .map_err(|e| format!("action {} overrideOutputSchema: {e}", s.id))
                .ok();
        }
        steps.push(step);
        links.push(link);
    }
    let tree = Tree::new(pos(&a.roots), links);
    let payload_given = side.trigger.payload.is_some();
    let payload = side
        .trigger
        .payload
        .clone()
        .unwrap_or(Value::Object(Map::new()));
    if !payload.is_object() {
        return Err("the side file's trigger.payload must be an object".into());
    }
    let trigger = Trigger {
        name: side
            .trigger
            .name
            .clone()
            .unwrap_or_else(|| format!("The {} event", a.trigger.trigger_key)),
        key: a.trigger.trigger_key.clone(),
        app_id: a.trigger.app_id.clone(),
        payload,
        caption: side.trigger.caption.clone(),
        before: a
            .trigger
            .scheduled_offset
            .as_ref()
            .and_then(|(e, unit)| duration_text(e, *unit)),
        active: a.active,
    };
    let name = side.name.clone().unwrap_or_else(|| {
        if a.name.is_empty() {
            format!("Automation {}", a.id.as_deref().unwrap_or("without a name"))
        } else {
            a.name.clone()
        }
    });
    // The builder's rules need nothing loaded; expressions and mappings are checked once the
    // definitions are known (`LoadedFlow::fill_from`).
    let findings = crate::domain::automation::lint::structure(&a);
    let flow = Flow {
        name,
        description: side
            .description
            .clone()
            .unwrap_or_else(|| a.description.clone()),
        trigger,
        steps,
        source: side.source.clone().unwrap_or_default(),
        skip_delays: side.skip_delays,
        outputs_under: String::new(),
        tree,
        wix: Some(Box::new(WixFlow {
            automation: a,
            side: side_path,
            payload_given,
            enrich: side.trigger.enrich.clone(),
        })),
    };
    Ok(LoadedFlow {
        flow,
        path: None,
        schemas,
        findings,
    })
}

/// A whole number of a unit as a flow's duration text (`{{1}}` HOURS → `1h`); weeks as days,
/// months as 30 days.
fn duration_text(expr: &str, unit: TimeUnit) -> Option<String> {
    let n: i64 = expr
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim()
        .parse()
        .ok()?;
    Some(match unit {
        TimeUnit::Minutes => format!("{n}m"),
        TimeUnit::Hours => format!("{n}h"),
        TimeUnit::Days => format!("{n}d"),
        TimeUnit::Weeks => format!("{}d", n * 7),
        TimeUnit::Months => format!("{}d", n * 30),
        TimeUnit::Unknown => return None,
    })
}

/// A delay's name when it has no displayName: "Wait 3 days", "Wait until the due date".
fn delay_name(d: &WixDelay) -> String {
    if let (Some(o), None, None) = (&d.offset, &d.due_date, &d.due_epoch) {
        let n = o
            .trim()
            .strip_prefix("{{")
            .and_then(|r| r.strip_suffix("}}"))
            .and_then(|n| n.trim().parse::<i64>().ok());
        if let Some(n) = n {
            let unit = d.unit.name().to_lowercase();
            let unit = if n == 1 {
                unit.trim_end_matches('s').to_string()
            } else {
                unit
            };
            return format!("Wait {n} {unit}");
        }
    }
    "Wait until the due date".into()
}

/// An APP_DEFINED node's fields.
struct WixCall<'a> {
    app_id: &'a String,
    action_key: &'a String,
    input_mapping: &'a Value,
    skip_groups: &'a Vec<crate::domain::automation::Group>,
}

/// An APP_DEFINED node as an action step: what its side file says of it (by id, else by its
/// namespace) filled in.
fn action_of(
    id: &str,
    n: &WixNode,
    wix: &WixCall<'_>,
    namespace: Option<&str>,
    side: &SideFile,
) -> ActionStep {
    let WixCall {
        app_id,
        action_key,
        input_mapping,
        skip_groups,
    } = *wix;
    let ns = namespace.map_or_else(|| action_key.clone(), str::to_string);
    let own = side
        .actions
        .get(id)
        .or_else(|| side.actions.get(&ns))
        .cloned()
        .unwrap_or_default();
    let answered_by_given = own.answered_by.is_some();
    ActionStep {
        id: id.to_string(),
        name: n
            .display_name
            .clone()
            .unwrap_or_else(|| namespace.unwrap_or(action_key).to_string()),
        action_key: action_key.clone(),
        sample: own.sample,
        input_schema: own.input_schema,
        output_schema: own.output_schema,
        params: input_mapping.clone(),
        answered_by: own.answered_by.unwrap_or_default(),
        answer: own.answer,
        fail: own.fail,
        completion: own.completion,
        expect: own.expect,
        caption: own.caption,
        captions: own.captions,
        wix: Some(WixAction {
            app_id: app_id.clone(),
            namespace: ns,
            skip: Skip {
                expression: n.skip.clone(),
                groups: skip_groups.clone(),
            },
            yours: own.yours,
            answered_by_given,
            simulated: None,
        }),
    }
}

type Pos<'a> = dyn Fn(&[String]) -> Vec<usize> + 'a;

fn step_of(id: &str, n: &WixNode, pos: &Pos<'_>, side: &SideFile) -> Result<(Step, Links), String> {
    let name = |fallback: &str| {
        n.display_name
            .clone()
            .unwrap_or_else(|| fallback.to_string())
    };
    let namespace = n.namespace.clone();
    Ok(match &n.info {
        NodeInfo::AppDefined {
            app_id,
            action_key,
            input_mapping,
            skip_groups,
            next,
            ..
        } => {
            let wix = WixCall {
                app_id,
                action_key,
                input_mapping,
                skip_groups,
            };
            let step = action_of(id, n, &wix, namespace.as_deref(), side);
            (Step::Action(Box::new(step)), Links::Then(pos(next)))
        }
        NodeInfo::Delay {
            offset,
            unit,
            due_date,
            due_epoch,
            next,
        } => {
            let d = WixDelay {
                offset: offset.clone(),
                unit: *unit,
                due_date: due_date.clone(),
                due_epoch: due_epoch.clone(),
            };
            let step = DelayStep {
                id: id.to_string(),
                name: Some(name(&delay_name(&d))),
                duration: String::new(),
                caption: None,
                wix: Some(d),
            };
            (Step::Delay(step), Links::Then(pos(next)))
        }
        NodeInfo::Condition { groups, yes, no } => (
            Step::Condition(Box::new(ConditionStep {
                id: id.to_string(),
                name: name("Condition"),
                namespace,
                test: Test::Groups(groups.clone()),
                caption: None,
            })),
            Links::Branch {
                yes: pos(yes),
                no: pos(no),
            },
        ),
        NodeInfo::CodeCondition {
            code,
            declared,
            yes,
            no,
            ..
        } => (
            Step::Condition(Box::new(ConditionStep {
                id: id.to_string(),
                name: name("Code condition"),
                namespace,
                test: Test::Code {
                    code: code.clone(),
                    declared: declared.clone(),
                },
                caption: None,
            })),
            Links::Branch {
                yes: pos(yes),
                no: pos(no),
            },
        ),
        NodeInfo::RateLimit { limit, next } => (
            Step::RateLimit(Box::new(RateLimitStep {
                id: id.to_string(),
                name: name("Rate limit"),
                namespace,
                limit: limit.clone(),
            })),
            Links::Then(pos(next)),
        ),
        NodeInfo::Split { paths } => (
            Step::Split(SplitStep {
                id: id.to_string(),
                name: name("Split"),
                namespace,
            }),
            Links::Paths(
                paths
                    .iter()
                    .map(|p| {
                        let next = p
                            .next
                            .as_ref()
                            .and_then(|n| pos(std::slice::from_ref(n)).first().copied());
                        (p.name.clone(), next)
                    })
                    .collect(),
            ),
        ),
        NodeInfo::SetVariables {
            mapping,
            schema,
            next,
        } => (
            Step::SetVariables(Box::new(SetVariablesStep {
                id: id.to_string(),
                name: name("Set variables"),
                namespace,
                mapping: mapping.clone(),
                schema: schema.clone(),
            })),
            Links::Then(pos(next)),
        ),
        NodeInfo::NotRunLocally { why, next } => (
            Step::NotRun(Box::new(NotRunStep {
                id: id.to_string(),
                name: name(if n.kind.is_empty() {
                    "Unknown node"
                } else {
                    &n.kind
                }),
                namespace,
                why: why.clone(),
                raw: n.raw.clone(),
            })),
            Links::Then(pos(next)),
        ),
    })
}
