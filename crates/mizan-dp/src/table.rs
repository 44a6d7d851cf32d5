//! The bounded columnar table: built once per dataset version, read a few columns at a time.
//!
//! [`TableBuilder`] keeps the first `k = max_rows_per_unit` rows of each unit in file order
//! (units are told apart by the XXH3 hash of their id, see `hash::unit`), and only the
//! declared columns: a categorical column as `u32` codes, a numeric one as `i64` fixed-point
//! units (see `settings::Fixed`). Memory is the unit map (16 bytes a unit, before the map's
//! slack) plus 4 or 8 bytes per kept row and declared column; the unit column itself is
//! never stored.
//!
//! Codes: with public keys, a value's code is its index in the keys, and a value outside
//! them gets `keys.len()`, which lies in no released cell. Without public keys, codes index
//! a private dictionary of the observed values, sorted, stored in the file's metadata and
//! never shown (a group appears only through partition selection).
//!
//! The file is an Arrow IPC file (LZ4-compressed batches of [`BATCH_ROWS`] rows), one column
//! per declared column (categorical first, then numeric, each in declared order) and the
//! schema metadata `mizan-dp`: the settings fingerprint, the dictionaries and the
//! [`TableStats`]. The fingerprint covers what shapes the table (unit column, `k`, columns,
//! bounds, decimals, keys), not the budgets, so a steward may change ε without a rebuild.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, UInt32Array};
use arrow_ipc::CompressionType;
use arrow_ipc::reader::FileReaderBuilder;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions};
use arrow_schema::{DataType, Field, Schema};
use serde::{Deserialize, Serialize};

use crate::hash::{self, FastMap};
use crate::settings::Fixed;
use crate::{Plan, Settings, TableError, TableStats};

/// Rows per record batch: the unit of parallel work when answering.
pub const BATCH_ROWS: usize = 1 << 16;
/// The most distinct values of a categorical column without public keys.
pub const MAX_DICTIONARY: usize = 1_000_000;
/// The metadata key of the table's description.
const META_KEY: &str = "mizan-dp";
/// The table format's name and version.
const FORMAT: &str = "mizan.dp-table-1";

/// What the file says about itself (JSON in the schema metadata).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TableMeta {
    pub format: String,
    pub fingerprint: String,
    pub stats: TableStats,
    /// The private dictionaries, by column.
    pub dictionaries: BTreeMap<String, Vec<String>>,
}

/// The part of the settings that shapes a table.
#[derive(Serialize)]
struct Shape<'a> {
    format: &'a str,
    unit_column: &'a str,
    max_rows_per_unit: u32,
    numeric: Vec<(&'a str, i64, i64, u8)>,
    categorical: Vec<(&'a str, Option<&'a [String]>)>,
}

/// The fingerprint of the settings that shape a table.
pub(crate) fn fingerprint(settings: &Settings) -> String {
    let shape = Shape {
        format: FORMAT,
        unit_column: &settings.unit_column,
        max_rows_per_unit: settings.max_rows_per_unit,
        numeric: settings
            .numeric
            .iter()
            .map(|n| {
                let f = Fixed::of(n);
                (n.name.as_str(), f.lower, f.upper, n.decimals)
            })
            .collect(),
        categorical: settings.categorical.iter().map(|c| (c.name.as_str(), c.keys.as_deref())).collect(),
    };
    // serializing plain strings and numbers cannot fail
    hash::fingerprint(serde_json::to_string(&shape).unwrap_or_default().as_bytes())
}

enum Lookup {
    Public { codes: FastMap<Box<str>, u32>, other: u32 },
    Private { codes: FastMap<Box<str>, u32>, values: Vec<String> },
}

struct CategoricalBuild {
    name: String,
    at: usize,
    lookup: Lookup,
    codes: Vec<u32>,
}

struct NumericBuild {
    name: String,
    at: usize,
    fixed: Fixed,
    values: Vec<i64>,
}

