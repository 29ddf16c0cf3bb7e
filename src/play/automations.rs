//! Local automations: every loaded flow is an automation on its trigger. When an app reports an
//! event (the engine's Report Event stand-in asks through [`crate::engine::Automations`]),
//! each flow switched on for that trigger key starts a run of its own (one activation) with
//! the reported payload; Cancel Event stops the remaining steps of the runs about the same
//! entity. Whoever shows runs (the window, `serve`) subscribes to the runs started.

use crate::domain::flow::LoadedFlow;
use crate::engine::{Engine, ReportedEvent};
use crate::play::automation::{self, EventStart, RunControl, RunHandle, RunOptions};
use crate::play::{Player, Target};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, RwLock};

/// A run an event started, for whoever follows runs.
pub struct StartedRun {
    pub flow: Arc<LoadedFlow>,
    pub handle: RunHandle,
}

/// One loaded flow as an automation: on (answers its trigger) or off.
#[derive(Clone, Debug)]
struct Automation {
    pub flow: Arc<LoadedFlow>,
    pub on: bool,
}

impl Automation {
    /// Whether it runs for an event of trigger `key`: on, and a published automation's flow
    /// (a test run of a draft, a manual run or a rerun is started by hand, not by events).
    fn answers(&self, key: &str) -> bool {
        self.on
            && self.flow.flow.trigger.key == key
            && self.flow.flow.source == crate::domain::flow::FlowSource::Trigger
    }
}

/// A run Cancel Event can reach.
struct Live {
    activation_id: String,
    control: RunControl,
}

/// The runs Cancel Event can reach (those whose event named an `externalEntityId`), by trigger
/// key and entity: a cancel looks at its entity's runs only. Finished runs leave an entity's
/// list when a run joins it or it is cancelled, and all at once when the index has doubled
/// since it was last swept: each run is looked at a few times in all, not once per report.
#[derive(Default)]
struct LiveRuns {
    by_entity: HashMap<String, HashMap<String, Vec<Live>>>,
    /// Runs in the index, finished or not.
    count: usize,
    /// The count at which the next sweep drops every finished run.
    sweep_at: usize,
}

/// The smallest index that is swept.
const SWEEP_FROM: usize = 1024;

impl LiveRuns {
    fn add(&mut self, key: &str, entity: &str, live: Live) {
        let runs = self
            .by_entity
            .entry(key.to_string())
            .or_default()
            .entry(entity.to_string())
            .or_default();
        let before = runs.len();
        runs.retain(|l| !l.control.is_done());
        self.count -= before - runs.len();
        runs.push(live);
        self.count += 1;
        if self.count >= self.sweep_at {
            self.sweep();
        }
    }

    /// Drops every finished run.
    fn sweep(&mut self) {
        let mut count = 0;
        self.by_entity.retain(|_, entities| {
            entities.retain(|_, runs| {
                runs.retain(|l| !l.control.is_done());
                count += runs.len();
                !runs.is_empty()
            });
            if entities.len() * 4 < entities.capacity() {
                entities.shrink_to(entities.len() * 2);
            }
            !entities.is_empty()
        });
        self.count = count;
        self.sweep_at = (count * 2).max(SWEEP_FROM);
    }

    /// Cancels the runs of `key` about `entity` that have not finished: their activation IDs.
    fn cancel(&mut self, key: &str, entity: &str) -> Vec<String> {
        let Some(entities) = self.by_entity.get_mut(key) else {
            return vec![];
        };
        let Some(runs) = entities.get_mut(entity) else {
            return vec![];
        };
        let before = runs.len();
        runs.retain(|l| !l.control.is_done());
        self.count -= before - runs.len();
        let ids = runs
            .iter()
            .map(|l| {
                l.control.cancel();
                l.activation_id.clone()
            })
            .collect();
        if runs.is_empty() {
            entities.remove(entity);
        }
        ids
    }
}

/// Where a wake-up goes (the window repaints).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The automations and the runs they started.
pub struct LocalAutomations {
    rt: tokio::runtime::Handle,
    engine: Arc<Engine>,
    player: Player,
    /// Where steps answered by your action go.
    target: Arc<RwLock<Option<Target>>>,
    /// Every action step goes to the target (`serve --target`), as `flow run --target` does.
    all_to_target: bool,
    flows: RwLock<Vec<Automation>>,
    live: Mutex<LiveRuns>,
    started: Mutex<Option<Sender<StartedRun>>>,
    wake: RwLock<Option<Wake>>,
}

impl LocalAutomations {
    /// Automations for `flows` (each on as its file says), started on `rt`; and made the
    /// engine's.
    pub fn install(
        rt: tokio::runtime::Handle,
        engine: Arc<Engine>,
        player: Player,
        target: Arc<RwLock<Option<Target>>>,
        all_to_target: bool,
        flows: &[LoadedFlow],
    ) -> Arc<LocalAutomations> {
        let a = Arc::new(LocalAutomations {
            rt,
            engine: engine.clone(),
            player,
            target,
            all_to_target,
            flows: RwLock::new(
                flows
                    .iter()
                    .map(|f| Automation {
                        on: f.flow.trigger.active,
                        flow: Arc::new(f.clone()),
                    })
                    .collect(),
            ),
            live: Mutex::default(),
            started: Mutex::default(),
            wake: RwLock::default(),
        });
        engine.set_automations(Some(a.clone()));
        a
    }

