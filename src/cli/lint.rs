//! `actionbench lint FILE… [--published OLD] [--junit FILE]`: every documented rule of Wix's
//! action definitions and trigger definitions checked on each file (an action definition, a
//! sample, a trigger definition, or Wix's automation JSON with the builder's rules and its
//! expressions, told apart by their fields), and with `--published` the
//! edits Wix forbids once an action or trigger is published. One line a finding; exit 0 when
//! there is no error (warnings allowed), 1 when there is one, 2 when it could not run.

use crate::cli::startup::{self, COULD_NOT_RUN, FAILED, PASSED};
use crate::cli::{InboxArgs, LintArgs};
use crate::domain::automation::{self, WixAutomation};
use crate::domain::definition::{self, Definition, Level, LintFinding};
use crate::domain::trigger::{lint as trigger_lint, published};
use serde_json::{Map, Value};
use std::path::Path;

/// A file `lint` reads: an action's definition (or a sample), a trigger's, or Wix's automation
/// JSON (one automation, or a Query answer's several).
enum Linted {
    Action(Definition),
    Trigger(Map<String, Value>),
    Automation(Vec<WixAutomation>),
}

impl Linted {
    fn load(path: &Path) -> Result<Linted, String> {
        if path
            .to_string_lossy()
            .ends_with(crate::domain::flow::wix::SIDE_SUFFIX)
        {
            return Err(format!(
                "{}: a side file, read with the automation beside it: lint that one",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Linted::parse(&text, &path.display().to_string())
    }

    /// `text` as what it is (told apart by its fields), named `name` in what is said of it.
    fn parse(text: &str, name: &str) -> Result<Linted, String> {
        let at = |e: String| format!("{name}: {e}");
        match serde_json::from_str::<Value>(text) {
            Ok(v) if automation::looks_like(&v) => {
                automation::read(&v).map(Linted::Automation).map_err(at)
            }
            Ok(Value::Object(o)) if trigger_lint::is_trigger_definition(&o) => {
                Ok(Linted::Trigger(o))
            }
            _ => Definition::parse(text).map(Linted::Action).map_err(at),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Linted::Action(_) => "an action definition",
            Linted::Trigger(_) => "a trigger definition",
            Linted::Automation(_) => "an automation",
        }
    }

    fn findings(
        &self,
        published: Option<&Linted>,
        known: automation::lint::Known<'_>,
    ) -> Result<Vec<LintFinding>, String> {
        Ok(match (self, published) {
            (Linted::Action(d), None) => definition::lint(d),
            (Linted::Trigger(t), None) => trigger_lint::lint(t),
            (Linted::Automation(all), None) => {
                let many = all.len() > 1;
                all.iter()
                    .enumerate()
                    .flat_map(|(i, a)| {
                        automation::lint::lint(a, known)
                            .into_iter()
                            .map(move |mut f| {
                                if many {
                                    f.path = format!("automations[{i}].{}", f.path);
                                }
                                f
                            })
                    })
                    .collect()
            }
            (Linted::Automation(_), Some(_)) => {
                return Err(
                    "is an automation: --published compares action or trigger definitions".into(),
                );
            }
            (Linted::Action(d), Some(Linted::Action(old))) => {
                let mut f = definition::lint(d);
                f.extend(definition::breaking_changes(old, d));
                f
            }
            (Linted::Trigger(t), Some(Linted::Trigger(old))) => {
                let mut f = trigger_lint::lint(t);
                f.extend(published::published_changes(old, t));
                f
            }
            (this, Some(old)) => {
                return Err(format!(
                    "is {}, and --published is {}: compare like with like",
                    this.kind(),
                    old.kind()
                ));
            }
        })
    }
}

/// What `lint` finds in one definition given as text (`name` says which in errors), against
/// the published one's text when given; an automation's against the definitions `inbox` loads.
pub fn lint_text(
    inbox: &InboxArgs,
    text: &str,
    name: &str,
    published: Option<&str>,
) -> Result<Vec<LintFinding>, String> {
    let linted = Linted::parse(text, name)?;
    let published = published
        .map(|p| Linted::parse(p, "published"))
        .transpose()?;
    let (defs, triggers) = match linted {
        Linted::Automation(_) => (Some(inbox.definitions()), Some(inbox.triggers())),
        _ => (None, None),
    };
    let known = automation::lint::Known {
        definitions: defs.as_ref(),
        triggers: triggers.as_ref(),
    };
    linted
        .findings(published.as_ref(), known)
        .map_err(|e| format!("{name}: {e}"))
}

pub fn run(inbox: &InboxArgs, args: &LintArgs) -> u8 {
    startup::exit_code("lint", run_inner(inbox, args))
}

fn run_inner(inbox: &InboxArgs, args: &LintArgs) -> Result<u8, String> {
    let published = args
        .published
        .as_deref()
        .map(|p| Linted::load(p).map_err(|e| format!("--published {e}")))
        .transpose()?;
    let mut loaded = vec![];
    let mut unreadable = 0;
    for path in &args.files {
        match Linted::load(path) {
            Ok(d) => loaded.push((path, d)),
            Err(e) => {
                eprintln!("actionbench lint: {e}");
                unreadable += 1;
            }
        }
    }
    // An automation's expressions and mappings are checked against the definitions loaded
    // (--actions, --triggers, or the defaults), read only when one is linted.
    let any_automation = loaded
        .iter()
        .any(|(_, l)| matches!(l, Linted::Automation(_)));
    let (defs, triggers) = if any_automation {
        (Some(inbox.definitions()), Some(inbox.triggers()))
    } else {
        (None, None)
    };
    let known = automation::lint::Known {
        definitions: defs.as_ref(),
        triggers: triggers.as_ref(),
    };
    let mut cases = vec![];
    let (mut errors, mut warnings) = (0, 0);
    let mut keys: Vec<(&str, &Path)> = vec![];
    for (path, def) in &loaded {
        let mut findings = def
            .findings(published.as_ref(), known)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if let Linted::Trigger(t) = def
            && let Some(key) = t.get("triggerKey").and_then(Value::as_str)
        {
            if let Some((_, first)) = keys.iter().find(|(k, _)| *k == key) {
                findings.push(trigger_lint::duplicate_key(key, first));
            }
            keys.push((key, path.as_path()));
        }
        for f in &findings {
            println!("{}: {}", path.display(), f.line());
            match f.level {
                Level::Error => errors += 1,
                Level::Warning => warnings += 1,
            }
        }
        cases.push((path.display().to_string(), findings));
    }
    println!(
        "{} checked: {errors} {}, {warnings} {}{}",
        plural(loaded.len(), "file", "files"),
        if errors == 1 { "error" } else { "errors" },
        if warnings == 1 { "warning" } else { "warnings" },
        published.as_ref().map_or(String::new(), |_| {
            ", breaking changes against the published definition included".into()
        })
    );
    if let Some(junit) = &args.junit {
        write_junit(junit, &cases)?;
    }
    Ok(if unreadable > 0 {
        COULD_NOT_RUN
    } else if errors > 0 {
        FAILED
    } else {
        PASSED
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_junit(path: &std::path::Path, cases: &[(String, Vec<LintFinding>)]) -> Result<(), String> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("actionbench lint");
    for (file, findings) in cases {
        let errors: Vec<&LintFinding> = findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .collect();
        let status = match errors.first() {
            None => TestCaseStatus::success(),
            Some(first) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(first.line());
                s.set_description(
                    errors
                        .iter()
                        .map(|f| f.line())
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                s
            }
        };
        let mut case = TestCase::new(file.as_str(), status);
        let notes: Vec<String> = findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .map(LintFinding::line)
            .collect();
        if !notes.is_empty() {
            case.set_system_out(notes.join("\n"));
        }
        suite.add_test_case(case);
    }
    startup::write_junit(path, suite)
}
