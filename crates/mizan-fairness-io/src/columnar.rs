//! Parquet and Arrow IPC input: only the requested columns are decoded (a Parquet projection
//! mask, an IPC projection), one row group (Parquet) or record batch (IPC file) per chunk,
//! chunks tallied in parallel. An IPC stream has no index, so it is read in order.
//!
//! Columns may be text (`Utf8`, `LargeUtf8`, `Utf8View`), integers, floats, booleans, or
//! dictionaries of those; nulls are missing values. Text columns of a Parquet file are read
//! as dictionaries (its pages are usually dictionary-encoded), so a row costs a key lookup,
//! not a string. A value means what a CSV holding it would (`1`, `0.5`, `true`): each distinct
//! value is turned into that text once per chunk, so positive-label inference and errors
//! behave identically whatever the format.

use std::io::{BufReader, Cursor, Read, Seek};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use mizan_fairness::{FairnessError, Tally};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::reader::ChunkReader;

use crate::code::{self, Cache, Role};
use crate::{Ctx, ReadError, Source, columns, missing_column};

/// Parquet files start (and end) with `PAR1`.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Arrow IPC files start with `ARROW1`; IPC streams with a continuation marker.
pub fn is_ipc(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ARROW1") || bytes.starts_with(&[0xff, 0xff, 0xff, 0xff])
}

fn fail(ctx: &Ctx<'_>, format: &'static str, e: &impl std::fmt::Display) -> ReadError {
    ReadError::Columnar { path: ctx.path.to_owned(), format, message: e.to_string() }
}

/// Top-level indices of the requested columns, or an error listing the columns present.
fn project(ctx: &Ctx<'_>, schema: &Schema) -> Result<Vec<usize>, ReadError> {
    let names = || schema.fields().iter().map(|f| f.name().as_str());
    let mut idx: Vec<usize> = columns(ctx.spec)
        .into_iter()
        .map(|c| schema.index_of(c).map_err(|_| missing_column(ctx.path, c, names())))
        .collect::<Result<_, _>>()?;
    idx.sort_unstable();
    idx.dedup();
    Ok(idx)
}

