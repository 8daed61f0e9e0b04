//! Where data and installs live, by environment.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use sparkplane_distro::{data_dir, default_index_url, Distributions, DEFAULT_INDEX_URL};

// One test, because it changes process-wide environment variables.
#[test]
fn directories_follow_the_environment() {
    for k in ["SPARKPLANE_HOME", "SPARKPLANE_SPARK_DIR", "XDG_DATA_HOME"] {
        std::env::remove_var(k);
    }
    std::env::set_var("HOME", "/home/u");
    if cfg!(target_os = "linux") {
        assert_eq!(
            data_dir().unwrap(),
            PathBuf::from("/home/u/.local/share/sparkplane")
        );
        std::env::set_var("XDG_DATA_HOME", "/xdg");
        assert_eq!(data_dir().unwrap(), PathBuf::from("/xdg/sparkplane"));
        assert_eq!(
            Distributions::from_env().unwrap().root(),
            PathBuf::from("/xdg/sparkplane/spark")
        );
    }
    std::env::set_var("SPARKPLANE_HOME", "/sp");
    assert_eq!(data_dir().unwrap(), PathBuf::from("/sp"));
    assert_eq!(
        Distributions::from_env().unwrap().root(),
        PathBuf::from("/sp/spark")
    );
    std::env::set_var("SPARKPLANE_SPARK_DIR", "/dists");
    let d = Distributions::from_env().unwrap();
    assert_eq!(d.root(), PathBuf::from("/dists"));
    assert_eq!(
        d.managed_home(&"4.3.0".parse().unwrap()),
        PathBuf::from("/dists/4.3.0")
    );
    // Empty means unset.
    std::env::set_var("SPARKPLANE_SPARK_DIR", "");
    assert_eq!(
        Distributions::from_env().unwrap().root(),
        PathBuf::from("/sp/spark")
    );
}

#[test]
fn index_url_follows_the_environment() {
    std::env::remove_var("SPARKPLANE_PYPI_INDEX");
    std::env::remove_var("PIP_INDEX_URL");
    assert_eq!(default_index_url(), DEFAULT_INDEX_URL);
    std::env::set_var("PIP_INDEX_URL", "https://pip/simple");
    assert_eq!(default_index_url(), "https://pip/simple");
    std::env::set_var("SPARKPLANE_PYPI_INDEX", "https://mine/simple");
    assert_eq!(default_index_url(), "https://mine/simple");
    std::env::set_var("SPARKPLANE_PYPI_INDEX", " ");
    assert_eq!(default_index_url(), "https://pip/simple");
}
