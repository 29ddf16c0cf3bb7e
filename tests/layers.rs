//! The house's layers, read from the sources: a layer may import only the layers under it.
//! Every `crate::…` path in a file under `src/` (in `use` lines and in code) names the layer it
//! reaches; a path to a layer the table does not allow fails the test, naming the file, the
//! line and the rule. The same table is in docs/how-it-is-built.md.

use std::path::{Path, PathBuf};

/// Each layer (a folder or file under `src/`) and the layers it may import besides itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("platform", &[]),
    ("engine", &["domain", "platform"]),
    ("journal", &["domain", "engine", "platform"]),
    ("play", &["domain", "engine", "platform"]),
    ("server", &["domain", "engine"]),
    // startup serves what it is handed (a Mount) beside the inbox, and names no layer above.
    (
        "startup",
        &["domain", "engine", "journal", "play", "server", "platform"],
    ),
    (
        "mcp",
        &[
            "domain", "engine", "journal", "play", "server", "startup", "platform", "cli",
        ],
    ),
    (
        "ui",
        &[
            "domain", "engine", "journal", "play", "server", "startup", "platform", "mcp",
        ],
    ),
    (
        "cli",
        &[
            "domain", "engine", "journal", "play", "server", "startup", "platform",
        ],
    ),
];

/// Inside the window: the views may not reach each other or the app.
/// (folder under src/ui, what it may not import)
const UI_RULES: &[(&str, &[&str], &str)] = &[
    (
        "ui/context",
        &["ui::app", "ui::panels", "ui::presenter"],
        "the context imports no view",
    ),
    (
        "ui/presenter",
        &["ui::app", "ui::panels"],
        "a view imports no other view and not the app",
    ),
];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The layer a file is in: its first folder under `src/`, or its name for a file at the top.
fn layer_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// The module a file is: `ui/context/mod.rs` is `ui::context`, `ui/context/core.rs` is
/// `ui::context::core`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" {
            parts.push(stem);
        }
    }
    parts
}

/// Every path a line names, made absolute (`crate::a::b`, and `super::…` from `module`):
/// `["ui", "presenter", "Action"]`. Comments are left out; `use super::*` names nothing.
fn paths(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = vec![];
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts_word = i == 0 || {
            let c = bytes[i - 1] as char;
            !(c.is_alphanumeric() || c == '_' || c == '$' || c == ':')
        };
        let (mut base, mut at): (Vec<String>, usize) = if starts_word && rest.starts_with("crate::")
        {
            (vec![], "crate::".len())
        } else if starts_word && rest.starts_with("super::") {
            let mut m = module.to_vec();
            let mut at = 0;
            while code[i + at..].starts_with("super::") {
                m.pop();
                at += "super::".len();
            }
            (m, at)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        loop {
            let seg: String = code[i + at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if seg.is_empty() {
                break;
            }
            at += seg.len();
            base.push(seg);
            if code[i + at..].starts_with("::") {
                at += 2;
            } else {
                break;
            }
        }
        if !base.is_empty() {
            out.push(base);
        }
        i += at.max(1);
    }
    out
}

/// Whether line `n` of `text` is inside a `#[cfg(test)]` module (tests may reach anywhere).
fn test_lines(text: &str) -> Vec<bool> {
    let mut out = vec![];
    let mut in_tests = false;
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        out.push(in_tests);
    }
    out
}

#[test]
fn no_layer_imports_one_above_it() {
    let mut files = vec![];
    rust_files(&src(), &mut files);
    assert!(files.len() > 50, "the sources were found: {}", files.len());
    let mut broken = vec![];
    for path in &files {
        let rel = path.strip_prefix(src()).expect("under src");
        let layer = layer_of(rel);
        // The crate's root and the binary wire the layers together.
        if layer == "lib" || layer == "main" {
            continue;
        }
        let Some((_, allowed)) = LAYERS.iter().find(|(l, _)| *l == layer) else {
            broken.push(format!(
                "{}: layer {layer:?} is not in the table",
                rel.display()
            ));
            continue;
        };
        let module = module_of(rel);
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(path).expect("readable");
        let tests = test_lines(&text);
        for (n, line) in text.lines().enumerate() {
            if tests[n] {
                break;
            }
            for p in paths(line, &module) {
                let to = p[0].as_str();
                if to != layer && !allowed.contains(&to) {
                    broken.push(format!(
                        "{rel_s}:{}: {layer} imports {}: {layer} may import {allowed:?}",
                        n + 1,
                        p.join("::")
                    ));
                }
                let joined = p.join("::");
                for (folder, banned, rule) in UI_RULES {
                    if rel_s.starts_with(folder) && banned.iter().any(|b| joined.starts_with(b)) {
                        broken.push(format!("{rel_s}:{}: {joined}: {rule}", n + 1));
                    }
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports that run upward:\n{}",
        broken.join("\n")
    );
}

/// No panel imports a sibling panel (or the app): what crosses panels is the context's.
#[test]
fn no_panel_imports_a_sibling_or_the_app() {
    let mut files = vec![];
    rust_files(&src().join("ui/panels"), &mut files);
    let mut broken = vec![];
    for path in &files {
        let rel = path.strip_prefix(src()).expect("under src");
        let module = module_of(rel);
        // ui::panels::NAME…: the panel the file belongs to (none for panels/mod.rs).
        let Some(own) = module.get(2).cloned() else {
            continue;
        };
        let text = std::fs::read_to_string(path).expect("readable");
        let tests = test_lines(&text);
        for (n, line) in text.lines().enumerate() {
            if tests[n] {
                break;
            }
            for p in paths(line, &module) {
                let joined = p.join("::");
                let sibling = p.len() > 3 && p[0] == "ui" && p[1] == "panels" && p[2] != own;
                if sibling || joined.starts_with("ui::app") {
                    broken.push(format!("{}:{}: imports {joined}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "panels that reach a sibling or the app:\n{}",
        broken.join("\n")
    );
}
