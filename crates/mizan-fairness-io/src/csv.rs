//! CSV input in blocks: one sequential pass finds record boundaries (and hashes the file),
//! then blocks are parsed and tallied in parallel.
//!
//! A newline ends a record unless it is inside a quoted field, so the boundary pass tracks
//! quoting exactly as the `csv` crate parses it (a quote opens a field only at its start; `""`
//! inside quotes is a quote). Buffers without quotes are skipped with `memchr`. Every block
//! ends just after a record's newline, so each parses on its own exactly as it would in one
//! pass over the file; its first line number comes from the boundary pass, and rows are
//! renumbered when blocks merge. Memory is one block per thread, whatever the file's size.

use mizan_fairness::Tally;
use sha2::{Digest, Sha256};

use crate::code::{self, Cache, Refused};
use crate::{Ctx, ReadError, Source, columns, missing_column};

/// Rows counted per call into the tally.
const BATCH: usize = 16 * 1024;

/// A byte range of whole records and the line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    start: u64,
    end: u64,
    line: u64,
}

/// Where the boundary pass is relative to quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// At the start of a field (or record).
    Start,
    /// Inside an unquoted field: a quote here is a literal.
    Field,
    /// Inside a quoted field: newlines and commas are data.
    Quoted,
    /// Just after a quote inside a quoted field: it closed the field unless another follows.
    Closing,
}

/// Cuts a byte stream into blocks of at least `size` bytes at record boundaries.
#[derive(Debug)]
struct Splitter {
    size: u64,
    state: Quote,
    /// Start and first line of the block being built.
    start: u64,
    start_line: u64,
    /// Line number at the first byte not yet counted.
    line: u64,
    blocks: Vec<Block>,
}

fn newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

impl Splitter {
    fn new(start: u64, line: u64, size: usize) -> Self {
        Self { size: size as u64, state: Quote::Start, start, start_line: line, line, blocks: Vec::new() }
    }

    /// Takes the next bytes of the stream; `at` is the file offset of `buf[0]`.
    fn feed(&mut self, at: u64, buf: &[u8]) {
        // Bytes of `buf` before `seg` are already counted in `self.line`.
        let mut seg = 0usize;
        let cut = |s: &mut Self, seg: &mut usize, j: usize| {
            s.line += newlines(&buf[*seg..j]);
            *seg = j;
            let end = at + j as u64;
            s.blocks.push(Block { start: s.start, end, line: s.start_line });
            s.start = end;
            s.start_line = s.line;
        };
        if self.state != Quote::Quoted && memchr::memchr(b'"', buf).is_none() {
            // No quote: every newline ends a record.
            loop {
                let target = self.start + self.size;
                // A cut after index `j` ends the block at `at + j + 1`.
                let from = usize::try_from(target.saturating_sub(at + 1)).unwrap_or(usize::MAX);
                if from >= buf.len() {
                    break;
                }
                let Some(k) = memchr::memchr(b'\n', &buf[from..]) else { break };
                cut(self, &mut seg, from + k + 1);
            }
            self.state = match buf.last() {
                Some(b'\n' | b'\r' | b',') => Quote::Start,
                Some(_) => Quote::Field,
                None => self.state,
            };
        } else {
            for (i, &b) in buf.iter().enumerate() {
                let before = self.state;
                self.state = match (before, b) {
                    (Quote::Quoted, b'"') => Quote::Closing,
                    (Quote::Quoted, _) | (Quote::Closing | Quote::Start, b'"') => Quote::Quoted,
                    (_, b'\n' | b'\r' | b',') => Quote::Start,
                    _ => Quote::Field,
                };
                if b == b'\n' && before != Quote::Quoted && at + i as u64 + 1 >= self.start + self.size {
                    cut(self, &mut seg, i + 1);
                }
            }
        }
        self.line += newlines(&buf[seg..]);
    }

