//! The top bar: time warp and simulated time.

use super::*;

#[test]
fn time_warp_is_switched_from_the_top_bar() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "×3600");
    assert_eq!(b.engine.warp().factor(), 3600);
    h.get_by_label_contains("Simulated");
}

#[test]
fn simulated_time_ahead_of_real_time_is_said_until_back_to_now() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    assert!(h.query_by_label("Back to now").is_none());
    b.engine.set_warp(3600);
    b.clock.advance(Duration::seconds(10));
    b.engine.set_warp(1);
    h.run();
    // At ×1, ten hours ahead: still said.
    h.get_by_label_contains("Simulated");
    click(&mut h, "Back to now");
    assert_eq!(
        b.engine.now(),
        b.engine.real_now(),
        "simulated time is real time again"
    );
    assert!(h.query_by_label("Back to now").is_none());
}
