//! TOTP (RFC 6238) as authenticator apps speak it: SHA-1, 6 digits, 30 s steps, one step
//! of drift either way.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Secret, TOTP};
use zeroize::Zeroizing;

use crate::clock::unix_secs;
use crate::random::random_bytes;
use crate::StoreError;

/// Seconds per TOTP time step.
pub const TOTP_STEP_SECS: u64 = 30;
/// Digits of a TOTP code.
pub const TOTP_DIGITS: usize = 6;
/// Steps of clock drift accepted either way.
const SKEW: u64 = 1;

/// A user's TOTP secret. Never logged: `Debug` shows `TotpSecret(..)`, and the bytes are
/// wiped when it is dropped.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

/// A base32 TOTP secret that does not decode (or is shorter than 80 bits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a TOTP secret must be base32 (RFC 4648) of at least 80 bits")]
pub struct InvalidTotpSecret;

impl TotpSecret {
    /// A new random 160-bit secret (RFC 4226's recommended length).
    pub fn generate() -> Result<Self, StoreError> {
        Ok(TotpSecret(Zeroizing::new(random_bytes::<20>()?.to_vec())))
    }

    /// A secret from its base32 text (as authenticator apps show it: `JBSWY3DPEHPK3PXP`);
    /// spaces and case are ignored.
    pub fn from_base32(text: &str) -> Result<Self, InvalidTotpSecret> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = Secret::Encoded(cleaned)
            .to_bytes()
            .map_err(|_| InvalidTotpSecret)?;
        if bytes.len() < 10 {
            return Err(InvalidTotpSecret);
        }
        Ok(TotpSecret(Zeroizing::new(bytes)))
    }

    /// The base32 text, for a user typing it into an app instead of scanning the code.
    pub fn to_base32(&self) -> String {
        Secret::Raw(self.0.to_vec()).to_encoded().to_string()
    }

    fn totp(&self, issuer: Option<&str>, account: &str) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            TOTP_DIGITS,
            SKEW as u8,
            TOTP_STEP_SECS,
            self.0.to_vec(),
            issuer.map(str::to_owned),
            account.to_owned(),
        )
    }

    /// The code of the time step `at` falls in.
    pub fn code_at(&self, at: SystemTime) -> String {
        self.code_of_step(unix_secs(at) / TOTP_STEP_SECS)
    }

    fn code_of_step(&self, step: u64) -> String {
        self.totp(None, "").generate(step * TOTP_STEP_SECS)
    }

    /// The time step `code` belongs to, if it is the code of the step `now` is in or of
    /// one step either side. Compared in constant time.
    pub fn matching_step(&self, code: &str, now: SystemTime) -> Option<u64> {
        let code = code.trim();
        if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = unix_secs(now) / TOTP_STEP_SECS;
        let mut found = None;
        // Every candidate is computed and compared: no early return to time.
        for step in current.saturating_sub(SKEW)..=current + SKEW {
            let expected = self.code_of_step(step);
            if same_digits(expected.as_bytes(), code.as_bytes()) {
                found = Some(step);
            }
        }
        found
    }

    /// The `otpauth://totp/…` URI an authenticator app scans.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        self.totp(Some(issuer), account).get_url()
    }
}

/// Whether `a` and `b` are equal, in time that depends on their length only.
fn same_digits(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TryFrom<String> for TotpSecret {
    type Error = InvalidTotpSecret;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let text = Zeroizing::new(text);
        TotpSecret::from_base32(&text)
    }
}

impl From<TotpSecret> for String {
    fn from(secret: TotpSecret) -> String {
        secret.to_base32()
    }
}

/// An SVG drawing of `text` as a QR code, to embed inline in a page (no XML
/// declaration, no script).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Some(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// RFC 6238 appendix B, SHA-1, truncated to 6 digits.
    #[test]
    fn rfc_6238_vectors() {
        let secret = TotpSecret(Zeroizing::new(b"12345678901234567890".to_vec()));
        let at = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(secret.code_at(at(59)), "287082");
        assert_eq!(secret.code_at(at(1111111109)), "081804");
        assert_eq!(secret.code_at(at(1234567890)), "005924");
        assert_eq!(secret.code_at(at(20000000000)), "353130");
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_more() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_015);
        let step = 1_800_000_015 / 30;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = secret.code_of_step((step as i64 + offset) as u64);
            let found = secret.matching_step(&code, now);
            assert_eq!(found.is_some(), accepted, "offset {offset}");
            if accepted {
                assert_eq!(found, Some((step as i64 + offset) as u64));
            }
        }
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("abcdef", now), None);
    }

    #[test]
    fn base32_round_trips_and_debug_is_redacted() {
        let secret = TotpSecret::from_base32("jbsw y3dp ehpk 3pxp").unwrap();
        assert_eq!(secret.to_base32(), "JBSWY3DPEHPK3PXP");
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
        assert!(TotpSecret::from_base32("short").is_err());
        let uri = secret.otpauth_uri("auth-hooks demo", "grace");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret=JBSWY3DPEHPK3PXP"), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && !svg.contains("<script"), "{svg}");
    }
}
