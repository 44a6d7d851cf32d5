//! Parquet: types from the Arrow schema, one row group per block, row groups summarised in
//! parallel and batch by batch within each.
//!
//! Text columns are read as dictionaries (Parquet pages usually are), so a batch costs one
//! count per row and one string operation per distinct value. A row group is the unit of
//! parallelism: a file of one row group is read on one thread.

use std::sync::{Arc, MutexGuard, PoisonError};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::reader::{ChunkReader, Length};

use crate::column::{ColumnAcc, Mode, Typed};
use crate::engine::{self, BiasAcc, Ctx, Grouping, Observers, Partial, Present, RowSet, Shared};
use crate::error::Position;
use crate::{ProfileError, ValueObserver, hash};

/// A reader shared by the row groups read at once.
struct SharedReader<R>(Arc<R>);

impl<R> Clone for SharedReader<R> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<R: ChunkReader> Length for SharedReader<R> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<R: ChunkReader> ChunkReader for SharedReader<R> {
    type T = R::T;
    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        self.0.get_read(start)
    }
    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// A file read with positioned reads, so row groups can be read at once from one handle
/// (`ChunkReader for File` seeks a shared cursor).
pub(crate) struct PositionedFile {
    file: std::fs::File,
    len: u64,
}

impl PositionedFile {
    pub(crate) fn new(file: std::fs::File) -> Result<Self, ProfileError> {
        let len = file.metadata()?.len();
        Ok(Self { file, len })
    }

    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_at(&self.file, buf, at)
        }
        #[cfg(windows)]
        {
            std::os::windows::fs::FileExt::seek_read(&self.file, buf, at)
        }
    }
}

impl Length for PositionedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

/// A reader from an offset of a [`PositionedFile`].
pub(crate) struct At {
    file: Arc<PositionedFile>,
    pos: u64,
}

impl std::io::Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// [`PositionedFile`] behind an `Arc`, so its readers can own it.
pub(crate) struct FileReader(pub(crate) Arc<PositionedFile>);

impl Length for FileReader {
    fn len(&self) -> u64 {
        self.0.len
    }
}

impl ChunkReader for FileReader {
    type T = std::io::BufReader<At>;
    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(std::io::BufReader::with_capacity(64 << 10, At { file: self.0.clone(), pos: start }))
    }
    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let mut buf = vec![0; length];
        let mut got = 0;
        while got < length {
            let n = self.0.read_at(&mut buf[got..], start + got as u64)?;
            if n == 0 {
                return Err(parquet::errors::ParquetError::EOF(format!(
                    "expected {length} bytes at {start}, the file ends after {got}"
                )));
            }
            got += n;
        }
        Ok(buf.into())
    }
}

fn fail(e: &impl std::fmt::Display) -> ProfileError {
    ProfileError::Parquet { message: e.to_string() }
}

/// The summary kind of an Arrow type, `None` when not profiled.
fn typed(t: &DataType) -> Option<Typed> {
    Some(match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Typed::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => Typed::Float,
        DataType::Boolean => Typed::Boolean,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => Typed::Text,
        DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => Typed::Text,
        DataType::Date32 | DataType::Date64 => Typed::Date,
        DataType::Timestamp(unit, tz) => Typed::Datetime {
            per_second: match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            },
            utc: tz.is_some(),
        },
        _ => return None,
    })
}

