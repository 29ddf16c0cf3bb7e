#!/usr/bin/env node
// The actionbench command, as npm installs it: finds the binary built for this platform (in
// the @actionbench/<platform> package npm installed beside this one, as esbuild and Biome ship
// theirs), runs it with the same arguments and the same terminal, passes SIGINT and SIGTERM on
// to it, and exits as it exits.
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");

// process.platform and process.arch → the package holding the binary.
const PACKAGES = {
  "linux x64": "@actionbench/linux-x64",
  "linux arm64": "@actionbench/linux-arm64",
  "darwin x64": "@actionbench/darwin-x64",
  "darwin arm64": "@actionbench/darwin-arm64",
  "win32 x64": "@actionbench/win32-x64",
};

const FROM_SOURCE =
  "Build it from source instead: install Rust (https://rustup.rs), then in a clone of the " +
  "ActionBench repository run `cargo install --path .`";

function fail(message) {
  process.stderr.write(`actionbench: ${message}\n`);
  process.exit(2);
}

/** The binary to run: ACTIONBENCH_BINARY if set, else the one in this platform's package. */
function binary() {
  if (process.env.ACTIONBENCH_BINARY) {
    return process.env.ACTIONBENCH_BINARY;
  }
  const platform = `${process.platform} ${process.arch}`;
  const pkg = PACKAGES[platform];
  if (!pkg) {
    fail(
      `there is no ActionBench package for ${process.platform} on ${process.arch} ` +
        `(there are: ${Object.keys(PACKAGES).join(", ")}). ${FROM_SOURCE}`,
    );
  }
  const exe = process.platform === "win32" ? "actionbench.exe" : "actionbench";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    fail(
      `${pkg}, which holds the binary for ${process.platform} on ${process.arch}, is not ` +
        "installed. It is an optional dependency of actionbench: install again without " +
        "--omit=optional or --no-optional (and, with a lockfile made on another platform, " +
        `without --frozen-lockfile), or \`npm install ${pkg}\`. ${FROM_SOURCE}`,
    );
  }
}

const bin = binary();
const child = spawn(bin, process.argv.slice(2), { stdio: "inherit" });

// A stop asked of this process is asked of the binary: serve and the window answer held
// calls (503) and write their journal before they exit. (Ctrl-C in a terminal reaches both
// processes; the binary takes a repeated signal within two seconds as the same one.)
const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
  });
}

child.on("error", (e) => fail(`${bin} could not be started: ${e.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    // Ended by a signal: this process ends by the same one, so its caller sees it.
    for (const s of signals) {
      process.removeAllListeners(s);
    }
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
