//! What a run tells, computed once and drawn twice (presenter mode in the window, and a run
//! shared as one HTML file): its events with their captions ([`FlowEvent`]), and from them the
//! [`Story`]: the swim lanes, each beat's caption, the state of every step, the wait a step
//! asks for, how much time passed since the beat before ("3 hours later"), and what the
//! automation knows then, as cards, the new ones marked.

use super::{Flow, FlowEventKind, FlowSource, Links, Step};
use crate::domain::clock::spoken_duration;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// Something that happened in a run, with its caption.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowEvent {
    /// Simulated time.
    pub at: DateTime<Utc>,
    /// The step (index in the flow), or None for the run itself.
    pub step: Option<usize>,
    pub kind: FlowEventKind,
    pub caption: String,
    /// The payload later steps see, as it stands after this event.
    pub payload: Value,
    /// Simulated time the run waited for the presenter just before this event (presenter
    /// mode's step by step): not time the automation took, so "… later" leaves it out.
    pub paused: Duration,
}

/// A step's state as of a beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lit {
    Pending,
    Running,
    Waiting,
    Done,
    Failed,
    /// Wix did not run it (its params failed its input schema, its skip expression held, it
    /// is a node ActionBench does not run).
    NotRun,
    /// On a path the run did not take (a condition's other side, below a rate limit that
    /// stopped the run).
    NotTaken,
}

impl Lit {
    /// The word under a step's box ("" for a step not reached yet).
    pub fn word(self) -> &'static str {
        match self {
            Lit::Pending => "",
            Lit::Running => "running",
            Lit::Waiting => "waiting",
            Lit::Done => "done",
            Lit::Failed => "failed",
            Lit::NotRun => "not run",
            Lit::NotTaken => "not taken",
        }
    }

    /// A name for styles (the shared page's CSS classes).
    pub fn name(self) -> &'static str {
        match self {
            Lit::Pending => "pending",
            Lit::Running => "running",
            Lit::Waiting => "waiting",
            Lit::Done => "done",
            Lit::Failed => "failed",
            Lit::NotRun => "not-run",
            Lit::NotTaken => "not-taken",
        }
    }

    /// The state event `kind` puts a step in (`was`: its state before).
    fn after(kind: &FlowEventKind, was: Lit) -> Lit {
        match kind {
            FlowEventKind::Asked | FlowEventKind::YourTurn => Lit::Running,
            FlowEventKind::Waiting { .. } | FlowEventKind::DelayStarted { .. } => Lit::Waiting,
            FlowEventKind::Answered
            | FlowEventKind::Completed { .. }
            | FlowEventKind::DelayDone
            | FlowEventKind::DelaySkipped => Lit::Done,
            FlowEventKind::Failed { .. }
            | FlowEventKind::ReportedFailure { .. }
            | FlowEventKind::TimedOut => Lit::Failed,
            FlowEventKind::NotRun { .. }
            | FlowEventKind::Dropped { .. }
            | FlowEventKind::Skipped { .. }
            | FlowEventKind::NotRunLocally { .. }
            | FlowEventKind::RateLimited { passed: false, .. }
            | FlowEventKind::Decided { value: None, .. } => Lit::NotRun,
            FlowEventKind::Decided { value: Some(_), .. }
            | FlowEventKind::RateLimited { passed: true, .. }
            | FlowEventKind::VariablesSet { .. }
            | FlowEventKind::Split { .. } => Lit::Done,
            FlowEventKind::RunSkipped { .. }
            | FlowEventKind::Started
            | FlowEventKind::Finished { .. }
            | FlowEventKind::Scheduled { .. }
            | FlowEventKind::Expired { .. }
            | FlowEventKind::Cancelled
            | FlowEventKind::Refreshed { .. }
            | FlowEventKind::CancelledByProvider => was,
        }
    }
}

