//! Unique visitors as a HyperLogLog of salted hashes. SKELETON: the interface only.

#[derive(Clone, Debug, PartialEq)]
pub struct Visitors;

impl Visitors {
    pub fn new() -> Self {
        unimplemented!()
    }
    /// Counts a visitor (client address and user agent), hashed with the install's salt;
    /// neither is kept.
    pub fn insert(&mut self, salt: &[u8; 16], client: &str, user_agent: &str) {
        let _ = (salt, client, user_agent);
        unimplemented!()
    }
    pub fn merge(&mut self, other: &Visitors) {
        let _ = other;
        unimplemented!()
    }
    pub fn estimate(&self) -> u64 {
        unimplemented!()
    }
    pub fn to_blob(&self) -> Vec<u8> {
        unimplemented!()
    }
    pub fn from_blob(blob: &[u8]) -> Result<Self, String> {
        let _ = blob;
        unimplemented!()
    }
}

impl Default for Visitors {
    fn default() -> Self {
        Self::new()
    }
}
