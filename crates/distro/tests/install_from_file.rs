//! Installing from a local (synthetic) sdist, listing and resolving installs, SPARK_HOME.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

use common::{env_lock, members, mode, partial_dirs, sdist, write_sdist};
use sparkplane_api::version::SparkVersion;
use sparkplane_distro::{Distributions, DistroError, InstallRequest, Origin, VersionSpec};

fn v(s: &str) -> SparkVersion {
    s.parse().unwrap()
}

fn file_request(file: &Path, sha: Option<&str>) -> InstallRequest {
    InstallRequest {
        from_file: Some(file.to_path_buf()),
        expected_sha256: sha.map(str::to_string),
        ..InstallRequest::new(None)
    }
}

#[test]
fn installs_lists_and_resolves() {
    let _env = env_lock();
    let tmp = tempfile::tempdir().unwrap();
    let (file, sha) = sdist(tmp.path(), "4.3.0");
    let root = tmp.path().join("spark");
    let distros = Distributions::new(&root);
    assert!(distros.installed().unwrap().is_empty());

    // A crashed install left a partial directory behind; the next install removes it.
    fs::create_dir_all(root.join(".4.3.0.partial-1-2/jars")).unwrap();

    let out = distros
        .install(&file_request(&file, Some(&sha.to_uppercase())))
        .unwrap();
    assert!(!out.already_installed);
    let home = root.join("4.3.0");
    assert_eq!(out.installation.home, home);
    assert_eq!(out.installation.version, v("4.3.0"));
    assert_eq!(out.installation.origin, Origin::Managed);
    assert!(partial_dirs(&root).is_empty(), "{:?}", partial_dirs(&root));

    // Layout.
    for f in [
        "bin/spark-submit",
        "bin/spark-class",
        "bin/load-spark-env.sh",
        "sbin/spark-daemon.sh",
        "jars/spark-core_2.13-4.3.0.jar",
        "jars/scala-library-2.13.16.jar",
        "examples/src/main/python/pi.py",
        "examples/src/main/python/sql/basic.py",
        "data/graphx/users.txt",
        "licenses/LICENSE-py4j.txt",
        "python/lib/pyspark.zip",
        "python/lib/py4j-0.10.9.9-src.zip",
        "python/pyspark/__init__.py",
        "RELEASE",
    ] {
        assert!(home.join(f).is_file(), "missing {f}");
    }
    for f in ["setup.py", "PKG-INFO", "pyspark.egg-info", "deps", "lib"] {
        assert!(!home.join(f).exists(), "unexpected {f}");
    }
    assert!(home.join("conf").is_dir());
    assert_eq!(fs::read_dir(home.join("conf")).unwrap().count(), 0);
    assert_eq!(mode(&home.join("bin/spark-submit")), 0o755);
    assert_eq!(mode(&home.join("sbin/spark-daemon.sh")), 0o755);
    assert_eq!(mode(&home.join("bin/load-spark-env.sh")), 0o644);
    let release = fs::read_to_string(home.join("RELEASE")).unwrap();
    assert!(release.starts_with("Spark 4.3.0 "), "{release}");
    assert!(release.contains("pyspark-4.3.0.tar.gz"), "{release}");
    assert!(release.contains(&sha), "{release}");
    assert_eq!(sparkplane_distro::detect_version(&home), Ok(v("4.3.0")));

    // Again: nothing to do.
    let again = distros
        .install(&file_request(&file, Some("wrong")))
        .unwrap();
    assert!(again.already_installed);
    assert_eq!(again.installation.home, home);

    // Listing and resolving.
    let installed = distros.installed().unwrap();
    assert_eq!(installed, vec![out.installation.clone()]);
    let exact = distros.resolve(&v("4.3.0")).unwrap();
    assert_eq!(
        (exact.installation.home.as_path(), exact.substituted),
        (home.as_path(), false)
    );
    let other = distros.resolve(&v("4.3.1")).unwrap();
    assert_eq!(
        (other.installation.version, other.substituted),
        (v("4.3.0"), true)
    );
    let missing = distros.resolve(&v("3.5.0")).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "Spark 3.5.0 is not installed (installed: 4.3.0); run: sparkplane spark install 3.5.0"
    );

    // SPARK_HOME with the same version wins for an exact match.
    let env_home = tmp.path().join("env-spark");
    fs::create_dir_all(&env_home).unwrap();
    fs::write(
        env_home.join("RELEASE"),
        "Spark 4.3.0 (git revision abc) built for Hadoop 3.4.1\n",
    )
    .unwrap();
    std::env::set_var("SPARK_HOME", &env_home);
    let r = distros.resolve(&v("4.3.0")).unwrap();
    assert_eq!(r.installation.origin, Origin::SparkHomeEnv);
    assert_eq!(r.installation.home, env_home);
    assert!(!r.substituted);
    assert_eq!(distros.installed().unwrap().len(), 2);

    // SPARK_HOME of another line, told by its core jar, substitutes within its line.
    fs::remove_file(env_home.join("RELEASE")).unwrap();
    fs::create_dir_all(env_home.join("jars")).unwrap();
    fs::write(env_home.join("jars/spark-core_2.12-3.5.2.jar"), "").unwrap();
    let r = distros.resolve(&v("3.5.0")).unwrap();
    assert_eq!(
        (r.installation.version, r.installation.origin, r.substituted),
        (v("3.5.2"), Origin::SparkHomeEnv, true)
    );
    let r = distros.resolve(&v("4.3.0")).unwrap();
    assert_eq!(r.installation.origin, Origin::Managed);
    let listed: Vec<_> = distros
        .installed()
        .unwrap()
        .iter()
        .map(|i| i.version)
        .collect();
    assert_eq!(listed, vec![v("4.3.0"), v("3.5.2")]);

    // A SPARK_HOME that is not a distribution is an error naming it.
    std::env::set_var("SPARK_HOME", tmp.path().join("nope"));
    let err = distros.installed().unwrap_err();
    assert!(matches!(err, DistroError::BadSparkHome { .. }), "{err}");
    assert!(err.to_string().starts_with("SPARK_HOME="), "{err}");
    std::env::remove_var("SPARK_HOME");

    // Uninstall.
    assert!(distros.uninstall(&v("4.3.0")).unwrap());
    assert!(!home.exists());
    assert!(!distros.uninstall(&v("4.3.0")).unwrap());
    assert!(distros.installed().unwrap().is_empty());
    assert!(partial_dirs(&root).is_empty());
}

