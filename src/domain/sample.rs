//! Samples: saved requests, with the action's schemas, that can be replayed.

use super::contract::{Finding, check_action_params};
use super::schema::Schema;
use super::wire::{InvokeRequest, Metadata, Method, Object, from_value_at};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A sample file, as documented in the README. Only `request` is required (what the protocol
/// needs); `name` defaults to the file's name, `description` to nothing, `method` to invoke.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_method")]
    pub method: Method,
    /// The method's request (for invoke: `actionKey`, `actionParams`, `activationContext`).
    pub request: Value,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// A typical answer, to start the composer from instead of the output schema's skeleton.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_answer: Option<Value>,
    #[serde(flatten)]
    pub extra: Object,
}

fn default_method() -> Method {
    Method::Invoke
}

/// A sample with its compiled schemas and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedSample {
    pub sample: Sample,
    pub path: Option<PathBuf>,
    pub input: Option<Schema>,
    pub output: Option<Schema>,
    /// The params against the input schema, checked once at load: Wix would not send a sample
    /// with any of these.
    pub params_findings: Vec<Finding>,
    /// Where schemas the sample does not write came from: an action definition's file.
    pub schemas_from: Option<PathBuf>,
}

impl Sample {
    pub fn parse(text: &str) -> Result<Sample, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        if !v.is_object() {
            return Err(format!(
                "a sample is a JSON object with at least \"request\", got {}",
                super::wire::json_type(&v)
            ));
        }
        let mut s: Sample = from_value_at(&v)?;
        if !s.request.is_object() {
            return Err("request must be an object".into());
        }
        if s.name.trim().is_empty() {
            s.name = s
                .action_key()
                .map_or_else(|| s.method.label().to_string(), str::to_string);
        }
        if s.method == Method::Invoke {
            s.invoke_request()?;
        }
        Ok(s)
    }

    pub fn action_key(&self) -> Option<&str> {
        self.request.get("actionKey").and_then(Value::as_str)
    }

    pub fn invoke_request(&self) -> Result<InvokeRequest, String> {
        from_value_at(&self.request).map_err(|e| format!("request: {e}"))
    }

    /// The body to send: `{request, metadata}`. With `fresh_ids`, the activation, invocation
    /// token and request ID are new, as they are on every real run.
    pub fn envelope(&self, fresh_ids: bool) -> Value {
        let mut request = self.request.clone();
        let mut metadata = serde_json::to_value(&self.metadata).unwrap_or_default();
        if fresh_ids {
            let id = uuid::Uuid::new_v4();
            if let Some(ctx) = request
                .get_mut("activationContext")
                .and_then(Value::as_object_mut)
            {
                if ctx.contains_key("activationId") {
                    ctx.insert("activationId".into(), Value::String(id.to_string()));
                }
                if ctx.contains_key("invocationToken") {
                    ctx.insert(
                        "invocationToken".into(),
                        Value::String(format!("tok-{}", uuid::Uuid::new_v4())),
                    );
                }
            }
            if let Some(m) = metadata.as_object_mut() {
                m.insert(
                    "requestId".into(),
                    Value::String(uuid::Uuid::new_v4().to_string()),
                );
            }
        }
        serde_json::json!({ "request": request, "metadata": metadata })
    }
}

impl LoadedSample {
    pub fn new(sample: Sample, path: Option<PathBuf>) -> Result<LoadedSample, String> {
        let compile = |s: &Option<Value>, what: &str| {
            s.as_ref()
                .map(|v| Schema::compile(v).map_err(|e| format!("{what}: {e}")))
                .transpose()
        };
        let input = compile(&sample.input_schema, "inputSchema")?;
        let output = compile(&sample.output_schema, "outputSchema")?;
        let params_findings = match (&input, sample.request.get("actionParams")) {
            (Some(schema), Some(params)) => check_action_params(params, schema),
            _ => vec![],
        };
        Ok(LoadedSample {
            sample,
            path,
            input,
            output,
            params_findings,
            schemas_from: None,
        })
    }

    pub fn load(path: &Path) -> Result<LoadedSample, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut sample = Sample::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        // A sample without a name is called by its file.
        let named = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("name")
                    .and_then(Value::as_str)
                    .map(|n| !n.trim().is_empty())
            })
            .unwrap_or(false);
        if !named && let Some(stem) = path.file_stem() {
            sample.name = stem.to_string_lossy().into_owned();
        }
        LoadedSample::new(sample, Some(path.to_path_buf()))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every `*.json` in `dir`, sorted by file name; files that fail are returned as errors.
    pub fn load_dir(dir: &Path) -> (Vec<LoadedSample>, Vec<String>) {
        load_json_files(dir, LoadedSample::load)
    }

    /// [`LoadedSample::load_dir`] again, keeping the last good version of a file that no
    /// longer loads.
    pub fn reload_dir(
        dir: &Path,
        kept: &mut Kept<LoadedSample>,
    ) -> (Vec<LoadedSample>, Vec<String>) {
        load_json_files_keeping(dir, LoadedSample::load, kept)
    }
}

/// `load` applied to every `*.json` file in `dir` (not its folders), by file name: what
/// loaded, and what did not, with why. Samples and flows are read this way.
pub fn load_json_files<T>(
    dir: &Path,
    load: impl Fn(&Path) -> Result<T, String>,
) -> (Vec<T>, Vec<String>) {
    let mut paths = match json_files(dir) {
        Ok(p) => p,
        Err(e) => return (vec![], vec![e]),
    };
    paths.sort();
    let (mut ok, mut errs) = (vec![], vec![]);
    for p in paths {
        match load(&p) {
            Ok(s) => ok.push(s),
            Err(e) => errs.push(e),
        }
    }
    (ok, errs)
}

/// The last version of each file that loaded, by path: what a reload keeps when a file that
/// loaded before no longer does (the developer is halfway through an edit).
pub type Kept<T> = std::collections::BTreeMap<PathBuf, T>;

/// What is said after the reason a file that loaded before does not load now.
pub const KEPT_NOTE: &str = "its last good version is still in use";

/// [`load_json_files`] again after the files changed: a file that loads replaces its kept
/// version; one that no longer loads keeps it, its error saying so ([`KEPT_NOTE`]); a file
/// gone is forgotten.
pub fn load_json_files_keeping<T: Clone>(
    dir: &Path,
    load: impl Fn(&Path) -> Result<T, String>,
    kept: &mut Kept<T>,
) -> (Vec<T>, Vec<String>) {
    let mut paths = match json_files(dir) {
        Ok(p) => p,
        Err(e) => {
            kept.clear();
            return (vec![], vec![e]);
        }
    };
    paths.sort();
    kept.retain(|p, _| paths.contains(p));
    let (mut ok, mut errs) = (vec![], vec![]);
    for p in paths {
        match load(&p) {
            Ok(s) => {
                kept.insert(p, s.clone());
                ok.push(s);
            }
            Err(e) => match kept.get(&p) {
                Some(last) => {
                    ok.push(last.clone());
                    errs.push(format!("{e} ({KEPT_NOTE})"));
                }
                None => errs.push(e),
            },
        }
    }
    (ok, errs)
}

/// The `*.json` files in `dir` (not its folders), unsorted.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => Ok(rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
            .collect()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}