/// The file's schema with the requested text columns asked for as dictionaries.
fn dictionary_hint(schema: &Schema, idx: &[usize]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| match f.data_type() {
            t @ (DataType::Utf8 | DataType::LargeUtf8) if idx.contains(&i) => f
                .as_ref()
                .clone()
                .with_data_type(DataType::Dictionary(Box::new(DataType::Int32), Box::new(t.clone()))),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Reads a Parquet file, row group by row group.
pub fn parquet(ctx: &Ctx<'_>) -> Result<Tally, ReadError> {
    match ctx.src {
        Source::File(p) => parquet_from(ctx, &|| std::fs::File::open(p).map_err(Source::io(ctx.path))),
        Source::Memory(b) => {
            let bytes = bytes::Bytes::copy_from_slice(b);
            parquet_from(ctx, &|| Ok(bytes.clone()))
        }
    }
}

fn parquet_from<R: ChunkReader + 'static>(
    ctx: &Ctx<'_>,
    open: &(dyn Fn() -> Result<R, ReadError> + Sync),
) -> Result<Tally, ReadError> {
    const F: &str = "Parquet";
    let meta =
        ArrowReaderMetadata::load(&open()?, ArrowReaderOptions::new()).map_err(|e| fail(ctx, F, &e))?;
    let idx = project(ctx, meta.schema())?;
    let hint = dictionary_hint(meta.schema(), &idx);
    let meta =
        ArrowReaderMetadata::try_new(meta.metadata().clone(), ArrowReaderOptions::new().with_schema(hint))
            .map_err(|e| fail(ctx, F, &e))?;
    let mask = ProjectionMask::roots(meta.parquet_schema(), idx);
    let groups = meta.metadata().row_groups();
    // Progress counts the compressed bytes of the requested columns.
    let work: Vec<u64> = groups
        .iter()
        .map(|g| {
            let bytes = g.columns().iter().enumerate().filter(|(j, _)| mask.leaf_included(*j));
            bytes.map(|(_, c)| u64::try_from(c.compressed_size()).unwrap_or(0)).sum()
        })
        .collect();
    check_declared(ctx, &meta, &mask)?;
    ctx.add_work(work.iter().sum());
    ctx.chunks(groups.len(), |k| {
        // `chunks` calls with `k < groups.len()`, and `work` has one entry per group.
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(open()?, meta.clone())
            .with_projection(mask.clone())
            .with_row_groups(vec![k])
            .with_batch_size(ctx.opts.batch_rows.max(1))
            .build()
            .map_err(|e| fail(ctx, F, &e))?;
        let rows = u64::try_from(groups[k].num_rows()).unwrap_or(0).max(1);
        let mut t = ctx.tally()?;
        let mut coders = Coders::new(ctx);
        for batch in reader {
            let batch = batch.map_err(|e| fail(ctx, F, &e))?;
            coders.add(ctx, &mut t, &batch)?;
            ctx.work_done(work[k] * batch.num_rows() as u64 / rows);
        }
        Ok(t)
    })
}

/// Refuses a file whose metadata declares more decompressed bytes in a requested column chunk,
/// or in all of them, than the bounds allow: checked before any page is read.
///
/// Page headers repeat each page's decompressed size, and the decoder allocates what a header
/// declares (then refuses a page that decompresses to any other size). A file whose page
/// headers declare more than its column chunks is not caught here; its pages are still
/// bounded by the codec's ratio (at most 255:1 for LZ4, 32:1 for snappy) times their
/// compressed size, and the values they hold by [`crate::Bounds::value_chars`].
fn check_declared(ctx: &Ctx<'_>, meta: &ArrowReaderMetadata, mask: &ProjectionMask) -> Result<(), ReadError> {
    let b = &ctx.spec.bounds;
    let leaves = meta.parquet_schema();
    let mut total = 0u64;
    for (g, group) in meta.metadata().row_groups().iter().enumerate() {
        for (j, c) in group.columns().iter().enumerate().filter(|(j, _)| mask.leaf_included(*j)) {
            // A negative size is corrupt: count it as too large.
            let declared = u64::try_from(c.uncompressed_size()).unwrap_or(u64::MAX);
            let column = leaves.column(j).path().parts().first().cloned().unwrap_or_default();
            if declared > b.chunk_bytes {
                return Err(ReadError::DecompressedChunk {
                    path: ctx.path.to_owned(),
                    column,
                    row_group: g + 1,
                    declared,
                    limit: b.chunk_bytes,
                });
            }
            total = total.saturating_add(declared);
        }
    }
    if total > b.file_bytes {
        return Err(ReadError::DecompressedFile {
            path: ctx.path.to_owned(),
            declared: total,
            limit: b.file_bytes,
        });
    }
    Ok(())
}

/// Reads an Arrow IPC file (batch by batch, in parallel) or stream (in order).
pub fn ipc(ctx: &Ctx<'_>) -> Result<Tally, ReadError> {
    let file = ctx.src.head(ctx.path, 6)?.starts_with(b"ARROW1");
    match (ctx.src, file) {
        (Source::File(p), true) => {
            ipc_file(ctx, &|| std::fs::File::open(p).map(BufReader::new).map_err(Source::io(ctx.path)))
        }
        (Source::Memory(b), true) => ipc_file(ctx, &|| Ok(Cursor::new(b))),
        (Source::File(p), false) => {
            ipc_stream(ctx, BufReader::new(std::fs::File::open(p).map_err(Source::io(ctx.path))?))
        }
        (Source::Memory(b), false) => ipc_stream(ctx, b),
    }
}

fn ipc_file<R: Read + Seek>(
    ctx: &Ctx<'_>,
    open: &(dyn Fn() -> Result<R, ReadError> + Sync),
) -> Result<Tally, ReadError> {
    const F: &str = "Arrow IPC";
    let reader = arrow_ipc::reader::FileReader::try_new(open()?, None).map_err(|e| fail(ctx, F, &e))?;
    let idx = project(ctx, &reader.schema())?;
    let n = reader.num_batches();
    let len = ctx.src.len(ctx.path)?;
    ctx.add_work(len);
    ctx.chunks(n, |k| {
        let mut reader = arrow_ipc::reader::FileReader::try_new(open()?, Some(idx.clone()))
            .map_err(|e| fail(ctx, F, &e))?;
        reader.set_index(k).map_err(|e| fail(ctx, F, &e))?;
        let mut t = ctx.tally()?;
        if let Some(batch) = reader.next() {
            Coders::new(ctx).add(ctx, &mut t, &batch.map_err(|e| fail(ctx, F, &e))?)?;
        }
        ctx.work_done(len / n as u64);
        Ok(t)
    })
}

fn ipc_stream<R: Read>(ctx: &Ctx<'_>, r: R) -> Result<Tally, ReadError> {
    const F: &str = "Arrow IPC";
    let reader = arrow_ipc::reader::StreamReader::try_new(r, None).map_err(|e| fail(ctx, F, &e))?;
    let idx = project(ctx, &reader.schema())?;
    drop(reader);
    // The projection needs the schema first, so the stream is opened a second time.
    let r: Box<dyn Read> = match ctx.src {
        Source::File(p) => Box::new(BufReader::new(std::fs::File::open(p).map_err(Source::io(ctx.path))?)),
        Source::Memory(b) => Box::new(b),
    };
    let reader = arrow_ipc::reader::StreamReader::try_new(r, Some(idx)).map_err(|e| fail(ctx, F, &e))?;
    ctx.add_work(ctx.src.len(ctx.path)?);
    let mut t = ctx.tally()?;
    let mut coders = Coders::new(ctx);
    for batch in reader {
        let batch = batch.map_err(|e| fail(ctx, F, &e))?;
        coders.add(ctx, &mut t, &batch)?;
    }
    ctx.work_done(ctx.src.len(ctx.path)?);
    Ok(t)
}

/// Why a column of a batch could not be coded.
enum Fail {
    /// A missing label or prediction, or a bad weight: 0-based row in the batch and value.
    Row(usize, String),
    /// A value longer than the limit: 0-based row in the batch and length in characters.
    Long(usize, usize),
    /// A column type this reader does not take.
    Type(DataType),
}

/// The failure for a value of row `row` that has no code.
fn refused(r: code::Refused, row: usize, value: impl FnOnce() -> String) -> Fail {
    match r {
        code::Refused::Missing => Fail::Row(row, value()),
        code::Refused::TooLong(chars) => Fail::Long(row, chars),
    }
}

/// Per-chunk state for coding batches: one coder and one code buffer per dimension.
struct Coders<'s> {
    names: Vec<&'s str>,
    roles: Vec<Role<'s>>,
    coders: Vec<ColumnCoder>,
    codes: Vec<Vec<u32>>,
    weights: Vec<f64>,
}

