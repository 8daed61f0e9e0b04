//! HTTP: fetching the index page and streaming a release file to disk while hashing it.
//! Blocking; callers run these off any async runtime (see `crate::off_runtime`).

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::Url;
use sha2::{Digest, Sha256};

use crate::error::{one_line, DistroError};
use crate::index::{parse_simple_index, IndexEntry};
use crate::progress::Progress;

/// Chunk size for streaming reads.
const CHUNK: usize = 256 * 1024;

/// An HTTP client for the index and its files. Trusts the platform's certificate store;
/// honours the usual proxy variables.
pub(crate) fn client() -> Result<Client, DistroError> {
    Client::builder()
        .user_agent(concat!("sparkplane/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        // The blocking client applies this to the request and to every single body read,
        // so it is an inactivity limit, not a limit on the whole download.
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| DistroError::Http {
            url: "(client setup)".into(),
            message: one_line(&e),
        })
}

/// The URL of the `pyspark` project page on a simple index: `<index>/pyspark/`.
pub fn project_page_url(index_url: &str) -> String {
    format!("{}/pyspark/", index_url.trim_end_matches('/'))
}

/// `url` with any user name and password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_password(None);
            let _ = u.set_username("***");
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// An entry's link made absolute against the page it was found on.
pub(crate) fn absolute_url(page: &Url, href: &str) -> Result<Url, DistroError> {
    page.join(href).map_err(|e| DistroError::Http {
        url: redact_url(href),
        message: format!("not a valid link on {}: {e}", redact_url(page.as_str())),
    })
}

/// Fetches and parses the `pyspark` page of the index at `index_url`. Returns the page URL
/// (for resolving relative links) and its entries.
pub(crate) fn fetch_index(
    client: &Client,
    index_url: &str,
) -> Result<(Url, Vec<IndexEntry>), DistroError> {
    let page = project_page_url(index_url);
    let shown = redact_url(&page);
    let url = Url::parse(&page).map_err(|e| DistroError::Http {
        url: shown.clone(),
        message: format!("not a valid URL: {e}"),
    })?;
    let resp = client
        .get(url.clone())
        // Ask for the HTML form of the simple API (not PEP 691 JSON).
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .map_err(|e| http_error(&shown, e))?;
    if !resp.status().is_success() {
        return Err(DistroError::HttpStatus {
            url: shown,
            status: resp.status().as_u16(),
        });
    }
    let final_url = resp.url().clone();
    let html = resp.text().map_err(|e| http_error(&shown, e))?;
    Ok((final_url, parse_simple_index(&html)))
}

/// The final-release `pyspark` sdists on the simple index at `index_url` (e.g.
/// [`crate::DEFAULT_INDEX_URL`]), with absolute URLs, in page order. Blocking.
pub fn fetch_releases(index_url: &str) -> Result<Vec<IndexEntry>, DistroError> {
    crate::off_runtime("fetching the package index", || {
        let (page, entries) = fetch_index(&client()?, index_url)?;
        entries
            .into_iter()
            .map(|e| {
                let url = absolute_url(&page, &e.url)?.to_string();
                Ok(IndexEntry { url, ..e })
            })
            .collect()
    })
}

/// Streams `url` into `part` (created or truncated), hashing as it goes; returns the
/// lower-case hex sha256 of what was written. The file is synced before returning.
pub(crate) fn download(
    client: &Client,
    url: &Url,
    part: &Path,
    file_name: &str,
    show_progress: bool,
) -> Result<String, DistroError> {
    let label = format!("downloading {file_name}");
    let shown = redact_url(url.as_str());
    let mut resp = client
        .get(url.clone())
        .send()
        .map_err(|e| http_error(&shown, e))?;
    if !resp.status().is_success() {
        return Err(DistroError::HttpStatus {
            url: shown,
            status: resp.status().as_u16(),
        });
    }
    let file = File::create(part).map_err(|e| DistroError::io("create", part, e))?;
    let mut out = BufWriter::with_capacity(CHUNK * 4, file);
    let mut hasher = Sha256::new();
    let mut progress = Progress::start(show_progress, &label, resp.content_length());
    let mut buf = vec![0u8; CHUNK];
    let result = (|| {
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(DistroError::Http {
                        url: shown.clone(),
                        message: one_line(&e),
                    })
                }
            };
            // `n <= buf.len()` by the contract of `Read::read`.
            let chunk = &buf[..n];
            hasher.update(chunk);
            out.write_all(chunk)
                .map_err(|e| DistroError::io("write", part, e))?;
            progress.inc(n as u64);
        }
        let file = out
            .into_inner()
            .map_err(|e| DistroError::io("write", part, e.into_error()))?;
        file.sync_all()
            .map_err(|e| DistroError::io("sync", part, e))?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            progress.finish(&format!("downloaded {file_name}"));
            Ok(hex::encode(hasher.finalize()))
        }
        Err(e) => {
            progress.abandon();
            let _ = fs::remove_file(part);
            Err(e)
        }
    }
}

/// The lower-case hex sha256 of a file.
pub(crate) fn sha256_file(path: &Path) -> Result<String, DistroError> {
    let mut file = File::open(path).map_err(|e| DistroError::io("open", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DistroError::io("read", path, e)),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn http_error(url: &str, e: reqwest::Error) -> DistroError {
    DistroError::Http {
        url: url.to_string(),
        // reqwest's own text repeats the URL, possibly with credentials: drop it.
        message: one_line(&e.without_url()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls() {
        let cases = [
            (
                "https://pypi.org/simple",
                "https://pypi.org/simple/pyspark/",
            ),
            (
                "https://pypi.org/simple/",
                "https://pypi.org/simple/pyspark/",
            ),
            (
                "http://mirror:8080/root/pypi/+simple//",
                "http://mirror:8080/root/pypi/+simple/pyspark/",
            ),
        ];
        for (index, want) in cases {
            assert_eq!(project_page_url(index), want, "{index}");
        }
    }

    #[test]
    fn redacts_credentials() {
        let cases = [
            ("https://u:secret@host/simple/", "https://***@host/simple/"),
            ("https://token@host/simple/", "https://***@host/simple/"),
            ("https://host/simple/", "https://host/simple/"),
            ("not a url", "not a url"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
    }

    #[test]
    fn resolves_relative_links() {
        let page = Url::parse("https://mirror/simple/pyspark/").unwrap();
        let cases = [
            (
                "../../packages/a/pyspark-4.3.0.tar.gz",
                "https://mirror/packages/a/pyspark-4.3.0.tar.gz",
            ),
            (
                "/p/pyspark-4.3.0.tar.gz",
                "https://mirror/p/pyspark-4.3.0.tar.gz",
            ),
            (
                "https://files/x/pyspark-4.3.0.tar.gz",
                "https://files/x/pyspark-4.3.0.tar.gz",
            ),
        ];
        for (href, want) in cases {
            assert_eq!(absolute_url(&page, href).unwrap().as_str(), want, "{href}");
        }
    }
}