#[test]
fn refuses_a_checksum_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, _sha) = sdist(tmp.path(), "4.3.0");
    let root = tmp.path().join("spark");
    let distros = Distributions::new(&root);
    let wrong = "0".repeat(64);
    let err = distros
        .install(&file_request(&file, Some(&wrong)))
        .unwrap_err();
    assert!(matches!(err, DistroError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("sha256 mismatch"), "{err}");
    assert!(!root.join("4.3.0").exists());
    assert!(partial_dirs(&root).is_empty());
    assert!(distros.managed().unwrap().is_empty());
    assert!(file.is_file(), "the caller's own file is kept");
}

#[test]
fn refuses_bad_archives_and_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("spark");
    let distros = Distributions::new(&root);

    // The jars say another version than the file name.
    let (file, _) = write_sdist(
        tmp.path(),
        "pyspark-4.3.0.tar.gz",
        &members("4.3.0", "4.2.0"),
    );
    let err = distros.install(&file_request(&file, None)).unwrap_err();
    assert!(matches!(err, DistroError::BadArchive { .. }), "{err}");
    assert!(err.to_string().contains("Spark 4.2.0, not 4.3.0"), "{err}");
    assert!(!root.join("4.3.0").exists());
    assert!(partial_dirs(&root).is_empty());

    // Not a pyspark sdist at all.
    let (file, _) = write_sdist(
        tmp.path(),
        "pyspark-4.2.0.tar.gz",
        &[("other-1.0/x".into(), 0o644, b"x".to_vec())],
    );
    let err = distros.install(&file_request(&file, None)).unwrap_err();
    assert!(matches!(err, DistroError::BadArchive { .. }), "{err}");

    // Not gzip.
    let junk = tmp.path().join("pyspark-4.1.0.tar.gz");
    fs::write(&junk, "not a tarball").unwrap();
    let err = distros.install(&file_request(&junk, None)).unwrap_err();
    assert!(matches!(err, DistroError::BadArchive { .. }), "{err}");
    assert!(partial_dirs(&root).is_empty());

    // Unsupported line.
    let (file, _) = sdist(tmp.path(), "3.4.1");
    let err = distros.install(&file_request(&file, None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Spark 3.4.1 is not supported (supported: 3.5.x and 4.0.x to 4.3.x)"
    );

    // The request names another version than the file.
    let (file, _) = sdist(tmp.path(), "4.3.0");
    let req = InstallRequest {
        version: Some("4.2".parse::<VersionSpec>().unwrap()),
        ..file_request(&file, None)
    };
    let err = distros.install(&req).unwrap_err();
    assert!(matches!(err, DistroError::VersionMismatch { .. }), "{err}");

    // A file without a version in its name needs an exact version.
    let renamed = tmp.path().join("spark.tgz");
    fs::copy(&file, &renamed).unwrap();
    let err = distros.install(&file_request(&renamed, None)).unwrap_err();
    assert!(
        matches!(err, DistroError::UnknownArchiveVersion { .. }),
        "{err}"
    );
    let req = InstallRequest {
        version: Some("4.3.0".parse().unwrap()),
        ..file_request(&renamed, None)
    };
    assert!(!distros.install(&req).unwrap().already_installed);
    assert!(root.join("4.3.0/bin/spark-submit").is_file());
}

#[test]
fn concurrent_installs_of_one_version_do_not_collide() {
    let tmp = tempfile::tempdir().unwrap();
    // A few MB of incompressible data make the installs overlap in time.
    let mut all = members("4.2.1", "4.2.1");
    let mut x: u64 = 1;
    let big: Vec<u8> = (0..8 << 20)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect();
    all.push(("pyspark-4.2.1/deps/jars/big.jar".into(), 0o644, big));
    let (file, sha) = write_sdist(tmp.path(), "pyspark-4.2.1.tar.gz", &all);
    let root = tmp.path().join("spark");
    let req = file_request(&file, Some(&sha));
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| Distributions::new(&root).install(&req)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().expect("install"))
            .collect()
    });
    let fresh = results.iter().filter(|o| !o.already_installed).count();
    assert_eq!(fresh, 1, "{results:?}");
    assert!(root.join("4.2.1/bin/spark-submit").is_file());
    assert!(partial_dirs(&root).is_empty());
}