impl<'s> Coders<'s> {
    fn new(ctx: &Ctx<'s>) -> Self {
        let roles = code::roles(ctx.spec);
        let dims = roles.len();
        Self {
            names: columns(ctx.spec),
            roles,
            coders: (0..dims)
                .map(|_| ColumnCoder { max_chars: ctx.spec.bounds.value_chars, ..ColumnCoder::default() })
                .collect(),
            codes: vec![Vec::new(); dims],
            weights: Vec::new(),
        }
    }

    /// Codes and counts one batch; the first bad row (label and prediction before weight)
    /// is the error.
    fn add(&mut self, ctx: &Ctx<'_>, t: &mut Tally, batch: &RecordBatch) -> Result<(), ReadError> {
        let base = usize::try_from(t.rows()).unwrap_or(usize::MAX);
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                missing_column(ctx.path, name, batch.schema_ref().fields().iter().map(|f| f.name().as_str()))
            })
        };
        let type_error = |name: &str, data_type: &DataType| ReadError::ColumnType {
            column: name.to_owned(),
            path: ctx.path.to_owned(),
            data_type: data_type.to_string(),
        };
        let mut first: Option<(usize, ReadError)> = None;
        let mut note = |row: usize, e: ReadError| {
            if first.as_ref().is_none_or(|(r, _)| row < *r) {
                first = Some((row, e));
            }
        };
        let dims = self.roles.len();
        for d in 0..dims {
            let name = self.names[d];
            let array = column(name)?;
            match self.coders[d].code(t, d, self.roles[d], array.as_ref(), &mut self.codes[d]) {
                Ok(()) => {}
                Err(Fail::Type(dt)) => return Err(type_error(name, &dt)),
                Err(Fail::Long(i, chars)) => note(
                    i,
                    ReadError::ValueTooLong {
                        column: name.to_owned(),
                        row: base + i + 1,
                        chars,
                        limit: ctx.spec.bounds.value_chars,
                    },
                ),
                Err(Fail::Row(i, value)) => note(
                    i,
                    ReadError::MissingCell {
                        column: name.to_owned(),
                        row: base + i + 1,
                        path: ctx.path.to_owned(),
                        value: crate::clip(&value),
                    },
                ),
            }
        }
        let weight = match &ctx.spec.weight {
            None => None,
            Some(name) => {
                let array = column(name)?;
                // Float64 weights without nulls are counted where they are; the tally checks them.
                let borrowed = matches!(array.data_type(), DataType::Float64) && array.null_count() == 0;
                if !borrowed {
                    match weights(array.as_ref(), &mut self.weights) {
                        Ok(()) => {}
                        Err(Fail::Type(dt)) => return Err(type_error(name, &dt)),
                        Err(Fail::Row(i, value)) => {
                            let value = crate::clip(&value);
                            note(i, ReadError::BadWeight { column: name.clone(), row: base + i + 1, value });
                        }
                        Err(Fail::Long(i, chars)) => note(
                            i,
                            ReadError::ValueTooLong {
                                column: name.clone(),
                                row: base + i + 1,
                                chars,
                                limit: ctx.spec.bounds.value_chars,
                            },
                        ),
                    }
                }
                Some((name, array, borrowed))
            }
        };
        let w: Option<&[f64]> = match &weight {
            Some((_, array, true)) => Some(array.as_primitive::<Float64Type>().values()),
            Some((_, _, false)) => Some(&self.weights),
            None => None,
        };
        let bad_weight = |name: &str, i: usize, w: &[f64]| ReadError::BadWeight {
            column: name.to_owned(),
            row: base + i + 1,
            value: w.get(i).map_or_else(String::new, f64::to_string),
        };
        if let Some((row, e)) = first {
            // A bad weight in an earlier row comes first.
            if let (Some((name, _, true)), Some(w)) = (&weight, w)
                && let Some(i) = w[..row].iter().position(|&x| !(x.is_finite() && x >= 0.0))
            {
                return Err(bad_weight(name, i, w));
            }
            return Err(e);
        }
        let slices: Vec<&[u32]> = self.codes.iter().map(Vec::as_slice).collect();
        match t.count(&slices, w) {
            Err(FairnessError::BadWeight { row, .. }) => {
                let (name, w) = weight.as_ref().map(|(n, _, _)| n.as_str()).zip(w).unwrap_or_default();
                Err(bad_weight(name, row, w))
            }
            other => other.map_err(ReadError::from),
        }?;
        ctx.check_tally(t)
    }
}

