//! Unique visitors as a HyperLogLog (Flajolet et al. 2007) of keyed hashes of address and
//! user agent: 4,096 registers (about 1.6 % standard error), stored sparse while few are
//! set. The key (a salt derived from the data directory's key file) makes the hashes
//! useless to anyone holding only the database.

use std::hash::Hasher;

const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;
const SPARSE: u8 = 1;
const DENSE: u8 = 2;

#[derive(Clone, Debug, PartialEq)]
pub struct Visitors {
    registers: Vec<u8>,
}

impl Visitors {
    pub fn new() -> Self {
        Self {
            registers: vec![0; REGISTERS],
        }
    }

    /// Counts a visitor (client address and user agent), hashed with the install's salt;
    /// neither is kept.
    pub fn insert(&mut self, salt: &[u8; 16], client: &str, user_agent: &str) {
        let mut hasher = siphasher::sip::SipHasher13::new_with_key(salt);
        hasher.write(client.as_bytes());
        hasher.write_u8(0xff);
        hasher.write(user_agent.as_bytes());
        self.insert_hash(hasher.finish());
    }

    fn insert_hash(&mut self, hash: u64) {
        let index = (hash >> (64 - PRECISION)) as usize;
        let rest = hash << PRECISION;
        let rank = (rest.leading_zeros().min(64 - PRECISION) + 1) as u8;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    pub fn merge(&mut self, other: &Visitors) {
        for (mine, theirs) in self.registers.iter_mut().zip(&other.registers) {
            *mine = (*mine).max(*theirs);
        }
    }

    pub fn estimate(&self) -> u64 {
        let m = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self
            .registers
            .iter()
            .map(|r| 2f64.powi(-i32::from(*r)))
            .sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|r| **r == 0).count();
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            // Small range: linear counting is exact enough and unbiased.
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }

    /// Sparse (index as u16, rank) pairs while that is smaller, else all registers.
    pub fn to_blob(&self) -> Vec<u8> {
        let set: Vec<(usize, u8)> = self
            .registers
            .iter()
            .enumerate()
            .filter(|(_, rank)| **rank > 0)
            .map(|(index, rank)| (index, *rank))
            .collect();
        if set.len() * 3 < REGISTERS {
            let mut blob = Vec::with_capacity(1 + set.len() * 3);
            blob.push(SPARSE);
            for (index, rank) in set {
                blob.extend_from_slice(&(index as u16).to_le_bytes());
                blob.push(rank);
            }
            blob
        } else {
            let mut blob = Vec::with_capacity(1 + REGISTERS);
            blob.push(DENSE);
            blob.extend_from_slice(&self.registers);
            blob
        }
    }

    pub fn from_blob(blob: &[u8]) -> Result<Self, String> {
        let broken = |why: &str| format!("a stored visitor sketch is damaged ({why})");
        let mut sketch = Self::new();
        match blob.split_first() {
            Some((&SPARSE, pairs)) if pairs.len() % 3 == 0 => {
                for pair in pairs.chunks_exact(3) {
                    let index = usize::from(u16::from_le_bytes([pair[0], pair[1]]));
                    if index >= REGISTERS || pair[2] > 64 {
                        return Err(broken("register out of range"));
                    }
                    sketch.registers[index] = sketch.registers[index].max(pair[2]);
                }
            }
            Some((&DENSE, registers)) if registers.len() == REGISTERS => {
                if registers.iter().any(|rank| *rank > 64) {
                    return Err(broken("register out of range"));
                }
                sketch.registers.copy_from_slice(registers);
            }
            _ => return Err(broken("unknown layout")),
        }
        Ok(sketch)
    }
}

impl Default for Visitors {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 16] = *b"0123456789abcdef";

    #[test]
    fn estimates_are_close_and_duplicates_do_not_count() {
        for visitors in [0u32, 1, 10, 1000, 100_000] {
            let mut sketch = Visitors::new();
            for n in 0..visitors {
                sketch.insert(
                    &SALT,
                    &format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
                    "Mozilla/5.0",
                );
                sketch.insert(
                    &SALT,
                    &format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
                    "Mozilla/5.0",
                );
            }
            let estimate = sketch.estimate() as f64;
            let error = (estimate - f64::from(visitors)).abs() / f64::from(visitors.max(1));
            assert!(error < 0.03, "{visitors} visitors estimated as {estimate}");
        }
    }

    #[test]
    fn halves_merge_into_the_whole_and_blobs_round_trip() {
        let (mut first, mut second, mut whole) =
            (Visitors::new(), Visitors::new(), Visitors::new());
        for n in 0..20_000 {
            let client = format!("192.0.2.{n}");
            whole.insert(&SALT, &client, "x");
            if n % 2 == 0 {
                first.insert(&SALT, &client, "x")
            } else {
                second.insert(&SALT, &client, "x")
            }
        }
        first.merge(&second);
        assert_eq!(first, whole);
        assert_eq!(Visitors::from_blob(&whole.to_blob()).unwrap(), whole);
        let mut few = Visitors::new();
        few.insert(&SALT, "a", "b");
        assert!(few.to_blob().len() < 10, "sparse while few are set");
        assert_eq!(Visitors::from_blob(&few.to_blob()).unwrap(), few);
        assert!(Visitors::from_blob(&[]).is_err());
        assert!(Visitors::from_blob(&[SPARSE, 0xff, 0xff, 1]).is_err());
        assert!(Visitors::from_blob(&[DENSE, 1, 2]).is_err());
        // Another salt sets other registers.
        let mut other = Visitors::new();
        other.insert(b"fedcba9876543210", "a", "b");
        assert_ne!(other, few);
    }
}