/// One step as the lanes (or the tree) show it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryStep {
    /// The box's label: the action's name, or the delay's.
    pub label: String,
    /// Its lane (1: Wix Automations, where delays sit; 2 and on: one per action); in a tree,
    /// its row.
    pub lane: usize,
    pub delay: bool,
    /// Its column, the trigger's being 0: a flow file's step `i` is in column `i + 1`; a
    /// tree's steps by their depth.
    pub col: usize,
    /// In a tree: the step it follows (None: a root, after the trigger).
    pub parent: Option<usize>,
    /// In a tree: which side of its parent it is on ("true", "false", a SPLIT path's name).
    pub side: Option<String>,
    /// Wix's kind for it, in words ("Condition", "Delay"…).
    pub kind: &'static str,
}

/// A card of what the automation knows: a label (`steps · quote · carrier`), its value in
/// words, and whether this beat added it.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub new: bool,
}

/// One beat of the story: one event, as presenter mode shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Beat {
    /// Simulated time.
    pub at: DateTime<Utc>,
    pub caption: String,
    /// The step it is about (None: the run itself).
    pub step: Option<usize>,
    /// Whether the trigger has fired by now.
    pub started: bool,
    /// Every step's state after this beat.
    pub states: Vec<Lit>,
    /// A wait asked for here: its deadline and its length.
    pub wait: Option<(DateTime<Utc>, Duration)>,
    /// Time passed since the beat before, in words, when it is a minute or more ("3 hours
    /// later").
    pub later: Option<String>,
    /// The step is held for the presenter to answer.
    pub your_turn: bool,
    pub cards: Vec<Card>,
}

/// A run told for people who don't read JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Story {
    pub title: String,
    /// "Live run", "Test run", "Manual run", "Rerun".
    pub badge: &'static str,
    /// The trigger's box.
    pub trigger: String,
    /// The swim lanes: the site, Wix Automations, then one per action; in a tree, one label
    /// per row (the path it starts: "if false", a SPLIT path's name).
    pub lanes: Vec<String>,
    /// Drawn as a tree (Wix's automation) rather than lanes.
    pub tree: bool,
    /// How many columns the steps take (the trigger's included).
    pub columns: usize,
    pub steps: Vec<StoryStep>,
    pub beats: Vec<Beat>,
}

impl Story {
    /// The story of a run of `flow` with `events` so far.
    pub fn of(flow: &Flow, events: &[FlowEvent]) -> Story {
        let tree = !flow.tree.is_line();
        let (lanes, steps) = if tree {
            tree_layout(flow)
        } else {
            lane_layout(flow)
        };
        let columns = steps.iter().map(|s| s.col + 1).max().unwrap_or(1);
        let mut states = vec![Lit::Pending; flow.steps.len()];
        let mut started = false;
        let mut beats: Vec<Beat> = Vec::with_capacity(events.len());
        let mut before: Vec<(String, String)> = vec![];
        for (i, ev) in events.iter().enumerate() {
            started |= ev.kind == FlowEventKind::Started;
            if let Some(s) = ev.step.and_then(|s| states.get_mut(s)) {
                *s = Lit::after(&ev.kind, *s);
            }
            for n in not_taken(flow, ev) {
                if let Some(s) = states.get_mut(n)
                    && *s == Lit::Pending
                {
                    *s = Lit::NotTaken;
                }
            }
            let now = cards(&ev.payload);
            let cards = now
                .iter()
                .map(|(label, value)| Card {
                    new: i > 0 && !before.iter().any(|(b, _)| b == label),
                    label: label.clone(),
                    value: value.clone(),
                })
                .collect();
            let later = beats
                .last()
                .map(|b| ev.at - b.at - ev.paused)
                .filter(|d| *d >= Duration::minutes(1))
                .map(|d| format!("{} later", spoken_duration(d)));
            beats.push(Beat {
                at: ev.at,
                caption: ev.caption.clone(),
                step: ev.step,
                started,
                states: states.clone(),
                wait: match &ev.kind {
                    FlowEventKind::Waiting { deadline, wait } => Some((*deadline, *wait)),
                    _ => None,
                },
                later,
                your_turn: ev.kind == FlowEventKind::YourTurn,
                cards,
            });
            before = now;
        }
        Story {
            title: flow.name.clone(),
            badge: match &flow.source {
                FlowSource::Trigger => "Live run",
                FlowSource::TestRun => "Test run",
                FlowSource::Manual => "Manual run",
                FlowSource::Rerun { .. } => "Rerun",
            },
            trigger: flow.trigger.name.clone(),
            lanes,
            tree,
            columns,
            steps,
            beats,
        }
    }

