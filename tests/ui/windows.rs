//! The windows over the log: the public key and the diff.

use super::*;

#[test]
fn the_public_key_shows_with_a_copy_button() {
    let b = bench();
    let mut h = window(&b).build();
    h.run();
    click(&mut h, "Public key");
    h.get_by_label_contains("Paste this where your app's public key goes");
    click(&mut h, "Copy");
    h.get_by_label("Public key copied");
}

#[test]
fn two_invocations_compare_field_by_field_without_their_ids_unless_asked() {
    let b = bench();
    let mut p = b.engine.policy("send-email");
    p.mode = actionbench::engine::Mode::Auto;
    b.engine.set_policy("send-email", p);
    let mut first = invoke_request("send-email", "tok-1");
    first["actionParams"]["to"] = json!("ana@example.com");
    let mut second = invoke_request("send-email", "tok-2");
    second["actionParams"]["to"] = json!("ben@example.com");
    post_raw(&b, "/v1/invoke", &first.to_string());
    post_raw(&b, "/v1/invoke", &second.to_string());
    let mut h = window(&b).build();
    step_until(&mut h, "two rows", WAIT, |h| {
        let app = h.state();
        app.log().len() == 2
    });
    click(&mut h, "#1");
    click(&mut h, "Compare…");
    h.get_by_label_contains("Select another exchange in the log to compare with #1");
    click(&mut h, "#2");
    h.run();
    h.get_by_label("#1 and #2");
    h.get_by_label("request.actionParams.to");
    h.get_by_label("\"ana@example.com\"");
    // (#2 is also shown in the detail pane.)
    assert!(h.query_all_by_label("\"ben@example.com\"").count() >= 2);
    assert!(
        h.query_by_label("request.activationContext.invocationToken")
            .is_none()
    );
    h.get_by_label_contains("Show ids, tokens and times")
        .click();
    h.run();
    h.get_by_label("request.activationContext.invocationToken");
}
