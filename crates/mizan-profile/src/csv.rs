//! CSV in blocks from any reader: one sequential scan cuts the stream after whole records
//! (tracking quotes as the `csv` crate does, skipping quote-free buffers with `memchr`), and
//! the blocks are parsed and summarised in parallel.
//!
//! The header is the first record. Values are never trimmed; the null tokens are
//! [`NULL_TOKENS`](crate::NULL_TOKENS). A record with another number of fields than the
//! header, a quote never closed, or a value over the length limit is an error naming the line.

use std::io::Read;
use std::sync::Arc;

use crate::engine::{self, Ctx, Observers, Partial};
use crate::error::Position;
use crate::text::{self, TextBlock};
use crate::{NULL_TOKENS, ProfileError, ValueObserver};

/// Longest record accepted, so an unclosed quote cannot take all memory.
const MAX_RECORD: usize = 64 << 20;

/// Where the scan is relative to quoting.
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

/// Cuts a byte stream into blocks of whole records.
pub(crate) struct Blocks<R> {
    reader: R,
    /// Whether quotes can hide newlines (CSV: yes; JSON Lines: no, they are escaped).
    quotes: bool,
    size: usize,
    pending: Vec<u8>,
    /// Bytes of `pending` already scanned.
    scanned: usize,
    /// End of the last whole record in `pending` (0: none).
    last_end: usize,
    state: Quote,
    /// Where in `pending` the open quote is, while `state` is quoted.
    open_at: usize,
    /// Line number of `pending[0]`.
    line: u64,
    eof: bool,
}

impl<R: Read> Blocks<R> {
    pub(crate) fn new(reader: R, size: usize, quotes: bool) -> Self {
        Self {
            reader,
            quotes,
            size: size.max(1),
            pending: Vec::new(),
            scanned: 0,
            last_end: 0,
            state: Quote::Start,
            open_at: 0,
            line: 1,
            eof: false,
        }
    }

