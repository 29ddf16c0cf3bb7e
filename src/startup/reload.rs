//! Files that reload themselves: the samples, flows, action definitions and trigger definitions
//! folders are watched (`notify`, debounced) in the window and in `serve`. A file added,
//! changed or removed is read again with the rest of its kind, and what changed is handed to
//! the engine (the schemas the next call is judged by, the triggers reports are judged by), to
//! the automations reported events start, and to whoever subscribed (the window's tabs,
//! `serve`'s printer). A file that no longer loads keeps its last good version in use, its
//! error saying so.

use crate::domain::definition::{Definition, Definitions};
use crate::domain::flow::LoadedFlow;
use crate::domain::sample::{Kept, LoadedSample};
use crate::domain::trigger::{LoadedTrigger, Triggers};
use crate::engine::Engine;
use crate::play::automations::{LocalAutomations, Wake};
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the folders must be quiet before a change is read: an editor's save (write to a
/// temporary file, rename) is one change, and a change shows well within a second.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// The folders watched.
#[derive(Clone, Debug)]
pub struct Folders {
    pub samples: PathBuf,
    pub flows: PathBuf,
    pub actions: PathBuf,
    pub triggers: PathBuf,
}

/// What the folders hold after a change, and which files changed.
#[derive(Clone, Debug)]
pub struct Reloaded {
    /// The `*.json` files that were added, changed or removed, sorted.
    pub changed: Vec<PathBuf>,
    pub definitions: Definitions,
    pub triggers: Arc<Triggers>,
    pub samples: Vec<LoadedSample>,
    pub sample_errors: Vec<String>,
    pub flows: Vec<LoadedFlow>,
    pub flow_errors: Vec<String>,
}

impl Reloaded {
    /// Every error of every kind, with which kind it is.
    pub fn errors(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.definitions
            .errors
            .iter()
            .map(|e| ("action definition", e))
            .chain(self.triggers.errors.iter().map(|e| ("trigger", e)))
            .chain(self.sample_errors.iter().map(|e| ("sample", e)))
            .chain(self.flow_errors.iter().map(|e| ("flow", e)))
    }
}

/// The last good version of each file, by kind.
#[derive(Default)]
struct KeptFiles {
    definitions: Kept<(PathBuf, Definition)>,
    triggers: Kept<LoadedTrigger>,
    samples: Kept<LoadedSample>,
    flows: Kept<Vec<LoadedFlow>>,
}

/// Reads the folders as a start does, keeping each file's last good version.
struct Reader {
    folders: Folders,
    kept: KeptFiles,
}

impl Reader {
    fn read(&mut self, changed: Vec<PathBuf>) -> Reloaded {
        let f = &self.folders;
        let definitions = Definitions::reload_dir(&f.actions, &mut self.kept.definitions);
        let triggers = Triggers::reload_dir(&f.triggers, &mut self.kept.triggers);
        let (mut samples, sample_errors) = if f.samples.is_dir() {
            LoadedSample::reload_dir(&f.samples, &mut self.kept.samples)
        } else {
            (vec![], vec![])
        };
        for s in &mut samples {
            definitions.fill(s);
        }
        let (mut flows, flow_errors) = if f.flows.is_dir() {
            LoadedFlow::reload_dir(&f.flows, &mut self.kept.flows)
        } else {
            (vec![], vec![])
        };
        for flow in &mut flows {
            flow.fill_from(&definitions, &triggers);
        }
        Reloaded {
            changed,
            definitions,
            triggers: Arc::new(triggers),
            samples,
            sample_errors,
            flows,
            flow_errors,
        }
    }
}

type Subscribers = Arc<Mutex<Vec<(Sender<Arc<Reloaded>>, Option<Wake>)>>>;

/// The folders being watched; dropped, the watching stops.
pub struct Watching {
    _debouncer: Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
    subscribers: Subscribers,
}