/// Builds the bounded columnar table of a dataset version from its rows.
pub struct TableBuilder {
    fingerprint: String,
    width: usize,
    unit_at: usize,
    k: u16,
    units: FastMap<u64, u16>,
    categorical: Vec<CategoricalBuild>,
    numeric: Vec<NumericBuild>,
    stats: TableStats,
    pushed: u64,
}

impl TableBuilder {
    /// A builder for rows with this header.
    ///
    /// # Errors
    /// Settings that do not validate against the header (a declared column missing from it,
    /// for one).
    pub fn new(settings: &Settings, header: &[String]) -> Result<TableBuilder, TableError> {
        settings.validate(header).map_err(|e| TableError::Input(format!("sandbox settings: {e}")))?;
        let at = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
        let categorical = settings
            .categorical
            .iter()
            .map(|c| CategoricalBuild {
                name: c.name.clone(),
                at: at(&c.name),
                lookup: match &c.keys {
                    Some(keys) => Lookup::Public {
                        codes: keys.iter().zip(0u32..).map(|(k, i)| (k.as_str().into(), i)).collect(),
                        // validated: at most 1000 keys
                        other: u32::try_from(keys.len()).unwrap_or(u32::MAX),
                    },
                    None => Lookup::Private { codes: FastMap::default(), values: Vec::new() },
                },
                codes: Vec::new(),
            })
            .collect();
        let numeric = settings
            .numeric
            .iter()
            .map(|n| NumericBuild {
                name: n.name.clone(),
                at: at(&n.name),
                fixed: Fixed::of(n),
                values: Vec::new(),
            })
            .collect();
        Ok(TableBuilder {
            fingerprint: fingerprint(settings),
            width: header.len(),
            unit_at: at(&settings.unit_column),
            // validated: 1 to 1000
            k: u16::try_from(settings.max_rows_per_unit).unwrap_or(u16::MAX),
            units: FastMap::default(),
            categorical,
            numeric,
            stats: TableStats::default(),
            pushed: 0,
        })
    }

    /// Adds one row (fields in header order).
    ///
    /// # Errors
    /// A row of the wrong width, or a column without public keys with more than
    /// [`MAX_DICTIONARY`] distinct values; both name the data row (1-based, after the header).
    pub fn push(&mut self, row: &[&str]) -> Result<(), TableError> {
        self.pushed += 1;
        if row.len() != self.width {
            return Err(TableError::Input(format!(
                "data row {}: {} fields, but the header has {}",
                self.pushed,
                row.len(),
                self.width
            )));
        }
        self.stats.rows_in += 1;
        let seen = self.units.entry(hash::unit(row[self.unit_at])).or_insert(0);
        if *seen >= self.k {
            return Ok(());
        }
        *seen += 1;
        for c in &mut self.categorical {
            let value = row[c.at];
            let code = match &mut c.lookup {
                Lookup::Public { codes, other } => codes.get(value).copied().unwrap_or(*other),
                Lookup::Private { codes, values } => match codes.get(value) {
                    Some(&code) => code,
                    None => {
                        if values.len() >= MAX_DICTIONARY {
                            return Err(TableError::Input(format!(
                                "data row {}: column `{}` has more than {MAX_DICTIONARY} distinct values; \
                                 declare its public keys or leave it out of the sandbox",
                                self.pushed, c.name
                            )));
                        }
                        // below MAX_DICTIONARY, so it fits
                        let code = u32::try_from(values.len()).unwrap_or(u32::MAX);
                        codes.insert(value.into(), code);
                        values.push(value.to_owned());
                        code
                    }
                },
            };
            c.codes.push(code);
        }
        for n in &mut self.numeric {
            n.values.push(n.fixed.parse(row[n.at]));
        }
        self.stats.rows_kept += 1;
        Ok(())
    }

