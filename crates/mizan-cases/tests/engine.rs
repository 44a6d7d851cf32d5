//! The case engine against its promises: histories replay, nothing outside the table is
//! accepted, deadlines fire exactly at their boundary.

use std::collections::BTreeMap;

use mizan_cases::{Case, CaseError, CaseType, DeadlineAction, EntryKind, Move, SYSTEM};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime, macros::datetime};

const T0: OffsetDateTime = datetime!(2026-03-01 09:00 UTC);

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn mv(name: &str, role: &str, f: &[(&str, &str)], at: OffsetDateTime) -> Move {
    Move { name: name.into(), role: role.into(), fields: fields(f), at }
}

fn filed() -> Case {
    Case::open(CaseType::appeal(), "appellant", fields(&[("grounds", "my income was misread")]), T0)
}

#[test]
fn the_appeal_type_is_consistent_and_says_who_may_do_what() {
    let t = CaseType::appeal();
    assert_eq!(t.initial, "filed");
    let names = |ms: Vec<&mizan_cases::MoveSpec>| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(t.moves_for("filed", "provider-reviewer")), ["decide", "propose"]);
    assert_eq!(names(t.moves_for("confirming", "provider-reviewer")), ["confirm"]);
    assert_eq!(names(t.moves_for("filed", "appellant")), ["withdraw"]);
    assert_eq!(names(t.moves_for("escalated", "regulator")), ["direct_rereview", "uphold", "order_reversal"]);
    assert!(t.moves_for("closed", "regulator").is_empty());
}

#[test]
fn deadlines_fire_exactly_at_their_boundary() {
    let t = CaseType::appeal();
    let mut c = filed();
    let day15 = T0 + Duration::days(15);
    assert!(c.tick(t, day15 - Duration::nanoseconds(1)).is_empty(), "not a nanosecond early");
    assert!(!c.late);
    let fired = c.tick(t, day15);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].kind, EntryKind::Deadline { index: 0 });
    assert_eq!(fired[0].at, day15);
    assert!(c.late, "the provider missed its 15 days");
    assert_eq!(c.state, "filed");
    assert!(c.tick(t, day15 + Duration::days(1)).is_empty(), "a reminder fires once");
    // At 40 days the engine escalates, dated at the boundary even when told much later.
    let fired = c.tick(t, T0 + Duration::days(100));
    assert_eq!(c.state, "escalated");
    assert_eq!(fired[1].kind, EntryKind::Move { name: "escalate_overdue".into() });
    assert_eq!(fired[1].at, T0 + Duration::days(40));
    assert_eq!(fired[1].actor, SYSTEM);
    // The escalated state's own 60-day reminder counts from the escalation.
    assert_eq!(fired.len(), 3);
    assert_eq!(fired[2].at, T0 + Duration::days(100));
    // Late stays late after the regulator acts.
    c.apply(
        t,
        &mv("uphold", "regulator", &[("reasons", "the provider was right")], T0 + Duration::days(101)),
    )
    .unwrap();
    assert!(c.late && c.state == "closed");
    assert_eq!(Case::replay(t, &c.history).unwrap(), c);
}

#[test]
fn a_decided_appeal_closes_after_thirty_undisputed_days() {
    let t = CaseType::appeal();
    let mut c = filed();
    c.apply(
        t,
        &mv(
            "decide",
            "provider-reviewer",
            &[("outcome", "reversed"), ("reasons", "misread")],
            T0 + Duration::days(3),
        ),
    )
    .unwrap();
    assert!(!c.late);
    // A move after the deadline first records the deadline's own move: the dispute comes too late.
    let late = mv("dispute", "appellant", &[("grounds", "still wrong")], T0 + Duration::days(34));
    let before = c.clone();
    assert!(matches!(c.apply(t, &late), Err(CaseError::Closed(s)) if s == "closed"));
    assert_eq!(c, before, "a refused move changes nothing");
    let entries = c.tick(t, T0 + Duration::days(34));
    assert_eq!(c.state, "closed");
    assert_eq!(entries.last().unwrap().at, T0 + Duration::days(33));
}

#[test]
fn refusals_say_why() {
    let t = CaseType::appeal();
    let mut c = filed();
    let at = T0 + Duration::days(1);
    assert_eq!(
        c.apply(t, &mv("teleport", "regulator", &[], at)),
        Err(CaseError::UnknownMove("teleport".into()))
    );
    assert!(matches!(
        c.apply(t, &mv("uphold", "regulator", &[("reasons", "x")], at)),
        Err(CaseError::WrongState { .. })
    ));
    assert!(matches!(
        c.apply(t, &mv("decide", "appellant", &[("outcome", "x"), ("reasons", "y")], at)),
        Err(CaseError::NotAllowed { .. })
    ));
    assert_eq!(
        c.apply(t, &mv("decide", "provider-reviewer", &[("outcome", "upheld"), ("reasons", "  ")], at)),
        Err(CaseError::MissingField { name: "decide".into(), field: "reasons".into() })
    );
    assert!(matches!(
        c.apply(t, &mv("decide", "provider-reviewer", &[], T0 - Duration::days(1))),
        Err(CaseError::BackInTime { .. })
    ));
    assert_eq!(c, filed(), "nothing changed");
}

