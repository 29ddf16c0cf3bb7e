//! The one start-up path below the window and the command line: from the options every way of
//! starting shares ([`InboxArgs`]) and what that way needs ([`Plan`]), the engine, the session
//! journal, samples, definitions and flows, the signing key, the player and the relay of
//! forward mode, and the inbox listening ([`Started`]). The window, `serve`, `check`,
//! `check --generate`, `flow run` and the window's tests all start here.

mod options;
pub mod reload;
pub mod shipped;

pub use options::{DEFAULT_PORT, InboxArgs};

use crate::domain::clock::{Clock, SystemClock};
use crate::engine::{Engine, EngineConfig, Mode};
use crate::server::{self, ServerHandle, StartError};
use std::sync::Arc;

/// Whether a way of starting records a session journal, and where when `--session` is not
/// given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journaling {
    Off,
    /// `--session` when given, else none (`check` and `flow run`: an agent's run_check reads
    /// back what its child recorded).
    Given,
    /// `--session`, else a scratch journal in the temp folder, removed on stop (`serve`: its
    /// memory stays within the budget however long it runs).
    GivenOrScratch,
    /// `--session` (a page ActionBench shared opens read-only), else a new session in the
    /// data folder (the window).
    GivenOrNew,
}

/// Whether ActionBench's signing key is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    Off,
    /// Loaded or made; a refused key is said, not fatal (the window shows it).
    Optional,
    /// Loaded or made; a refused key stops the start.
    Required,
}

/// Where forward mode relays calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relay {
    Off,
    /// To the target the window (or a test) sets in [`Started::target`].
    Shared,
    /// To `--target`, which is then needed (`serve --answer forward`).
    Flags,
}

/// Whether loaded flows answer the events apps report (local automations), and where their
/// steps answered by your action go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Automate {
    Off,
    /// To the target the window sets in [`Started::target`].
    Shared,
    /// Every action step to `--target` when it is given (`serve`), as `flow run --target`.
    Flags,
}

/// Where the inbox listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    Off,
    /// On this port; with `fallback`, a port that is taken gives way to the default one, else
    /// any free one, saying so (the window's saved port).
    Port {
        port: u16,
        fallback: bool,
    },
}

/// What a way of starting needs beyond the options.
pub struct Plan {
    /// How calls of keys nobody set are answered.
    pub mode: Mode,
    /// The engine's clock (the system's; tests hand in a manual one).
    pub clock: Arc<dyn Clock>,
    /// Changes to the engine's configuration after the options' (serve's `--answer`).
    pub configure: Box<dyn FnOnce(&mut EngineConfig)>,
    pub journal: Journaling,
    /// Load the samples folder (each sample filled from its action's definition).
    pub samples: bool,
    /// Load the flows folder, and `--present`.
    pub flows: bool,
    pub key: KeyUse,
    pub relay: Relay,
    pub listen: Listen,
    /// Flows answer reported events (needs `flows`).
    pub automate: Automate,
    /// What goes to `--target` (runs of [`Automate::Flags`], the relay of [`Relay::Flags`]) is
    /// signed as Wix signs it (RS256, ActionBench's key, addressed to `--app-id`): an action on
    /// Wix's SDK refuses anything else. Needs the key ([`KeyUse::Required`]) and `--app-id`.
    pub sign: bool,
    /// Watch the samples, flows, definitions and triggers folders, and reload what changes
    /// ([`reload`]).
    pub watch: bool,
    /// Routes to serve beside the inbox's (the MCP server's `/mcp`), made once the rest has
    /// started: the window, `serve` and `mcp` hand one in; startup knows only [`Mount`].
    pub mount: Option<Mounting>,
}

/// Routes served beside the inbox's, and what they keep: made by whoever starts (the MCP
/// server's `/mcp`), so that startup knows nothing of what they serve.
pub trait Mount: Send + Sync {
    /// The routes, to serve beside the inbox's (made again if the port is tried twice).
    fn router(self: Arc<Self>) -> axum::Router;
    /// The inbox listens at `url` (`http://127.0.0.1:4010`).
    fn listening(&self, url: &str);
    /// The inbox is stopping: end what would hold it open (an agent's open stream).
    fn stop(&self);
    /// How many clients are connected to the routes now (the window's top bar shows it).
    fn connected(&self) -> Connected;
}

/// Makes the mount from what has started and the options.
pub type Mounting = Box<dyn FnOnce(&Started, &InboxArgs) -> Arc<dyn Mount>>;

/// How many clients are connected: a plain count the window can hold without knowing the
/// protocol.
#[derive(Clone, Debug, Default)]
pub struct Connected(Arc<std::sync::atomic::AtomicUsize>);

