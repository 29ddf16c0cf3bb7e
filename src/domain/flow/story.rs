//! What a run tells, computed once and drawn twice (presenter mode in the window, and a run
//! shared as one HTML file): its events with their captions ([`FlowEvent`]), and from them the
//! [`Story`]: the swim lanes, each beat's caption, the state of every step, the wait a step
//! asks for, how much time passed since the beat before ("3 hours later"), and what the
//! automation knows then, as cards, the new ones marked.

use super::{Flow, FlowEventKind, FlowSource, Step};
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
}

/// A step's state as of a beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lit {
    Pending,
    Running,
    Waiting,
    Done,
    Failed,
    /// Wix did not run it (its params failed its input schema).
    NotRun,
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
            FlowEventKind::NotRun { .. } | FlowEventKind::Dropped { .. } => Lit::NotRun,
            FlowEventKind::Started
            | FlowEventKind::Finished { .. }
            | FlowEventKind::Scheduled { .. }
            | FlowEventKind::Expired { .. }
            | FlowEventKind::Cancelled
            | FlowEventKind::Refreshed { .. }
            | FlowEventKind::CancelledByProvider => was,
        }
    }
}

/// One step as the lanes show it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryStep {
    /// The box's label: the action's name, or the delay's.
    pub label: String,
    /// Its lane (1: Wix Automations, where delays sit; 2 and on: one per action).
    pub lane: usize,
    pub delay: bool,
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
    /// The swim lanes: the site, Wix Automations, then one per action.
    pub lanes: Vec<String>,
    pub steps: Vec<StoryStep>,
    pub beats: Vec<Beat>,
}

impl Story {
    /// The story of a run of `flow` with `events` so far.
    pub fn of(flow: &Flow, events: &[FlowEvent]) -> Story {
        let mut lanes: Vec<String> = vec!["The site".into(), "Wix Automations".into()];
        let steps = flow
            .steps
            .iter()
            .map(|s| match s {
                Step::Action(a) => {
                    let lane = lanes.iter().position(|l| *l == a.name).unwrap_or_else(|| {
                        lanes.push(a.name.clone());
                        lanes.len() - 1
                    });
                    StoryStep {
                        label: a.name.clone(),
                        lane,
                        delay: false,
                    }
                }
                Step::Delay(d) => StoryStep {
                    label: d
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("Wait {}", d.duration)),
                    lane: 1,
                    delay: true,
                },
            })
            .collect();
        let mut states = vec![Lit::Pending; flow.steps.len()];
        let mut started = false;
        let mut beats: Vec<Beat> = Vec::with_capacity(events.len());
        let mut before: Vec<(String, String)> = vec![];
        for (i, ev) in events.iter().enumerate() {
            started |= ev.kind == FlowEventKind::Started;
            if let Some(s) = ev.step.and_then(|s| states.get_mut(s)) {
                *s = Lit::after(&ev.kind, *s);
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
                .map(|b| ev.at - b.at)
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
            steps,
            beats,
        }
    }

    /// The last beat about step `step` (what clicking its box shows), if it has one.
    pub fn last_beat_of(&self, step: usize) -> Option<usize> {
        self.beats.iter().rposition(|b| b.step == Some(step))
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