    /// A story with nothing in it, for a run that let its story go.
    pub fn empty() -> Story {
        Story {
            title: String::new(),
            badge: "",
            trigger: String::new(),
            lanes: vec![],
            tree: false,
            columns: 0,
            steps: vec![],
            beats: vec![],
        }
    }

    /// The last beat about step `step` (what clicking its box shows), if it has one.
    pub fn last_beat_of(&self, step: usize) -> Option<usize> {
        self.beats.iter().rposition(|b| b.step == Some(step))
    }
}

/// A flow file's lanes: the site, Wix Automations (delays), then one per action name; a step
/// per column.
fn lane_layout(flow: &Flow) -> (Vec<String>, Vec<StoryStep>) {
    let mut lanes: Vec<String> = vec!["The site".into(), "Wix Automations".into()];
    let steps = flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (label, lane, delay) = match s {
                Step::Action(a) => {
                    let lane = lanes.iter().position(|l| *l == a.name).unwrap_or_else(|| {
                        lanes.push(a.name.clone());
                        lanes.len() - 1
                    });
                    (a.name.clone(), lane, false)
                }
                Step::Delay(d) => (
                    d.name
                        .clone()
                        .unwrap_or_else(|| format!("Wait {}", d.duration)),
                    1,
                    true,
                ),
                // Wix's own logic (conditions, rate limits, splits, variables) sits on its lane.
                other => (other.name(), 1, true),
            };
            StoryStep {
                label,
                lane,
                delay,
                col: i + 1,
                parent: i.checked_sub(1),
                side: None,
                kind: s.kind(),
            }
        })
        .collect();
    (lanes, steps)
}

/// Wix's tree, left to right: each step one column further than the one it follows; the first
/// path to leave a step goes on in its row, each other path opens a row below, labelled with
/// its side ("Check the total · false", a SPLIT path's name). What no root leads to gets a
/// row of its own at the end.
fn tree_layout(flow: &Flow) -> (Vec<String>, Vec<StoryStep>) {
    let t = &flow.tree;
    let n = flow.steps.len();
    let mut steps: Vec<StoryStep> = flow
        .steps
        .iter()
        .map(|s| StoryStep {
            label: s.name(),
            lane: 0,
            delay: !matches!(s, Step::Action(_)),
            col: 1,
            parent: None,
            side: None,
            kind: s.kind(),
        })
        .collect();
    let mut lanes: Vec<String> = vec![String::new()];
    let mut placed = vec![false; n];
    // (step, column, its row: None opens one)
    let mut todo: Vec<(usize, usize, Option<usize>)> = t
        .roots
        .iter()
        .enumerate()
        .rev()
        .map(|(k, r)| (*r, 1, (k == 0).then_some(0)))
        .collect();
    while let Some((i, col, row)) = todo.pop() {
        if i >= n || placed[i] {
            continue;
        }
        placed[i] = true;
        let side = t.side(i).map(|s| match s {
            super::Side::Yes => "true".to_string(),
            super::Side::No => "false".to_string(),
            super::Side::Path(p) => p,
        });
        let row = row.unwrap_or_else(|| {
            lanes.push(match &side {
                Some(s) => format!("{} · {s}", parent_name(flow, i)),
                None => "another root".into(),
            });
            lanes.len() - 1
        });
        let s = &mut steps[i];
        (s.lane, s.col, s.parent, s.side) = (row, col, t.parent[i], side);
        for (k, c) in t.next(i).iter().enumerate().rev() {
            todo.push((*c, col + 1, (k == 0).then_some(row)));
        }
    }
    for (i, s) in steps.iter_mut().enumerate() {
        if !placed[i] {
            lanes.push("not reached from the trigger".into());
            s.lane = lanes.len() - 1;
        }
    }
    (lanes, steps)
}

