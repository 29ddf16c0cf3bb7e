//! The window's type scale and colours, named once (the states' from `crate::domain::palette`, which a
//! shared page's CSS uses too): [`install`] sets the text sizes and the quieter text's colour of
//! both themes, and [`ink`] makes a state's colour readable as text on the background it is
//! drawn on (WCAG AA, 4.5:1). A leaf: it imports nothing of the app or its panels.

use crate::domain::flow::Lit;
use crate::domain::palette;
use egui::{Color32, FontId, Style, TextStyle, Theme, Ui};

/// The smallest text drawn, at scale 1.
pub const SMALLEST: f32 = 12.0;
/// The contrast text must have with its background (WCAG 2 AA, normal text).
pub const AA: f32 = 4.5;

/// Secondary text (descriptions, hints, lint's why), by theme (dark, light): AA on the panels,
/// windows, text fields and striped rows of its theme.
pub const WEAK_TEXT: (Color32, Color32) = (Color32::from_gray(160), Color32::from_gray(92));

/// Sets the window's type scale and quieter text in both themes.
pub fn install(ctx: &egui::Context) {
    for theme in [Theme::Dark, Theme::Light] {
        ctx.style_mut_of(theme, |s| apply(s, theme == Theme::Dark));
    }
}

/// The type scale and quieter text of one theme: egui's small text (9 px) is raised to
/// [`SMALLEST`], the rest kept.
pub fn apply(style: &mut Style, dark: bool) {
    for (text_style, font) in style.text_styles.iter_mut() {
        if *text_style == TextStyle::Small || font.size < SMALLEST {
            *font = FontId::new(SMALLEST, font.family.clone());
        }
    }
    style.visuals.weak_text_color = Some(by_theme(WEAK_TEXT, dark));
}

/// `color` made readable as text on `ui`'s panels: kept when it is, else darkened (on a light
/// background) or lightened (on a dark one) until it has [`AA`] contrast.
pub fn ink(ui: &Ui, color: Color32) -> Color32 {
    ink_in(ui.visuals(), color)
}

/// [`ink`] for a theme's visuals.
pub fn ink_in(v: &egui::Visuals, color: Color32) -> Color32 {
    // The lighter (on dark) or darker (on light) of the grounds text is drawn on.
    let grounds = text_grounds(v).map(|(_, c)| c);
    let worst = if v.dark_mode {
        grounds
            .into_iter()
            .max_by(|a, b| luminance(*a).total_cmp(&luminance(*b)))
    } else {
        grounds
            .into_iter()
            .min_by(|a, b| luminance(*a).total_cmp(&luminance(*b)))
    };
    ink_on(color, worst.unwrap_or(v.panel_fill))
}

