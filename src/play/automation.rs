//! Running a flow: one activation, step by step, through the same engine as everything else.
//! A step the workbench answers is a call the workbench makes to itself (`Engine::intake_as`,
//! with the step's saved answer, or held for the presenter); a step the developer's action
//! answers goes out through the [`Player`]. Either way the invocation lives in the engine's log,
//! waits by token, and is completed by a report or timed out by the (warpable) clock. The run
//! watches it there and tells what happens as [`FlowEvent`]s, with captions.

pub use crate::domain::flow::{FlowEvent, cards};
use crate::domain::flow::{FlowRun, LoadedFlow, Step};
use crate::engine::Engine;
use crate::play::Player;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

// How a run is driven lives with the runner that reads it; named here too, as before.
pub use crate::play::run::{EventStart, RunOptions};

/// What anyone may do to a run besides reading its events: cancel it as the app's Cancel
/// Event does, stop it, read its state.
#[derive(Clone)]
pub struct RunControl {
    state: Arc<Mutex<FlowRun>>,
    cancel: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    advance: Arc<tokio::sync::Notify>,
}

impl RunControl {
    /// Cancels the steps that have not started (a step already asked ends as its action
    /// says), as Cancel Event does.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
        // Every branch waiting for Space, and the next one to wait.
        self.advance.notify_waiters();
        self.advance.notify_one();
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// A finished run lets go of its payloads and results, keeping its steps' summary
    /// ([`FlowRun::let_go_of_data`]); a run still going is left as it is.
    pub fn let_go_of_data(&self) {
        if self.is_done() {
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .let_go_of_data();
        }
    }

    /// The run's state now (a copy).
    pub fn snapshot(&self) -> FlowRun {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A run in progress: its events, and what anyone may do to it ([`RunControl`], through
/// `Deref`), besides advancing and stopping it.
pub struct RunHandle {
    pub events: Receiver<FlowEvent>,
    control: RunControl,
    stop: Arc<AtomicBool>,
}

impl std::ops::Deref for RunHandle {
    type Target = RunControl;
    fn deref(&self) -> &RunControl {
        &self.control
    }
}

impl RunHandle {
    /// A handle on the run without its events (to cancel it, to read its state).
    pub fn control(&self) -> RunControl {
        self.control.clone()
    }

    /// Lets a step-by-step run take its next step.
    pub fn advance(&self) {
        self.control.advance.notify_one();
    }

    /// Stops the run at its next look (a step already asked stays in the log as it is).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.control.advance.notify_waiters();
        self.control.advance.notify_one();
    }
}

/// Starts `flow` on `rt` as a new activation.
pub fn start(
    rt: &tokio::runtime::Handle,
    engine: Arc<Engine>,
    player: Player,
    flow: impl Into<Arc<LoadedFlow>>,
    options: RunOptions,
) -> RunHandle {
    let flow: Arc<LoadedFlow> = flow.into();
    let (tx, rx) = channel();
    // The engine judges each step's answers and reports against the step's own schemas.
    for (step, schemas) in flow.flow.steps.iter().zip(&flow.schemas) {
        if let (Step::Action(a), Some(s)) = (step, schemas) {
            engine.set_schemas(
                &a.action_key,
                crate::engine::ActionSchemas {
                    input: s.input.clone(),
                    output: s.output.clone(),
                    example_answer: s.example_answer.clone(),
                },
            );
        }
    }
    let mut run = match &options.event {
        Some(e) => FlowRun::new(flow, e.activation_id.clone()),
        None => FlowRun::new(flow, uuid::Uuid::new_v4().to_string()),
    };
    let payload = options.event.as_ref().map_or_else(
        || run.flow.flow.trigger.payload.clone(),
        |e| e.payload.clone(),
    );
    run.start_with(payload);
    if let Some(e) = &options.event {
        run.external_entity_id = e.external_entity_id.clone();
        run.reported_in = Some(e.reported_in);
    }
    let state = Arc::new(Mutex::new(run));
    let advance = Arc::new(tokio::sync::Notify::new());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let cancel = Arc::new(AtomicBool::new(false));
    let runner = crate::play::run::Runner {
        engine,
        player,
        options,
        state: state.clone(),
        tx,
        advance: advance.clone(),
        stop: stop.clone(),
        cancel: cancel.clone(),
        provider_cancelled: Mutex::new(None),
        paused: Mutex::new(chrono::Duration::zero()),
    };
    let finished = done.clone();
    rt.spawn(async move {
        runner.run().await;
        finished.store(true, Ordering::Release);
        if let Some(w) = &runner.options.wake {
            w();
        }
    });
    RunHandle {
        events: rx,
        control: RunControl {
            state,
            cancel,
            done,
            advance,
        },
        stop,
    }
}