impl Watching {
    /// Each reload from now on, as it happens; `wake` is called after each (the window
    /// repaints).
    pub fn subscribe(&self, wake: Option<Wake>) -> Receiver<Arc<Reloaded>> {
        let (tx, rx) = channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((tx, wake));
        rx
    }
}

/// Watches `folders` (those that exist; none of their subfolders but the ones named): each
/// change is read and handed to `engine`, to `automations` (the flows folder's), then to the
/// subscribers. The files are read once here to know their last good versions.
pub fn watch(
    folders: Folders,
    engine: Arc<Engine>,
    automations: Option<Arc<LocalAutomations>>,
) -> Result<Watching, String> {
    let mut reader = Reader {
        folders: folders.clone(),
        kept: KeptFiles::default(),
    };
    reader.read(vec![]);
    let subscribers: Subscribers = Arc::default();
    let (tx, rx) = channel::<()>();
    // Any event (or the watcher losing track) is a reason to look; what changed is found by
    // looking.
    let mut debouncer = new_debouncer(DEBOUNCE, move |_: DebounceEventResult| {
        let _ = tx.send(());
    })
    .map_err(|e| format!("cannot watch the files: {e}"))?;
    let mut watched: Vec<PathBuf> = vec![];
    for dir in [
        &folders.samples,
        &folders.flows,
        &folders.actions,
        &folders.triggers,
    ] {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        if dir.is_dir() && !watched.contains(&dir) {
            debouncer
                .watcher()
                .watch(&dir, RecursiveMode::NonRecursive)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
            watched.push(dir);
        }
    }
    let subs = subscribers.clone();
    let mut stamps = stamps_of(&watched);
    std::thread::Builder::new()
        .name("reload".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                // Changes that came while reading are read together.
                while rx.try_recv().is_ok() {}
                // What changed is what the files' sizes and times say, not the events: a file
                // only read (by this very reload, by a test, by a backup) is no change.
                let now = stamps_of(&watched);
                let changed = changed_files(&stamps, &now);
                stamps = now;
                if changed.is_empty() {
                    continue;
                }
                let reloaded = Arc::new(reader.read(changed));
                apply(&engine, automations.as_deref(), &reader.folders, &reloaded);
                let mut subs = subs.lock().unwrap_or_else(|e| e.into_inner());
                subs.retain(|(tx, wake)| {
                    let kept = tx.send(reloaded.clone()).is_ok();
                    if let (true, Some(w)) = (kept, wake) {
                        w();
                    }
                    kept
                });
            }
        })
        .map_err(|e| format!("cannot start the reload thread: {e}"))?;
    Ok(Watching {
        _debouncer: debouncer,
        subscribers,
    })
}

/// Each `*.json` file in the folders (not their subfolders) with its size and modification time
/// (an editor's swap and backup files are not looked at).
type Stamps = std::collections::BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>;

fn stamps_of(folders: &[PathBuf]) -> Stamps {
    let mut stamps = Stamps::new();
    for dir in folders {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            if let Ok(m) = e.metadata()
                && m.is_file()
            {
                stamps.insert(path, (m.len(), m.modified().ok()));
            }
        }
    }
    stamps
}

/// The files added, changed or removed between two looks, sorted.
fn changed_files(before: &Stamps, now: &Stamps) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = now
        .iter()
        .filter(|(p, s)| before.get(*p) != Some(s))
        .map(|(p, _)| p.clone())
        .chain(before.keys().filter(|p| !now.contains_key(*p)).cloned())
        .collect();
    changed.sort();
    changed
}

/// Hands what was read to the engine and the automations.
fn apply(engine: &Engine, automations: Option<&LocalAutomations>, folders: &Folders, r: &Reloaded) {
    engine.replace_file_schemas(&r.definitions, &r.samples);
    engine.set_triggers((*r.triggers).clone());
    if let Some(a) = automations {
        a.replace_folder(&folders.flows, &r.flows);
    }
}

/// Where `path` is, relative to the current folder when it is under it (for a line to read).
pub fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