/// Codes one column across batches of a chunk.
#[derive(Default)]
struct ColumnCoder {
    /// Longest value coded, in characters.
    max_chars: usize,
    text: Cache<String>,
    numbers: Cache<u64>,
    /// Codes of the numbers -128..384 (keyed by number + 128), `UNSEEN` until seen: labels,
    /// decisions and small integer features cost one load per row.
    small: Vec<u32>,
    /// The last dictionary seen and the code of each of its values (`UNSEEN`: a missing
    /// label or prediction).
    dictionary: Option<(ArrayRef, Vec<u32>)>,
}

/// Not a code: a value not seen yet, or a missing label.
const UNSEEN: u32 = u32::MAX;
/// Entries of [`ColumnCoder::small`].
const SMALL: usize = 512;

macro_rules! primitive {
    ($self:ident, $t:ident, $d:ident, $role:ident, $array:ident, $out:ident, $ty:ty, $key:expr) => {{
        let a = $array.as_primitive::<$ty>();
        if a.null_count() == 0 {
            $self.numbers($t, $d, $role, a.values(), $key, $out)
        } else {
            $self.keyed($t, $d, $role, a.iter().map(|v| v.map(|x| (($key)(x), x))), $out)
        }
    }};
}

/// Codes of a dictionary array without nulls: `remap[key]` per row.
macro_rules! keys {
    ($array:ident, $remap:ident, $out:ident, $t:ty) => {{
        let keys = $array.as_dictionary::<$t>().keys().values();
        $out.extend(
            keys.iter()
                .map(|&k| $remap.get(usize::try_from(k).unwrap_or(usize::MAX)).copied().unwrap_or(UNSEEN)),
        );
    }};
}

