//! Blocks of text rows (CSV and JSON Lines after parsing): values as byte ranges of one
//! buffer, column by column, summarised with every candidate type tracked.

use std::sync::{Arc, PoisonError};

use crate::column::{ColumnAcc, Flags, Mode};
use crate::engine::{Ctx, Grouping, Observers, Partial, Present, RowSet};
use crate::error::Position;
use crate::{ProfileError, ValueObserver, hash};

/// A value's byte range in [`TextBlock::buf`]; `None` is null.
pub(crate) type Cell = Option<(u32, u32)>;

/// Parsed rows of a text format.
#[derive(Debug, Default)]
pub(crate) struct TextBlock {
    /// Column names (CSV: the header, shared by every block).
    pub(crate) names: Arc<[Box<str>]>,
    /// Every value's bytes, one after another.
    pub(crate) buf: Vec<u8>,
    /// Per column, one cell per row.
    pub(crate) cols: Vec<Vec<Cell>>,
    /// The line each row starts on.
    pub(crate) lines: Vec<u64>,
}

impl TextBlock {
    /// Appends a value to column `c` and returns its cell.
    pub(crate) fn push(&mut self, c: usize, value: &[u8]) -> Result<(), ProfileError> {
        let start = self.buf.len();
        self.buf.extend_from_slice(value);
        let (Ok(a), Ok(b)) = (u32::try_from(start), u32::try_from(self.buf.len())) else {
            let at = Position::Line(self.lines.last().copied().unwrap_or(1));
            return Err(ProfileError::RecordTooLong { at });
        };
        if let Some(col) = self.cols.get_mut(c) {
            col.push(Some((a, b)));
        }
        Ok(())
    }
}

/// Summarises a block; `limit_chars` is checked on every value.
pub(crate) fn summarise<O: ValueObserver>(
    block: &TextBlock,
    ctx: &Ctx<'_>,
    observers: &Observers<'_, O>,
) -> Result<Partial, ProfileError> {
    let limits = &ctx.options.limits;
    let rows = block.lines.len();
    let line = |r: usize| Position::Line(block.lines.get(r).copied().unwrap_or(0));
    let text = match std::str::from_utf8(&block.buf) {
        Ok(t) => t,
        Err(e) => {
            // Find the value holding the bad byte.
            let bad = u32::try_from(e.valid_up_to()).unwrap_or(u32::MAX);
            for (c, col) in block.cols.iter().enumerate() {
                if let Some(r) = col.iter().position(|v| v.is_some_and(|(a, b)| a <= bad && bad < b)) {
                    let column = block.names.get(c).map(std::string::ToString::to_string).unwrap_or_default();
                    return Err(ProfileError::NotUtf8 { at: line(r), column });
                }
            }
            return Err(ProfileError::NotUtf8 { at: line(0), column: String::new() });
        }
    };
    let value = |(a, b): (u32, u32)| text.get(a as usize..b as usize).unwrap_or_default();
    let mut row_hashes = vec![0u64; rows];
    let mut columns = Vec::with_capacity(block.cols.len());
    for (c, col) in block.cols.iter().enumerate() {
        let name = block.names.get(c).map_or("", |n| &**n);
        let mut acc = ColumnAcc::new(Mode::Infer(Flags::ALL), limits.quantile_buffer, ctx.pattern(name));
        let ch = hash::bytes(name.as_bytes());
        for (r, cell) in col.iter().enumerate() {
            let Some(cell) = *cell else { continue };
            let s = value(cell);
            if s.len() > limits.max_value_chars {
                let chars = s.chars().count();
                if chars > limits.max_value_chars {
                    return Err(ProfileError::ValueTooLong {
                        at: line(r),
                        column: name.to_owned(),
                        chars,
                        limit: limits.max_value_chars,
                    });
                }
            }
            let h = hash::bytes(s.as_bytes());
            acc.add_text(s, h, 1, limits.exact_distinct);
            if let Some(rh) = row_hashes.get_mut(r) {
                *rh = rh.wrapping_add(hash::cell(ch, h));
            }
        }
        // The observer is shared with the blocks summarised at the same time: it is locked
        // only while it observes, so they wait for each other's scanning, not for each
        // other's summaries.
        if let Some(o) = observers.get(name) {
            let mut o = o.lock().unwrap_or_else(PoisonError::into_inner);
            for cell in col.iter().flatten() {
                o.observe(value(*cell));
            }
        }
        columns.push(acc);
    }
    // Which rows of each column hold a value, once for all the sensitive columns.
    let present_rows: Vec<Vec<bool>> = if ctx.options.sensitive.is_empty() {
        Vec::new()
    } else {
        block.cols.iter().map(|col| col.iter().map(Option::is_some).collect()).collect()
    };
    let present = |c: usize| Present::Rows(present_rows.get(c).map_or(&[], Vec::as_slice));
    let bias = ctx
        .sensitive_in(&block.names)
        .into_iter()
        .map(|at| {
            let mut g = Grouping::new(rows);
            for r in 0..rows {
                let v = at.and_then(|c| block.cols.get(c)?.get(r).copied().flatten()).map(value);
                g.push(v);
            }
            g.finish(block.cols.len(), present)
        })
        .collect();
    let mut rowset = RowSet::new();
    rowset.extend(&row_hashes, limits.exact_row_hashes);
    Ok(Partial { rows: rows as u64, names: block.names.to_vec(), columns, rowset, bias })
}
