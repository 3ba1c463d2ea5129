//! Response times as a mergeable histogram with logarithmic buckets: values below 16 µs
//! exactly, above that 16 buckets per power of two (each at most 1/16 wide, so a
//! bucket's midpoint is within about 3 % of any value in it), up to 2^40 µs (12 days);
//! longer times land in the last bucket. Stored sparse: only buckets with counts.

use std::collections::BTreeMap;

const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
const MAX_EXPONENT: u32 = 40;
const VERSION: u8 = 1;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    buckets: BTreeMap<u16, u64>,
}

/// The bucket of a value in microseconds.
fn bucket(micros: u64) -> u16 {
    if micros < SUB {
        return micros as u16;
    }
    let micros = micros.min((1 << (MAX_EXPONENT + 1)) - 1);
    let exponent = 63 - micros.leading_zeros();
    let sub = (micros >> (exponent - SUB_BITS)) & (SUB - 1);
    ((exponent - SUB_BITS + 1) as u64 * SUB + sub) as u16
}

/// The middle of a bucket, in microseconds.
fn middle(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < SUB {
        return bucket;
    }
    let exponent = bucket / SUB + u64::from(SUB_BITS) - 1;
    let sub = bucket % SUB;
    let low = (SUB + sub) << (exponent - u64::from(SUB_BITS));
    let width = 1u64 << (exponent - u64::from(SUB_BITS));
    low + width / 2
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        *self.buckets.entry(bucket(micros)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (bucket, count) in &other.buckets {
            *self.buckets.entry(*bucket).or_default() += count;
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// The value at quantile `q` (0..=1) in microseconds; None when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // The rank of the wanted value, 1-based: the median of 3 is the 2nd.
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in &self.buckets {
            seen += count;
            if seen >= rank {
                return Some(middle(*bucket));
            }
        }
        self.buckets
            .keys()
            .next_back()
            .map(|bucket| middle(*bucket))
    }

    /// Version byte, then (bucket as u16, count as varint) pairs.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(1 + self.buckets.len() * 4);
        blob.push(VERSION);
        for (bucket, count) in &self.buckets {
            blob.extend_from_slice(&bucket.to_le_bytes());
            let mut count = *count;
            loop {
                let byte = (count & 0x7f) as u8;
                count >>= 7;
                if count == 0 {
                    blob.push(byte);
                    break;
                }
                blob.push(byte | 0x80);
            }
        }
        blob
    }

    pub fn from_blob(blob: &[u8]) -> Result<Self, String> {
        let broken = |why: &str| format!("a stored response-time histogram is damaged ({why})");
        let (version, mut rest) = blob.split_first().ok_or_else(|| broken("empty"))?;
        if *version != VERSION {
            return Err(broken("unknown version"));
        }
        let mut buckets = BTreeMap::new();
        while !rest.is_empty() {
            let [low, high, tail @ ..] = rest else {
                return Err(broken("cut short"));
            };
            let bucket = u16::from_le_bytes([*low, *high]);
            let mut count = 0u64;
            let mut shift = 0;
            let mut tail = tail;
            loop {
                let (byte, more) = tail.split_first().ok_or_else(|| broken("cut short"))?;
                if shift > 63 {
                    return Err(broken("count too large"));
                }
                count |= u64::from(byte & 0x7f) << shift;
                shift += 7;
                tail = more;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            *buckets.entry(bucket).or_default() += count;
            rest = tail;
        }
        Ok(Self { buckets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_a_few_percent() {
        for value in [
            16u64, 17, 100, 999, 1000, 4200, 120_000, 480_000, 2_000_000, 90_000_000,
        ] {
            let back = middle(bucket(value)) as f64;
            let error = (back - value as f64).abs() / value as f64;
            assert!(error <= 0.035, "{value} came back as {back}");
        }
        for value in 0..16 {
            assert_eq!(middle(bucket(value)), value);
        }
        // Far too long: the last bucket, never a panic.
        assert_eq!(bucket(u64::MAX), bucket(1 << 41));
    }

    #[test]
    fn quantiles_merge_and_blobs() {
        let mut fast = Histogram::default();
        let mut slow = Histogram::default();
        for ms in 1..=90u64 {
            fast.record(ms * 1000);
        }
        for ms in 91..=100u64 {
            slow.record(ms * 1000);
        }
        let mut all = fast.clone();
        all.merge(&slow);
        assert_eq!(all.count(), 100);
        let near = |value: u64, expected: f64| (value as f64 - expected).abs() / expected < 0.035;
        assert!(
            near(all.quantile(0.5).unwrap(), 50_000.0),
            "{:?}",
            all.quantile(0.5)
        );
        assert!(
            near(all.quantile(0.95).unwrap(), 95_000.0),
            "{:?}",
            all.quantile(0.95)
        );
        assert!(
            near(all.quantile(0.99).unwrap(), 99_000.0),
            "{:?}",
            all.quantile(0.99)
        );
        assert_eq!(Histogram::default().quantile(0.5), None);
        let blob = all.to_blob();
        assert_eq!(Histogram::from_blob(&blob).unwrap(), all);
        assert!(Histogram::from_blob(&[]).is_err());
        assert!(Histogram::from_blob(&[1, 5]).is_err());
        assert!(Histogram::from_blob(&[1, 5, 0, 0x80]).is_err());
        assert!(Histogram::from_blob(&[9]).is_err());
    }
}
