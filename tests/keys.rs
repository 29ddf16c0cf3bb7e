//! ActionBench's own signing key: made once, kept private, refused when others can read it,
//! and accepted by the inbox's verifier (and so by an action on the SDK) as Wix's key would be.

mod common;

use actionbench::domain::envelope::{self, EnvelopeKind, JwtConfig};
use actionbench::play::keys::{KEY_FILE, load_or_create};
use common::*;
use std::process::Command;

#[test]
fn the_key_is_made_once_kept_private_and_signs_tokens_the_inbox_verifies() {
    let dir = TempDir::new("keys");
    let first = load_or_create(&dir.0).expect("made");
    assert!(first.created);
    assert!(first.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join(KEY_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the private key is 0600");
    }
    let again = load_or_create(&dir.0).expect("loaded");
    assert!(!again.created);
    assert_eq!(
        again.public_pem, first.public_pem,
        "the same key, not a new one"
    );

    // Signed with it, a Wix-style token verifies with its public key.
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims(invoke_request("send-email", "tok-k")),
        &again.encoding_key().expect("encoding key"),
    )
    .expect("signs");
    let cfg = JwtConfig::from_pem(again.public_pem.as_bytes(), Some(APP_ID.into())).expect("pem");
    let d = envelope::decode(token.as_bytes(), &cfg, t0()).expect("verifies");
    assert_eq!(d.kind, EnvelopeKind::JwtVerified);
    // And not with another key.
    let other =
        JwtConfig::from_pem(&fixture("test-wix-public.pem"), Some(APP_ID.into())).expect("pem");
    assert!(envelope::decode(token.as_bytes(), &other, t0()).is_err());
}

#[cfg(unix)]
#[test]
fn a_private_key_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("keys-open");
    load_or_create(&dir.0).expect("made");
    let path = dir.0.join(KEY_FILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let e = load_or_create(&dir.0).expect_err("refused");
    assert!(e.contains("read by others") && e.contains("644"), "{e}");
    assert!(e.contains(&path.display().to_string()), "{e}");
}

#[test]
fn a_key_file_that_is_not_a_key_says_so() {
    let dir = TempDir::new("keys-bad");
    std::fs::create_dir_all(&dir.0).expect("dir");
    let path = dir.0.join(KEY_FILE);
    std::fs::write(&path, "not a key").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let e = load_or_create(&dir.0).expect_err("refused");
    assert!(e.contains("not a PKCS#8 PEM RSA private key"), "{e}");
}

#[test]
fn key_public_prints_the_stored_keys_public_half() {
    let dir = TempDir::new("keys-cli");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_actionbench"))
            .args(args)
            .arg("--key-dir")
            .arg(&dir.0)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let printed = run(&["key", "--public"]);
    let stored = load_or_create(&dir.0).expect("loaded");
    assert_eq!(printed, stored.public_pem);
    assert_eq!(run(&["key"]), printed, "--public is the default");
    assert_eq!(
        run(&["key", "--path"]).trim(),
        dir.0.join(KEY_FILE).display().to_string()
    );
}
