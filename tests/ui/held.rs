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