    /// The blocks, the last one ending at `len`.
    fn finish(mut self, len: u64) -> Vec<Block> {
        if self.start < len {
            self.blocks.push(Block { start: self.start, end: len, line: self.start_line });
        }
        self.blocks
    }
}

fn csv_error(ctx: &Ctx<'_>, e: &csv::Error, first_line: u64) -> ReadError {
    ReadError::Csv {
        path: ctx.path.to_owned(),
        line: first_line + e.position().map_or(1, csv::Position::line) - 1,
        message: e.to_string(),
    }
}

/// The header's fields, where the data starts and the line it starts on.
fn header(ctx: &Ctx<'_>) -> Result<(csv::StringRecord, u64, u64), ReadError> {
    fn read<R: std::io::Read>(ctx: &Ctx<'_>, r: R) -> Result<(csv::StringRecord, u64, u64), ReadError> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(r);
        let headers = rdr.headers().map_err(|e| csv_error(ctx, &e, 1))?.clone();
        Ok((headers, rdr.position().byte(), rdr.position().line()))
    }
    match ctx.src {
        Source::File(p) => {
            let f = std::fs::File::open(p).map_err(Source::io(ctx.path))?;
            read(ctx, f)
        }
        Source::Memory(b) => read(ctx, b),
    }
}

/// Counts a CSV source; with `hash`, also returns its SHA-256.
pub(crate) fn count(ctx: &Ctx<'_>, hash: bool) -> Result<(Tally, Option<String>), ReadError> {
    let path = ctx.path;
    let len = ctx.src.len(path)?;
    let (headers, data, data_line) = header(ctx)?;
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ReadError::Empty { path: path.to_owned() });
    }
    let idx: Vec<usize> = columns(ctx.spec)
        .into_iter()
        .map(|name| {
            headers.iter().position(|h| h == name).ok_or_else(|| missing_column(path, name, headers.iter()))
        })
        .collect::<Result<_, _>>()?;
    ctx.add_work(len + len.saturating_sub(data));
    let mut sha = hash.then(Sha256::new);
    let mut split = Splitter::new(data, data_line, ctx.opts.csv_block);
    let mut at = 0u64;
    ctx.src.stream(path, |buf| {
        if let Some(h) = &mut sha {
            h.update(buf);
        }
        let skip = usize::try_from(data.saturating_sub(at)).unwrap_or(usize::MAX).min(buf.len());
        split.feed(at + skip as u64, &buf[skip..]);
        at += buf.len() as u64;
        ctx.work_done(buf.len() as u64);
    })?;
    let blocks = split.finish(at);
    let tally = ctx.chunks(blocks.len(), |k| {
        // `chunks` calls with `k < blocks.len()`.
        let b = blocks[k];
        let bytes = ctx.src.read_at(path, b.start, usize::try_from(b.end - b.start).unwrap_or(usize::MAX))?;
        let t = block(ctx, &idx, headers.len(), &bytes, b.line)?;
        ctx.work_done(b.end - b.start);
        Ok(t)
    })?;
    Ok((tally, sha.map(|h| hex::encode(h.finalize()))))
}