#[test]
fn inconsistent_case_types_are_refused_naming_the_problem() {
    let base = include_str!("../types/appeal.yaml");
    for (from, to, needle) in [
        ("initial: filed", "initial: nowhere", "initial state `nowhere`"),
        ("to: decided", "to: limbo", "undefined state `limbo`"),
        ("{ move: close_undisputed }", "{ move: uphold }", "`system` may not make"),
        ("days: 30", "days: 0", "0 days"),
        ("name: withdraw\n", "name: decide\n", "defined twice"),
    ] {
        let text = base.replacen(from, to, 1);
        let err = CaseType::from_yaml(&text).unwrap_err().to_string();
        assert!(err.contains(needle), "{from} → {to}: {err}");
    }
    assert!(
        CaseType::from_yaml("name: x\nversion: 1\ninitial: a\nstates: []\nmoves: []\nextra: 1\n").is_err()
    );
    let t = CaseType::appeal();
    assert!(matches!(&t.states[0].deadlines[1].action, DeadlineAction::Move(m) if m == "escalate_overdue"));
}

#[test]
fn a_tampered_history_does_not_replay() {
    let t = CaseType::appeal();
    let mut c = filed();
    c.apply(
        t,
        &mv(
            "decide",
            "provider-reviewer",
            &[("outcome", "upheld"), ("reasons", "ok")],
            T0 + Duration::days(20),
        ),
    )
    .unwrap();
    // Dropping the 15-day deadline hides that the provider was late.
    let mut h = c.history.clone();
    h.remove(1);
    assert!(matches!(Case::replay(t, &h), Err(CaseError::Replay { seq: 1, .. })));
    // A different actor for the decision.
    let mut h = c.history.clone();
    h.last_mut().unwrap().actor = "appellant".into();
    assert!(matches!(Case::replay(t, &h), Err(CaseError::Replay { .. })));
}

const ROLES: &[&str] = &["appellant", "provider-reviewer", "regulator", "system", "stranger"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any sequence of attempted moves, accepted or not: a refused move leaves the case as it
    /// was, every accepted move is in the table, and the history replays to the same case.
    #[test]
    fn histories_replay_and_only_the_table_moves(
        steps in prop::collection::vec((0usize..9, 0usize..5, 0u32..50, any::<bool>()), 0..30)
    ) {
        let t = CaseType::appeal();
        let mut c = filed();
        let mut at = T0;
        for (m, r, days, with_fields) in steps {
            at += Duration::days(i64::from(days));
            let name = t.moves.get(m).map_or_else(|| "unknown".to_owned(), |s| s.name.clone());
            let f = if with_fields {
                fields(&[("outcome", "upheld"), ("reasons", "r"), ("grounds", "g")])
            } else {
                BTreeMap::new()
            };
            let request = Move { name, role: ROLES[r].to_owned(), fields: f, at };
            let before = c.clone();
            match c.apply(t, &request) {
                Ok(added) => {
                    let last = added.last().unwrap();
                    let spec = t.find_move(&request.name).unwrap();
                    prop_assert!(spec.actors.contains(&request.role));
                    prop_assert!(spec.from.contains(&last.from));
                    prop_assert_eq!(&last.to, &spec.to);
                    prop_assert_eq!(&c.state, &spec.to);
                }
                Err(_) => {
                    // Deadlines still fire with time, but the refused move itself left no trace.
                    let mut ticked = before.clone();
                    ticked.tick(t, at);
                    prop_assert_eq!(&c, &before);
                    c = ticked;
                }
            }
            prop_assert!(t.state(&c.state).is_some());
            let replayed = Case::replay(t, &c.history).unwrap();
            prop_assert_eq!(&replayed.state, &c.state);
            prop_assert_eq!(replayed.late, c.late);
            prop_assert_eq!(&replayed.history, &c.history);
        }
    }
}

#[test]
fn the_oversight_type_holds_until_a_person_reviews() {
    let t = CaseType::oversight();
    assert_eq!(CaseType::named("oversight").map(|t| t.name.as_str()), Some("oversight"));
    assert_eq!(CaseType::named("appeal").map(|t| t.name.as_str()), Some("appeal"));
    assert!(CaseType::named("grant").is_none());
    let names = |ms: Vec<&mizan_cases::MoveSpec>| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(t.moves_for("pending", "provider-reviewer")), ["review", "propose"]);
    assert!(t.moves_for("pending", "appellant").is_empty(), "the person decided about does not review");
    let mut c = Case::open(t, SYSTEM, fields(&[("reasons", "adverse")]), T0);
    assert_eq!(c.state, "pending");
    // Late exactly two days after the decision was held.
    assert!(c.tick(t, T0 + Duration::days(2) - Duration::nanoseconds(1)).is_empty());
    assert_eq!(c.tick(t, T0 + Duration::days(2)).len(), 1);
    assert!(c.late);
    let e = c.apply(t, &mv("review", "provider-reviewer", &[], T0 + Duration::days(3))).unwrap_err();
    assert!(matches!(e, CaseError::MissingField { .. }), "{e}");
    c.apply(t, &mv("review", "provider-reviewer", &[("outcome", "confirmed")], T0 + Duration::days(3)))
        .unwrap();
    assert_eq!(c.state, "reviewed");
    assert!(t.state("reviewed").is_some_and(|s| s.terminal));
    let replayed = Case::replay(t, &c.history).unwrap();
    assert_eq!(replayed.state, c.state);
    assert_eq!(replayed.late, c.late);
}

