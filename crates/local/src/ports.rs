//! Finding free TCP ports on the loopback interface.

use std::net::TcpListener;

use crate::LocalError;

/// True when `host:port` can be bound right now.
pub fn is_free(host: &str, port: u16) -> bool {
    TcpListener::bind((host, port)).is_ok()
}

/// The first free port at or above `start`, skipping `taken`.
pub fn first_free_from(host: &str, start: u16, taken: &[u16]) -> Result<u16, LocalError> {
    (start..=u16::MAX)
        .take(2000)
        .find(|p| !taken.contains(p) && is_free(host, *p))
        .ok_or_else(|| LocalError::NoFreePort {
            host: host.to_string(),
            start,
        })
}

/// A port the kernel considers free now (from the ephemeral range), not in `taken`.
pub fn ephemeral(host: &str, taken: &[u16]) -> Result<u16, LocalError> {
    for _ in 0..50 {
        let listener = TcpListener::bind((host, 0)).map_err(|_| LocalError::NoFreePort {
            host: host.to_string(),
            start: 0,
        })?;
        let port = listener
            .local_addr()
            .map_err(|_| LocalError::NoFreePort {
                host: host.to_string(),
                start: 0,
            })?
            .port();
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
    Err(LocalError::NoFreePort {
        host: host.to_string(),
        start: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_port_is_not_free_and_is_skipped() {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(!is_free("127.0.0.1", port));
        let next = first_free_from("127.0.0.1", port, &[]).unwrap();
        assert!(next > port);
        let e = ephemeral("127.0.0.1", &[port]).unwrap();
        assert_ne!(e, port);
    }
}