/// Tallies one block of whole records starting on line `first_line`.
fn block(
    ctx: &Ctx<'_>,
    idx: &[usize],
    fields: usize,
    bytes: &[u8],
    first_line: u64,
) -> Result<Tally, ReadError> {
    let spec = ctx.spec;
    let names = columns(spec);
    let roles = code::roles(spec);
    let dims = roles.len();
    let mut t = ctx.tally()?;
    let mut caches: Vec<Cache<Box<[u8]>>> = (0..dims).map(|_| Cache::default()).collect();
    let mut codes: Vec<Vec<u32>> = vec![Vec::with_capacity(BATCH); dims];
    let mut weights: Vec<f64> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    let flush = |t: &mut Tally, codes: &mut Vec<Vec<u32>>, weights: &mut Vec<f64>| -> Result<(), ReadError> {
        let slices: Vec<&[u32]> = codes.iter().map(Vec::as_slice).collect();
        t.count(&slices, spec.weight.is_some().then_some(weights.as_slice()))?;
        ctx.check_tally(t)?;
        codes.iter_mut().for_each(Vec::clear);
        weights.clear();
        Ok(())
    };
    while rdr.read_byte_record(&mut rec).map_err(|e| csv_error(ctx, &e, first_line))? {
        row += 1;
        let line = first_line + rec.position().map_or(1, csv::Position::line) - 1;
        if rec.len() != fields {
            return Err(ReadError::Csv {
                path: ctx.path.to_owned(),
                line,
                message: format!("found a record with {} fields, but the header has {fields}", rec.len()),
            });
        }
        let text = |raw: &[u8], d: usize| {
            std::str::from_utf8(raw).map(str::to_owned).map_err(|_| ReadError::Csv {
                path: ctx.path.to_owned(),
                line,
                message: format!("the value of column `{}` is not valid UTF-8", names[d]),
            })
        };
        for (d, &role) in roles.iter().enumerate() {
            // `rec` has as many fields as the header, and `idx` points into the header.
            let raw = rec.get(idx[d]).unwrap_or_default();
            let c = if let Some(c) = caches[d].get(raw) {
                c
            } else {
                let value = text(raw, d)?;
                let c = match code::code(&mut t, d, role, Some(&value), spec.bounds.value_chars) {
                    Ok(c) => c,
                    Err(Refused::Missing) => {
                        return Err(ReadError::MissingValue {
                            column: names[d].to_owned(),
                            row,
                            line: usize::try_from(line).unwrap_or(usize::MAX),
                            value: crate::clip(&value),
                        });
                    }
                    Err(Refused::TooLong(chars)) => {
                        return Err(ReadError::ValueTooLong {
                            column: names[d].to_owned(),
                            row,
                            chars,
                            limit: spec.bounds.value_chars,
                        });
                    }
                };
                caches[d].insert(raw.into(), c);
                c
            };
            codes[d].push(c);
        }
        if spec.weight.is_some() {
            let raw = rec.get(idx[dims]).unwrap_or_default();
            let parsed = std::str::from_utf8(raw)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|w| w.is_finite() && *w >= 0.0);
            let Some(w) = parsed else {
                return Err(ReadError::BadWeight {
                    column: names[dims].to_owned(),
                    row,
                    value: crate::clip(&String::from_utf8_lossy(raw)),
                });
            };
            weights.push(w);
        }
        if codes[0].len() == BATCH {
            flush(&mut t, &mut codes, &mut weights)?;
        }
    }
    flush(&mut t, &mut codes, &mut weights)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of `csv` (data starting at 0 on line 1) cut with the buffer split at `at`.
    fn split(csv: &[u8], size: usize, at: usize) -> Vec<Block> {
        let mut s = Splitter::new(0, 1, size);
        s.feed(0, &csv[..at]);
        s.feed(at as u64, &csv[at..]);
        s.finish(csv.len() as u64)
    }

    #[test]
    fn cuts_after_newlines_outside_quotes() {
        let csv = b"a,b\n\"x\ny\",2\n\"q\"\"\n\",3\nz\"\n,4\n";
        // Every block ends after a record's newline: never inside `"x\ny"` or `"q""\n"`,
        // and the literal quote in `z"` opens nothing.
        let want = [4, 12, 21, 24, 27];
        for at in 0..=csv.len() {
            let blocks = split(csv, 1, at);
            let ends: Vec<u64> = blocks.iter().map(|b| b.end).collect();
            assert_eq!(ends, want, "buffer split at {at}");
            let lines: Vec<u64> = blocks.iter().map(|b| b.line).collect();
            assert_eq!(lines, [1, 2, 4, 6, 7], "buffer split at {at}");
        }
        assert_eq!(split(csv, 1000, 3), [Block { start: 0, end: csv.len() as u64, line: 1 }]);
    }
}