/// The grounds the window writes text on in a theme: panels, windows, striped rows (a tint over
/// the panel) and text fields.
pub fn text_grounds(v: &egui::Visuals) -> [(&'static str, Color32); 4] {
    [
        ("panel", v.panel_fill),
        ("window", v.window_fill),
        ("striped row", over(v.faint_bg_color, v.panel_fill)),
        ("text field", v.extreme_bg_color),
    ]
}

/// A (premultiplied, maybe translucent) colour painted over an opaque one.
pub fn over(top: Color32, under: Color32) -> Color32 {
    let a = 1.0 - top.a() as f32 / 255.0;
    let mix = |t: u8, u: u8| (t as f32 + u as f32 * a).round().min(255.0) as u8;
    Color32::from_rgb(
        mix(top.r(), under.r()),
        mix(top.g(), under.g()),
        mix(top.b(), under.b()),
    )
}

/// `color` made readable as text on `ground` ([`ink`]).
pub fn ink_on(color: Color32, ground: Color32) -> Color32 {
    let towards = if luminance(ground) > 0.18 {
        Color32::BLACK
    } else {
        Color32::WHITE
    };
    let mut c = color;
    for step in 1..=20 {
        if contrast(c, ground) >= AA + 0.05 {
            return c;
        }
        c = color.lerp_to_gamma(towards, step as f32 / 20.0);
    }
    c
}

/// WCAG's relative luminance of an opaque colour.
pub fn luminance(c: Color32) -> f32 {
    let lin = |v: u8| {
        let v = v as f32 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
}

/// WCAG's contrast ratio of two opaque colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

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

/// What a step's box in `state` looks like under its words on the stage: its tint over the
/// stage (presenter mode draws the box so).
pub fn box_ground(state: Lit, dark: bool) -> Color32 {
    if matches!(state, Lit::Pending | Lit::NotTaken) {
        return by_theme(BOX_PENDING, dark);
    }
    by_theme(STAGE_BG, dark).lerp_to_gamma(lit(state, dark), if dark { 0.35 } else { 0.25 })
}

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

#[cfg(test)]
mod tests {
    use super::{
        AA, CARD_FILL, LANE_FILL, SMALLEST, STAGE_BG, STAGE_TEXT, STAGE_WEAK, apply, box_ground,
        by_theme, contrast, ink_in, ink_on, lit, text_grounds,
    };
    use crate::domain::flow::Lit;
    use egui::{Color32, Style};

    const STATES: [Lit; 7] = [
        Lit::Pending,
        Lit::Running,
        Lit::Waiting,
        Lit::Done,
        Lit::Failed,
        Lit::NotRun,
        Lit::NotTaken,
    ];

    fn style(dark: bool) -> Style {
        let mut s = Style {
            visuals: if dark {
                egui::Visuals::dark()
            } else {
                egui::Visuals::light()
            },
            ..Style::default()
        };
        apply(&mut s, dark);
        s
    }

    /// The grounds the window draws text on, by theme.
    fn grounds(s: &Style) -> Vec<(&'static str, Color32)> {
        text_grounds(&s.visuals).to_vec()
    }

    #[test]
    fn no_text_style_is_under_twelve_pixels() {
        for dark in [true, false] {
            for (name, font) in &style(dark).text_styles {
                assert!(font.size >= SMALLEST, "{name:?} is {} px", font.size);
            }
        }
    }

    #[test]
    fn text_and_quieter_text_have_aa_contrast_on_every_ground_in_both_themes() {
        for dark in [true, false] {
            let s = style(dark);
            for (ground, bg) in grounds(&s) {
                for (what, fg) in [
                    ("text", s.visuals.text_color()),
                    ("quieter text", s.visuals.weak_text_color()),
                ] {
                    let c = contrast(fg, bg);
                    assert!(c >= AA, "{what} on {ground} (dark: {dark}): {c:.2}:1");
                }
            }
        }
    }

    #[test]
    fn every_state_colour_written_as_text_has_aa_contrast_in_both_themes() {
        for dark in [true, false] {
            let s = style(dark);
            for c in [
                super::ERROR,
                super::WARNING,
                super::OK,
                super::WAITING,
                super::MUTED,
            ] {
                let ink = ink_in(&s.visuals, c);
                for (ground, bg) in grounds(&s) {
                    let ratio = contrast(ink, bg);
                    assert!(
                        ratio >= AA,
                        "{c:?} as {ink:?} on {ground} (dark: {dark}): {ratio:.2}:1"
                    );
                }
            }
        }
    }

    #[test]
    fn presenter_mode_text_has_aa_contrast_on_its_stage_lanes_cards_and_boxes() {
        for dark in [true, false] {
            let mut grounds = vec![by_theme(STAGE_BG, dark), by_theme(CARD_FILL, dark)];
            grounds.extend(LANE_FILL.iter().map(|l| by_theme(*l, dark)));
            for bg in &grounds {
                for fg in [by_theme(STAGE_TEXT, dark), by_theme(STAGE_WEAK, dark)] {
                    let c = contrast(fg, *bg);
                    assert!(c >= AA, "{fg:?} on {bg:?} (dark: {dark}): {c:.2}:1");
                }
            }
            // A step's state word ("running", "waiting") on its box.
            for state in STATES {
                let ground = box_ground(state, dark);
                let word = ink_on(lit(state, dark), ground);
                let c = contrast(word, ground);
                assert!(
                    c >= AA,
                    "{state:?}'s word on its box (dark: {dark}): {c:.2}:1"
                );
                let label = contrast(by_theme(STAGE_TEXT, dark), ground);
                assert!(
                    label >= AA,
                    "{state:?}'s label on its box (dark: {dark}): {label:.2}:1"
                );
            }
        }
    }

    #[test]
    fn a_colour_that_fails_is_made_to_pass_and_one_that_passes_is_kept() {
        let white = Color32::WHITE;
        let amber = super::WARNING;
        assert!(
            contrast(amber, white) < AA,
            "the amber fails on white as it is"
        );
        assert!(contrast(ink_on(amber, white), white) >= AA);
        assert_eq!(ink_on(Color32::BLACK, white), Color32::BLACK);
    }
}
