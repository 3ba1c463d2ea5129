//! Response times as a mergeable histogram. SKELETON: the interface only.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram;

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        let _ = micros;
        unimplemented!()
    }
    pub fn merge(&mut self, other: &Histogram) {
        let _ = other;
        unimplemented!()
    }
    pub fn count(&self) -> u64 {
        unimplemented!()
    }
    /// The value at quantile `q` (0..=1) in microseconds; None when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let _ = q;
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
