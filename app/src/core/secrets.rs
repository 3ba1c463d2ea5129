//! Secret values at rest: sealed with ChaCha20-Poly1305 under a key kept in the data
//! directory (`secret.key`, mode 0600), so the database never holds them in plain text
//! and a copy of the database alone reveals nothing. Back up the key with the database.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use super::error::AppError;

const KEY_FILE: &str = "secret.key";
const PREFIX: &str = "v1:";

pub struct SecretBox {
    cipher: ChaCha20Poly1305,
    /// The key again, only to derive other keys from it (see [`SecretBox::derive`]).
    key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([key hidden])")
    }
}

impl SecretBox {
    /// Reads the key from the data directory, or makes one there on first start.
    pub fn open(data_dir: &Path) -> Result<Self, AppError> {
        let path = data_dir.join(KEY_FILE);
        let key: [u8; 32] = match std::fs::read(&path) {
            Ok(bytes) => bytes.try_into().map_err(|_| {
                AppError::internal(format_args!("{} is not a 32-byte key", path.display()))
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private(&path, &key)?;
                key
            }
            Err(error) => {
                return Err(AppError::internal(format_args!(
                    "reading {}: {error}",
                    path.display()
                )))
            }
        };
        Ok(Self::with_key(key))
    }

    fn with_key(key: [u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            key,
        }
    }

    /// A 16-byte key for one purpose (such as salting the hashes of visitors' addresses),
    /// stable for this data directory and unguessable without its key file.
    pub fn derive(&self, purpose: &str) -> [u8; 16] {
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(b"caretaker derived key\0")
            .chain_update(purpose.as_bytes())
            .chain_update(b"\0")
            .chain_update(self.key)
            .finalize();
        let mut derived = [0; 16];
        derived.copy_from_slice(&digest[..16]);
        derived
    }

    /// `v1:` and the hex of a fresh nonce followed by the ciphertext.
    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encrypts any length this process can hold");
        let mut text = String::from(PREFIX);
        for byte in nonce.iter().chain(&sealed) {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }

    pub fn unseal(&self, sealed: &str) -> Result<String, AppError> {
        let broken = || {
            AppError::internal("a sealed secret cannot be opened with this data directory's key")
        };
        let hex = sealed.strip_prefix(PREFIX).ok_or_else(broken)?;
        if hex.len() % 2 != 0 || hex.len() < 24 {
            return Err(broken());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&hex[index..index + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| broken())?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

/// Writes the key beside its place and renames it there, so a crash never leaves a
/// half-written key that would stop every later start.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    use std::os::unix::fs::OpenOptionsExt;
    let partial = path.with_extension("partial");
    let failed = |error: std::io::Error| {
        AppError::internal(format_args!("writing {}: {error}", path.display()))
    };
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(failed)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::open(dir.path()).unwrap();
        let sealed = first.seal("hunter2");
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, first.seal("hunter2"), "a fresh nonce each time");
        let again = SecretBox::open(dir.path()).unwrap();
        assert_eq!(again.unseal(&sealed).unwrap(), "hunter2");
        let other = SecretBox::open(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(other.unseal(&sealed).is_err());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