    /// Writes the table (Arrow IPC file) to `out`.
    ///
    /// # Errors
    /// I/O.
    pub fn finish(self, out: impl Write) -> Result<TableStats, TableError> {
        let TableBuilder { fingerprint, units, categorical, numeric, mut stats, .. } = self;
        stats.units = units.len() as u64;
        drop(units);
        let mut dictionaries = BTreeMap::new();
        let mut columns: Vec<(String, Column)> = Vec::new();
        for c in categorical {
            let CategoricalBuild { name, lookup, mut codes, .. } = c;
            if let Lookup::Private { values, codes: map } = lookup {
                drop(map);
                // sort the dictionary so codes do not tell the order rows came in
                let mut order: Vec<u32> = (0..u32::try_from(values.len()).unwrap_or(u32::MAX)).collect();
                order.sort_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
                let mut remap = vec![0u32; values.len()];
                for (new, &old) in (0u32..).zip(&order) {
                    remap[old as usize] = new;
                }
                for code in &mut codes {
                    *code = remap[*code as usize];
                }
                let sorted: Vec<String> = order.iter().map(|&i| values[i as usize].clone()).collect();
                dictionaries.insert(name.clone(), sorted);
            }
            columns.push((name, Column::Codes(codes)));
        }
        for n in numeric {
            columns.push((n.name, Column::Units(n.values)));
        }
        let meta = TableMeta { format: FORMAT.to_owned(), fingerprint, stats: stats.clone(), dictionaries };
        write_ipc(out, &columns, &meta)?;
        Ok(stats)
    }
}

enum Column {
    Codes(Vec<u32>),
    Units(Vec<i64>),
}

fn io(e: impl std::fmt::Display) -> TableError {
    TableError::Io(e.to_string())
}

fn write_ipc(out: impl Write, columns: &[(String, Column)], meta: &TableMeta) -> Result<(), TableError> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, c)| match c {
            Column::Codes(_) => Field::new(name, DataType::UInt32, false),
            Column::Units(_) => Field::new(name, DataType::Int64, false),
        })
        .collect();
    let json = serde_json::to_string(meta).map_err(io)?;
    let schema = Arc::new(Schema::new_with_metadata(fields, BTreeMap::from([(META_KEY.to_owned(), json)])));
    let options =
        IpcWriteOptions::default().try_with_compression(Some(CompressionType::LZ4_FRAME)).map_err(io)?;
    let mut writer =
        FileWriter::try_new_with_options(std::io::BufWriter::new(out), &schema, options).map_err(io)?;
    let rows = columns.first().map_or(0, |(_, c)| match c {
        Column::Codes(v) => v.len(),
        Column::Units(v) => v.len(),
    });
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + BATCH_ROWS).min(rows);
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .map(|(_, c)| -> ArrayRef {
                match c {
                    Column::Codes(v) => Arc::new(UInt32Array::from(v[start..end].to_vec())),
                    Column::Units(v) => Arc::new(Int64Array::from(v[start..end].to_vec())),
                }
            })
            .collect();
        if !arrays.is_empty() {
            let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(io)?;
            writer.write(&batch).map_err(io)?;
        }
        if rows == 0 {
            break;
        }
        start = end;
    }
    writer.finish().map_err(io)?;
    writer.into_inner().map_err(io)?.flush().map_err(io)?;
    Ok(())
}

/// The table's description, checked against the settings.
fn check_meta(schema: &Schema, settings: &Settings) -> Result<TableMeta, TableError> {
    let meta: TableMeta =
        schema.metadata().get(META_KEY).and_then(|json| serde_json::from_str(json).ok()).ok_or_else(
            || TableError::Input("not a sandbox table: its `mizan-dp` metadata is missing".into()),
        )?;
    if meta.format != FORMAT {
        return Err(TableError::Input(format!(
            "the table is in format `{}`, this build reads `{FORMAT}`; rebuild it",
            meta.format
        )));
    }
    let expected = fingerprint(settings);
    if meta.fingerprint != expected {
        return Err(TableError::Input(format!(
            "the table was built with other sandbox settings (fingerprint `{}`, the current settings give \
             `{expected}`); rebuild it from the dataset with the current settings",
            meta.fingerprint
        )));
    }
    Ok(meta)
}

