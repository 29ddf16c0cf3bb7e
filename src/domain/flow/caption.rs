//! What happened in a run, in plain words: the captions presenter mode and `flow run` show.

use super::{Captions, DateTime, Duration, Flow, Step, Utc, Value, parse_duration};

/// "2d" as "2 days".
pub(super) fn spoken(duration: &str) -> String {
    parse_duration(duration).map_or_else(
        |_| duration.to_string(),
        crate::domain::clock::spoken_duration,
    )
}

/// What happened, for captions and the event stream.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowEventKind {
    Started,
    Asked,
    /// Held for the presenter to answer.
    YourTurn,
    Answered,
    /// `wait`: from the answer to the deadline.
    Waiting {
        deadline: DateTime<Utc>,
        wait: Duration,
    },
    Completed {
        result: Value,
    },
    ReportedFailure {
        description: String,
    },
    Failed {
        reason: String,
    },
    TimedOut,
    DelayStarted {
        until: DateTime<Utc>,
    },
    DelaySkipped,
    DelayDone,
    /// Wix does not run the step (its params fail its input schema).
    NotRun {
        reason: String,
        /// In plain words: what is missing or wrong ("Trainer's decision").
        what: String,
        /// The earlier step that should have given it, by name, when one did.
        from: Option<String>,
    },
    Finished {
        passed: bool,
    },
    /// A scheduled event: the run waits until `at`.
    Scheduled {
        at: DateTime<Utc>,
    },
    /// A scheduled event whose time (`at`) had passed: the run is skipped.
    Expired {
        at: DateTime<Utc>,
    },
    /// The app cancelled the event: the run ends here.
    Cancelled,
    /// After a delay, the trigger provider was asked for the payload as it is now (Refresh
    /// Payload): what came of it, in words.
    Refreshed {
        what: String,
    },
    /// Refresh Payload ended the run: the trigger provider answered `cancelActivation: true`
    /// (or, when that assumption is switched on, the refresh failed).
    CancelledByProvider,
    /// A step that does not run, and why (cancelled, expired).
    Dropped {
        why: String,
    },
    /// A condition decided (None: it failed, and neither path runs); `why` has each
    /// expression's value and what it read.
    Decided {
        value: Option<bool>,
        why: String,
    },
    /// A rate limit let the run on, or stopped it here.
    RateLimited {
        passed: bool,
        why: String,
    },
    /// Variables were set; `values` are what later steps read under `setVariable`.
    VariablesSet {
        values: Value,
    },
    /// A SPLIT: all its paths run.
    Split {
        paths: usize,
    },
    /// An action Wix skips (its skip expression is true): it adds no output.
    Skipped {
        why: String,
    },
    /// A node ActionBench keeps but does not run.
    NotRunLocally {
        why: String,
    },
    /// The run does not start: the trigger's filters did not pass, or its rate limit was hit.
    RunSkipped {
        why: String,
    },
}

impl FlowEventKind {
    /// Its name in headless output (`serve`'s run lines).
    pub fn label(&self) -> &'static str {
        match self {
            FlowEventKind::Started => "started",
            FlowEventKind::Asked => "asked",
            FlowEventKind::YourTurn => "your-turn",
            FlowEventKind::Answered => "answered",
            FlowEventKind::Waiting { .. } => "waiting",
            FlowEventKind::Completed { .. } => "completed",
            FlowEventKind::ReportedFailure { .. } => "reported-failure",
            FlowEventKind::Failed { .. } => "failed",
            FlowEventKind::TimedOut => "timed-out",
            FlowEventKind::DelayStarted { .. } => "delay-started",
            FlowEventKind::DelaySkipped => "delay-skipped",
            FlowEventKind::DelayDone => "delay-done",
            FlowEventKind::NotRun { .. } => "not-run",
            FlowEventKind::Finished { .. } => "finished",
            FlowEventKind::Scheduled { .. } => "scheduled",
            FlowEventKind::Expired { .. } => "expired",
            FlowEventKind::Cancelled => "cancelled",
            FlowEventKind::Refreshed { .. } => "refreshed",
            FlowEventKind::CancelledByProvider => "cancelled-by-provider",
            FlowEventKind::Dropped { .. } => "dropped",
            FlowEventKind::Decided { .. } => "decided",
            FlowEventKind::RateLimited { .. } => "rate-limit",
            FlowEventKind::VariablesSet { .. } => "variables-set",
            FlowEventKind::Split { .. } => "split",
            FlowEventKind::Skipped { .. } => "skipped",
            FlowEventKind::NotRunLocally { .. } => "not-run-locally",
            FlowEventKind::RunSkipped { .. } => "run-skipped",
        }
    }
}

