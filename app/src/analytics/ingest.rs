//! Reading log files: which files belong to a source, how each is recognised, and turning
//! their new lines into batches. Blocking code, run on a blocking thread; the service
//! writes each batch with the position it reached in one transaction.
//!
//! A file is recognised by the fingerprint of its first line, not by its name or inode:
//! after `access.log` is renamed to `access.log.1` (and later compressed to
//! `access.log.2.gz`) it is still the same file, read on from where ingest stopped. With
//! copytruncate the copy keeps the old first line (so it is read on) and the truncated
//! live file starts with a new one (so it is read from the start).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::aggregate::Batch;
use super::parse::Parser;
use super::route::RouteRules;

/// Bytes of lines read into one batch (one transaction). Large enough that a big import
/// spends its time parsing, small enough that memory stays flat whatever the file's size.
pub const CHUNK_BYTES: usize = 16 << 20;
/// The first line's bytes that make the fingerprint.
const FINGERPRINT_BYTES: usize = 1024;
/// A line longer than this is rejected and skipped (and never held whole in memory).
pub const MAX_LINE: usize = 64 << 10;

/// A file as ingest sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    pub path: PathBuf,
    pub fingerprint: String,
    pub device: u64,
    pub inode: u64,
    /// Bytes on disk (compressed bytes for .gz).
    pub size: u64,
    pub compressed: bool,
}

pub fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "gz")
}

/// Identifies a file; None when it has no complete first line yet (nothing to read).
pub fn identify(path: &Path) -> std::io::Result<Option<LogFile>> {
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    let compressed = is_compressed(path);
    let mut reader = open_reader(file, compressed)?;
    let mut first = Vec::new();
    (&mut reader)
        .take(FINGERPRINT_BYTES as u64)
        .read_until(b'\n', &mut first)?;
    // A first line still being written would change the fingerprint: wait for it, unless
    // it is longer than the fingerprint anyway, or the file will not grow (compressed).
    if first.is_empty()
        || (!first.ends_with(b"\n") && first.len() < FINGERPRINT_BYTES && !compressed)
    {
        return Ok(None);
    }
    let digest = Sha256::digest(&first);
    Ok(Some(LogFile {
        path: path.to_owned(),
        fingerprint: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        device: metadata.dev(),
        inode: metadata.ino(),
        size: metadata.len(),
        compressed,
    }))
}

fn open_reader(file: File, compressed: bool) -> std::io::Result<Box<dyn BufRead + Send>> {
    Ok(if compressed {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

/// The live file and its rotated siblings (`access.log.1`, `access.log.2.gz`,
/// `access.log-20261122`), oldest first, the live file last.
pub fn family(live: &Path) -> std::io::Result<Vec<PathBuf>> {
    let (Some(directory), Some(name)) = (live.parent(), live.file_name().and_then(|n| n.to_str()))
    else {
        return Ok(vec![live.to_owned()]);
    };
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };
    let mut rotated = Vec::new();
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(candidate) = file_name.to_str() else {
            continue;
        };
        if is_rotated_name(name, candidate) && entry.file_type()?.is_file() {
            let modified = entry.metadata()?.modified()?;
            rotated.push((modified, entry.path()));
        }
    }
    rotated.sort();
    let mut paths: Vec<PathBuf> = rotated.into_iter().map(|(_, path)| path).collect();
    if live.exists() {
        paths.push(live.to_owned());
    }
    Ok(paths)
}

/// `access.log.1`, `access.log.3.gz`, `access.log-20261122(.gz)` for `access.log`.
fn is_rotated_name(live: &str, candidate: &str) -> bool {
    let Some(rest) = candidate.strip_prefix(live) else {
        return false;
    };
    let rest = rest.strip_suffix(".gz").unwrap_or(rest);
    let suffix = match rest.as_bytes().first() {
        Some(b'.') | Some(b'-') => &rest[1..],
        _ => return false,
    };
    !suffix.is_empty() && suffix.bytes().all(|byte| byte.is_ascii_digit())
}

/// One batch of a file: the lines it holds and the position after them.
pub struct Chunk {
    pub batch: Batch,
    /// Position after the last line in this batch (decompressed bytes for .gz).
    pub read_to: u64,
    /// The file was read to its end (a compressed file is then done).
    pub at_end: bool,
}

/// Reads a file from `from` in chunks and hands each to `deliver` (which may block, so
/// memory stays bounded). `complete` says the file will not grow, so a last line without
/// a newline is read too; a live file's unfinished last line waits for the next pass.
pub fn read_file(
    file: &LogFile,
    from: u64,
    complete: bool,
    parser: &mut Parser,
    rules: &RouteRules,
    salt: &[u8; 16],
    mut deliver: impl FnMut(Chunk) -> bool,
) -> std::io::Result<()> {
    let mut handle = File::open(&file.path)?;
    let mut reader: Box<dyn BufRead + Send> = if file.compressed {
        let mut reader = open_reader(handle, true)?;
        std::io::copy(&mut (&mut reader).take(from), &mut std::io::sink())?;
        reader
    } else {
        handle.seek(SeekFrom::Start(from))?;
        open_reader(handle, false)?
    };
    let mut position = from;
    let mut line = Vec::with_capacity(4096);
    loop {
        let mut batch = Batch::default();
        batch.agentless = !parser.has_user_agent();
        let mut read = 0usize;
        let mut at_end = false;
        while read < CHUNK_BYTES {
            line.clear();
            let taken = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if taken == 0 {
                at_end = true;
                break;
            }
            let newline = line.ends_with(b"\n");
            if !newline && line.len() > MAX_LINE {
                // An absurd line: reject it and skip to its end.
                let mut skipped = taken;
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let more = (&mut reader)
                        .take(MAX_LINE as u64)
                        .read_until(b'\n', &mut rest)?;
                    skipped += more;
                    if more == 0 || rest.ends_with(b"\n") {
                        break;
                    }
                }
                batch.reject(&line[..300.min(line.len())], "longer than 64 KiB");
                read += skipped;
                continue;
            }
            if !newline && !complete {
                // Still being written: leave it for the next pass.
                at_end = true;
                break;
            }
            read += taken;
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.is_empty() {
                continue;
            }
            match parser.parse(text) {
                Ok(hit) => batch.add(&hit, rules, salt),
                Err(reason) => batch.reject(text, reason),
            }
        }
        position += read as u64;
        let chunk = Chunk {
            batch,
            read_to: position,
            at_end,
        };
        if !deliver(chunk) || at_end {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_siblings_are_recognised_by_name() {
        for rotated in [
            "access.log.1",
            "access.log.2.gz",
            "access.log-20261122",
            "access.log-20261122.gz",
        ] {
            assert!(is_rotated_name("access.log", rotated), "{rotated}");
        }
        for other in [
            "access.log",
            "access.log.bak",
            "access.log.1.tmp",
            "error.log.1",
            "access.log.",
            "access.logx",
        ] {
            assert!(!is_rotated_name("access.log", other), "{other}");
        }
    }
}