impl Connected {
    pub fn now(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn add(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn remove(&self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Plan {
    /// A plan with nothing on but the engine in `mode` on the system clock.
    pub fn new(mode: Mode) -> Plan {
        Plan {
            mode,
            clock: Arc::new(SystemClock),
            configure: Box::new(|_| {}),
            journal: Journaling::Off,
            samples: false,
            flows: false,
            key: KeyUse::Off,
            relay: Relay::Off,
            listen: Listen::Off,
            automate: Automate::Off,
            sign: false,
            watch: false,
            mount: None,
        }
    }
}

impl Plan {
    /// The window's plan, listening as `listen` says: the engine in hold mode, a session (a new
    /// one, or a shared page read-only), samples, flows answering reported events, the signing
    /// key if it can be had, and the relay to the target the window sets. Its tests and bench
    /// start the same way, changing only what they must.
    pub fn window(listen: Listen) -> Plan {
        Plan {
            journal: Journaling::GivenOrNew,
            samples: true,
            flows: true,
            key: KeyUse::Optional,
            relay: Relay::Shared,
            automate: Automate::Shared,
            watch: true,
            listen,
            ..Plan::new(Mode::Hold)
        }
    }
}

/// The session journal a start opened: where, what reopening restored, and whether it is a
/// shared page opened to read.
#[derive(Clone, Debug)]
pub struct Session {
    pub path: std::path::PathBuf,
    pub restored: usize,
    /// Lines that could not be read (a torn last line after a crash…).
    pub warnings: Vec<String>,
    /// A page ActionBench shared, opened to read: nothing is recorded to it.
    pub read_only: bool,
}

/// The target forward mode relays to, shared with whoever sets it.
pub type SharedTarget = Arc<std::sync::RwLock<Option<crate::play::Target>>>;

/// What a start started.
pub struct Started {
    pub engine: Arc<Engine>,
    pub rt: tokio::runtime::Runtime,
    pub definitions: crate::domain::definition::Definitions,
    pub samples: Vec<crate::domain::sample::LoadedSample>,
    /// Sample files that could not be read, and why.
    pub sample_errors: Vec<String>,
    pub flows: Vec<crate::domain::flow::LoadedFlow>,
    pub flow_errors: Vec<String>,
    /// `--present`'s flow.
    pub present: Option<crate::domain::flow::LoadedFlow>,
    pub session: Option<Session>,
    /// The open journal, when one records.
    pub journal: Option<Arc<crate::journal::Journal>>,
    /// The scratch journal's path, to remove when stopping.
    pub scratch: Option<std::path::PathBuf>,
    /// The signing key's public half, or why there is none (with [`KeyUse::Optional`]).
    pub public_key: Result<String, String>,
    pub player: crate::play::Player,
    /// Where forward mode relays (with [`Relay::Shared`]: set it; with [`Relay::Flags`]: set).
    pub target: SharedTarget,
    pub handle: Option<ServerHandle>,
    /// The flows as automations answering reported events (with [`Plan::automate`]).
    pub automations: Option<Arc<crate::play::automations::LocalAutomations>>,
    /// Trigger definition files that could not be read, and why.
    pub trigger_errors: Vec<String>,
    /// The routes served beside the inbox's (the MCP server's `/mcp`), once it listens.
    pub mounted: Option<Arc<dyn Mount>>,
    /// Things to say about where it listens (another address than loopback, a saved port
    /// that was taken).
    pub notes: Vec<String>,
    /// The folders watched for changes (with [`Plan::watch`]).
    pub watching: Option<Arc<reload::Watching>>,
}

impl Started {
    /// The inbox's URL (`http://127.0.0.1:4010`), when it listens.
    pub fn url(&self) -> Option<String> {
        self.handle.as_ref().map(|h| format!("http://{}", h.addr))
    }

    /// Stops the inbox, answering held calls first (within `deadline`), and writes the
    /// journal; a scratch journal is removed.
    pub fn stop(&mut self, deadline: std::time::Duration) {
        // Reported events start nothing more (and the engine lets go of the automations);
        // changed files are not read any more.
        self.engine.set_automations(None);
        self.watching = None;
        // Agents' HTTP sessions end (their streams would hold the server open).
        if let Some(m) = &self.mounted {
            m.stop();
        }
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.stop(deadline));
        }
        if let Some(j) = &self.journal {
            j.sync();
        }
        if let Some(path) = self.scratch.take() {
            self.journal = None;
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(crate::journal::index_path(&path));
        }
    }
}

/// Starts what `plan` asks for, as `args` describe it. An address that is refused is said
/// before any session file is opened.
pub fn start(args: &InboxArgs, plan: Plan) -> Result<Started, String> {
    if let Listen::Port { port, .. } = plan.listen {
        server::check_bind(args.bind, port, args.allow_remote).map_err(|e| e.to_string())?;
    }
    let relay_target = match plan.relay {
        Relay::Flags => Some(
            args.target(plan.sign, crate::play::caller::DEFAULT_TIMEOUT)?
                .ok_or("--answer forward needs --target URL: where to relay the calls")?,
        ),
        _ => None,
    };
    let mut config = args.engine_config(plan.mode)?;
    (plan.configure)(&mut config);
    let engine = Engine::new(config, plan.clock);
    let triggers = args.triggers();
    let trigger_errors = triggers.errors.clone();
    engine.set_triggers(triggers);
    let definitions = args.definitions();
    // Each key's calls are judged with its action definition's schemas.
    engine.add_definitions(&definitions);
    // As Runtime::new, and each thread going idle gives back freed memory when asked
    // (`platform::give_back_when_idle`: after an agent's burst of tool calls).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(crate::platform::on_idle)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (session, journal, scratch) = open_session(args, plan.journal, &engine)?;
    let (samples, sample_errors) = if plan.samples {
        args.load_samples()
    } else {
        (vec![], vec![])
    };
    engine.add_samples(&samples);
    let (flows, flow_errors, present) = if plan.flows {
        load_flows(args, &definitions, &engine.triggers())?
    } else {
        (vec![], vec![], None)
    };
    let (public_key, signer) = signing_key(args, plan.key)?;
    let player = crate::play::Player::new(engine.clone(), signer);
    let target: SharedTarget = Arc::new(std::sync::RwLock::new(relay_target));
    if plan.relay != Relay::Off {
        engine.set_relay(Some(Arc::new(crate::play::Forwarder::new(
            player.clone(),
            target.clone(),
        ))));
    }
    let automations = match plan.automate {
        Automate::Off => None,
        how => {
            let (to, all) = match how {
                Automate::Flags => (
                    Arc::new(std::sync::RwLock::new(
                        args.target(plan.sign, crate::play::caller::DEFAULT_TIMEOUT)?,
                    )),
                    true,
                ),
                _ => (target.clone(), false),
            };
            Some(crate::play::automations::LocalAutomations::install(
                rt.handle().clone(),
                engine.clone(),
                player.clone(),
                to,
                all,
                &flows,
            ))
        }
    };
    let mut started = Started {
        engine,
        rt,
        definitions,
        samples,
        sample_errors,
        flows,
        flow_errors,
        present,
        session,
        journal,
        scratch,
        public_key,
        player,
        target,
        handle: None,
        automations,
        trigger_errors,
        mounted: None,
        notes: vec![],
        watching: None,
    };
    if plan.watch {
        let folders = reload::Folders {
            samples: args.samples_dir(),
            flows: args.flows_dir(),
            actions: args.actions_dir(),
            triggers: args.triggers_dir(),
        };
        match reload::watch(folders, started.engine.clone(), started.automations.clone()) {
            Ok(w) => started.watching = Some(Arc::new(w)),
            // Everything else works: said, not fatal.
            Err(e) => started
                .notes
                .push(format!("{e}: edited files are read at the next start")),
        }
    }
    if let Listen::Port { port, fallback } = plan.listen
        && let Err(e) = listen(args, &mut started, port, fallback, plan.mount)
    {
        // What could not start leaves nothing behind (a scratch journal goes with it).
        started.stop(std::time::Duration::ZERO);
        return Err(e);
    }
    Ok(started)
}

/// A new scratch journal's path in the temp folder: one no file has. Killed, serve leaves its
/// scratch journal for the system's temp cleaning; named by the process id alone, a later serve
/// given the same id reopened a dead one's journal and started with its exchanges (seen as a
/// serve that stopped with one call more than it was sent).
fn scratch_path() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir();
    for _ in 0..8 {
        let p = dir.join(format!(
            "actionbench-serve-{}-{}.jsonl",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        if !p.exists() && !crate::journal::index_path(&p).exists() {
            return Ok(p);
        }
    }
    Err(format!(
        "no new scratch journal could be named in {}",
        dir.display()
    ))
}

/// The session journal the plan asks for: what it restored, the journal, and a scratch path.
type Opened = (
    Option<Session>,
    Option<Arc<crate::journal::Journal>>,
    Option<std::path::PathBuf>,
);

fn open_session(
    args: &InboxArgs,
    journaling: Journaling,
    engine: &Engine,
) -> Result<Opened, String> {
    let (path, scratch) = match (journaling, &args.session) {
        (Journaling::Off, _) => return Ok((None, None, None)),
        (_, Some(p)) => (Some(p.clone()), None),
        (Journaling::Given, None) => return Ok((None, None, None)),
        (Journaling::GivenOrScratch, None) => {
            let p = scratch_path()?;
            (Some(p.clone()), Some(p))
        }
        (Journaling::GivenOrNew, None) => (crate::journal::new_session_path(), None),
    };
    let Some(path) = path else {
        return Ok((None, None, None));
    };
    // A shared page opens read-only (in the window): its calls are shown, nothing recorded.
    if journaling == Journaling::GivenOrNew && crate::journal::is_shared_page(&path) {
        let (restored, warnings) = crate::journal::open_read_only(engine, &path)?;
        let session = Session {
            path,
            restored,
            warnings,
            read_only: true,
        };
        return Ok((Some(session), None, None));
    }
    let o = crate::journal::attach(engine, &path)?;
    let session = Session {
        path: o.journal.path().to_path_buf(),
        restored: o.restored,
        warnings: o.warnings,
        read_only: false,
    };
    Ok((Some(session), Some(o.journal), scratch))
}

/// The flows folder's flows and `--present`'s, each taking the schemas its steps do not write
/// from the definitions.
type Flows = (
    Vec<crate::domain::flow::LoadedFlow>,
    Vec<String>,
    Option<crate::domain::flow::LoadedFlow>,
);

fn load_flows(
    args: &InboxArgs,
    defs: &crate::domain::definition::Definitions,
    triggers: &crate::domain::trigger::Triggers,
) -> Result<Flows, String> {
    use crate::domain::flow::LoadedFlow;
    let (mut flows, errors) = match args.flows_dir() {
        d if d.is_dir() => LoadedFlow::load_dir(&d),
        _ => (vec![], vec![]),
    };
    for f in &mut flows {
        f.fill_from(defs, triggers);
    }
    let mut present = args.present.as_deref().map(LoadedFlow::load).transpose()?;
    if let Some(f) = &mut present {
        f.fill_from(defs, triggers);
    }
    Ok((flows, errors, present))
}

/// The signing key as the plan wants it: its public half (or why not) and a signer.
type Key = (Result<String, String>, Option<Arc<crate::play::Signer>>);

fn signing_key(args: &InboxArgs, key: KeyUse) -> Result<Key, String> {
    if key == KeyUse::Off {
        return Ok((Err("no signing key was asked for".into()), None));
    }
    // Made on first use; with KeyUse::Optional a refused key file (readable by others) is
    // said, not fatal.
    let loaded = args
        .key_dir()
        .and_then(|dir| crate::play::keys::load_or_create(&dir));
    let loaded = match (loaded, key) {
        (Err(e), KeyUse::Required) => return Err(e),
        (l, _) => l,
    };
    let public = loaded
        .as_ref()
        .map(|k| k.public_pem.clone())
        .map_err(Clone::clone);
    let signer = match loaded.map(|k| crate::play::Signer::from_key(&k)) {
        Ok(Ok(s)) => Some(Arc::new(s)),
        Ok(Err(e)) if key == KeyUse::Required => return Err(e),
        _ => None,
    };
    Ok((public, signer))
}

/// The inbox listening on `--bind` and `port`; with `fallback`, a taken port gives way to the
/// default one, else any free one, and a note says so.
fn listen(
    args: &InboxArgs,
    started: &mut Started,
    port: u16,
    fallback: bool,
    mount: Option<Mounting>,
) -> Result<(), String> {
    let mount = mount.map(|m| m(started, args));
    let at = |port: u16| -> Result<ServerHandle, StartError> {
        let addr = server::check_bind(args.bind, port, args.allow_remote)?;
        let routes = mount.clone().map(|m| m.router());
        started
            .rt
            .block_on(server::start_with(started.engine.clone(), addr, routes))
    };
    let handle = match at(port) {
        Ok(h) => h,
        Err(e) if fallback => {
            let h = match at(DEFAULT_PORT) {
                Ok(h) => h,
                Err(_) => at(0).map_err(|e| e.to_string())?,
            };
            started.notes.push(format!(
                "the saved port {port} could not be used ({e}): listening on {} instead",
                h.addr.port()
            ));
            h
        }
        Err(e) => return Err(e.to_string()),
    };
    if !handle.addr.ip().is_loopback() {
        started.notes.insert(
            0,
            format!(
                "listening on {}: other machines can call the inbox",
                handle.addr.ip()
            ),
        );
    }
    if let Some(m) = &mount {
        m.listening(&format!("http://{}", handle.addr));
    }
    started.handle = Some(handle);
    started.mounted = mount;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A scratch journal is always a new file: never one a dead serve with the same process id
    /// left behind.
    #[test]
    fn a_scratch_journal_is_never_a_file_that_exists() {
        let first = super::scratch_path().expect("a path");
        assert!(!first.exists());
        std::fs::write(&first, "{}\n").expect("write");
        let second = super::scratch_path().expect("a path");
        assert_ne!(first, second);
        assert!(!second.exists());
        let old =
            std::env::temp_dir().join(format!("actionbench-serve-{}.jsonl", std::process::id()));
        assert_ne!(second, old, "not named by the process id alone");
        let _ = std::fs::remove_file(&first);
    }
}
