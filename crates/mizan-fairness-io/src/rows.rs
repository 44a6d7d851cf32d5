//! Records one at a time, for sources that are not files: a system's logged decisions read
//! from a database page by page, say. Each record's values are coded and checked exactly as a
//! CSV row's are (`code.rs`: a missing label or decision is an error naming the row, a missing
//! group value is the visible `(missing)` group) and counted in batches through the engine's
//! [`Tally`], so memory stays O(groups) however many records pass.

use std::path::{Path, PathBuf};

use mizan_fairness::Tally;

use crate::code::{Refused, Role};
use crate::{Counted, ReadError, Spec, check_tally, columns, finish};

/// Records counted per call to the tally.
const BATCH: usize = 16 * 1024;

/// A count pass fed one record at a time.
#[derive(Debug)]
pub struct Rows {
    spec: Spec,
    source: PathBuf,
    tally: Tally,
    codes: Vec<Vec<u32>>,
    weights: Vec<f64>,
    row: usize,
}

impl Rows {
    /// A pass over records described by `spec`; `source` names them in errors.
    ///
    /// # Errors
    /// [`ReadError::Engine`] when `spec` names no sensitive feature.
    pub fn new(source: &str, spec: &Spec) -> Result<Self, ReadError> {
        let tally = Tally::new(&spec.sensitive, spec.control.as_deref(), spec.weight.is_some())?;
        let dims = tally.dims();
        Ok(Self {
            spec: spec.clone(),
            source: PathBuf::from(source),
            tally,
            codes: vec![Vec::with_capacity(BATCH); dims],
            weights: Vec::new(),
            row: 0,
        })
    }

    /// The source's name.
    #[must_use]
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Records pushed so far.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.row
    }

    /// Counts one record. `values` holds the raw values of label, decision, each sensitive
    /// feature and the control feature, in the order of [`Spec`] (`None` where the record has
    /// none); `weight` the raw weight when the spec names a weight column.
    ///
    /// # Errors
    /// [`ReadError::MissingCell`] for a missing label or decision, [`ReadError::BadWeight`] for
    /// a weight that is not a non-negative number, [`ReadError::NotBinary`] once labels and
    /// decisions take too many values to be binary without a positive label,
    /// [`ReadError::ValueTooLong`], [`ReadError::TooManyGroups`] and
    /// [`ReadError::TooManyIntersections`] past the spec's [`crate::Bounds`] (groups are checked
    /// once per batch of 16 Ki records). Rows in errors count from 1.
    ///
    /// # Panics
    /// If `values` does not have one entry per column of `spec` (a bug in the caller).
    pub fn push(&mut self, values: &[Option<&str>], weight: Option<&str>) -> Result<(), ReadError> {
        let names = columns(&self.spec);
        assert_eq!(
            values.len(),
            self.tally.dims(),
            "one value per label, decision, sensitive and control column"
        );
        self.row += 1;
        let pos = self.spec.pos_label.as_deref();
        for (d, raw) in values.iter().enumerate() {
            let role = if d < 2 { Role::Outcome(pos) } else { Role::Group };
            let max = self.spec.bounds.value_chars;
            let c = match crate::code::code(&mut self.tally, d, role, *raw, max) {
                Ok(c) => c,
                Err(Refused::Missing) => {
                    return Err(ReadError::MissingCell {
                        column: names[d].to_owned(),
                        row: self.row,
                        path: self.source.clone(),
                        value: raw.map_or_else(|| "null".to_owned(), str::to_owned),
                    });
                }
                Err(Refused::TooLong(chars)) => {
                    return Err(ReadError::ValueTooLong {
                        column: names[d].to_owned(),
                        row: self.row,
                        chars,
                        limit: max,
                    });
                }
            };
            self.codes[d].push(c);
        }
        if let Some(column) = &self.spec.weight {
            let parsed =
                weight.and_then(|v| v.trim().parse::<f64>().ok()).filter(|w| w.is_finite() && *w >= 0.0);
            let Some(w) = parsed else {
                return Err(ReadError::BadWeight {
                    column: column.clone(),
                    row: self.row,
                    value: crate::clip(weight.unwrap_or("null")),
                });
            };
            self.weights.push(w);
        }
        if self.codes[0].len() == BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ReadError> {
        let slices: Vec<&[u32]> = self.codes.iter().map(Vec::as_slice).collect();
        self.tally.count(&slices, self.spec.weight.is_some().then_some(self.weights.as_slice()))?;
        check_tally(&self.spec, &self.tally)?;
        self.codes.iter_mut().for_each(Vec::clear);
        self.weights.clear();
        Ok(())
    }

    /// The cells of every record pushed, with the positive label (given, or inferred as for
    /// files).
    ///
    /// # Errors
    /// [`ReadError::Empty`] when no record was pushed; [`ReadError::NotBinary`] and
    /// [`ReadError::PosLabelAbsent`] as for files.
    pub fn finish(mut self) -> Result<Counted, ReadError> {
        self.flush()?;
        let (cells, rows, pos_label) = finish(&self.spec, &self.source, self.tally)?;
        Ok(Counted { cells, rows, pos_label })
    }
}
