//! Public figures summed exactly, their CSV, and the review helpers.

use mizan_grid::{
    CSV_HEADER, Criterion, FastTrack, GrantRow, InstitutionKind, Period, Province, Resource, ReviewError,
    Sector, TresMinutes, Usage, UsageRow, YearMonth, fast_track_eligible, figures, hours, weighted_score,
};
use time::Month;
use time::macros::date;

fn month(year: i32, month: Month) -> YearMonth {
    YearMonth { year, month }
}

#[test]
fn figures_by_province_kind_sector_and_month() {
    let grants = [
        GrantRow {
            province: Province::Punjab,
            kind: InstitutionKind::University,
            starts: date!(2026 - 11 - 15),
            budget: TresMinutes::from_hours(1000, 10),
        },
        GrantRow {
            province: Province::Sindh,
            kind: InstitutionKind::Startup,
            starts: date!(2026 - 12 - 01),
            budget: TresMinutes { cpu: 1, gpu: 0 },
        },
        // outside the period
        GrantRow {
            province: Province::Sindh,
            kind: InstitutionKind::Startup,
            starts: date!(2027 - 01 - 01),
            budget: TresMinutes::from_hours(5, 5),
        },
    ];
    let usage = [
        UsageRow {
            province: Province::Punjab,
            kind: InstitutionKind::University,
            month: month(2026, Month::December),
            used: Usage { cpu_seconds: 3600 * 100, gpu_seconds: 1800 },
        },
        UsageRow {
            province: Province::Sindh,
            kind: InstitutionKind::Startup,
            month: month(2026, Month::December),
            used: Usage { cpu_seconds: 30, gpu_seconds: 0 },
        },
    ];
    let resources = [
        Resource { cluster: "mizan".into(), partition: "cpu".into(), cpus: 96, gpus: 0, memory_mb: 512_000 },
        Resource { cluster: "mizan".into(), partition: "gpu".into(), cpus: 32, gpus: 8, memory_mb: 256_000 },
    ];
    let period = Period { first: month(2026, Month::November), last: month(2026, Month::December) };
    let f = figures(&grants, &usage, &resources, period);
    assert_eq!(f.total.allocations, 2);
    assert_eq!(f.total.granted_cpu_seconds, 1000 * 3600 + 60);
    assert_eq!(f.by_sector[&Sector::Startups].allocations, 1);
    assert_eq!(f.by_sector[&Sector::Academia].used_cpu_seconds, 360_000);
    assert_eq!(f.by_month.len(), 2);
    assert_eq!(f.by_kind.len(), 2);
    // 61 days × 86,400 s × 128 CPUs
    assert_eq!(f.cpu_utilisation.capacity_seconds, 61 * 86_400 * 128);
    assert_eq!(f.cpu_utilisation.percent(2), "0.05");
    assert_eq!(f.gpu_utilisation.percent(3), "0.004");
    assert_eq!(
        f.to_csv(),
        format!(
            "{CSV_HEADER}\r\n\
             total,all,2,1000.02,10.00,100.01,0.50\r\n\
             province,punjab,1,1000.00,10.00,100.00,0.50\r\n\
             province,sindh,1,0.02,0.00,0.01,0.00\r\n\
             institution-kind,university,1,1000.00,10.00,100.00,0.50\r\n\
             institution-kind,startup,1,0.02,0.00,0.01,0.00\r\n\
             sector,startups,1,0.02,0.00,0.01,0.00\r\n\
             sector,academia,1,1000.00,10.00,100.00,0.50\r\n\
             month,2026-11,1,1000.00,10.00,0.00,0.00\r\n\
             month,2026-12,1,0.02,0.00,100.01,0.50\r\n"
        )
    );
}

#[test]
fn hours_and_percentages_are_exact() {
    assert_eq!(hours(0), "0.00");
    assert_eq!(hours(17), "0.00");
    assert_eq!(hours(18), "0.01");
    assert_eq!(hours(5400), "1.50");
    assert_eq!(hours(u128::from(u64::MAX)), "5124095576030431.00");
    let u = mizan_grid::Utilisation { used_seconds: 1, capacity_seconds: 3 };
    assert_eq!(u.percent(0), "33");
    assert_eq!(u.percent(2), "33.33");
    assert_eq!(mizan_grid::Utilisation::default().percent(1), "0.0");
    assert_eq!(month(2026, Month::December).next(), month(2027, Month::January));
    assert_eq!(month(2028, Month::February).seconds(), 29 * 86_400);
    assert_eq!(month(2026, Month::March).to_string(), "2026-03");
}

#[test]
fn codes() {
    for p in Province::ALL {
        assert_eq!(p.as_str().parse::<Province>(), Ok(p));
        assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        assert_eq!(serde_json::from_str::<Province>(&format!("\"{p}\"")).unwrap(), p);
    }
    assert_eq!(Province::IslamabadCapitalTerritory.as_str(), "islamabad");
    assert_eq!(Province::AzadJammuKashmir.name_en(), "Azad Jammu and Kashmir");
    let e = "kpk".parse::<Province>().unwrap_err().to_string();
    assert!(e.starts_with("`kpk` is not a known province; use one of `punjab`, `sindh`"), "{e}");
    for k in InstitutionKind::ALL {
        assert_eq!(k.as_str().parse::<InstitutionKind>(), Ok(k));
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
    }
    assert_eq!(InstitutionKind::PublicBody.as_str(), "public-body");
    assert!(InstitutionKind::University.is_academic() && !InstitutionKind::Startup.is_academic());
    assert!(InstitutionKind::Startup.is_startup());
    assert_eq!(InstitutionKind::Company.sector(), Sector::Other);
}

fn criteria() -> Vec<Criterion> {
    let c = |id: &str, weight, max_score| Criterion {
        id: id.into(),
        title_en: id.into(),
        title_ur: String::new(),
        weight,
        max_score,
    };
    vec![c("merit", 3, 5), c("feasibility", 2, 5), c("impact", 1, 10)]
}

#[test]
fn weighted_scores() {
    let s = weighted_score(&criteria(), &[("merit", 5), ("feasibility", 3), ("impact", 4)]).unwrap();
    assert_eq!((s.points, s.out_of, s.per_mille), (25, 35, 714));
    let e = |scores: &[(&str, u32)]| weighted_score(&criteria(), scores).unwrap_err();
    assert_eq!(e(&[("merit", 5), ("feasibility", 3)]), ReviewError::Missing("impact".into()));
    assert_eq!(e(&[("novelty", 1)]), ReviewError::UnknownCriterion("novelty".into()));
    assert_eq!(e(&[("merit", 6)]), ReviewError::TooHigh { id: "merit".into(), score: 6, max: 5 });
    assert_eq!(e(&[("merit", 1), ("merit", 1)]), ReviewError::Duplicate("merit".into()));
    assert_eq!(weighted_score(&[], &[]), Err(ReviewError::NoWeight));
}

#[test]
fn fast_track() {
    assert!(fast_track_eligible(InstitutionKind::Startup, 0));
    assert!(!fast_track_eligible(InstitutionKind::Startup, 1));
    assert!(!fast_track_eligible(InstitutionKind::University, 0));
    let ft = FastTrack { cpu_hours: 1000, gpu_hours: 100, max_days: 5 };
    assert!(ft.fits(TresMinutes::from_hours(1000, 100)));
    assert!(!ft.fits(TresMinutes { cpu: 60_000, gpu: 6001 }));
}
