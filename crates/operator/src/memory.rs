//! Returning freed memory to the system.
//!
//! glibc's allocator keeps memory freed after a burst (thousands of submissions at once) in
//! its arenas, so the resident size stays at the burst's peak long after the heap has
//! shrunk. Trimming now and then gives it back; measured in `bench/operator.sh memory`.

use std::time::Duration;

/// Trims the allocator's free memory every `every`, forever.
pub async fn trim_periodically(every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        trim();
    }
}

/// Returns the allocator's free memory to the system (glibc only; elsewhere a no-op).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
    // and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
