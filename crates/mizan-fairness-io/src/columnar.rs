//! Parquet and Arrow IPC input: only the requested columns are decoded (a Parquet projection
//! mask, an IPC projection), batch by batch, into the same coded columns as CSV.
//!
//! Columns may be text (`Utf8`, `LargeUtf8`, `Utf8View`), integers, floats, booleans, or
//! dictionaries of those; nulls are missing values. Values are turned into the same strings
//! a CSV would hold (`1`, `0.5`, `true`), so positive-label inference and errors behave
//! identically whatever the format.

use std::io::Cursor;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{At, Raw, ReadError, Spec, columns, missing_column};

/// Rows per decoded batch.
const BATCH: usize = 64 * 1024;

/// Parquet files start (and end) with `PAR1`.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// Arrow IPC files start with `ARROW1`; IPC streams with a continuation marker.
pub fn is_ipc(bytes: &[u8]) -> bool {
    bytes.starts_with(b"ARROW1") || bytes.starts_with(&[0xff, 0xff, 0xff, 0xff])
}

fn fail(path: &Path, format: &'static str, e: &impl std::fmt::Display) -> ReadError {
    ReadError::Columnar { path: path.to_owned(), format, message: e.to_string() }
}

/// Top-level indices of the requested columns, or an error listing the columns present.
fn project(path: &Path, schema: &Schema, spec: &Spec) -> Result<Vec<usize>, ReadError> {
    let names = || schema.fields().iter().map(|f| f.name().as_str());
    let mut idx: Vec<usize> = columns(spec)
        .into_iter()
        .map(|c| schema.index_of(c).map_err(|_| missing_column(path, c, names())))
        .collect::<Result<_, _>>()?;
    idx.sort_unstable();
    idx.dedup();
    Ok(idx)
}

/// Reads a Parquet file.
pub fn parquet(path: &Path, bytes: bytes::Bytes, spec: &Spec) -> Result<Raw, ReadError> {
    const F: &str = "Parquet";
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| fail(path, F, &e))?;
    let idx = project(path, builder.schema(), spec)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), idx);
    let reader =
        builder.with_projection(mask).with_batch_size(BATCH).build().map_err(|e| fail(path, F, &e))?;
    let mut raw = Raw::new(spec);
    for batch in reader {
        add(path, spec, &batch.map_err(|e| fail(path, F, &e))?, &mut raw)?;
    }
    Ok(raw)
}

/// Reads an Arrow IPC file or stream.
pub fn ipc(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Raw, ReadError> {
    const F: &str = "Arrow IPC";
    let mut raw = Raw::new(spec);
    if bytes.starts_with(b"ARROW1") {
        let schema = arrow_ipc::reader::FileReader::try_new(Cursor::new(bytes), None)
            .map_err(|e| fail(path, F, &e))?
            .schema();
        let idx = project(path, &schema, spec)?;
        let reader = arrow_ipc::reader::FileReader::try_new(Cursor::new(bytes), Some(idx))
            .map_err(|e| fail(path, F, &e))?;
        for batch in reader {
            add(path, spec, &batch.map_err(|e| fail(path, F, &e))?, &mut raw)?;
        }
    } else {
        let schema = arrow_ipc::reader::StreamReader::try_new(Cursor::new(bytes), None)
            .map_err(|e| fail(path, F, &e))?
            .schema();
        let idx = project(path, &schema, spec)?;
        let reader = arrow_ipc::reader::StreamReader::try_new(Cursor::new(bytes), Some(idx))
            .map_err(|e| fail(path, F, &e))?;
        for batch in reader {
            add(path, spec, &batch.map_err(|e| fail(path, F, &e))?, &mut raw)?;
        }
    }
    Ok(raw)
}

/// Appends a batch of the projected columns to `raw`.
fn add(path: &Path, spec: &Spec, batch: &RecordBatch, raw: &mut Raw) -> Result<(), ReadError> {
    let cols: Vec<Vec<Option<String>>> = columns(spec)
        .into_iter()
        .map(|name| {
            let array = batch.column_by_name(name).ok_or_else(|| {
                missing_column(path, name, batch.schema_ref().fields().iter().map(|f| f.name().as_str()))
            })?;
            strings(path, name, array.as_ref())
        })
        .collect::<Result<_, _>>()?;
    let mut values: Vec<Option<&str>> = Vec::with_capacity(cols.len());
    for i in 0..batch.num_rows() {
        values.clear();
        // Every column of one batch has `num_rows` entries.
        values.extend(cols.iter().map(|c| c.get(i).and_then(Option::as_deref)));
        let row = raw.rows + 1;
        raw.push(spec, At { path, row, line: None }, &values)?;
    }
    Ok(())
}

macro_rules! primitive {
    ($array:expr, $t:ty) => {{
        let a = $array.as_primitive::<$t>();
        (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
    }};
}

/// One column as optional strings (`None` for null), as a CSV would hold them.
fn strings(path: &Path, column: &str, array: &dyn Array) -> Result<Vec<Option<String>>, ReadError> {
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
        DataType::Int8 => primitive!(array, Int8Type),
        DataType::Int16 => primitive!(array, Int16Type),
        DataType::Int32 => primitive!(array, Int32Type),
        DataType::Int64 => primitive!(array, Int64Type),
        DataType::UInt8 => primitive!(array, UInt8Type),
        DataType::UInt16 => primitive!(array, UInt16Type),
        DataType::UInt32 => primitive!(array, UInt32Type),
        DataType::UInt64 => primitive!(array, UInt64Type),
        DataType::Float32 => primitive!(array, Float32Type),
        DataType::Float64 => primitive!(array, Float64Type),
        DataType::Dictionary(_, _) => {
            let d = array.as_any_dictionary();
            let values = strings(path, column, d.values().as_ref())?;
            d.normalized_keys()
                .into_iter()
                .enumerate()
                .map(|(i, k)| if array.is_valid(i) { values.get(k).cloned().flatten() } else { None })
                .collect()
        }
        other => {
            return Err(ReadError::ColumnType {
                column: column.to_owned(),
                path: path.to_owned(),
                data_type: other.to_string(),
            });
        }
    })
}
