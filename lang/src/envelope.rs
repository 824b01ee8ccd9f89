//! The versioned, checksummed envelope around every persisted format (IR modules, VM
//! snapshots, journal records): magic bytes naming the format, a format version, the payload
//! length, a checksum, then the payload in postcard.
//!
//! ```text
//! magic (4) | version u16 LE | length u32 LE | blake3(payload)[..8] | payload
//! ```
//! A damaged, truncated or newer envelope is a clear error, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;

const HEADER: usize = 4 + 2 + 4 + 8;

/// Why an envelope could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Fewer bytes than the header, or than the header says the payload has.
    Truncated {
        /// Bytes needed.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The magic bytes name another format.
    WrongFormat {
        /// What was expected.
        expected: [u8; 4],
        /// What was found.
        found: [u8; 4],
    },
    /// Written by a newer duet.
    NewerVersion {
        /// The newest version this build reads.
        supported: u16,
        /// The version found.
        found: u16,
    },
    /// Written by an earlier duet in a version this build no longer reads.
    OlderVersion {
        /// The version this build reads.
        supported: u16,
        /// The version found.
        found: u16,
    },
    /// The payload does not match its checksum.
    Checksum,
    /// The payload passed its checksum but does not decode (a bug, or a forged file).
    Decode(String),
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::Truncated { expected, found } => {
                write!(f, "truncated: expected {expected} bytes, found {found}")
            }
            EnvelopeError::WrongFormat { expected, found } => write!(
                f,
                "not a {} record (it starts with {:?})",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(found)
            ),
            EnvelopeError::NewerVersion { supported, found } => write!(
                f,
                "written by a newer duet (format version {found}; this build reads up to {supported}); upgrade duet"
            ),
            EnvelopeError::OlderVersion { supported, found } => write!(
                f,
                "written by an earlier duet (format version {found}; this build reads {supported}); finish it with the duet that wrote it"
            ),
            EnvelopeError::Checksum => {
                write!(f, "damaged: the checksum does not match the contents")
            }
            EnvelopeError::Decode(why) => write!(f, "damaged: the contents do not decode ({why})"),
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// The checksum covers the magic, the version and the length as well as the payload, so a
/// flipped bit anywhere in a record is caught.
fn checksum(magic: [u8; 4], version: u16, payload: &[u8]) -> [u8; 8] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&magic);
    hasher.update(&version.to_le_bytes());
    hasher.update(&(payload.len() as u32).to_le_bytes());
    hasher.update(payload);
    let hash = hasher.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&hash.as_bytes()[..8]);
    out
}

/// Encodes `value` in an envelope with `magic` and `version`.
pub fn seal<T: Serialize>(magic: [u8; 4], version: u16, value: &T) -> Vec<u8> {
    // The payload is encoded after room for the header, which is filled in once its length
    // and checksum are known: a state of megabytes is not copied again.
    // postcard only fails on types serde cannot describe, which ours never are.
    let mut out =
        postcard::to_extend(value, vec![0; HEADER]).expect("postcard encodes every duet type");
    let length = (out.len() - HEADER) as u32;
    let sum = checksum(magic, version, &out[HEADER..]);
    out[..4].copy_from_slice(&magic);
    out[4..6].copy_from_slice(&version.to_le_bytes());
    out[6..10].copy_from_slice(&length.to_le_bytes());
    out[10..HEADER].copy_from_slice(&sum);
    out
}

/// Checks and decodes an envelope written by [`seal`] with `magic`, accepting versions up to
/// `version`. Returns the version found with the value.
pub fn open<T: DeserializeOwned>(
    magic: [u8; 4],
    version: u16,
    bytes: &[u8],
) -> Result<(u16, T), EnvelopeError> {
    if bytes.len() < HEADER {
        return Err(EnvelopeError::Truncated {
            expected: HEADER,
            found: bytes.len(),
        });
    }
    let found_magic: [u8; 4] = bytes[..4].try_into().expect("four bytes");
    if found_magic != magic {
        return Err(EnvelopeError::WrongFormat {
            expected: magic,
            found: found_magic,
        });
    }
    let found_version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if found_version > version {
        return Err(EnvelopeError::NewerVersion {
            supported: version,
            found: found_version,
        });
    }
    let length = u32::from_le_bytes(bytes[6..10].try_into().expect("four bytes")) as usize;
    let payload = &bytes[HEADER..];
    if payload.len() != length {
        return Err(EnvelopeError::Truncated {
            expected: HEADER + length,
            found: bytes.len(),
        });
    }
    if checksum(found_magic, found_version, payload) != bytes[10..18] {
        return Err(EnvelopeError::Checksum);
    }
    let value = postcard::from_bytes(payload).map_err(|e| EnvelopeError::Decode(e.to_string()))?;
    Ok((found_version, value))
}

/// Like [`open`], for formats without migrations: only `version` itself is read, and an
/// older version is [`EnvelopeError::OlderVersion`] (checked before the body is decoded).
pub fn open_current<T: DeserializeOwned>(
    magic: [u8; 4],
    version: u16,
    bytes: &[u8],
) -> Result<T, EnvelopeError> {
    if bytes.len() >= 6 && bytes[..4] == magic {
        let found = u16::from_le_bytes([bytes[4], bytes[5]]);
        if found < version {
            return Err(EnvelopeError::OlderVersion {
                supported: version,
                found,
            });
        }
    }
    open(magic, version, bytes).map(|(_, value)| value)
}

/// A 32-byte content hash, shown as hex.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = *b"TEST";

    #[test]
    fn round_trip_and_every_kind_of_damage() {
        let value = (1u32, String::from("hello"), vec![1.5f64]);
        let bytes = seal(MAGIC, 2, &value);
        assert_eq!(
            open::<(u32, String, Vec<f64>)>(MAGIC, 2, &bytes),
            Ok((2, value.clone()))
        );
        assert!(matches!(
            open::<(u32, String, Vec<f64>)>(MAGIC, 1, &bytes),
            Err(EnvelopeError::NewerVersion {
                supported: 1,
                found: 2
            })
        ));
        assert!(matches!(
            open::<(u32, String, Vec<f64>)>(*b"ELSE", 2, &bytes),
            Err(EnvelopeError::WrongFormat { .. })
        ));
        assert!(matches!(
            open::<(u32, String, Vec<f64>)>(MAGIC, 2, &bytes[..bytes.len() - 1]),
            Err(EnvelopeError::Truncated { .. })
        ));
        assert!(matches!(
            open::<(u32, String, Vec<f64>)>(MAGIC, 2, &bytes[..5]),
            Err(EnvelopeError::Truncated { .. })
        ));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        assert_eq!(
            open::<(u32, String, Vec<f64>)>(MAGIC, 2, &flipped),
            Err(EnvelopeError::Checksum)
        );
    }

    #[test]
    fn formats_without_migrations_refuse_older_versions_before_decoding() {
        // Version 1 held a different type: it must not even be decoded as the new one.
        let old = seal(MAGIC, 1, &String::from("old layout"));
        let refused = open_current::<(u32, u64)>(MAGIC, 2, &old).unwrap_err();
        assert_eq!(
            refused,
            EnvelopeError::OlderVersion {
                supported: 2,
                found: 1
            }
        );
        assert!(refused.to_string().contains("earlier duet"), "{refused}");
        let current = seal(MAGIC, 2, &(7u32, 9u64));
        assert_eq!(open_current::<(u32, u64)>(MAGIC, 2, &current), Ok((7, 9)));
    }
}
