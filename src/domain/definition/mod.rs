//! Action definitions (Wix's action configuration: `actionKey`, `displayName`, `description`,
//! `inputSchema`, `outputSchema`, `uiSchema`) and the rules Wix applies to them: what it
//! refuses or rewrites on save (lint), and what it forbids once an action is published
//! (breaking changes). Each finding names the place as a JSON path, the rule, why it matters
//! and the source of the rule. Pure data and rules: no IO beyond reading a file.

use serde_json::{Map, Value};
use std::path::Path;

/// Where the rules come from (protocol.md, "Action definitions and their schemas").
pub const SOURCE_INPUT_SCHEMA: &str =
    "dev.wix.com/docs/rest/business-management/automations/actions/the-action-input-schema";
pub const SOURCE_ACTION_OBJECT: &str =
    "dev.wix.com/docs/rest/business-management/automations/actions/action-catalog/action-object";
/// The actions introduction: what an action is, and that its key cannot change once saved.
pub const SOURCE_ACTIONS_INTRO: &str =
    "dev.wix.com/docs/rest/business-management/automations/actions/about-actions";
pub const SOURCE_EDITING: &str = "wix-rest-docs input_schema.md, \"Editing a saved input schema\"";
pub const SOURCE_IMPLIED: &str = "Wix's own output schemas (draft-07, root object, a title on each property): implied, not documented";

/// What a file holds: an action definition, or a sample (which carries schemas too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    Definition,
    Sample,
}

/// A definition or a sample, read as JSON.
#[derive(Clone, Debug)]
pub struct Definition {
    pub kind: DefinitionKind,
    pub value: Map<String, Value>,
}

impl Definition {
    /// Reads `path`: an error (for exit code 2) when it cannot be read, is not JSON, or is
    /// neither a definition (`actionKey` and `inputSchema`) nor a sample (`request`).
    pub fn load(path: &Path) -> Result<Definition, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Definition::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Definition, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(o) = v else {
            return Err("not an action definition: a JSON object is expected".into());
        };
        if super::findings::is_trigger_definition(&o) {
            return Err(
                "a trigger definition (it has triggerKey or payloadSchema), not an action's: triggers belong in triggers/ (lint takes both)"
                    .into(),
            );
        }
        let kind = if o.contains_key("actionKey") || o.contains_key("displayName") {
            DefinitionKind::Definition
        } else if o.contains_key("request")
            && (o.contains_key("inputSchema") || o.contains_key("outputSchema"))
        {
            DefinitionKind::Sample
        } else {
            return Err(
                "not an action definition (no actionKey) nor a sample with schemas (no request and inputSchema)"
                    .into(),
            );
        };
        Ok(Definition { kind, value: o })
    }

    pub fn action_key(&self) -> Option<&str> {
        match self.kind {
            DefinitionKind::Definition => self.value.get("actionKey").and_then(Value::as_str),
            DefinitionKind::Sample => self
                .value
                .get("request")
                .and_then(|r| r.get("actionKey"))
                .and_then(Value::as_str),
        }
    }

    pub fn input_schema(&self) -> Option<&Value> {
        self.value.get("inputSchema")
    }

    pub fn output_schema(&self) -> Option<&Value> {
        self.value.get("outputSchema")
    }

    /// The name site owners see: `displayName`, else the key.
    pub fn display_name(&self) -> String {
        self.value
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| self.action_key().map(str::to_string))
            .unwrap_or_default()
    }

    /// An Invoke sample of the action (empty params, its schemas), for sending generated calls.
    pub fn to_sample(&self, path: Option<&Path>) -> Result<super::sample::LoadedSample, String> {
        let key = self.action_key().ok_or("no actionKey")?.to_string();
        let sample = super::sample::Sample {
            name: self.display_name(),
            description: format!("generated calls of {key}"),
            method: super::wire::Method::Invoke,
            request: serde_json::json!({ "actionKey": key, "actionParams": {},
                "activationContext": { "activationId": "generated", "invocationToken": "generated" } }),
            metadata: Default::default(),
            input_schema: self.input_schema().cloned(),
            output_schema: self.output_schema().cloned(),
            example_answer: None,
            extra: Default::default(),
        };
        super::sample::LoadedSample::new(sample, path.map(Path::to_path_buf))
    }
}

/// The action definitions in a folder, where each came from, and the files that failed.
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    pub loaded: Vec<(std::path::PathBuf, Definition)>,
    pub errors: Vec<String>,
}

impl Definitions {
    /// Every `*.json` in `dir` (none when it does not exist).
    pub fn load_dir(dir: &Path) -> Definitions {
        if !dir.is_dir() {
            return Definitions::default();
        }
        let (loaded, errors) = super::sample::load_json_files(dir, |p| {
            Definition::load(p).map(|d| (p.to_path_buf(), d))
        });
        Definitions { loaded, errors }
    }

    /// [`Definitions::load_dir`] again, keeping the last good version of a file that no longer
    /// loads.
    pub fn reload_dir(
        dir: &Path,
        kept: &mut super::sample::Kept<(std::path::PathBuf, Definition)>,
    ) -> Definitions {
        if !dir.is_dir() {
            kept.clear();
            return Definitions::default();
        }
        let (loaded, errors) = super::sample::load_json_files_keeping(
            dir,
            |p| Definition::load(p).map(|d| (p.to_path_buf(), d)),
            kept,
        );
        Definitions { loaded, errors }
    }

    /// Gives `sample` the schemas it does not write from the definition of its action key (a
    /// schema written in the sample wins), and says so in its `schemas_from`.
    pub fn fill(&self, sample: &mut super::sample::LoadedSample) {
        let this = sample;
        let Some(key) = this.sample.action_key() else {
            return;
        };
        let Some((path, def)) = self.find(key) else {
            return;
        };
        let mut took = false;
        if this.sample.input_schema.is_none()
            && let Some(s) = def.input_schema()
            && let Ok(compiled) = super::schema::Schema::compile(s)
        {
            this.sample.input_schema = Some(s.clone());
            this.params_findings = this
                .sample
                .request
                .get("actionParams")
                .map(|p| super::contract::check_action_params(p, &compiled))
                .unwrap_or_default();
            this.input = Some(compiled);
            took = true;
        }
        if this.sample.output_schema.is_none()
            && let Some(s) = def.output_schema()
            && let Ok(compiled) = super::schema::Schema::compile(s)
        {
            this.sample.output_schema = Some(s.clone());
            this.output = Some(compiled);
            took = true;
        }
        if took {
            this.schemas_from = Some(path.to_path_buf());
        }
    }

    /// The definition of `action_key`, and its file.
    pub fn find(&self, action_key: &str) -> Option<(&Path, &Definition)> {
        self.loaded
            .iter()
            .find(|(_, d)| {
                d.kind == DefinitionKind::Definition && d.action_key() == Some(action_key)
            })
            .map(|(p, d)| (p.as_path(), d))
    }
}

mod breaking;
pub(crate) mod lint;

pub(crate) use super::findings::each_property;
pub use super::findings::{Level, LintFinding};

pub use breaking::breaking_changes;
pub use lint::lint;

/// The keywords that compose schemas, which Wix does not check for breaking changes.
const COMPOSITION: [&str; 3] = ["allOf", "anyOf", "oneOf"];
