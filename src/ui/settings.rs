//! What the window remembers between runs, kept in eframe's storage as JSON: your action's
//! settings, each key's mode and saved answer, the protocol assumptions, the theme, the time
//! warp and the panel shown (egui keeps panel sizes itself). Every field has a default, so an
//! older or damaged settings file gives a warning and the defaults, never a crash.

use crate::domain::assumptions::Assumptions;
use crate::engine::{Mode, Policy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The key in eframe's storage.
pub const KEY: &str = "actionbench-settings";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    pub target: TargetSettings,
    pub keys: BTreeMap<String, KeySettings>,
    pub assumptions: Option<Assumptions>,
    /// Host names the inbox answers besides loopback ones (a tunnel's).
    pub allowed_hosts: Vec<String>,
    /// None: follow the system.
    pub dark: Option<bool>,
    pub warp: u32,
    /// "samples" or "flows".
    pub panel: String,
    /// The inbox's port, as last given with --port (the window listens there when no --port
    /// is given).
    pub port: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TargetSettings {
    pub base: String,
    pub app_id: String,
    pub instance_id: String,
    pub jwt: bool,
    pub timeout_secs: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeySettings {
    pub mode: Mode,
    /// None: the key's current saved answer stays.
    pub answer: Option<Value>,
    pub fail_status: u16,
    pub fail_code: String,
    pub pause: bool,
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings::from(&Policy::new(Mode::Hold, serde_json::json!({})))
    }
}

impl From<&Policy> for KeySettings {
    fn from(p: &Policy) -> Self {
        KeySettings {
            mode: p.mode,
            answer: Some((*p.answer).clone()),
            fail_status: p.fail_status,
            fail_code: p.fail_code.clone(),
            pause: p.pause,
        }
    }
}

impl KeySettings {
    /// The policy these settings make of `current` (the key's policy now).
    pub fn policy(&self, current: &Policy) -> Policy {
        Policy {
            mode: self.mode,
            answer: match &self.answer {
                Some(a) => Arc::new(a.clone()),
                None => current.answer.clone(),
            },
            fail_status: if (400..=599).contains(&self.fail_status) {
                self.fail_status
            } else {
                500
            },
            fail_code: self.fail_code.clone(),
            pause: self.pause,
        }
    }
}

/// The settings eframe stored for the window, read before the window exists (the port is
/// needed to start the inbox first): eframe keeps a RON map of strings in `app.ron` in its
/// storage folder.
pub fn stored_before_start() -> Option<Settings> {
    let path = eframe::storage_dir(APP_ID)?.join("app.ron");
    stored_in(&path)
}

/// The window's settings in an eframe storage file, if it holds any that decode.
pub fn stored_in(path: &std::path::Path) -> Option<Settings> {
    let text = std::fs::read_to_string(path).ok()?;
    let map: std::collections::HashMap<String, String> = ron::from_str(&text).ok()?;
    let (settings, problem) = decode(map.get(KEY).map(String::as_str));
    problem.is_none().then_some(settings)
}

/// The name eframe keeps the window's storage under.
pub const APP_ID: &str = "ActionBench";

/// The port the window listens on: --port, else the saved one, else the default.
pub fn choose_port(given: Option<u16>, saved: Option<u16>) -> (u16, bool) {
    match (given, saved) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p, true),
        (None, None) => (crate::startup::DEFAULT_PORT, false),
    }
}

/// Reads stored settings: the defaults and why, when they do not decode.
pub fn decode(raw: Option<&str>) -> (Settings, Option<String>) {
    match raw {
        None => (Settings::default(), None),
        Some(text) => match serde_json::from_str::<Settings>(text) {
            Ok(s) => (s, None),
            Err(e) => (
                Settings::default(),
                Some(format!(
                    "the saved settings could not be read ({e}); starting from the defaults"
                )),
            ),
        },
    }
}
