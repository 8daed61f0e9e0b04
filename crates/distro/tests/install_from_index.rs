//! Installing through a package index, served by a tiny local HTTP server.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{partial_dirs, sdist};
use sparkplane_distro::{Distributions, DistroError, InstallRequest, VersionSpec};

/// Serves `routes` (path → body) over HTTP/1.1 on 127.0.0.1; 404 for anything else.
/// Returns the base URL and the log of requested paths.
fn serve(routes: HashMap<String, Vec<u8>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            seen.lock().unwrap().push(path.clone());
            let (status, body) = match routes.get(&path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (base, log)
}

/// An index page listing `(file name, href, sha256)`.
fn index_page(links: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut html = String::from("<!DOCTYPE html><html><body><h1>Links for pyspark</h1>\n");
    for (name, href, sha) in links {
        html.push_str(&format!(
            "<a href=\"{href}#sha256={sha}\">{name}</a><br />\n"
        ));
    }
    html.push_str("</body></html>\n");
    html.into_bytes()
}

fn request(index: &str, version: Option<&str>) -> InstallRequest {
    InstallRequest {
        version: version.map(|s| s.parse::<VersionSpec>().unwrap()),
        index_url: format!("{index}/simple"),
        ..InstallRequest::new(None)
    }
}

fn downloads(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("downloads"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn downloads_verifies_and_installs() {
    let tmp = tempfile::tempdir().unwrap();
    let (f430, sha430) = sdist(tmp.path(), "4.3.0");
    let (f421, sha421) = sdist(tmp.path(), "4.2.1");
    let bad = "f".repeat(64);
    let page = index_page(&[
        (
            "pyspark-4.2.1.tar.gz",
            "../../files/pyspark-4.2.1.tar.gz",
            &sha421,
        ),
        (
            "pyspark-4.3.0.tar.gz",
            "/files/pyspark-4.3.0.tar.gz",
            &sha430,
        ),
        (
            "pyspark-4.4.0.dev1.tar.gz",
            "/files/pyspark-4.4.0.dev1.tar.gz",
            &sha430,
        ),
        ("pyspark-4.1.0.tar.gz", "/files/pyspark-4.1.0.tar.gz", &bad),
    ]);
    let mut routes = HashMap::new();
    routes.insert("/simple/pyspark/".to_string(), page);
    routes.insert(
        "/files/pyspark-4.3.0.tar.gz".into(),
        std::fs::read(&f430).unwrap(),
    );
    routes.insert(
        "/files/pyspark-4.2.1.tar.gz".into(),
        std::fs::read(&f421).unwrap(),
    );
    // Served under 4.1.0's name but with other contents than its digest says.
    routes.insert(
        "/files/pyspark-4.1.0.tar.gz".into(),
        std::fs::read(&f421).unwrap(),
    );
    let (base, log) = serve(routes);
    let root = tmp.path().join("spark");
    let distros = Distributions::new(&root);

    // Newest supported release.
    let out = distros.install(&request(&base, None)).unwrap();
    assert_eq!(out.installation.version.to_string(), "4.3.0");
    assert!(!out.already_installed);
    let release = std::fs::read_to_string(root.join("4.3.0/RELEASE")).unwrap();
    assert!(
        release.contains(&format!("{base}/files/pyspark-4.3.0.tar.gz")),
        "{release}"
    );
    assert!(release.contains(&sha430), "{release}");
    assert!(downloads(&root).is_empty(), "{:?}", downloads(&root));

    // Newest of a line, through a relative link.
    let out = distros.install(&request(&base, Some("4.2"))).unwrap();
    assert_eq!(out.installation.version.to_string(), "4.2.1");

    // Exact and installed: no request at all.
    let before = log.lock().unwrap().len();
    let out = distros.install(&request(&base, Some("4.3.0"))).unwrap();
    assert!(out.already_installed);
    assert_eq!(log.lock().unwrap().len(), before);

    // Digest mismatch: refused, nothing left behind.
    let err = distros.install(&request(&base, Some("4.1"))).unwrap_err();
    assert!(matches!(err, DistroError::ChecksumMismatch { .. }), "{err}");
    assert!(!root.join("4.1.0").exists());
    assert!(downloads(&root).is_empty(), "{:?}", downloads(&root));
    assert!(partial_dirs(&root).is_empty());

    // Not on the index.
    let err = distros.install(&request(&base, Some("4.0"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no pyspark release 4.0.x on {base}/simple/pyspark/ (supported releases there: 4.3.0, 4.2.1, 4.1.0)"
        )
    );

    // An index that is not there.
    let err = distros
        .install(&request(&format!("{base}/nowhere"), None))
        .unwrap_err();
    assert!(
        matches!(err, DistroError::HttpStatus { status: 404, .. }),
        "{err}"
    );
}

#[test]
fn reuses_a_verified_download() {
    let tmp = tempfile::tempdir().unwrap();
    let (f430, sha430) = sdist(tmp.path(), "4.3.0");
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/pyspark/".to_string(),
        index_page(&[(
            "pyspark-4.3.0.tar.gz",
            "/files/pyspark-4.3.0.tar.gz",
            &sha430,
        )]),
    );
    // The file itself is not served: the install must use the one already downloaded.
    let (base, log) = serve(routes);
    let root = tmp.path().join("spark");
    std::fs::create_dir_all(root.join("downloads")).unwrap();
    std::fs::copy(&f430, root.join("downloads/pyspark-4.3.0.tar.gz")).unwrap();
    let out = Distributions::new(&root)
        .install(&request(&base, Some("4.3")))
        .unwrap();
    assert!(!out.already_installed);
    assert!(root.join("4.3.0/bin/spark-submit").is_file());
    assert_eq!(*log.lock().unwrap(), vec!["/simple/pyspark/".to_string()]);
}