#[test]
fn the_data_access_type_is_decided_by_a_steward_and_late_after_twenty_days() {
    let t = CaseType::data_access();
    assert_eq!(CaseType::named("data-access").map(|t| t.name.as_str()), Some("data-access"));
    let names = |ms: Vec<&mizan_cases::MoveSpec>| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(t.moves_for("requested", "data-steward")), ["approve", "refuse"]);
    assert_eq!(names(t.moves_for("requested", "applicant")), ["withdraw"]);
    let mut c = Case::open(t, "applicant", fields(&[("purpose", "repayment study")]), T0);
    assert_eq!(c.state, "requested");
    assert!(c.tick(t, T0 + Duration::days(20) - Duration::nanoseconds(1)).is_empty());
    assert_eq!(c.tick(t, T0 + Duration::days(20)).len(), 1);
    assert!(c.late, "a request left undecided for 20 days is late");
    // A decision needs reasons; the person cannot approve their own request.
    let approve = |role: &str, f: &[(&str, &str)]| Move {
        name: "approve".into(),
        role: role.into(),
        fields: fields(f),
        at: T0 + Duration::days(21),
    };
    assert!(matches!(
        c.clone().apply(t, &approve("applicant", &[("reasons", "x")])),
        Err(CaseError::NotAllowed { .. })
    ));
    assert!(matches!(c.clone().apply(t, &approve("data-steward", &[])), Err(CaseError::MissingField { .. })));
    c.apply(t, &approve("data-steward", &[("reasons", "meets the agreement")])).unwrap();
    assert_eq!(c.state, "approved");
    assert!(t.state("approved").is_some_and(|s| s.terminal));
    assert_eq!(Case::replay(t, &c.history).unwrap(), c);
}

#[test]
fn the_compute_allocation_type_fast_tracks_and_escalates_what_is_late() {
    let t = CaseType::compute_allocation();
    assert_eq!(CaseType::named("compute-allocation").map(|t| t.name.as_str()), Some("compute-allocation"));
    let names = |ms: Vec<&mizan_cases::MoveSpec>| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(t.moves_for("submitted", "grid-reviewer")), ["approve", "refuse"]);
    assert_eq!(names(t.moves_for("fast-track", "applicant")), ["withdraw"]);
    // An ordinary request: reminded and late at 30 days, escalated by the engine at 45.
    let mut c = Case::open(t, "applicant", fields(&[("title", "Urdu speech model")]), T0);
    assert_eq!(c.state, "submitted");
    assert!(c.tick(t, T0 + Duration::days(30) - Duration::nanoseconds(1)).is_empty());
    c.tick(t, T0 + Duration::days(30));
    assert!(c.late);
    assert_eq!(c.state, "submitted");
    c.tick(t, T0 + Duration::days(45));
    assert_eq!(c.state, "escalated");
    // A startup's first request: the fast track is late, and escalated, after 5 days.
    let mut f = Case::open(t, "applicant", fields(&[("title", "crop disease detection")]), T0);
    f.apply(t, &Move { name: "fast_track".into(), role: "system".into(), fields: fields(&[]), at: T0 })
        .unwrap();
    assert_eq!(f.state, "fast-track");
    assert!(f.tick(t, T0 + Duration::days(5) - Duration::nanoseconds(1)).is_empty());
    f.tick(t, T0 + Duration::days(5));
    assert_eq!((f.state.as_str(), f.late), ("escalated", true));
    // A decision needs scores, the amounts and reasons.
    let approve = |f: &[(&str, &str)]| Move {
        name: "approve".into(),
        role: "grid-reviewer".into(),
        fields: fields(f),
        at: T0 + Duration::days(6),
    };
    assert!(matches!(
        f.clone().apply(t, &approve(&[("scores", "{}"), ("reasons", "x")])),
        Err(CaseError::MissingField { .. })
    ));
    f.apply(t, &approve(&[("scores", "{}"), ("cpu_hours", "100"), ("gpu_hours", "0"), ("reasons", "sound")]))
        .unwrap();
    assert_eq!(f.state, "approved");
    assert_eq!(Case::replay(t, &f.history).unwrap(), f);
}
