//! Helpers shared by the integration tests: settings, small tables built in memory.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::io::Cursor;

use mizan_dp::{
    CategoricalColumn, NumericColumn, Plan, Query, Settings, Statistic, Table, TableBuilder, plan,
};

pub const PROVINCES: [&str; 4] = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan"];

/// Settings over the columns `id, province, sex, district, income`.
pub fn settings(k: u32) -> Settings {
    Settings {
        unit_column: "id".into(),
        max_rows_per_unit: k,
        numeric: vec![NumericColumn { name: "income".into(), lower: 0.0, upper: 1000.0, decimals: 0 }],
        categorical: vec![
            CategoricalColumn {
                name: "province".into(),
                keys: Some(PROVINCES.iter().map(|s| (*s).to_owned()).collect()),
            },
            CategoricalColumn { name: "sex".into(), keys: Some(vec!["female".into(), "male".into()]) },
            CategoricalColumn { name: "district".into(), keys: None },
        ],
        project_epsilon: 10.0,
        project_delta: 1e-5,
        max_query_epsilon: 5.0,
        synthetic_epsilon: 1.0,
        query_delta: 1e-7,
        dataset_columns: Vec::new(),
    }
}

pub fn header() -> Vec<String> {
    ["id", "province", "sex", "district", "income"].iter().map(|s| (*s).to_owned()).collect()
}

/// Builds a table from rows of `id, province, sex, district, income`.
pub fn build(settings: &Settings, rows: &[[String; 5]]) -> Vec<u8> {
    let mut b = TableBuilder::new(settings, &header()).expect("builder");
    for r in rows {
        let fields: Vec<&str> = r.iter().map(String::as_str).collect();
        b.push(&fields).expect("push");
    }
    let mut out = Vec::new();
    b.finish(&mut out).expect("finish");
    out
}

pub fn row(id: &str, province: &str, sex: &str, district: &str, income: &str) -> [String; 5] {
    [id.into(), province.into(), sex.into(), district.into(), income.into()]
}

pub fn query(statistic: Statistic, group_by: &[&str], epsilon: f64) -> Query {
    Query {
        statistic,
        group_by: group_by.iter().map(|s| (*s).to_owned()).collect(),
        filters: Vec::new(),
        epsilon,
    }
}

/// Plans `query` and reads the table for it.
pub fn read(settings: &Settings, file: &[u8], query: &Query) -> (Plan, Table) {
    let p = plan(settings, query).expect("plan");
    let t = Table::read_for(&p, settings, Cursor::new(file)).expect("read_for");
    (p, t)
}
