//! Random bytes from the operating system, with failure reported instead of a panic.

use crate::StoreError;

/// Fills a buffer of `N` bytes from the OS random number generator.
///
/// A failing RNG is an error (reported like an unavailable store: refuse, never
/// fall back to something weaker).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::new(format!("the OS random number generator failed: {e}")))?;
    Ok(bytes)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}
