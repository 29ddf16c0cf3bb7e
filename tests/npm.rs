//! Installed as a JavaScript developer installs it: the test build's binary packed as the
//! linux-x64 npm package by `scripts/pack-npm`, installed with the main package from the
//! tarballs into an empty prefix with npm, offline, and run through the launcher npm put on the
//! PATH: the version, lint, a bad argument, and serve answering a call and stopping cleanly on
//! SIGTERM sent to the launcher.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to its end within `deadline`, its output read as it comes.
fn run(cmd: &mut Command, deadline: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => out.expect("ran"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("gave up after {deadline:?} waiting for {cmd:?}");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The packages packed and installed into `prefix`: the installed command's path.
fn install(dir: &Path) -> PathBuf {
    let tarballs = dir.join("tarballs");
    let out = run(
        Command::new(root().join("scripts/pack-npm"))
            .arg("--binary")
            .arg(format!("linux-x64={}", env!("CARGO_BIN_EXE_actionbench")))
            .arg("--out")
            .arg(&tarballs),
        Duration::from_secs(240),
    );
    assert!(
        out.status.success(),
        "pack-npm: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let packed: Vec<PathBuf> = text(&out.stdout).lines().map(PathBuf::from).collect();
    let version = env!("CARGO_PKG_VERSION");
    let main = tarballs.join(format!("actionbench-{version}.tgz"));
    let platform = tarballs.join(format!("actionbench-linux-x64-{version}.tgz"));
    assert_eq!(
        packed,
        vec![platform.clone(), main.clone()],
        "the tarballs, named by Cargo's version"
    );
    let prefix = dir.join("prefix");
    // Offline, from the tarballs only, with a cache of its own: nothing comes from a registry.
    let out = run(
        Command::new("npm")
            .args([
                "install",
                "--global",
                "--offline",
                "--no-audit",
                "--no-fund",
            ])
            .arg("--prefix")
            .arg(&prefix)
            .arg("--cache")
            .arg(dir.join("npm-cache"))
            .arg(&main)
            .arg(&platform),
        Duration::from_secs(240),
    );
    assert!(
        out.status.success(),
        "npm install: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let installed = prefix.join("bin/actionbench");
    assert!(
        installed.exists(),
        "npm put actionbench on the prefix's PATH"
    );
    installed
}

/// The installed command, run in `dir` with a home of its own (the shipped samples are written
/// into its data folder there, as on a user's machine).
fn command(installed: &Path, dir: &Path) -> Command {
    let mut c = Command::new(installed);
    let home = dir.join("home");
    c.current_dir(dir)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    c
}

#[test]
fn the_npm_packages_install_offline_and_the_installed_command_runs() {
    if !have_tool("npm", "to pack and install the npm packages") {
        return;
    }
    let dir = TempDir::new("npm");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let installed = install(dir.path());
    let limit = Duration::from_secs(60);

    let out = run(command(&installed, dir.path()).arg("--version"), limit);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("actionbench {}", env!("CARGO_PKG_VERSION"))
    );

    let shipped = root().join("samples/actions/send-email.json");
    let out = run(
        command(&installed, dir.path()).arg("lint").arg(&shipped),
        limit,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 errors"));

    let out = run(command(&installed, dir.path()).arg("--no-such-flag"), limit);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad argument: {}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("--no-such-flag"));

    // serve through the launcher: it answers a call, and SIGTERM to the launcher stops it as
    // it stops itself (the stopped line last, exit 0).
    let mut serve = command(&installed, dir.path())
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(serve.stdout.take().expect("stdout")).lines();
    let listening: Value = serde_json::from_str(&lines.next().expect("a line").expect("read"))
        .expect("the listening line");
    assert_eq!(listening["event"], "listening");
    // Without a samples folder here, the shipped samples are loaded from the user's data folder.
    assert!(
        listening["samples"].as_u64().is_some_and(|n| n >= 5),
        "the shipped samples: {listening}"
    );
    assert!(
        dir.path()
            .join("home/data/actionbench/samples/01-send-email.json")
            .is_file()
    );
    let url = listening["url"].as_str().expect("url").to_string();
    let answer = reqwest::blocking::Client::new()
        .post(format!("{url}/v1/invoke"))
        .body(invoke_request("send-email", "tok-npm").to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .expect("answered");
    assert_eq!(answer.status().as_u16(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = serve.try_wait().expect("waits") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "serve did not stop within 15 s of SIGTERM to the launcher"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let last: Value =
        serde_json::from_str(rest.last().expect("lines after the call")).expect("json");
    assert_eq!(last["event"], "stopped", "{rest:?}");
    assert_eq!(last["calls"], 1);
    assert_eq!(status.code(), Some(0), "the launcher exits as serve exits");
}

/// The launcher on a platform with no package says which platform it is and how to build from
/// source, and exits 2; one whose package is missing says how to install it.
#[test]
fn the_launcher_says_what_to_do_where_it_has_no_binary() {
    if !have_tool("node", "to run the npm launcher") {
        return;
    }
    let launcher = root().join("npm/actionbench/bin/actionbench.js");
    let mut plain = Command::new("node");
    plain.arg(&launcher).arg("--version");
    let out = run(&mut plain, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2), "no package installed beside it");
    let said = text(&out.stderr);
    assert!(
        said.contains("@actionbench/linux-x64") && said.contains("cargo install --path ."),
        "{said}"
    );
    // Another platform, as node would report it.
    let mut other = Command::new("node");
    other
        .arg("-e")
        .arg(format!(
            "Object.defineProperty(process, 'platform', {{value: 'aix'}}); process.argv = [process.argv[0], {:?}, '--version']; require({:?})",
            launcher.display().to_string(),
            launcher.display().to_string()
        ));
    let out = run(&mut other, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("no ActionBench package for aix on x64") && said.contains("Rust"),
        "{said}"
    );
    // ACTIONBENCH_BINARY runs another binary, exit code and all.
    let mut given = Command::new("node");
    given
        .arg(&launcher)
        .arg("--no-such-flag")
        .env("ACTIONBENCH_BINARY", env!("CARGO_BIN_EXE_actionbench"));
    let out = run(&mut given, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2));
}

/// Each platform the launcher knows has its package folder, and each folder's os and cpu are
/// the launcher's.
#[test]
fn every_platform_package_matches_the_launcher() {
    let launcher =
        std::fs::read_to_string(root().join("npm/actionbench/bin/actionbench.js")).expect("read");
    let main: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("npm/actionbench/package.json")).expect("read"),
    )
    .expect("json");
    let deps = main["optionalDependencies"].as_object().expect("deps");
    assert_eq!(deps.len(), 5);
    for name in deps.keys() {
        let short = name.strip_prefix("@actionbench/").expect("scoped");
        let (os, cpu) = short.split_once('-').expect("os-cpu");
        let pkg: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("npm/{name}/package.json")))
                .expect("the platform's package"),
        )
        .expect("json");
        assert_eq!(pkg["name"], name.as_str());
        assert_eq!(pkg["os"], serde_json::json!([os]));
        assert_eq!(pkg["cpu"], serde_json::json!([cpu]));
        assert!(
            launcher.contains(&format!("\"{os} {cpu}\": \"{name}\"")),
            "the launcher knows {name}"
        );
    }
}