/// The name of the step `i` follows, for a row's label.
fn parent_name(flow: &Flow, i: usize) -> String {
    flow.tree
        .parent
        .get(i)
        .copied()
        .flatten()
        .and_then(|p| flow.steps.get(p))
        .map(Step::name)
        .unwrap_or_default()
}

/// The steps event `ev` leaves out of the run: a condition's other side, what follows a rate
/// limit that stopped the run, everything when the run is skipped.
fn not_taken(flow: &Flow, ev: &FlowEvent) -> Vec<usize> {
    let tree = &flow.tree;
    let below =
        |ids: &[usize]| -> Vec<usize> { ids.iter().flat_map(|i| tree.subtree(*i)).collect() };
    match (&ev.kind, ev.step.and_then(|s| tree.links.get(s))) {
        (FlowEventKind::Decided { value, .. }, Some(Links::Branch { yes, no })) => match value {
            Some(true) => below(no),
            Some(false) => below(yes),
            None => below(&[yes.as_slice(), no.as_slice()].concat()),
        },
        (FlowEventKind::RateLimited { passed: false, .. }, Some(l))
        | (FlowEventKind::Decided { value: None, .. }, Some(l)) => below(&l.all()),
        (FlowEventKind::RunSkipped { .. }, _) => (0..flow.steps.len()).collect(),
        _ => vec![],
    }
}

/// The payload as friendly key/value pairs (for cards): scalars as text; an object's fields
/// each a card of their own, two levels down (`steps · quote · carrier`), so a step's output
/// shows its values rather than a count of them.
pub fn cards(payload: &Value) -> Vec<(String, String)> {
    let mut out = vec![];
    if let Some(o) = payload.as_object() {
        for (k, v) in o {
            card(&mut out, k.clone(), v, 0);
        }
    }
    out
}

fn card(out: &mut Vec<(String, String)>, label: String, v: &Value, depth: usize) {
    match v {
        Value::Object(inner) if !inner.is_empty() && depth < 2 => {
            for (k, iv) in inner {
                card(out, format!("{label} · {k}"), iv, depth + 1);
            }
        }
        v => out.push((label, friendly(v))),
    }
}