/// The caption for `kind` on step `step` (None: the run itself), from the file or generated.
pub fn caption(flow: &Flow, step: Option<usize>, kind: &FlowEventKind) -> String {
    let s = step.and_then(|i| flow.steps.get(i));
    let own = |pick: fn(&Captions) -> &Option<String>| match s {
        Some(Step::Action(a)) => pick(&a.captions).clone(),
        _ => None,
    };
    let name = s.map_or_else(|| flow.name.clone(), Step::name);
    match kind {
        FlowEventKind::Started => flow
            .trigger
            .caption
            .clone()
            .unwrap_or_else(|| format!("{}: the automation starts", flow.trigger.name)),
        FlowEventKind::Asked => own(|c| &c.asked)
            .or_else(|| match s {
                Some(Step::Action(a)) => a.caption.clone(),
                _ => None,
            })
            .unwrap_or_else(|| format!("Wix asks {name} to run")),
        FlowEventKind::YourTurn => format!("{name} waits for you: answer it in the composer"),
        FlowEventKind::Answered => own(|c| &c.answered)
            .unwrap_or_else(|| format!("{name} is done at once; the automation goes on")),
        FlowEventKind::Waiting { wait, .. } => own(|c| &c.waiting).unwrap_or_else(|| {
            format!(
                "{name} asks Wix to wait up to {}",
                crate::domain::clock::spoken_duration(*wait)
            )
        }),
        FlowEventKind::Completed { .. } => own(|c| &c.completed)
            .unwrap_or_else(|| format!("{name} reports back: done, and the automation goes on")),
        FlowEventKind::ReportedFailure { description } => own(|c| &c.failed).unwrap_or_else(|| {
            format!("{name} reports that it failed ({description}); the automation goes on")
        }),
        FlowEventKind::Failed { reason } => own(|c| &c.failed)
            .unwrap_or_else(|| format!("{name} failed ({reason}); the automation goes on")),
        FlowEventKind::TimedOut => own(|c| &c.timed_out).unwrap_or_else(|| {
            "No answer in time: the step fails and the automation goes on".to_string()
        }),
        FlowEventKind::DelayStarted { until } => match s {
            Some(Step::Delay(d)) if d.wix.is_some() => d.caption.clone().unwrap_or_else(|| {
                format!(
                    "{name}: the automation waits until {}",
                    until.format("%Y-%m-%d %H:%M UTC")
                )
            }),
            Some(Step::Delay(d)) => d
                .caption
                .clone()
                .unwrap_or_else(|| format!("The automation waits {}", spoken(&d.duration))),
            _ => "The automation waits".into(),
        },
        FlowEventKind::DelaySkipped => match s {
            Some(Step::Delay(d)) if d.wix.is_none() => format!(
                "The {} wait is skipped, as this run skips delays",
                spoken(&d.duration)
            ),
            _ => format!("{name} is skipped, as this run skips delays"),
        },
        FlowEventKind::DelayDone => "The wait is over; the automation goes on".into(),
        FlowEventKind::NotRun { what, from, .. } => own(|c| &c.skipped).unwrap_or_else(|| {
            match from {
                Some(step) => format!(
                    "Wix does not run this step: {what} is missing, because \"{step}\" gave no output; the automation goes on"
                ),
                None => format!(
                    "Wix does not run this step: {what} is missing or not valid; the automation goes on"
                ),
            }
        }),
        FlowEventKind::Finished { passed: true } => {
            format!("{}: every step ended as expected", flow.name)
        }
        FlowEventKind::Finished { passed: false } => {
            format!("{}: some steps did not end as expected", flow.name)
        }
        FlowEventKind::Scheduled { at } => format!(
            "The event is scheduled: the automation waits until {}",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        FlowEventKind::Expired { at } => format!(
            "The event's date ({}) has passed: Wix skips the automation",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        FlowEventKind::Cancelled => {
            "Your app cancelled the event: the steps left do not run".to_string()
        }
        FlowEventKind::Refreshed { what } => format!("Refresh Payload: {what}"),
        FlowEventKind::CancelledByProvider => {
            "The run is cancelled after Refresh Payload: the steps left do not run".to_string()
        }
        FlowEventKind::Dropped { why } => format!("{name} does not run: {why}"),
        FlowEventKind::Decided {
            value: Some(v),
            why,
        } => {
            let caption = match s {
                Some(Step::Condition(c)) => c.caption.clone(),
                _ => None,
            };
            caption.unwrap_or_else(|| {
                format!("{name} is {v}: the {v} path runs ({why})")
            })
        }
        FlowEventKind::Decided { value: None, why } => {
            format!("{name} could not decide, so neither path runs: {why}")
        }
        FlowEventKind::RateLimited { passed: true, why } => {
            format!("{name}: {why}; the automation goes on")
        }
        FlowEventKind::RateLimited { passed: false, why } => {
            format!("{name}: {why}; this run stops here (RATE_LIMIT_EXCEEDED)")
        }
        FlowEventKind::VariablesSet { values } => {
            let keys: Vec<String> = values
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            if keys.is_empty() {
                format!("{name} sets no variable")
            } else {
                format!("{name} sets {}", keys.join(", "))
            }
        }
        FlowEventKind::Split { paths } => format!("{name}: all {paths} paths run at once"),
        FlowEventKind::Skipped { why } => {
            format!("{name} is skipped ({why}): it adds no output, and the automation goes on")
        }
        FlowEventKind::NotRunLocally { why } => {
            format!("{name} is not run here: {why}; the steps after it go on")
        }
        FlowEventKind::RunSkipped { why } => format!("Wix skips this run: {why}"),
    }
}