impl ColumnCoder {
    fn code(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        array: &dyn Array,
        out: &mut Vec<u32>,
    ) -> Result<(), Fail> {
        out.clear();
        out.reserve(array.len());
        match array.data_type() {
            DataType::Utf8 => self.text(t, d, role, array.as_string::<i32>().iter(), out),
            DataType::LargeUtf8 => self.text(t, d, role, array.as_string::<i64>().iter(), out),
            DataType::Utf8View => self.text(t, d, role, array.as_string_view().iter(), out),
            DataType::Boolean => {
                self.keyed(t, d, role, array.as_boolean().iter().map(|v| v.map(|b| (u64::from(b), b))), out)
            }
            DataType::Int8 => primitive!(self, t, d, role, array, out, Int8Type, |x: i8| x as u64),
            DataType::Int16 => primitive!(self, t, d, role, array, out, Int16Type, |x: i16| x as u64),
            DataType::Int32 => primitive!(self, t, d, role, array, out, Int32Type, |x: i32| x as u64),
            DataType::Int64 => primitive!(self, t, d, role, array, out, Int64Type, |x: i64| x as u64),
            DataType::UInt8 => primitive!(self, t, d, role, array, out, UInt8Type, u64::from),
            DataType::UInt16 => primitive!(self, t, d, role, array, out, UInt16Type, u64::from),
            DataType::UInt32 => primitive!(self, t, d, role, array, out, UInt32Type, u64::from),
            DataType::UInt64 => primitive!(self, t, d, role, array, out, UInt64Type, |x: u64| x),
            DataType::Float32 => {
                primitive!(self, t, d, role, array, out, Float32Type, |x: f32| u64::from(x.to_bits()))
            }
            DataType::Float64 => primitive!(self, t, d, role, array, out, Float64Type, f64::to_bits),
            DataType::Dictionary(_, _) => self.dictionary(t, d, role, array, out),
            other => Err(Fail::Type(other.clone())),
        }
    }

    /// Codes a null: the missing group, or `None` for a label or prediction.
    fn null(&self, t: &mut Tally, d: usize, role: Role<'_>, row: usize) -> Result<u32, Fail> {
        code::code(t, d, role, None, self.max_chars).map_err(|r| refused(r, row, || "null".to_owned()))
    }