fn friendly(v: &Value) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        // A short list of plain values reads as a list; anything else is counted.
        Value::Array(a) if a.len() <= 4 && a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            if a.is_empty() {
                "none".into()
            } else {
                a.iter().map(friendly).collect::<Vec<_>>().join(", ")
            }
        }
        Value::Array(a) => count(a.len(), "item", "items"),
        Value::Object(o) if o.is_empty() => "—".into(),
        Value::Object(o) => count(o.len(), "field", "fields"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow() -> Flow {
        let text = json!({
            "name": "Sign-up", "source": "testRun",
            "trigger": {"name": "A visitor signs up", "key": "signup", "payload": {"email": "a@b.co"}},
            "steps": [
                {"type": "action", "id": "approve", "name": "Ask the trainer", "actionKey": "trainer-approval"},
                {"type": "delay", "id": "wait", "duration": "2d"},
                {"type": "action", "id": "mail", "name": "Send the email", "actionKey": "send-email"},
                {"type": "action", "id": "again", "name": "Ask the trainer", "actionKey": "trainer-approval"}
            ]
        })
        .to_string();
        super::super::LoadedFlow::parse(&text, None)
            .expect("a flow")
            .flow
    }

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).expect("a time")
    }

    fn ev(h: i64, step: Option<usize>, kind: FlowEventKind, payload: Value) -> FlowEvent {
        FlowEvent {
            at: at(h),
            step,
            kind,
            caption: format!("beat at {h}"),
            payload,
            paused: Duration::zero(),
        }
    }

    #[test]
    fn a_story_has_lanes_states_waits_time_in_words_and_new_cards() {
        let f = flow();
        let start = json!({"email": "a@b.co"});
        let done = json!({"email": "a@b.co", "approve": {"decision": "APPROVED"}});
        let events = vec![
            ev(0, None, FlowEventKind::Started, start.clone()),
            ev(0, Some(0), FlowEventKind::Asked, start.clone()),
            ev(
                0,
                Some(0),
                FlowEventKind::Waiting {
                    deadline: at(24),
                    wait: Duration::days(1),
                },
                start.clone(),
            ),
            ev(
                3,
                Some(0),
                FlowEventKind::Completed {
                    result: json!({"decision": "APPROVED"}),
                },
                done.clone(),
            ),
            ev(3, Some(1), FlowEventKind::DelaySkipped, done.clone()),
            ev(
                3,
                Some(2),
                FlowEventKind::NotRun {
                    reason: "r".into(),
                    what: "x".into(),
                    from: None,
                },
                done.clone(),
            ),
        ];
        let s = Story::of(&f, &events);
        assert_eq!(s.badge, "Test run");
        // One lane per action name: the trainer's second step shares its lane.
        assert_eq!(
            s.lanes,
            vec![
                "The site",
                "Wix Automations",
                "Ask the trainer",
                "Send the email"
            ]
        );
        assert_eq!(
            s.steps.iter().map(|x| x.lane).collect::<Vec<_>>(),
            vec![2, 1, 3, 2]
        );
        assert!(s.steps[1].delay && s.steps[1].label == "Wait 2d");
        assert_eq!(s.beats.len(), 6);
        assert!(!s.beats[0].started || s.beats[0].states.iter().all(|l| *l == Lit::Pending));
        assert_eq!(s.beats[2].states[0], Lit::Waiting);
        assert_eq!(s.beats[2].wait, Some((at(24), Duration::days(1))));
        assert_eq!(s.beats[3].later.as_deref(), Some("3 hours later"));
        assert_eq!(s.beats[2].later, None, "no time passed");
        // The same three hours, two of them spent waiting for the presenter: one hour later.
        let mut paused = events.clone();
        paused[3].paused = Duration::hours(2);
        let p = Story::of(&f, &paused);
        assert_eq!(p.beats[3].later.as_deref(), Some("1 hour later"));
        paused[3].paused = Duration::hours(3);
        assert_eq!(
            Story::of(&f, &paused).beats[3].later,
            None,
            "only the pause"
        );
        assert_eq!(
            s.beats[3].states[..3],
            [Lit::Done, Lit::Pending, Lit::Pending]
        );
        assert_eq!(s.beats[5].states[..3], [Lit::Done, Lit::Done, Lit::NotRun]);
        assert_eq!(Lit::NotRun.word(), "not run");
        let new: Vec<&str> = s.beats[3]
            .cards
            .iter()
            .filter(|c| c.new)
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(
            new,
            vec!["approve · decision"],
            "only what the step added is new"
        );
        assert_eq!(s.last_beat_of(0), Some(3));
        assert_eq!(s.last_beat_of(3), None);
    }

    #[test]
    fn cards_show_an_outputs_values_never_a_count_of_one() {
        let payload = json!({
            "email": "a@example.com",
            "steps": { "quote": { "carrier": "UPS", "amount": 9.9 }, "confirm": { "messageId": "m-1" } },
            "tags": ["vip", "new"],
            "deep": { "a": { "b": { "c": 1 } } },
        });
        let c = cards(&payload);
        let get = |k: &str| c.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str());
        assert_eq!(get("steps · quote · carrier"), Some("UPS"));
        assert_eq!(get("steps · quote · amount"), Some("9.9"));
        assert_eq!(get("steps · confirm · messageId"), Some("m-1"));
        assert_eq!(get("tags"), Some("vip, new"));
        assert_eq!(get("deep · a · b"), Some("1 field"));
        assert!(c.iter().all(|(_, v)| !v.contains("1 fields")), "{c:?}");
    }
}
