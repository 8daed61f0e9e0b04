//! The cluster's RPC authentication secret: generated once, stored 0600, never logged.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::RngCore;

use crate::LocalError;

/// Creates a new random secret (256 bits, hex) at `path`, readable by the owner only.
pub fn create(path: &Path) -> Result<(), LocalError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    write_private(path, hex::encode(bytes).as_bytes())
}

/// Writes `content` to a file only its owner can read (created with mode 0600, so the content
/// is never readable by others, not even for a moment).
fn write_private(path: &Path, content: &[u8]) -> Result<(), LocalError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(LocalError::io("cannot create", path))?;
    f.write_all(content)
        .map_err(LocalError::io("cannot write", path))
}

/// Writes a one-entry Java properties file `key=secret` readable by the owner only (how a
/// standalone driver receives the secret without it showing on a command line).
pub fn write_properties(path: &Path, key: &str, secret: &str) -> Result<(), LocalError> {
    // The secret is hex, so it needs no properties escaping.
    write_private(path, format!("{key}={secret}\n").as_bytes())
}

/// Reads the secret at `path`.
pub fn read(path: &Path) -> Result<String, LocalError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(LocalError::io("cannot read", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secrets_are_private_and_random() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        let b = d.path().join("b");
        create(&a).unwrap();
        create(&b).unwrap();
        let mode = std::fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (sa, sb) = (read(&a).unwrap(), read(&b).unwrap());
        assert_eq!(sa.len(), 64);
        assert_ne!(sa, sb);
    }
}
