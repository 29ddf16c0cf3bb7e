//! The window's colours, named once (the states' from `crate::palette`, which a shared page's
//! CSS uses too). A leaf: it imports nothing of the app or its panels.

use crate::domain::flow::Lit;
use crate::palette;
use egui::Color32;

const fn rgb((r, g, b): (u8, u8, u8)) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// Errors, refusals, flagged rows.
pub const ERROR: Color32 = rgb(palette::ERROR);
/// Warnings, held calls, simulated time, things to look at.
pub const WARNING: Color32 = rgb(palette::WARNING);
/// Answered, completed, met the contract.
pub const OK: Color32 = rgb(palette::OK);
/// Waiting for a completion report.
pub const WAITING: Color32 = rgb(palette::WAITING);
/// A step that did not run.
pub const MUTED: Color32 = rgb(palette::MUTED);
/// The banner behind "Recording stopped".
pub const ALARM: Color32 = Color32::from_rgb(150, 30, 30);
/// A field only the left (removed) or right (added) side of a diff has.
pub const REMOVED: Color32 = Color32::from_rgb(220, 110, 90);
pub const ADDED: Color32 = Color32::from_rgb(90, 180, 110);

/// JSON values in the trees, by theme (dark, light), as code editors colour them.
pub const JSON_STRING: (Color32, Color32) = (
    Color32::from_rgb(206, 145, 120),
    Color32::from_rgb(163, 21, 21),
);
pub const JSON_NUMBER: (Color32, Color32) = (
    Color32::from_rgb(181, 206, 168),
    Color32::from_rgb(9, 134, 88),
);
pub const JSON_LITERAL: (Color32, Color32) = (
    Color32::from_rgb(86, 156, 214),
    Color32::from_rgb(0, 0, 255),
);

/// A colour by theme: `pair` is (dark, light).
pub fn by_theme(pair: (Color32, Color32), dark: bool) -> Color32 {
    if dark { pair.0 } else { pair.1 }
}

/// Presenter mode's stage, by theme (dark, light): its background, text and quieter text.
pub const STAGE_BG: (Color32, Color32) = (Color32::from_gray(22), Color32::from_gray(252));
pub const STAGE_TEXT: (Color32, Color32) = (Color32::from_gray(235), Color32::from_gray(25));
pub const STAGE_WEAK: (Color32, Color32) = (Color32::from_gray(150), Color32::from_gray(100));
/// The swim lanes' bands, even and odd, by theme.
pub const LANE_FILL: [(Color32, Color32); 2] = [
    (Color32::from_gray(32), Color32::from_gray(246)),
    (Color32::from_gray(38), Color32::from_gray(236)),
];
/// A step's box before it is reached, and a card's ground, by theme.
pub const BOX_PENDING: (Color32, Color32) = (Color32::from_gray(45), Color32::WHITE);
pub const CARD_FILL: (Color32, Color32) = (Color32::from_gray(40), Color32::WHITE);
/// A step not reached yet, by theme.
pub const PENDING: (Color32, Color32) = (Color32::from_gray(70), Color32::from_gray(200));

/// A step's colour in its state.
pub fn lit(state: Lit, dark: bool) -> Color32 {
    match state {
        Lit::Pending => by_theme(PENDING, dark),
        Lit::Running => WARNING,
        Lit::Waiting => WAITING,
        Lit::Done => OK,
        Lit::Failed => ERROR,
        Lit::NotRun | Lit::NotTaken => MUTED,
    }
}