    fn text<'v>(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        values: impl Iterator<Item = Option<&'v str>>,
        out: &mut Vec<u32>,
    ) -> Result<(), Fail> {
        for (i, v) in values.enumerate() {
            let c = match v {
                None => self.null(t, d, role, i)?,
                Some(s) => match self.text.get(s) {
                    Some(c) => c,
                    None => {
                        let c = code::code(t, d, role, Some(s), self.max_chars)
                            .map_err(|r| refused(r, i, || s.to_owned()))?;
                        self.text.insert(s.to_owned(), c);
                        c
                    }
                },
            };
            out.push(c);
        }
        Ok(())
    }

    /// Codes values keyed by their bits; a new value is turned into text once.
    fn keyed<T: ToString>(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        values: impl Iterator<Item = Option<(u64, T)>>,
        out: &mut Vec<u32>,
    ) -> Result<(), Fail> {
        for (i, v) in values.enumerate() {
            let c = match v {
                None => self.null(t, d, role, i)?,
                Some((key, x)) => match self.numbers.get(&key) {
                    Some(c) => c,
                    None => {
                        let s = x.to_string();
                        let c = code::code(t, d, role, Some(&s), self.max_chars)
                            .map_err(|r| refused(r, i, || s.clone()))?;
                        self.numbers.insert(key, c);
                        c
                    }
                },
            };
            out.push(c);
        }
        Ok(())
    }

    /// Codes numbers without nulls: small ones through [`ColumnCoder::small`], others through
    /// the cache; `key` gives a number's bits (sign-extended for signed integers).
    fn numbers<T: Copy + ToString>(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        values: &[T],
        key: impl Fn(T) -> u64,
        out: &mut Vec<u32>,
    ) -> Result<(), Fail> {
        if self.small.is_empty() {
            self.small = vec![UNSEEN; SMALL];
        }
        for (i, &x) in values.iter().enumerate() {
            let k = key(x);
            let slot = usize::try_from(k.wrapping_add(128)).unwrap_or(usize::MAX);
            let c = match self.small.get(slot) {
                Some(&c) if c != UNSEEN => c,
                _ => self.new_number(t, d, role, i, k, x)?,
            };
            out.push(c);
        }
        Ok(())
    }

    #[cold]
    fn new_number<T: ToString>(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        row: usize,
        key: u64,
        x: T,
    ) -> Result<u32, Fail> {
        let c = match self.numbers.get(&key) {
            Some(c) => c,
            None => {
                let s = x.to_string();
                let c = code::code(t, d, role, Some(&s), self.max_chars)
                    .map_err(|r| refused(r, row, || s.clone()))?;
                self.numbers.insert(key, c);
                c
            }
        };
        if let Some(slot) = self.small.get_mut(usize::try_from(key.wrapping_add(128)).unwrap_or(usize::MAX)) {
            *slot = c;
        }
        Ok(c)
    }

    fn dictionary(
        &mut self,
        t: &mut Tally,
        d: usize,
        role: Role<'_>,
        array: &dyn Array,
        out: &mut Vec<u32>,
    ) -> Result<(), Fail> {
        let dict = array.as_any_dictionary();
        let values = dict.values();
        // Parquet repeats one dictionary across the batches of a row group: code it once.
        if !matches!(&self.dictionary, Some((v, _)) if Arc::ptr_eq(v, values)) {
            let mut codes = Vec::with_capacity(values.len());
            for (k, v) in strings(values.as_ref())?.iter().enumerate() {
                codes.push(match code::code(t, d, role, v.as_deref(), self.max_chars) {
                    Ok(c) => c,
                    Err(code::Refused::Missing) => UNSEEN,
                    // Named at the first row that uses it (or the batch's first row).
                    Err(code::Refused::TooLong(chars)) => {
                        let row = dict.normalized_keys().iter().position(|&x| x == k).unwrap_or(0);
                        return Err(Fail::Long(row, chars));
                    }
                });
            }
            self.dictionary = Some((values.clone(), codes));
        }
        let Some((_, remap)) = &self.dictionary else { return Ok(()) };
        let fast = array.null_count() == 0;
        match array.data_type() {
            DataType::Dictionary(k, _) if fast => match k.as_ref() {
                DataType::Int8 => keys!(array, remap, out, Int8Type),
                DataType::Int16 => keys!(array, remap, out, Int16Type),
                DataType::Int32 => keys!(array, remap, out, Int32Type),
                DataType::Int64 => keys!(array, remap, out, Int64Type),
                DataType::UInt8 => keys!(array, remap, out, UInt8Type),
                DataType::UInt16 => keys!(array, remap, out, UInt16Type),
                DataType::UInt32 => keys!(array, remap, out, UInt32Type),
                DataType::UInt64 => keys!(array, remap, out, UInt64Type),
                _ => out
                    .extend(dict.normalized_keys().iter().map(|&k| remap.get(k).copied().unwrap_or(UNSEEN))),
            },
            _ => {
                for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                    if array.is_null(i) {
                        out.push(self.null(t, d, role, i)?);
                    } else {
                        out.push(remap.get(k).copied().unwrap_or(UNSEEN));
                    }
                }
            }
        }
        // Only a missing label or prediction codes as `UNSEEN`.
        if remap.contains(&UNSEEN)
            && let Some(i) = out.iter().position(|&c| c == UNSEEN)
        {
            let k = dict.normalized_keys()[i];
            let value = strings(values.as_ref())?.get(k).cloned().flatten();
            return Err(Fail::Row(i, value.unwrap_or_else(|| "null".to_owned())));
        }
        Ok(())
    }
}

