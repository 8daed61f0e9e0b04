//! The real PyPI simple index (needs network access to pypi.org).

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sparkplane_distro::{fetch_releases, DEFAULT_INDEX_URL};

#[test]
fn pypi_lists_known_releases_with_digests() {
    let entries = fetch_releases(DEFAULT_INDEX_URL).unwrap();
    // Published files never change, so their digests are fixed.
    let known = [
        (
            "4.3.0",
            "e8c517948eff7088a7aa07449aa8eafa4a15a8d50319de2525a6fd26622476c6",
        ),
        (
            "3.5.9",
            "ea27adc39ddac9413b8951e45aa748cbed6c785971b81386efc41938f6243d93",
        ),
    ];
    for (version, sha) in known {
        let e = entries
            .iter()
            .find(|e| e.version.to_string() == version)
            .unwrap_or_else(|| panic!("pyspark {version} not on the index"));
        assert_eq!(e.sha256.as_deref(), Some(sha), "{version}");
        assert!(e.url.starts_with("https://"), "{}", e.url);
        assert!(
            e.url.ends_with(&format!("/pyspark-{version}.tar.gz")),
            "{}",
            e.url
        );
    }
}
