//! The README and the manual in `docs/` hold together: every link reaches a file (and, where it
//! names one, a heading there), every picture is there, and every `actionbench` command in a
//! shell example parses as the command line parses it, the shipped files it names present. The
//! examples that need nothing running (`lint`, `flow run` without `--target`) are run as
//! written, in a scratch folder, and must succeed.

use actionbench::cli::Cli;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod common;
use common::TempDir;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every page of the manual, with their text.
fn pages() -> Vec<(PathBuf, String)> {
    let mut paths = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is there")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 10, "the manual has its pages: {docs:?}");
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a page reads");
            (p, text)
        })
        .collect()
}

/// The text outside fenced code blocks, line by line (numbered from 1).
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// The targets of the Markdown links and images on `line`: what stands in `](…)`.
fn link_targets(line: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

/// A heading's anchor as GitHub makes it: lower case, spaces to `-`, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    prose(text)
        .into_iter()
        .filter(|(_, l)| l.starts_with('#'))
        .map(|(_, l)| anchor(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_and_picture_in_the_readme_and_the_manual_is_there() {
    let mut checked = 0;
    let mut broken = vec![];
    for (page, text) in pages() {
        let dir = page.parent().expect("a folder");
        for (n, line) in prose(&text) {
            for target in link_targets(line) {
                if target.starts_with("http://") || target.starts_with("https://") {
                    continue;
                }
                checked += 1;
                let (file, heading) = target.split_once('#').unwrap_or((target, ""));
                let file = if file.is_empty() {
                    page.clone()
                } else {
                    dir.join(file)
                };
                let at = format!("{}:{n}: {target}", page.display());
                let Ok(body) = std::fs::read(&file) else {
                    broken.push(format!("{at}: no such file"));
                    continue;
                };
                if !heading.is_empty() {
                    let body = String::from_utf8_lossy(&body);
                    if !anchors(&body).iter().any(|a| a == heading) {
                        broken.push(format!("{at}: no heading makes #{heading}"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked >= 30,
        "only {checked} links found: the reader is broken"
    );
}

#[test]
fn the_readme_fits_and_links_every_page_of_the_manual() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(lines <= 300, "the README is {lines} lines (at most 300)");
    for (page, _) in pages().into_iter().skip(1) {
        let name = page.file_name().expect("a name").to_string_lossy();
        if name == "README.md" {
            continue;
        }
        assert!(
            readme.contains(&format!("(docs/{name})")),
            "the README does not link docs/{name}"
        );
    }
    for command in ["cargo run --release", "cargo test"] {
        assert!(
            readme.contains(&format!("\n{command} ")),
            "the README states `{command}`"
        );
    }
}

/// One command of a shell example: where it stands and its words.
struct Example {
    at: String,
    words: Vec<String>,
}

/// The `actionbench` commands in the shell examples (`cargo run --release -- ARGS` is one
/// too), continuations joined, comments dropped, `dir/*.json` expanded against the checkout.
fn examples() -> Vec<Example> {
    let mut out = vec![];
    for (page, text) in pages() {
        let mut in_sh = false;
        let mut joined = String::new();
        let mut start = 0;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with("```") {
                in_sh = !in_sh && t == "```sh";
                continue;
            }
            if !in_sh {
                continue;
            }
            if joined.is_empty() {
                start = i + 1;
            }
            let code = match t.find(" #") {
                Some(c) if !t.starts_with('#') => &t[..c],
                _ if t.starts_with('#') => "",
                _ => t,
            };
            if let Some(part) = code.strip_suffix('\\') {
                joined.push_str(part);
                joined.push(' ');
                continue;
            }
            joined.push_str(code);
            let command = std::mem::take(&mut joined);
            let command = command.trim();
            let args = if let Some(rest) = command.strip_prefix("actionbench") {
                rest
            } else if let Some(rest) = command.strip_prefix("cargo run --release") {
                rest.trim_start().strip_prefix("--").unwrap_or(rest)
            } else {
                continue;
            };
            let at = format!("{}:{start}", page.display());
            assert!(
                !args.contains(['\'', '"', '[', ']', '|']),
                "{at}: an example with quotes, brackets or pipes is not checked here: {command}"
            );
            let mut words = vec!["actionbench".to_string()];
            for w in args.split_whitespace() {
                words.extend(expand(w, &at));
            }
            out.push(Example { at, words });
        }
    }
    out
}

/// `w`, or the files its `*` matches in the checkout (at least one).
fn expand(w: &str, at: &str) -> Vec<String> {
    let Some((dir, pattern)) = w.rsplit_once('/').filter(|(_, p)| p.contains('*')) else {
        return vec![w.to_string()];
    };
    let (head, tail) = pattern.split_once('*').expect("a star");
    let mut found: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{at}: {dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(head) && n.ends_with(tail))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "{at}: {w} matches nothing");
    found
}

#[test]
fn every_actionbench_command_in_the_examples_parses_and_names_files_that_are_there() {
    let examples = examples();
    assert!(
        examples.len() >= 12,
        "only {} commands found in the examples: the reader is broken",
        examples.len()
    );
    for ex in &examples {
        if let Err(e) = Cli::try_parse_from(&ex.words) {
            panic!("{}: {:?} does not parse:\n{e}", ex.at, ex.words);
        }
        for w in ex.words.iter().filter(|w| w.starts_with("samples/")) {
            assert!(root().join(w).exists(), "{}: {w} is not shipped", ex.at);
        }
    }
}

/// Runs `words` with the built binary in `dir`, shipped paths made whole; `limit` bounds it.
fn run(words: &[String], dir: &Path, limit: Duration) -> (Option<i32>, String) {
    let args: Vec<String> = words[1..]
        .iter()
        .map(|w| {
            if w.starts_with("samples/") {
                root().join(w).to_string_lossy().into_owned()
            } else {
                w.clone()
            }
        })
        .collect();
    // Read as it comes (a talkative example never blocks on a full pipe), within `limit`.
    common::run_in(
        Command::new(env!("CARGO_BIN_EXE_actionbench"))
            .args(&args)
            .arg("--samples")
            .arg(root().join("samples"))
            .current_dir(dir),
        limit,
    )
}

#[test]
fn the_examples_that_need_nothing_running_succeed_as_written() {
    let runnable: Vec<Example> = examples()
        .into_iter()
        .filter(|ex| {
            let w = &ex.words;
            let lint =
                w.get(1).is_some_and(|s| s == "lint") && !w.iter().any(|s| s == "--published");
            let flow = w.get(1..3).is_some_and(|s| s == ["flow", "run"])
                && !w.iter().any(|s| s == "--target");
            lint || flow
        })
        .collect();
    assert!(
        runnable.len() >= 3,
        "lint and flow run examples are found: {}",
        runnable.len()
    );
    for ex in runnable {
        let dir = TempDir::new("docs");
        std::fs::create_dir_all(dir.path()).expect("dir");
        let (code, out) = run(&ex.words, dir.path(), Duration::from_secs(90));
        assert_eq!(code, Some(0), "{}: {:?} failed:\n{out}", ex.at, ex.words);
        if let Some(i) = ex.words.iter().position(|w| w == "--share") {
            let page = dir.path().join(&ex.words[i + 1]);
            let html = std::fs::read_to_string(&page)
                .unwrap_or_else(|e| panic!("{}: {} was not written: {e}", ex.at, page.display()));
            assert!(
                html.contains("<html"),
                "{}: the shared page is a page",
                ex.at
            );
        }
    }
}
