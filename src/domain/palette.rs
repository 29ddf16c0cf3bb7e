//! The colours ActionBench shows states in, named once as plain RGB: the window builds its
//! egui colours from them (`ui::theme`) and a shared HTML page its CSS, so both tell a state
//! by the same colour.

/// Errors, refusals, flagged rows, a failed step.
pub const ERROR: (u8, u8, u8) = (220, 70, 60);
/// Warnings, held calls, simulated time, a step running.
pub const WARNING: (u8, u8, u8) = (230, 160, 40);
/// Answered, completed, met the contract, a step done.
pub const OK: (u8, u8, u8) = (60, 170, 90);
/// Waiting for a completion report, a step waiting.
pub const WAITING: (u8, u8, u8) = (80, 160, 230);
/// A step that did not run.
pub const MUTED: (u8, u8, u8) = (150, 150, 160);

/// `rgb(r, g, b)` for CSS.
pub fn css((r, g, b): (u8, u8, u8)) -> String {
    format!("rgb({r}, {g}, {b})")
}
