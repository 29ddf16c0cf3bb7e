//! The window's panels and windows. Each has its own state (where it has any) and one draw
//! function taking the shared, read-only [`ViewCtx`] and `&mut` its state; everything else it
//! wants is a [`Command`] sent through `cx.tx`. None reaches into another.

pub mod detail;
pub mod diff;

pub mod held;
pub mod key;
pub mod lab;
pub mod left;
pub mod log;
pub mod path_prompt;
pub mod sessions;
pub mod top_bar;

pub(super) use super::context::{
    Command, FileAsk, LeftTab, ListFocus, PanelCmd, TargetForm, ViewCtx, Window, here_stamped,
    shared, write_creating,
};
pub(super) use super::filter::{Filter, StatusFilter};
pub(super) use super::widgets::{arrow_move, clip, phase_color, plural};
pub(super) use crate::domain::clock::{WARP_FACTORS, human_duration};
pub(super) use crate::domain::invocation::{Direction, Exchange, ExchangeId, Phase};
pub(super) use crate::domain::wire::Method;
pub(super) use chrono::{DateTime, Utc};
pub(super) use egui::{RichText, Ui};
pub(super) use egui_extras::{Column, TableBuilder};
pub(super) use std::time::{Duration, Instant};
