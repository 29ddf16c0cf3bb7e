//! What the engine is told: how each action key is answered, its schemas, the limits.
//!
//! Methods: `modes`, `default_mode`, `add_samples`, `add_definitions`, `replace_file_schemas`, `set_schemas`, `schemas`,
//! `policy`, `set_policy`; within the engine `keys`, `keys_mut`, `output_schema`,
//! `policy_arc`.

use super::{
    Arc, Assumptions, Duration, Engine, InvokeResponse, JwtConfig, Keys, LoadedSample, Schema,
    Serialize, Value, json,
};

/// The largest body the server reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How a key's calls are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The caller waits for the developer, until the hold deadline.
    Hold,
    /// The saved answer goes at once.
    Auto,
    /// An HTTP error with an `applicationError` body goes at once.
    Fail,
    /// Relayed to the developer's action (the target); its answer is checked and returned.
    Forward,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Hold, Mode::Auto, Mode::Fail, Mode::Forward];
    pub fn label(self) -> &'static str {
        match self {
            Mode::Hold => "hold",
            Mode::Auto => "auto",
            Mode::Fail => "fail",
            Mode::Forward => "forward",
        }
    }
}

/// How one action key is answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub mode: Mode,
    /// The saved answer to Invoke (auto mode, and the fallback when a hold runs out).
    pub answer: Arc<Value>,
    pub fail_status: u16,
    pub fail_code: String,
    /// Forward mode: hold the action's answer in the composer before it goes back.
    pub pause: bool,
}

impl Policy {
    pub fn new(mode: Mode, answer: Value) -> Policy {
        Policy {
            mode,
            answer: Arc::new(answer),
            fail_status: 500,
            fail_code: "ACTION_FAILED".into(),
            pause: false,
        }
    }
}

/// How one call the workbench makes to itself is answered (a flow's step), instead of its key's
/// policy: its own policy, a tag for the log, and how long a hold lasts.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub policy: Option<Arc<Policy>>,
    pub tag: Option<String>,
    pub hold_for: Option<Duration>,
}

/// What the engine starts with.
#[derive(Clone)]
pub struct EngineConfig {
    /// How long a held caller waits before the fallback answer goes.
    pub hold_for: Duration,
    pub jwt: JwtConfig,
    /// The mode of keys nobody set: hold in the window, auto when headless.
    pub default_mode: Mode,
    /// The saved answer of keys nobody set; `None`: IMMEDIATE with the output schema's skeleton.
    pub default_answer: Option<Value>,
    pub default_fail_status: u16,
    /// Where the protocol is not documented: the starting choices (changeable while running).
    pub assumptions: Assumptions,
    /// Read plain Invoke bodies on the borrowed hot path. Off only to compare the two paths
    /// (the property tests) and to measure what the hot path saves.
    pub quick_path: bool,
    /// Bytes of exchanges kept whole in memory when a journal can read the others back (the
    /// log keeps an 8-byte slot for each of those).
    pub memory_budget: usize,
    /// Host names the inbox answers besides loopback ones (`--allow-host`).
    pub allowed_hosts: Vec<String>,
}

/// The default memory budget: 64 MiB of exchanges, about 40,000 calls like the samples'.
pub const MEMORY_BUDGET: usize = 64 << 20;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            hold_for: Duration::seconds(25),
            jwt: JwtConfig::default(),
            default_mode: Mode::Hold,
            default_answer: None,
            default_fail_status: 500,
            assumptions: Assumptions::default(),
            quick_path: true,
            memory_budget: MEMORY_BUDGET,
            allowed_hosts: vec![],
        }
    }
}

/// Schemas and example answer of one action key, from the samples.
#[derive(Clone, Debug, Default)]
pub struct ActionSchemas {
    pub input: Option<Schema>,
    pub output: Option<Schema>,
    pub example_answer: Option<Value>,
}

impl ActionSchemas {
    /// The answer to start from: the sample's example, else IMMEDIATE with the output skeleton.
    pub fn starting_answer(&self) -> Value {
        self.example_answer.clone().unwrap_or_else(|| {
            let result = self
                .output
                .as_ref()
                .map(Schema::skeleton)
                .unwrap_or_else(|| json!({}));
            InvokeResponse::immediate(result).to_value()
        })
    }
}

