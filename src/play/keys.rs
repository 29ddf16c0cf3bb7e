//! ActionBench's own RSA key pair, for signing requests as Wix does when it plays Wix against
//! the developer's action. Made once (2048 bits), kept as PKCS#8 PEM in the user's config folder
//! (or `--key-dir`) with 0600 permissions; a private key file others can read is refused.

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use std::path::{Path, PathBuf};

/// The file name of the private key inside the key folder.
pub const KEY_FILE: &str = "wix-signing-key.pem";

/// The size of a key ActionBench makes, and the least it accepts.
pub const KEY_BITS: usize = 2048;

/// The key pair, loaded or made.
#[derive(Clone)]
pub struct SigningKey {
    pub path: PathBuf,
    private_pem: String,
    pub public_pem: String,
    /// Whether this call made the key (first use).
    pub created: bool,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("SigningKey")
            .field("path", &self.path)
            .field("created", &self.created)
            .finish()
    }
}

impl SigningKey {
    /// The key for signing RS256 tokens.
    pub fn encoding_key(&self) -> Result<jsonwebtoken::EncodingKey, String> {
        jsonwebtoken::EncodingKey::from_rsa_pem(self.private_pem.as_bytes())
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// The platform's config folder for ActionBench (`~/.config/actionbench` on Linux).
pub fn default_key_dir() -> Result<PathBuf, String> {
    directories::ProjectDirs::from("", "", "actionbench")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or_else(|| "no home folder to keep the key in: pass --key-dir DIR".to_string())
}

/// Loads the key in `dir`, or makes and stores one there on first use.
pub fn load_or_create(dir: &Path) -> Result<SigningKey, String> {
    let path = dir.join(KEY_FILE);
    if path.exists() {
        return load(&path);
    }
    crate::platform::create_private_dir(dir)?;
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, KEY_BITS)
        .map_err(|e| format!("cannot make an RSA key: {e}"))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the key: {e}"))?;
    crate::platform::write_private(&path, pem.as_bytes())?;
    let mut k = from_private(&path, &key, pem.to_string())?;
    k.created = true;
    Ok(k)
}

fn load(path: &Path) -> Result<SigningKey, String> {
    crate::platform::check_private(path)?;
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| {
        format!(
            "{} is not a PKCS#8 PEM RSA private key: {e}",
            path.display()
        )
    })?;
    if key.size() * 8 < KEY_BITS {
        return Err(format!(
            "{} holds a {}-bit key; ActionBench signs with {KEY_BITS} bits or more (delete it to make a new one)",
            path.display(),
            key.size() * 8
        ));
    }
    from_private(path, &key, pem)
}

fn from_private(path: &Path, key: &RsaPrivateKey, pem: String) -> Result<SigningKey, String> {
    let public_pem = RsaPublicKey::from(key)
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the public key: {e}"))?;
    Ok(SigningKey {
        path: path.to_path_buf(),
        private_pem: pem,
        public_pem,
        created: false,
    })
}

/// A key made for one use and never stored: the envelope lab's "signed by another key".
pub fn throwaway() -> Result<jsonwebtoken::EncodingKey, String> {
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, KEY_BITS)
        .map_err(|e| format!("cannot make an RSA key: {e}"))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the key: {e}"))?;
    jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())
}
