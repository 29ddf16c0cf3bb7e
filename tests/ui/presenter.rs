//! Presenter mode.

use super::*;

#[test]
fn presenter_mode_steps_through_a_flow_with_the_keyboard() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    // The Flows tab lists the flow files; the shop order flow is the third. Present starts
    // it step by step, full window.
    click(&mut h, "Flows");
    click_nth(&mut h, "Present", 2);
    step_until(&mut h, "the flow to start", WAIT, |h| {
        let app = h.state();
        app.runs().first().is_some_and(|r| !r.events.is_empty())
    });
    assert!(h.state().presenter().is_some());
    assert!(
        h.query_by_label("Samples").is_none(),
        "the window's panels give way"
    );
    h.get_by_label("Lukas orders two books from the shop");
    h.get_by_label("Press Space for the next step");
    // Space: step 1 asks and is answered; the run then waits for the next Space.
    h.key_press(egui::Key::Space);
    step_until(&mut h, "step 1 to be answered", WAIT, |h| {
        let app = h.state();
        shown_caption(app).starts_with("DHL can ship it")
    });
    h.get_by_label("DHL can ship it for 12.50 EUR: the quote joins the order's data");
    // The payload shows as cards, the quote's output among them: its values, not a count of
    // its fields.
    h.get_by_label("steps · quote · carrier");
    h.get_by_label("DHL");
    assert!(h.query_all_by_label_contains("fields").next().is_none());
    // Right arrow: step 2.
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "step 2 to be answered", WAIT, |h| {
        let app = h.state();
        shown_caption(app).starts_with("A 10% coupon")
    });
    // Left looks back without touching the run; Right comes forward again.
    h.key_press(egui::Key::ArrowLeft);
    h.run();
    assert_eq!(
        shown_caption(h.state()),
        "Wix asks Create a loyalty coupon to run"
    );
    h.get_by_label("Wix asks Create a loyalty coupon to run");
    h.key_press(egui::Key::ArrowRight);
    h.run();
    assert!(shown_caption(h.state()).starts_with("A 10% coupon"));
    // J shows the payload as JSON, and back.
    h.key_press(egui::Key::J);
    h.run();
    assert!(h.state().presenter().is_some_and(|p| p.show_json));
    h.key_press(egui::Key::J);
    // To the end.
    h.key_press(egui::Key::Space);
    step_until(&mut h, "the end", WAIT, |h| {
        let app = h.state();
        app.runs()[0].finished().is_some()
    });
    h.run();
    assert_eq!(h.state().runs()[0].finished(), Some(true));
    h.get_by_label_contains("every step ended as expected");
    // Esc leaves: the window is back, with the run in the Flows panel.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.state().presenter().is_none());
    h.get_by_label("Samples");
    h.get_by_label_contains("#1 Order placed");
    // The run's invocations are in the log, tagged with the flow and step.
    assert!(
        h.state()
            .log()
            .iter()
            .filter(|e| e
                .tag
                .as_deref()
                .is_some_and(|t| t.starts_with("flow: Order placed")))
            .count()
            == 3
    );
}

#[test]
fn a_step_held_for_the_presenter_is_answered_with_a_key() {
    let mut b = bench();
    b.present =
        Some(LoadedFlow::load(&root().join("tests/fixtures/live-flow.json")).expect("a flow"));
    let mut h = window(&b).build();
    step_until(&mut h, "the run to start", WAIT, |h| {
        let app = h.state();
        app.runs().first().is_some_and(|r| !r.events.is_empty())
    });
    assert!(
        h.state().presenter().is_some(),
        "--present opens presenter mode"
    );
    h.key_press(egui::Key::Space);
    step_until(&mut h, "the presenter's turn", WAIT, |h| {
        let app = h.state();
        shown_caption(app).contains("waits for you")
    });
    h.get_by_label_contains("Press A to send the step's saved answer");
    let id = h.state().runs()[0].handle.snapshot().steps[0]
        .exchange
        .expect("the held call");
    assert!(b.engine.exchange(id).expect("ex").phase.is_held());
    // One pass: the answer A sends is applied in the pass the key is pressed (commands a
    // command sends are drained with it), not one pass late. (egui may otherwise run a second
    // pass in the same step, which would hide the lag.)
    h.ctx
        .options_mut(|o| o.max_passes = std::num::NonZeroUsize::MIN);
    // (key_press queues a key-down and a key-up, each its own step: only the down here.)
    h.event(egui::Event::Key {
        key: egui::Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    assert!(
        !b.engine.exchange(id).expect("ex").phase.is_held(),
        "A answered in the frame it was pressed"
    );
    step_until(&mut h, "the run to finish", WAIT, |h| {
        let app = h.state();
        app.runs()[0].finished().is_some()
    });
    let ex = b.engine.exchange(id).expect("ex");
    assert_eq!(
        ex.response.expect("answered").by,
        actionbench::domain::invocation::AnsweredBy::Developer
    );
    assert_eq!(h.state().runs()[0].finished(), Some(true));
}