    fn scan(&mut self) {
        let buf = &self.pending[self.scanned..];
        let base = self.scanned;
        if !self.quotes || (self.state != Quote::Quoted && memchr::memchr(b'"', buf).is_none()) {
            if let Some(i) = memchr::memrchr(b'\n', buf) {
                self.last_end = base + i + 1;
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
                    (Quote::Quoted, _) => Quote::Quoted,
                    (Quote::Closing | Quote::Start, b'"') => {
                        if before == Quote::Start {
                            self.open_at = base + i;
                        }
                        Quote::Quoted
                    }
                    (_, b'\n' | b'\r' | b',') => Quote::Start,
                    _ => Quote::Field,
                };
                if b == b'\n' && before != Quote::Quoted {
                    self.last_end = base + i + 1;
                }
            }
        }
        self.scanned = self.pending.len();
    }

    fn cut(&mut self, end: usize) -> (Vec<u8>, u64) {
        let rest = self.pending.split_off(end);
        let block = std::mem::replace(&mut self.pending, rest);
        let first = self.line;
        self.line += memchr::memchr_iter(b'\n', &block).count() as u64;
        self.scanned -= end;
        self.last_end = 0;
        self.open_at = self.open_at.saturating_sub(end);
        (block, first)
    }

    /// The next block of whole records and the line it starts on.
    pub(crate) fn next_block(&mut self) -> Result<Option<(Vec<u8>, u64)>, ProfileError> {
        loop {
            if self.pending.len() >= self.size && self.last_end > 0 {
                let end = self.last_end;
                return Ok(Some(self.cut(end)));
            }
            if self.eof {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                if self.state == Quote::Quoted {
                    let before = self.pending.get(..self.open_at).unwrap_or_default();
                    let line = self.line + memchr::memchr_iter(b'\n', before).count() as u64;
                    return Err(ProfileError::UnterminatedQuote { at: Position::Line(line) });
                }
                let end = self.pending.len();
                return Ok(Some(self.cut(end)));
            }
            if self.pending.len() > MAX_RECORD && self.last_end == 0 {
                return Err(ProfileError::RecordTooLong { at: Position::Line(self.line) });
            }
            let have = self.pending.len();
            let want = self.size.max(64 << 10);
            self.pending.resize(have + want, 0);
            let mut got = 0;
            while got < want {
                match self.reader.read(&mut self.pending[have + got..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            self.pending.truncate(have + got);
            self.scan();
        }
    }
}

fn csv_error(e: &csv::Error, first_line: u64) -> ProfileError {
    let line = first_line + e.position().map_or(1, csv::Position::line).saturating_sub(1);
    ProfileError::Csv { at: Position::Line(line), message: e.to_string() }
}

fn is_null(v: &[u8]) -> bool {
    NULL_TOKENS.iter().any(|t| t.as_bytes() == v)
}

/// Parses whole records into a block.
fn parse(names: &Arc<[Box<str>]>, bytes: &[u8], first_line: u64) -> Result<TextBlock, ProfileError> {
    let width = names.len();
    let mut block = TextBlock {
        names: names.clone(),
        buf: Vec::with_capacity(bytes.len()),
        cols: vec![Vec::new(); width],
        lines: Vec::new(),
    };
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).map_err(|e| csv_error(&e, first_line))? {
        let line = first_line + rec.position().map_or(1, csv::Position::line).saturating_sub(1);
        if rec.len() != width {
            return Err(ProfileError::RaggedRow {
                at: Position::Line(line),
                found: rec.len(),
                expected: width,
            });
        }
        block.lines.push(line);
        for (c, v) in rec.iter().enumerate() {
            if is_null(v) {
                if let Some(col) = block.cols.get_mut(c) {
                    col.push(None);
                }
            } else {
                block.push(c, v)?;
            }
        }
    }
    Ok(block)
}

/// Profiles a CSV stream into a summary.
pub(crate) fn profile<R: Read + Send, O: ValueObserver>(
    reader: R,
    ctx: &Ctx<'_>,
    observers: &Observers<'_, O>,
) -> Result<Partial, ProfileError> {
    let limits = &ctx.options.limits;
    let mut blocks = Blocks::new(reader, limits.block_bytes, true);
    let Some((mut first, _)) = blocks.next_block()? else { return Err(ProfileError::NoHeader) };
    if first.starts_with(b"\xef\xbb\xbf") {
        first.drain(..3);
    }
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(first.as_slice());
    let mut header = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut header).map_err(|e| csv_error(&e, 1))? {
        return Err(ProfileError::NoHeader);
    }
    if header.len() > limits.max_columns {
        return Err(ProfileError::TooManyColumns { found: header.len(), limit: limits.max_columns });
    }
    let mut names: Vec<Box<str>> = Vec::with_capacity(header.len());
    for h in &header {
        let name = std::str::from_utf8(h)
            .map_err(|_| ProfileError::NotUtf8 { at: Position::Line(1), column: String::new() })?;
        if names.iter().any(|n| **n == *name) {
            return Err(ProfileError::DuplicateColumn { column: name.to_owned() });
        }
        names.push(name.into());
    }
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(ProfileError::NoHeader);
    }
    let data_at = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX).min(first.len());
    let data_line = rdr.position().line();
    drop(rdr);
    let names: Arc<[Box<str>]> = names.into();
    for s in ctx.options.sensitive.iter().chain(ctx.options.formats.iter().map(|(n, _)| n)) {
        if !names.iter().any(|n| **n == **s) {
            return Err(ProfileError::UnknownColumn {
                column: s.clone(),
                available: crate::error::list(names.iter().map(|n| &**n)),
            });
        }
    }
    for n in names.iter() {
        observers.get(n);
    }
    let mut head = Some((first.split_off(data_at), data_line));
    let mut acc = engine::run(
        ctx,
        move || match head.take() {
            Some(h) => Ok(Some(h)),
            None => blocks.next_block(),
        },
        |(bytes, line)| text::summarise(&parse(&names, &bytes, line)?, ctx, observers),
    )?;
    if acc.names.is_empty() {
        acc.names = names.to_vec();
        acc.columns = names
            .iter()
            .map(|n| {
                crate::column::ColumnAcc::new(
                    crate::column::Mode::Infer(crate::column::Flags::ALL),
                    limits.quantile_buffer,
                    ctx.pattern(n),
                )
            })
            .collect();
    }
    Ok(acc)
}