/// One column of a batch.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    Codes(UInt32Array),
    Units(Int64Array),
}

/// A bounded columnar table, with only the columns a query needs read.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) meta: TableMeta,
    /// The columns read, in the order of each batch's `Data`.
    pub(crate) names: Vec<String>,
    pub(crate) batches: Vec<Vec<Data>>,
    pub(crate) rows: usize,
}

impl Table {
    /// Reads the columns `plan` needs from an Arrow IPC file written by [`TableBuilder`].
    ///
    /// # Errors
    /// I/O; a file that is not such a table, or was built with other settings (a different
    /// fingerprint: rebuild it); a plan made under other settings.
    pub fn read_for(plan: &Plan, settings: &Settings, file: impl Read + Seek) -> Result<Table, TableError> {
        let design = crate::plan::design(settings, &plan.query).map_err(|e| {
            TableError::Input(format!("the plan's query is refused under these settings: {e}"))
        })?;
        if !crate::answer::same_plan(plan, &design.plan) {
            return Err(TableError::Input(
                "the plan was made under other sandbox settings; plan the query again".into(),
            ));
        }
        Table::read_columns(settings, file, &design.columns())
    }

    /// Reads the named declared columns.
    pub(crate) fn read_columns(
        settings: &Settings,
        mut file: impl Read + Seek,
        names: &[String],
    ) -> Result<Table, TableError> {
        let order: Vec<&str> = settings
            .categorical
            .iter()
            .map(|c| c.name.as_str())
            .chain(settings.numeric.iter().map(|n| n.name.as_str()))
            .collect();
        let mut projection = Vec::with_capacity(names.len());
        for name in names {
            let at = order.iter().position(|o| o == name).ok_or_else(|| {
                TableError::Input(format!("`{name}` is not a declared column of the sandbox settings"))
            })?;
            projection.push(at);
        }
        // the footer first, to check what the file is before projecting its columns
        let whole = FileReaderBuilder::new()
            .build(&mut file)
            .map_err(|e| TableError::Input(format!("not a sandbox table (Arrow IPC file): {e}")))?;
        let meta = check_meta(&whole.schema(), settings)?;
        drop(whole);
        let reader = FileReaderBuilder::new().with_projection(projection).build(file).map_err(io)?;
        let schema = reader.schema();
        for (field, name) in schema.fields().iter().zip(names) {
            if field.name() != name {
                return Err(TableError::Input(format!(
                    "the table's column `{}` is where `{name}` should be; rebuild it",
                    field.name()
                )));
            }
        }
        let mut batches = Vec::new();
        let mut rows = 0;
        for batch in reader {
            let batch = batch.map_err(io)?;
            rows += batch.num_rows();
            let mut data = Vec::with_capacity(names.len());
            for (column, name) in batch.columns().iter().zip(names) {
                let any = column.as_any();
                if let Some(a) = any.downcast_ref::<UInt32Array>() {
                    data.push(Data::Codes(a.clone()));
                } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                    data.push(Data::Units(a.clone()));
                } else {
                    return Err(TableError::Input(format!(
                        "the table's column `{name}` has an unexpected type"
                    )));
                }
                if column.null_count() > 0 {
                    return Err(TableError::Input(format!("the table's column `{name}` has nulls")));
                }
            }
            batches.push(data);
        }
        Ok(Table { meta, names: names.to_vec(), batches, rows })
    }

    /// What building the table did.
    pub fn stats(&self) -> &TableStats {
        &self.meta.stats
    }

    /// Rows in the table (after bounding).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The columns read, by name.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// The position of a column among those read.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}