/// A weight column other than Float64 without nulls, as numbers; the first null, negative
/// or non-finite value is the error.
fn weights(array: &dyn Array, out: &mut Vec<f64>) -> Result<(), Fail> {
    out.clear();
    // As a CSV would hold them.
    for (i, v) in strings(array)?.into_iter().enumerate() {
        match v.as_deref().and_then(|v| v.trim().parse::<f64>().ok()).filter(|w| w.is_finite() && *w >= 0.0) {
            Some(w) => out.push(w),
            None => return Err(Fail::Row(i, v.unwrap_or_else(|| "null".to_owned()))),
        }
    }
    Ok(())
}

macro_rules! primitive_text {
    ($array:expr, $t:ty) => {{
        let a = $array.as_primitive::<$t>();
        (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
    }};
}

/// One column as optional strings (`None` for null), as a CSV would hold them.
fn strings(array: &dyn Array) -> Result<Vec<Option<String>>, Fail> {
    let text = |i: usize, s: &str| array.is_valid(i).then(|| s.to_owned());
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..a.len()).map(|i| text(i, a.value(i))).collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..a.len()).map(|i| text(i, a.value(i))).collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..a.len()).map(|i| text(i, a.value(i))).collect()
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
        }
        DataType::Int8 => primitive_text!(array, Int8Type),
        DataType::Int16 => primitive_text!(array, Int16Type),
        DataType::Int32 => primitive_text!(array, Int32Type),
        DataType::Int64 => primitive_text!(array, Int64Type),
        DataType::UInt8 => primitive_text!(array, UInt8Type),
        DataType::UInt16 => primitive_text!(array, UInt16Type),
        DataType::UInt32 => primitive_text!(array, UInt32Type),
        DataType::UInt64 => primitive_text!(array, UInt64Type),
        DataType::Float32 => primitive_text!(array, Float32Type),
        DataType::Float64 => primitive_text!(array, Float64Type),
        DataType::Dictionary(_, _) => {
            let d = array.as_any_dictionary();
            let values = strings(d.values().as_ref())?;
            d.normalized_keys()
                .into_iter()
                .enumerate()
                .map(|(i, k)| if array.is_valid(i) { values.get(k).cloned().flatten() } else { None })
                .collect()
        }
        other => return Err(Fail::Type(other.clone())),
    })
}