impl Engine {
    pub(super) fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn keys_mut(&self) -> std::sync::RwLockWriteGuard<'_, Keys> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers the samples' schemas and example answers under their action keys.
    pub fn add_samples(&self, samples: &[LoadedSample]) {
        let mut keys = self.keys_mut();
        for s in samples {
            if let Some(key) = s.sample.action_key() {
                let entry = keys.schemas.entry(key.to_string()).or_default();
                if s.input.is_some() {
                    entry.input.clone_from(&s.input);
                }
                if s.output.is_some() {
                    entry.output.clone_from(&s.output);
                }
                if s.sample.example_answer.is_some() {
                    entry.example_answer.clone_from(&s.sample.example_answer);
                }
            }
        }
    }

    /// The schemas of each action definition in `defs`, by its action key (samples added after
    /// replace them with the schemas they write themselves).
    pub fn add_definitions(&self, defs: &crate::domain::definition::Definitions) {
        let mut keys = self.keys_mut();
        for (_, d) in &defs.loaded {
            if d.kind != crate::domain::definition::DefinitionKind::Definition {
                continue;
            }
            let Some(key) = d.action_key() else { continue };
            let entry = keys.schemas.entry(key.to_string()).or_default();
            if let Some(s) = d.input_schema().and_then(|v| Schema::compile(v).ok()) {
                entry.input = Some(s);
            }
            if let Some(s) = d.output_schema().and_then(|v| Schema::compile(v).ok()) {
                entry.output = Some(s);
            }
        }
    }

    /// The schemas by action key anew from the files, after they changed on disk: the
    /// definitions', then the samples' own (as at start). A key whose files are gone loses its
    /// schemas; a flow run sets its steps' again when it starts.
    pub fn replace_file_schemas(
        &self,
        defs: &crate::domain::definition::Definitions,
        samples: &[LoadedSample],
    ) {
        self.keys_mut().schemas.clear();
        self.add_definitions(defs);
        self.add_samples(samples);
    }

    /// Sets the schemas of `action_key` (a flow's step), replacing any a sample gave.
    pub fn set_schemas(&self, action_key: &str, schemas: ActionSchemas) {
        self.keys_mut()
            .schemas
            .insert(action_key.to_string(), schemas);
    }

    pub fn schemas(&self, action_key: &str) -> ActionSchemas {
        self.keys()
            .schemas
            .get(action_key)
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn output_schema(&self, action_key: Option<&str>) -> Option<Schema> {
        action_key.and_then(|k| self.keys().schemas.get(k).and_then(|s| s.output.clone()))
    }

    /// The key's policy; a key nobody set gets the default, remembered from then on.
    pub(super) fn policy_arc(&self, action_key: &str) -> Arc<Policy> {
        if let Some(p) = self.keys().policies.get(action_key) {
            return p.clone();
        }
        let mut keys = self.keys_mut();
        let answer = self.config.default_answer.clone().unwrap_or_else(|| {
            keys.schemas
                .get(action_key)
                .cloned()
                .unwrap_or_default()
                .starting_answer()
        });
        let mut p = Policy::new(self.config.default_mode, answer);
        p.fail_status = self.config.default_fail_status;
        keys.policies
            .entry(action_key.to_string())
            .or_insert_with(|| Arc::new(p))
            .clone()
    }

    pub fn policy(&self, action_key: &str) -> Policy {
        (*self.policy_arc(action_key)).clone()
    }

    /// The mode of each action key that has one (set, or taken by a call), sorted by key.
    pub fn modes(&self) -> Vec<(String, Mode)> {
        let mut all: Vec<(String, Mode)> = self
            .keys()
            .policies
            .iter()
            .map(|(k, p)| (k.clone(), p.mode))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The mode of keys nobody set.
    pub fn default_mode(&self) -> Mode {
        self.config.default_mode
    }

    pub fn set_policy(&self, action_key: &str, policy: Policy) {
        self.keys_mut()
            .policies
            .insert(action_key.to_string(), Arc::new(policy));
    }
}
