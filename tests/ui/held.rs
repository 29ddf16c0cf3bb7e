//! The held calls' strip.

use super::*;

/// 40 held calls at 1024×640: one compact strip, the log and its Status column still in view.
#[test]
fn many_held_calls_make_one_strip_and_the_log_stays_in_view() {
    let b = bench();
    let mut h = window(&b)
        .picker(FixedPicker::NoService("none"))
        .size(egui::vec2(1024.0, 640.0))
        .build();
    let callers: Vec<_> = (0..40).map(|_| post_sample(&b, "01-")).collect();
    wait_held(&b, 40);
    h.run();
    h.get_by_label("40 held calls");
    // The strip lists none of them until asked; the log shows the latest rows and statuses.
    assert!(h.query_by_label_contains("#3 send-email ·").is_none());
    h.get_by_label("Status");
    assert!(h.query_all_by_label_contains("held").count() >= 2);
    click(&mut h, "Answer next");
    // The oldest is selected: its composer is open.
    h.get_by_label("Send answer");
    click(&mut h, "Show all");
    h.get_by_label_contains("#1 send-email ·");
    click(&mut h, "Send answer");
    assert_eq!(b.engine.exchange(1).expect("#1").phase, Phase::Answered);
    h.get_by_label("39 held calls");
    b.engine.close();
    for c in callers {
        let _ = b.rt.block_on(c);
    }
}

/// The held list's rows are one target each (a click on a row's text or beside it), and ↑/↓
/// move among the held calls once the list was clicked.
#[test]
fn a_held_row_is_selected_by_its_text_and_arrows_move_in_the_held_list() {
    let b = bench();
    let mut h = window(&b).build();
    let callers: Vec<_> = (0..3).map(|_| post_sample(&b, "01-")).collect();
    wait_held(&b, 3);
    step_until(&mut h, "3 held calls", WAIT, shows("3 held calls"));
    click(&mut h, "Show all");
    h.get_by_label_contains("#2 send-email ·").click();
    h.run();
    assert_eq!(h.state().selected(), Some(2));
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert_eq!(h.state().selected(), Some(3), "↓ in the held list");
    h.key_press(egui::Key::Home);
    h.run();
    assert_eq!(h.state().selected(), Some(1), "Home: the first held call");
    // Beside the text, on the row's empty right side, is the row too.
    let row = h.get_by_label_contains("#3 send-email ·").rect();
    h.hover_at(egui::pos2(row.max.x + 60.0, row.center().y));
    h.event(egui::Event::PointerButton {
        pos: egui::pos2(row.max.x + 60.0, row.center().y),
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.event(egui::Event::PointerButton {
        pos: egui::pos2(row.max.x + 60.0, row.center().y),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
    assert_eq!(h.state().selected(), Some(3), "a click beside the text");
    b.engine.close();
    for c in callers {
        let _ = b.rt.block_on(c);
    }
}