/// The file's schema with text columns asked for as dictionaries.
fn dictionary_hint(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            t @ (DataType::Utf8 | DataType::LargeUtf8) => f
                .as_ref()
                .clone()
                .with_data_type(DataType::Dictionary(Box::new(DataType::Int32), Box::new(t.clone()))),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Profiles a Parquet file into a summary.
pub(crate) fn profile<R: ChunkReader + 'static, O: ValueObserver>(
    reader: R,
    ctx: &Ctx<'_>,
    observers: &Observers<'_, O>,
) -> Result<Partial, ProfileError> {
    let limits = &ctx.options.limits;
    let reader = SharedReader(Arc::new(reader));
    let meta = ArrowReaderMetadata::load(&reader, ArrowReaderOptions::new()).map_err(|e| fail(&e))?;
    let schema = meta.schema().clone();
    if schema.fields().len() > limits.max_columns {
        return Err(ProfileError::TooManyColumns { found: schema.fields().len(), limit: limits.max_columns });
    }
    let names: Vec<Box<str>> = schema.fields().iter().map(|f| f.name().as_str().into()).collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(ProfileError::DuplicateColumn { column: n.to_string() });
        }
    }
    for s in ctx.options.sensitive.iter().chain(ctx.options.formats.iter().map(|(n, _)| n)) {
        if !names.iter().any(|n| **n == **s) {
            return Err(ProfileError::UnknownColumn {
                column: s.clone(),
                available: crate::error::list(names.iter().map(|n| &**n)),
            });
        }
    }
    let kinds: Vec<Typed> = schema
        .fields()
        .iter()
        .map(|f| {
            typed(f.data_type()).ok_or_else(|| ProfileError::UnsupportedType {
                column: f.name().clone(),
                data_type: f.data_type().to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let meta = ArrowReaderMetadata::try_new(
        meta.metadata().clone(),
        ArrowReaderOptions::new().with_schema(dictionary_hint(&schema)),
    )
    .map_err(|e| fail(&e))?;
    let groups = meta.metadata().row_groups().len();
    let mut starts = Vec::with_capacity(groups);
    let mut total = 0u64;
    for g in meta.metadata().row_groups() {
        starts.push(total);
        total += u64::try_from(g.num_rows()).unwrap_or(0);
    }
    let obs: Vec<Option<Shared<O>>> = names.iter().map(|n| observers.get(n)).collect();
    let sensitive = ctx.sensitive_in(&names);
    let mut k = 0usize;
    let mut acc = engine::run(
        ctx,
        move || {
            k += 1;
            Ok((k <= groups).then_some(k - 1))
        },
        |g| {
            let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader.clone(), meta.clone())
                .with_row_groups(vec![g])
                .with_batch_size(limits.batch_rows.max(1));
            let batches = builder.build().map_err(|e| fail(&e))?;
            let mut group = Group::new(ctx, &names, &kinds);
            let mut row = starts.get(g).copied().unwrap_or(0);
            for batch in batches {
                let batch = batch.map_err(|e| fail(&e))?;
                group.add(&batch, row, &obs, &sensitive)?;
                row += batch.num_rows() as u64;
            }
            Ok(group.partial)
        },
    )?;
    if acc.names.is_empty() {
        acc = Group::new(ctx, &names, &kinds).partial;
    }
    Ok(acc)
}

/// A row group being summarised.
struct Group<'c, 'o> {
    ctx: &'c Ctx<'o>,
    partial: Partial,
    kinds: Vec<Typed>,
    dicts: Vec<DictCache>,
    ints: Vec<i64>,
    floats: Vec<f64>,
    /// The integers as floats, for their moments and quantiles.
    scratch: Vec<f64>,
    text: itoa::Buffer,
}

/// Hashes of a dictionary's values, kept while batches share the dictionary.
#[derive(Default)]
struct DictCache {
    values: Option<ArrayRef>,
    hashes: Vec<u64>,
}

impl<'c, 'o> Group<'c, 'o> {
    fn new(ctx: &'c Ctx<'o>, names: &[Box<str>], kinds: &[Typed]) -> Self {
        let k = ctx.options.limits.quantile_buffer;
        let columns = names
            .iter()
            .zip(kinds)
            .map(|(n, t)| ColumnAcc::new(Mode::Typed(*t), k, ctx.pattern(n)))
            .collect();
        Self {
            ctx,
            partial: Partial {
                rows: 0,
                names: names.to_vec(),
                columns,
                rowset: RowSet::new(),
                bias: vec![BiasAcc::default(); ctx.options.sensitive.len()],
            },
            kinds: kinds.to_vec(),
            dicts: (0..names.len()).map(|_| DictCache::default()).collect(),
            ints: Vec::new(),
            floats: Vec::new(),
            scratch: Vec::new(),
            text: itoa::Buffer::new(),
        }
    }

    fn add<O: ValueObserver>(
        &mut self,
        batch: &RecordBatch,
        first_row: u64,
        obs: &[Option<Shared<O>>],
        sensitive: &[Option<usize>],
    ) -> Result<(), ProfileError> {
        let n = batch.num_rows();
        let limits = &self.ctx.options.limits;
        let mut rh = vec![0u64; n];
        for (c, array) in batch.columns().iter().enumerate() {
            let name = self.partial.names.get(c).map_or("", |n| &**n);
            let ch = hash::bytes(name.as_bytes());
            // The observer is shared with the row groups summarised at the same time: it is
            // locked only while it observes, so they wait for each other's scanning, not for
            // each other's summaries.
            let observer = obs.get(c).and_then(Option::as_ref);
            let (Some(acc), Some(&kind), Some(dict)) =
                (self.partial.columns.get_mut(c), self.kinds.get(c), self.dicts.get_mut(c))
            else {
                continue;
            };
            let at = |r: usize| Position::Row(first_row + r as u64 + 1);
            let text = &mut self.text;
            let ints = &mut self.ints;
            let floats = &mut self.floats;
            let scratch = &mut self.scratch;
            let too_long = |s: &str, r: usize| -> Result<(), ProfileError> {
                if s.len() > limits.max_value_chars {
                    let chars = s.chars().count();
                    if chars > limits.max_value_chars {
                        return Err(ProfileError::ValueTooLong {
                            at: at(r),
                            column: name.to_owned(),
                            chars,
                            limit: limits.max_value_chars,
                        });
                    }
                }
                Ok(())
            };
            match array.data_type() {
                DataType::Dictionary(..) => {
                    let Some(d) = array.as_any_dictionary_opt() else { continue };
                    let values = d.values();
                    let Some(strings) = dict_strings(values) else { continue };
                    if dict.values.as_ref().is_none_or(|v| !Arc::ptr_eq(v, values)) {
                        dict.hashes = strings.iter().map(|s| hash::bytes(s.as_bytes())).collect();
                        dict.values = Some(values.clone());
                    }
                    let keys = d.normalized_keys();
                    let (row_valid, value_valid) = (valid_rows(array), valid_rows(values));
                    // Per dictionary key (an index of `strings`): its rows and the first of them.
                    let mut counts = vec![(0u64, 0usize); strings.len()];
                    for (r, &key) in keys.iter().enumerate() {
                        if row_valid(r) && value_valid(key) {
                            let h = dict.hashes.get(key).copied().unwrap_or(0);
                            rh[r] = rh[r].wrapping_add(hash::cell(ch, h));
                            if let Some(e) = counts.get_mut(key) {
                                if e.0 == 0 {
                                    e.1 = r;
                                }
                                e.0 += 1;
                            }
                        }
                    }
                    // The values present, in key order.
                    let seen = || counts.iter().zip(&strings).zip(&dict.hashes).filter(|((e, _), _)| e.0 > 0);
                    for ((&(count, r), &s), &h) in seen() {
                        too_long(s, r)?;
                        acc.add_text(s, h, count, limits.exact_distinct);
                    }
                    if let Some(o) = observer {
                        let mut o = lock(o);
                        for ((&(count, _), &s), _) in seen() {
                            o.observe_repeated(s, count);
                        }
                    }
                }
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                    let get = |r: usize| -> &str {
                        match array.data_type() {
                            DataType::Utf8 => array.as_string::<i32>().value(r),
                            DataType::LargeUtf8 => array.as_string::<i64>().value(r),
                            _ => array.as_string_view().value(r),
                        }
                    };
                    let valid = valid_rows(array);
                    for r in (0..n).filter(|&r| valid(r)) {
                        let s = get(r);
                        too_long(s, r)?;
                        let h = hash::bytes(s.as_bytes());
                        rh[r] = rh[r].wrapping_add(hash::cell(ch, h));
                        acc.add_text(s, h, 1, limits.exact_distinct);
                    }
                    if let Some(o) = observer {
                        let mut o = lock(o);
                        for r in (0..n).filter(|&r| valid(r)) {
                            o.observe(get(r));
                        }
                    }
                }
                DataType::Null => {}
                DataType::Boolean => {
                    let b = array.as_boolean();
                    let mut trues = 0;
                    let mut m = 0;
                    for r in (0..n).filter(|&r| b.is_valid(r)) {
                        let v = b.value(r);
                        trues += u64::from(v);
                        m += 1;
                        rh[r] = rh[r].wrapping_add(hash::cell(ch, hash::mix(u64::from(v) + 2)));
                    }
                    acc.add_bools(trues, m, limits.exact_distinct);
                }
                DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
                    floats.clear();
                    let mut push = |r: usize, x: f64| {
                        if !x.is_nan() {
                            rh[r] = rh[r].wrapping_add(hash::cell(ch, hash::mix((x + 0.0).to_bits())));
                            floats.push(x);
                        }
                    };
                    match array.data_type() {
                        DataType::Float16 => {
                            each(array.as_primitive::<Float16Type>(), |r, v| push(r, v.to_f64()));
                        }
                        DataType::Float32 => {
                            each(array.as_primitive::<Float32Type>(), |r, v| push(r, f64::from(v)));
                        }
                        DataType::Float64 => each(array.as_primitive::<Float64Type>(), push),
                        DataType::Decimal128(_, scale) => {
                            let d = 10f64.powi(i32::from(*scale));
                            #[expect(
                                clippy::cast_precision_loss,
                                reason = "decimals profiled as f64; documented"
                            )]
                            each(array.as_primitive::<Decimal128Type>(), |r, v| push(r, v as f64 / d));
                        }
                        _ => {}
                    }
                    acc.add_floats(floats, limits.exact_distinct);
                }
                t => {
                    ints.clear();
                    let mut overflow = None;
                    let mut push = |r: usize, v: i64| {
                        rh[r] = rh[r].wrapping_add(hash::cell(ch, hash::mix(v.cast_unsigned())));
                        ints.push(v);
                    };
                    match t {
                        DataType::Int8 => each(array.as_primitive::<Int8Type>(), |r, v| push(r, v.into())),
                        DataType::Int16 => each(array.as_primitive::<Int16Type>(), |r, v| push(r, v.into())),
                        DataType::Int32 => each(array.as_primitive::<Int32Type>(), |r, v| push(r, v.into())),
                        DataType::Int64 => each(array.as_primitive::<Int64Type>(), push),
                        DataType::UInt8 => each(array.as_primitive::<UInt8Type>(), |r, v| push(r, v.into())),
                        DataType::UInt16 => {
                            each(array.as_primitive::<UInt16Type>(), |r, v| push(r, v.into()));
                        }
                        DataType::UInt32 => {
                            each(array.as_primitive::<UInt32Type>(), |r, v| push(r, v.into()));
                        }
                        DataType::UInt64 => {
                            each(array.as_primitive::<UInt64Type>(), |r, v| match i64::try_from(v) {
                                Ok(v) => push(r, v),
                                Err(_) => overflow = overflow.or(Some(r)),
                            });
                        }
                        DataType::Date32 => {
                            each(array.as_primitive::<Date32Type>(), |r, v| push(r, v.into()));
                        }
                        DataType::Date64 => {
                            each(array.as_primitive::<Date64Type>(), |r, v| {
                                push(r, v.div_euclid(86_400_000));
                            });
                        }
                        DataType::Timestamp(TimeUnit::Second, _) => {
                            each(array.as_primitive::<TimestampSecondType>(), push);
                        }
                        DataType::Timestamp(TimeUnit::Millisecond, _) => {
                            each(array.as_primitive::<TimestampMillisecondType>(), push);
                        }
                        DataType::Timestamp(TimeUnit::Microsecond, _) => {
                            each(array.as_primitive::<TimestampMicrosecondType>(), push);
                        }
                        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                            each(array.as_primitive::<TimestampNanosecondType>(), push);
                        }
                        _ => {}
                    }
                    if let Some(r) = overflow {
                        return Err(ProfileError::IntegerOverflow { at: at(r), column: name.to_owned() });
                    }
                    let check = acc.has_pattern();
                    let mut o = if kind == Typed::Integer { observer.map(lock) } else { None };
                    if o.is_some() || check {
                        let mut conforming = 0;
                        let mut owned;
                        for &v in ints.iter() {
                            let s: &str = match kind {
                                Typed::Date => {
                                    owned = crate::time::date(v);
                                    &owned
                                }
                                Typed::Datetime { per_second, utc } => {
                                    owned = crate::time::datetime(v, per_second, utc);
                                    &owned
                                }
                                _ => text.format(v),
                            };
                            if let Some(o) = o.as_deref_mut() {
                                o.observe(s);
                            }
                            conforming += u64::from(check && acc.matches(s));
                        }
                        acc.add_conforming(conforming);
                    }
                    drop(o);
                    acc.add_ints(ints, limits.exact_distinct, scratch);
                }
            }
        }
        self.partial.rows += n as u64;
        self.partial.rowset.extend(&rh, limits.exact_row_hashes);
        if sensitive.is_empty() {
            return Ok(());
        }
        let columns = batch.columns();
        // Which rows of each column hold a value, once for all the sensitive columns.
        let rows: Vec<Option<Vec<bool>>> = columns.iter().map(present_rows).collect();
        let present = |c: usize| match rows.get(c) {
            Some(None) => Present::All,
            Some(Some(rows)) => Present::Rows(rows),
            None => Present::Rows(&[]),
        };
        for (s, at) in sensitive.iter().enumerate() {
            let mut g = Grouping::new(n);
            match at.and_then(|c| columns.get(c).map(|a| (c, a))) {
                None => (0..n).for_each(|_| g.push(None)),
                Some((c, a)) => {
                    let has_value = present(c);
                    if let Some(d) = a.as_any_dictionary_opt() {
                        let keys = d.normalized_keys();
                        let strings = dict_strings(d.values()).unwrap_or_default();
                        // Each key's group, looked up once per batch rather than once per row.
                        let mut ids: Vec<Option<usize>> = vec![None; strings.len()];
                        for (r, &key) in keys.iter().enumerate() {
                            let id = match (has_value.has(r), ids.get_mut(key), strings.get(key)) {
                                (true, Some(Some(id)), _) => Some(*id),
                                (true, Some(slot), Some(v)) => Some(*slot.insert(g.id(v))),
                                _ => None,
                            };
                            g.push_id(id);
                        }
                    } else {
                        let mut buf = String::new();
                        for r in 0..n {
                            g.push(render(a, r, &mut buf, has_value.has(r)));
                        }
                    }
                }
            }
            let b = g.finish(columns.len(), present);
            if let Some(mine) = self.partial.bias.get_mut(s) {
                mine.missing += b.missing;
                for (value, g) in b.groups {
                    let e = mine.groups.entry(value).or_default();
                    e.count += g.count;
                    e.present.resize(columns.len(), 0);
                    for (j, p) in g.present.into_iter().enumerate() {
                        e.present[j] += p;
                    }
                }
                if mine.groups.len() > limits.max_groups {
                    return Err(ProfileError::TooManyGroups {
                        column: self.ctx.options.sensitive.get(s).cloned().unwrap_or_default(),
                        limit: limits.max_groups,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether a row of `a` is valid, as `a.is_valid(row)` says, without a call through
/// `dyn Array` per row.
fn valid_rows(a: &dyn Array) -> impl Fn(usize) -> bool + '_ {
    let nulls = a.nulls();
    move |r| nulls.is_none_or(|n| n.is_valid(r))
}

/// Locks a shared observer (a panic of another thread while observing leaves it usable: it
/// only counts).
fn lock<O>(o: &Shared<O>) -> MutexGuard<'_, O> {
    o.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which rows of a column hold a value (not null, and for floats not NaN) for the bias
/// profile's missing shares; `None` when all of them do.
fn present_rows(a: &ArrayRef) -> Option<Vec<bool>> {
    let is_valid = valid_rows(a);
    let rows: Vec<bool> = match a.data_type() {
        DataType::Float32 => {
            let v = a.as_primitive::<Float32Type>().values();
            v.iter().enumerate().map(|(r, x)| is_valid(r) && !x.is_nan()).collect()
        }
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().values();
            v.iter().enumerate().map(|(r, x)| is_valid(r) && !x.is_nan()).collect()
        }
        _ if a.null_count() == 0 => return None,
        _ => (0..a.len()).map(is_valid).collect(),
    };
    (!rows.iter().all(|&p| p)).then_some(rows)
}

/// Calls `f(row, value)` for every non-null value.
fn each<T: arrow_array::ArrowPrimitiveType>(
    a: &arrow_array::PrimitiveArray<T>,
    mut f: impl FnMut(usize, T::Native),
) {
    if a.null_count() == 0 {
        for (r, &v) in a.values().iter().enumerate() {
            f(r, v);
        }
    } else {
        for (r, &v) in a.values().iter().enumerate() {
            if a.is_valid(r) {
                f(r, v);
            }
        }
    }
}

/// A sensitive column's value as text (its group's name).
fn render<'b>(a: &'b ArrayRef, r: usize, buf: &'b mut String, valid: bool) -> Option<&'b str> {
    use std::fmt::Write;
    if !valid {
        return None;
    }
    buf.clear();
    match a.data_type() {
        DataType::Utf8 => return Some(a.as_string::<i32>().value(r)),
        DataType::LargeUtf8 => return Some(a.as_string::<i64>().value(r)),
        DataType::Utf8View => return Some(a.as_string_view().value(r)),
        DataType::Boolean => {
            let _ = write!(buf, "{}", a.as_boolean().value(r));
        }
        DataType::Int8 => {
            let _ = write!(buf, "{}", a.as_primitive::<Int8Type>().value(r));
        }
        DataType::Int16 => {
            let _ = write!(buf, "{}", a.as_primitive::<Int16Type>().value(r));
        }
        DataType::Int32 => {
            let _ = write!(buf, "{}", a.as_primitive::<Int32Type>().value(r));
        }
        DataType::Int64 => {
            let _ = write!(buf, "{}", a.as_primitive::<Int64Type>().value(r));
        }
        DataType::UInt8 => {
            let _ = write!(buf, "{}", a.as_primitive::<UInt8Type>().value(r));
        }
        DataType::UInt16 => {
            let _ = write!(buf, "{}", a.as_primitive::<UInt16Type>().value(r));
        }
        DataType::UInt32 => {
            let _ = write!(buf, "{}", a.as_primitive::<UInt32Type>().value(r));
        }
        DataType::UInt64 => {
            let _ = write!(buf, "{}", a.as_primitive::<UInt64Type>().value(r));
        }
        DataType::Date32 => buf.push_str(&crate::time::date(a.as_primitive::<Date32Type>().value(r).into())),
        _ => buf.push('?'),
    }
    Some(buf)
}

/// A text dictionary's values (null values as empty; their keys are treated as null).
fn dict_strings(values: &ArrayRef) -> Option<Vec<&str>> {
    match (values.as_string_opt::<i32>(), values.as_string_opt::<i64>()) {
        (Some(s), _) => Some((0..s.len()).map(|i| if s.is_valid(i) { s.value(i) } else { "" }).collect()),
        (None, Some(s)) => Some((0..s.len()).map(|i| if s.is_valid(i) { s.value(i) } else { "" }).collect()),
        (None, None) => None,
    }
}