    /// The runs events start from now on (one subscriber: a new one replaces the last).
    pub fn subscribe(&self) -> Receiver<StartedRun> {
        let (tx, rx) = channel();
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Called after each event of a run started here (the window repaints).
    pub fn set_wake(&self, wake: Option<Wake>) {
        *self.wake.write().unwrap_or_else(|e| e.into_inner()) = wake;
    }

    /// How many flows are automations (on or off).
    pub fn count(&self) -> usize {
        self.flows.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the flow named `name` is on (None: no such automation). Cheap enough for every
    /// frame: nothing is copied.
    pub fn is_on(&self, name: &str) -> Option<bool> {
        self.flows
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|a| a.flow.flow.name == name)
            .map(|a| a.on)
    }

    /// Switches the flow named `name` on or off.
    pub fn set_on(&self, name: &str, on: bool) {
        let mut flows = self.flows.write().unwrap_or_else(|e| e.into_inner());
        for a in flows.iter_mut().filter(|a| a.flow.flow.name == name) {
            a.on = on;
        }
    }

    /// Adds a flow (opened from a file) as an automation, on as its file says; a flow with the
    /// same name is replaced.
    pub fn add(&self, flow: LoadedFlow) {
        let flow = Arc::new(flow);
        let mut flows = self.flows.write().unwrap_or_else(|e| e.into_inner());
        flows.retain(|a| a.flow.flow.name != flow.flow.name);
        flows.push(Automation {
            on: flow.flow.trigger.active,
            flow,
        });
    }

    /// The flows of `folder` anew after its files changed: each flow read from there is
    /// replaced by `flows` (an automation switched on or off in the window stays so, by name);
    /// flows opened from elsewhere stay. Runs already going keep the flow they started with.
    pub fn replace_folder(&self, folder: &std::path::Path, flows: &[LoadedFlow]) {
        let mut all = self.flows.write().unwrap_or_else(|e| e.into_inner());
        let was: std::collections::HashMap<String, bool> = all
            .iter()
            .map(|a| (a.flow.flow.name.clone(), a.on))
            .collect();
        let from_folder = |f: &LoadedFlow| {
            f.path
                .as_deref()
                .is_some_and(|p| p.parent() == Some(folder))
        };
        all.retain(|a| !from_folder(&a.flow));
        for f in flows {
            let on = was
                .get(&f.flow.name)
                .copied()
                .unwrap_or(f.flow.trigger.active);
            all.push(Automation {
                on,
                flow: Arc::new(f.clone()),
            });
        }
    }

    fn start_one(&self, flow: &Arc<LoadedFlow>, event: &ReportedEvent) -> (String, RunHandle) {
        let activation_id = uuid::Uuid::new_v4().to_string();
        let before = flow
            .flow
            .trigger
            .before
            .as_deref()
            .and_then(|b| crate::domain::flow::parse_duration(b).ok())
            .unwrap_or_else(chrono::Duration::zero);
        let target = self
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let wake = self.wake.read().unwrap_or_else(|e| e.into_inner()).clone();
        let handle = automation::start(
            &self.rt,
            self.engine.clone(),
            self.player.clone(),
            flow.clone(),
            RunOptions {
                all_to: target.clone().filter(|_| self.all_to_target),
                target,
                step_by_step: false,
                wake,
                event: Some(EventStart {
                    activation_id: activation_id.clone(),
                    payload: event.payload.clone(),
                    external_entity_id: event.external_entity_id.clone(),
                    starts_at: event.scheduled_for.map(|at| at - before),
                    reported_in: event.exchange,
                }),
            },
        );
        (activation_id, handle)
    }
}

impl crate::engine::Automations for LocalAutomations {
    fn knows(&self, key: &str) -> bool {
        self.flows
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|a| a.flow.flow.trigger.key == key)
    }

    fn start(&self, event: ReportedEvent) -> Vec<(String, String)> {
        let flows: Vec<Arc<LoadedFlow>> = self
            .flows
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|a| a.answers(&event.trigger_key))
            .map(|a| a.flow.clone())
            .collect();
        let mut out = vec![];
        for flow in flows {
            let (id, handle) = self.start_one(&flow, &event);
            // Only a run about an entity can be cancelled: only those are kept.
            if let Some(entity) = &event.external_entity_id {
                let live = Live {
                    activation_id: id.clone(),
                    control: handle.control(),
                };
                self.live.lock().unwrap_or_else(|e| e.into_inner()).add(
                    &event.trigger_key,
                    entity,
                    live,
                );
            }
            out.push((id, flow.flow.name.clone()));
            let subscriber = self.started.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(tx) = subscriber.as_ref() {
                let _ = tx.send(StartedRun { flow, handle });
            }
        }
        if let Some(w) = self.wake.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            w();
        }
        out
    }

    fn cancel(&self, key: &str, entity: &str) -> Vec<String> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cancel(key, entity)
    }
}
