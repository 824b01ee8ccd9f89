//! Content-addressed blobs for large payloads (tool outputs, files, transcripts): stored once
//! under the blake3 hash of their contents, referenced from turns by hash. Reading checks the
//! contents against the hash as well as the envelope's checksum.

use std::fmt;
use std::str::FromStr;

use duet_lang::envelope::content_hash;

use super::Store;
use super::error::{Damage, Location, Result, StoreError};
use super::records::{self, BLOB_MAGIC, BLOB_VERSION, BlobRecord};

/// The blake3 hash of a blob's contents, shown as 64 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobHash(pub [u8; 32]);

impl BlobHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobHash {
        content_hash(bytes)
            .parse()
            .expect("content_hash gives 64 hexadecimal digits")
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for BlobHash {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<BlobHash> {
        let bad = || StoreError::BadBlobHash(text.to_string());
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(BlobHash(out))
    }
}

impl Store {
    /// Stores `bytes` (once, however often it is put) and returns its hash. Durable when it
    /// returns.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<BlobHash> {
        self.inner.commit.check()?;
        let hash = BlobHash::of(bytes);
        let guard = self.write_lock();
        let present = self
            .inner
            .ks
            .blobs
            .contains_key(hash.0)
            .map_err(|source| self.db_error("looking up a blob", source))?;
        let mut batch = self.inner.db.batch();
        if !present {
            let record = BlobRecord {
                bytes: bytes.to_vec(),
            };
            batch.insert(
                &self.inner.ks.blobs,
                hash.0,
                records::seal(BLOB_MAGIC, BLOB_VERSION, &record),
            );
        }
        // An empty batch writes nothing but still waits for every earlier write, including a
        // concurrent put of the same blob, to be durable.
        self.commit(guard, batch)?;
        Ok(hash)
    }

    /// The blob with this hash, if stored.
    pub fn get_blob(&self, hash: &BlobHash) -> Result<Option<Vec<u8>>> {
        let Some(bytes) = self.get(&self.inner.ks.blobs, &hash.0, "reading a blob")? else {
            return Ok(None);
        };
        let location = || Location::Blob(hash.to_string());
        let record: BlobRecord = self.decode(BLOB_MAGIC, BLOB_VERSION, &bytes, location)?;
        if BlobHash::of(&record.bytes) != *hash {
            return Err(self.damaged(
                location(),
                Damage::Inconsistent("its contents do not match its hash".into()),
            ));
        }
        Ok(Some(record.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_print_and_parse() {
        let hash = BlobHash::of(b"hello");
        assert_eq!(hash.to_string(), content_hash(b"hello"));
        assert_eq!(hash.to_string().parse::<BlobHash>().unwrap(), hash);
        assert!("xyz".parse::<BlobHash>().is_err());
        assert!("g".repeat(64).parse::<BlobHash>().is_err());
        assert!("é".repeat(32).parse::<BlobHash>().is_err());
    }
}
