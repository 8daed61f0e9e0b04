//! Turns the Pod Security oracle tier of the tests on when `SPARKPLANE_PODSECURITY_CHECK`
//! names the `podsecurity-check` program (`test/podsecurity-check`, built by
//! scripts/test.sh): without it, those tests are reported as ignored, never as passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(podsecurity_check)");
    println!("cargo::rerun-if-env-changed=SPARKPLANE_PODSECURITY_CHECK");
    if std::env::var_os("SPARKPLANE_PODSECURITY_CHECK").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=podsecurity_check");
    }
}
