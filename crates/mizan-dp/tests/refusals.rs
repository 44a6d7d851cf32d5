//! Every refusal, with its message, decided from the settings and the query alone; and
//! every settings check, with the field it names.

mod common;

use common::{query, settings};
use mizan_dp::{Filter, Query, Refusal, Settings, Statistic, plan, synthetic_plan};

fn check(s: &Settings, q: &Query, expect: &str) {
    match plan(s, q) {
        Ok(p) => panic!("`{}` was planned, expected the refusal: {expect}", p.shape),
        Err(e) => assert_eq!(e.to_string(), expect),
    }
}

fn income(kind: &str) -> Statistic {
    let column = "income".to_string();
    match kind {
        "sum" => Statistic::Sum { column },
        "mean" => Statistic::Mean { column },
        _ => unreachable!(),
    }
}

#[test]
fn queries_are_refused_with_reasons() {
    let s = settings(2);
    let mut with_header = settings(2);
    with_header.dataset_columns =
        ["id", "province", "sex", "district", "income", "notes"].map(String::from).to_vec();

    // columns
    check(
        &s,
        &query(Statistic::Sum { column: "salary".into() }, &[], 1.0),
        "`salary` is not a column of this dataset",
    );
    check(
        &s,
        &query(Statistic::Mean { column: "province".into() }, &[], 1.0),
        "`province` is not declared as a numeric column in the sandbox settings",
    );
    check(
        &s,
        &query(Statistic::Count, &["income"], 1.0),
        "`income` is not declared as a categorical column in the sandbox settings",
    );
    check(
        &s,
        &query(Statistic::Count, &["id"], 1.0),
        "`id` is not declared as a categorical column in the sandbox settings",
    );
    check(
        &with_header,
        &query(Statistic::Count, &["notes"], 1.0),
        "`notes` is not declared as a categorical column in the sandbox settings",
    );
    check(&with_header, &query(Statistic::Count, &["nope"], 1.0), "`nope` is not a column of this dataset");

    // ε
    for eps in [0.0, -1.0, 5.5, f64::NAN, f64::INFINITY] {
        let e = plan(&s, &query(Statistic::Count, &[], eps)).unwrap_err();
        assert!(matches!(e, Refusal::EpsilonOverCap { cap: 5.0, .. }), "{e}");
    }
    check(&s, &query(Statistic::Count, &[], 6.0), "ε 6 is outside (0, 5]");

    // groups
    check(
        &s,
        &query(Statistic::Count, &["province", "sex", "district"], 1.0),
        "group_by: at most 2 columns, got 3",
    );
    check(&s, &query(Statistic::Count, &["sex", "sex"], 1.0), "group_by[1]: `sex` appears twice");

    // the statistic's parameters
    for bins in [0, 1, 51] {
        check(
            &s,
            &query(Statistic::Histogram { column: "income".into(), bins }, &[], 1.0),
            &format!("statistic.bins: must be between 2 and 50, got {bins}"),
        );
    }
    for q in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        check(
            &s,
            &query(Statistic::Quantile { column: "income".into(), q }, &[], 1.0),
            &format!("statistic.q: must lie strictly between 0 and 1 (0.5 for the median), got `{q}`"),
        );
    }

    // filters
    let filtered = |column: &str, values: &[&str]| {
        let mut q = query(income("sum"), &[], 1.0);
        q.filters
            .push(Filter { column: column.into(), values: values.iter().map(|v| (*v).to_owned()).collect() });
        q
    };
    check(
        &s,
        &filtered("income", &["5"]),
        "`income` is not declared as a categorical column in the sandbox settings",
    );
    check(
        &s,
        &filtered("province", &["Sindh", "Gilgit"]),
        "filters[0].values[1]: `Gilgit` is not one of the public categories of `province` \
         (`Punjab`, `Sindh`, `Khyber Pakhtunkhwa`, `Balochistan`)",
    );
    check(&s, &filtered("sex", &[]), "filters[0].values: must list at least one category");
    let mut twice = filtered("sex", &["male"]);
    twice.filters.push(Filter { column: "sex".into(), values: vec!["female".into()] });
    check(
        &s,
        &twice,
        "filters[1].column: `sex` is already filtered by filters[0]; put all its values in one filter",
    );
    let many: Vec<String> = (0..1001).map(|i| format!("d{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    check(&s, &filtered("district", &many), "filters[0].values: at most 1000 categories, got 1001");
    // a filter on a column without public keys takes any value
    assert!(plan(&s, &filtered("district", &["Quetta", "no such district"])).is_ok());

    // partition selection
    let mut no_delta = settings(2);
    no_delta.project_delta = 0.0;
    check(
        &no_delta,
        &query(Statistic::Count, &["district"], 1.0),
        "group_by[0]: `district` has no public categories, so grouping by it needs δ, and this dataset's δ budget \
         (project_delta) is 0",
    );
    check(
        &s,
        &query(Statistic::Quantile { column: "income".into(), q: 0.5 }, &["sex", "district"], 1.0),
        "group_by[1]: `district` has no public categories; quantiles can be grouped only by columns with public keys",
    );

    // size
    let mut wide = settings(2);
    wide.categorical[2].keys = Some((0..1000).map(|i| format!("d{i}")).collect());
    wide.categorical[1].keys = Some((0..30).map(|i| format!("s{i}")).collect());
    check(
        &wide,
        &query(Statistic::Count, &["district", "sex"], 1.0),
        "group_by: the query has 30000 cells, more than 20000; group by fewer columns or use fewer bins",
    );
    check(
        &wide,
        &query(Statistic::Histogram { column: "income".into(), bins: 50 }, &["district"], 1.0),
        "group_by: the query has 50000 cells, more than 20000; group by fewer columns or use fewer bins",
    );
    check(
        &wide,
        &query(Statistic::Quantile { column: "income".into(), q: 0.5 }, &["district", "province"], 1.0),
        "group_by: a quantile may have at most 1000 groups, this one has 4000",
    );

    // settings that do not hold
    let mut broken = settings(2);
    broken.numeric[0].upper = -1.0;
    check(
        &broken,
        &query(Statistic::Count, &[], 1.0),
        "settings.numeric[0].upper: must be greater than the lower bound `0`, got `-1`",
    );
}

#[test]
fn the_shape_names_no_values() {
    let s = settings(2);
    let mut q = query(income("mean"), &["province", "sex"], 1.0);
    q.filters.push(Filter {
        column: "district".into(),
        values: vec!["Quetta".into(), "Quetta".into(), "Zhob".into()],
    });
    q.filters.push(Filter { column: "sex".into(), values: vec!["female".into()] });
    let p = plan(&s, &q).unwrap();
    assert_eq!(p.shape, "mean(income) by province, sex where district in 2 values and sex in 1 value");
    assert_eq!(p.query.filters[0].values, ["Quetta", "Zhob"], "values are deduplicated");
    assert!(!p.shape.contains("Quetta"));
    let h = plan(&s, &query(Statistic::Histogram { column: "income".into(), bins: 10 }, &[], 1.0)).unwrap();
    assert_eq!(h.shape, "histogram(income, 10 bins)");
    let m = plan(&s, &query(Statistic::Quantile { column: "income".into(), q: 0.5 }, &["sex"], 1.0)).unwrap();
    assert_eq!(m.shape, "quantile(income, 0.5) by sex");
}

fn columns() -> Vec<String> {
    ["id", "province", "sex", "district", "income"].map(String::from).to_vec()
}

fn check_settings(change: impl FnOnce(&mut Settings), expect: &str) {
    let mut s = settings(2);
    change(&mut s);
    match s.validate(&columns()) {
        Ok(()) => panic!("the settings validated, expected: {expect}"),
        Err(e) => assert_eq!(e.to_string(), expect),
    }
}

#[test]
fn settings_are_checked_field_by_field() {
    assert_eq!(settings(2).validate(&columns()), Ok(()));
    check_settings(
        |s| s.unit_column = "cnic".into(),
        "unit_column: `cnic` is not a column of the dataset (columns: `id`, `province`, `sex`, `district`, `income`)",
    );
    check_settings(|s| s.max_rows_per_unit = 0, "max_rows_per_unit: must be between 1 and 1000, got 0");
    check_settings(|s| s.max_rows_per_unit = 1001, "max_rows_per_unit: must be between 1 and 1000, got 1001");
    check_settings(
        |s| s.numeric[0].name = "id".into(),
        "numeric[0].name: `id` is the unit column; it identifies people and may not be queried",
    );
    check_settings(
        |s| s.categorical[1].name = "province".into(),
        "categorical[1].name: `province` is already declared as categorical[0]",
    );
    check_settings(
        |s| s.categorical[1].name = "income".into(),
        "categorical[1].name: `income` is already declared as numeric[0]",
    );
    check_settings(
        |s| s.numeric[0].name = "wage".into(),
        "numeric[0].name: `wage` is not a column of the dataset (columns: `id`, `province`, `sex`, `district`, `income`)",
    );
    check_settings(
        |s| s.numeric[0].lower = f64::NEG_INFINITY,
        "numeric[0].lower: must be a finite number, got `-inf`",
    );
    check_settings(|s| s.numeric[0].upper = f64::NAN, "numeric[0].upper: must be a finite number, got `NaN`");
    check_settings(
        |s| s.numeric[0].upper = 0.0,
        "numeric[0].upper: must be greater than the lower bound `0`, got `0`",
    );
    check_settings(|s| s.numeric[0].decimals = 7, "numeric[0].decimals: must be at most 6, got 7");
    check_settings(
        |s| s.numeric[0].upper = 1e17,
        "numeric[0].upper: `100000000000000000` is too large: with 0 decimals the bounds must lie within ±9007199254740992",
    );
    check_settings(
        |s| s.numeric[0].upper = 0.2,
        "numeric[0].upper: rounds to the lower bound at 0 decimals; raise `decimals` or widen the bounds",
    );
    check_settings(
        |s| s.categorical[0].keys = Some(Vec::new()),
        "categorical[0].keys: must not be empty; leave `keys` out when the categories are not public",
    );
    check_settings(
        |s| s.categorical[1].keys = Some(vec!["f".into(), "m".into(), "f".into()]),
        "categorical[1].keys[2]: `f` appears twice",
    );
    check_settings(
        |s| s.categorical[0].keys = Some((0..1001).map(|i| i.to_string()).collect()),
        "categorical[0].keys: at most 1000 keys, got 1001",
    );
    check_settings(|s| s.project_epsilon = 0.0, "project_epsilon: must be a finite number above 0, got `0`");
    check_settings(
        |s| s.max_query_epsilon = f64::INFINITY,
        "max_query_epsilon: must be a finite number above 0, got `inf`",
    );
    check_settings(
        |s| s.max_query_epsilon = 11.0,
        "max_query_epsilon: `11` is more than the project's whole budget, project_epsilon `10`",
    );
    check_settings(
        |s| s.synthetic_epsilon = -1.0,
        "synthetic_epsilon: must be a finite number, 0 or more, got `-1`",
    );
    check_settings(
        |s| s.project_delta = 1e-3,
        "project_delta: must be 0 or more and below 0.001, got `0.001`",
    );
    check_settings(
        |s| s.project_delta = -1e-9,
        "project_delta: must be 0 or more and below 0.001, got `-0.000000001`",
    );
    check_settings(|s| s.query_delta = 0.0, "query_delta: must be above 0 and below 0.001, got `0`");
    check_settings(
        |s| s.query_delta = 1e-4,
        "query_delta: `0.0001` is more than the project's whole δ, project_delta `0.00001`",
    );
    check_settings(
        |s| s.dataset_columns = vec!["id".into()],
        "dataset_columns: the settings were made for the columns `id`, but the dataset has `id`, `province`, `sex`, `district`, `income`",
    );

    // no δ budget: query_delta is not held against it
    let mut s = settings(2);
    s.project_delta = 0.0;
    assert_eq!(s.validate(&columns()), Ok(()));
    // a synthetic budget of 0 is allowed
    s.synthetic_epsilon = 0.0;
    assert_eq!(s.validate(&columns()), Ok(()));

    // 65 declared columns
    let mut s = settings(2);
    let mut header = columns();
    for i in 0..62 {
        header.push(format!("c{i}"));
        s.categorical.push(mizan_dp::CategoricalColumn { name: format!("c{i}"), keys: None });
    }
    assert_eq!(
        s.validate(&header).unwrap_err().to_string(),
        "categorical[63]: at most 64 columns may be declared"
    );

    // a header naming a column twice
    let mut twice = columns();
    twice.push("sex".into());
    assert_eq!(
        settings(2).validate(&twice).unwrap_err().to_string(),
        "columns: `sex` appears twice in the dataset's header"
    );
}

#[test]
fn settings_read_from_json_take_their_defaults() {
    let s: Settings = serde_json::from_str(
        r#"{"unit_column": "id", "max_rows_per_unit": 1, "project_epsilon": 1, "max_query_epsilon": 1,
            "numeric": [{"name": "income", "lower": 0, "upper": 10}]}"#,
    )
    .unwrap();
    assert_eq!(s.query_delta, 1e-7);
    assert_eq!(s.numeric[0].decimals, 0);
    assert!(s.dataset_columns.is_empty());
    assert_eq!(s.project_delta, 0.0);
}

#[test]
fn a_synthetic_sample_needs_a_budget() {
    let mut s = settings(2);
    s.synthetic_epsilon = 0.0;
    assert_eq!(
        synthetic_plan(&s).unwrap_err().to_string(),
        "synthetic_epsilon: is 0: the steward has set no budget for a synthetic sample"
    );
}
