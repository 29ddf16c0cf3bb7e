//! ActionBench: a local workbench for Wix Automations action providers.
//!
//! Layers, with one-way imports: [`domain`] (wire types, envelopes, contract checks, the
//! invocation state machine; no egui, no axum) ← [`engine`] (the shared core) ← [`journal`]
//! (the session on disk, and export), [`play`] (playing Wix against the developer's action:
//! the player, its HTTP caller, keys, the relay of forward mode, and the automation runner),
//! [`server`] (axum) ← [`ui`] (egui, talking to the engine through commands and events) and
//! [`cli`] (the command line and its subcommands, on one start-up path); [`mcp`] (the MCP
//! server coding agents drive the workbench through, over stdio and at `/mcp` on the inbox).

pub mod cli;
pub mod domain;
pub mod engine;
pub mod journal;
pub mod mcp;
pub mod platform;
pub mod play;
pub mod server;
pub mod startup;
pub mod ui;
