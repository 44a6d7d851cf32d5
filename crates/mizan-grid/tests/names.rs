//! Account and user names: what `sacctmgr` and a shell can never misread, and the derivations
//! from Mizan's slugs and case references.

use mizan_grid::{AccountName, NameError, UserName, slurm_text};

fn check_account(input: &str, expect: Result<&str, &str>) {
    let got = AccountName::new(input).map(|n| n.to_string()).map_err(|e| e.to_string());
    match expect {
        Ok(name) => assert_eq!(got.as_deref(), Ok(name), "{input}"),
        Err(part) => {
            let message = got.expect_err(input);
            assert!(message.contains(part), "`{input}`: `{message}` lacks `{part}`");
        }
    }
}

#[test]
fn account_names() {
    check_account("root", Ok("root"));
    check_account("mzp-ca-dem0000004", Ok("mzp-ca-dem0000004"));
    check_account("chem.lab_2", Ok("chem.lab_2"));
    check_account("0day", Ok("0day"));
    check_account("", Err("is empty"));
    check_account("Chem", Err("`C` at position 0"));
    check_account("a b", Err("` ` at position 1"));
    check_account("a=b", Err("`=` at position 1"));
    check_account("a,b", Err("`,`"));
    check_account("a|b", Err("`|`"));
    check_account("a'b", Err("`'`"));
    check_account("a\"b", Err("`\"`"));
    check_account("a;rm", Err("`;`"));
    check_account("-a", Err("`-` at position 0"));
    check_account("_a", Err("`_` at position 0"));
    check_account("ünï", Err("`ü`"));
    check_account(&"a".repeat(64), Ok(&"a".repeat(64)));
    check_account(&"a".repeat(65), Err("has 65 characters; the most is 64"));
}

#[test]
fn user_names() {
    for ok in ["alice", "_svc", "u1234", "1234", "a.b-c_d", &"x".repeat(32)] {
        assert_eq!(UserName::new(ok).unwrap().as_str(), ok);
    }
    for bad in ["", "Alice", "-a", ".a", "a b", "a=b", "a,b", "a$", "a|b", &"x".repeat(33)] {
        assert!(UserName::new(bad).is_err(), "{bad}");
    }
    assert_eq!(
        UserName::new("a b").unwrap_err(),
        NameError::BadChar {
            what: "user name",
            value: "a b".into(),
            found: ' ',
            position: 1,
            allowed: "lowercase letters, digits, `-`, `_` and `.`, starting with a letter, digit or `_`",
        }
    );
}

#[test]
fn derivations() {
    let i = AccountName::for_institution("punjab-university").unwrap();
    assert_eq!(i.as_str(), "mzi-punjab-university");
    assert!(i.is_managed());
    let p = AccountName::for_project("CA-DEM0000004").unwrap();
    assert_eq!(p.as_str(), "mzp-ca-dem0000004");
    assert!(p.is_managed());
    assert!(!AccountName::root().is_managed());
    assert!(!AccountName::new("mz").unwrap().is_managed());
    assert!(!AccountName::new("mzx-a").unwrap().is_managed());
    // slugs are lowercase already: uppercase is refused, never folded
    assert!(AccountName::for_institution("Punjab").is_err());
    assert!(AccountName::for_institution("a_b").is_err());
    assert!(AccountName::for_institution("").is_err());
    assert!(AccountName::for_institution(&"a".repeat(60)).is_ok());
    assert!(AccountName::for_institution(&"a".repeat(61)).is_err());
    assert!(AccountName::for_project("CA/1").unwrap_err().to_string().contains("`/` at position 2"));
    assert!(AccountName::for_project("CA 1").is_err());
}

#[test]
fn text_for_slurm() {
    assert_eq!(slurm_text("Deep Learning for Urdu: OCR", "x"), "deep learning for urdu ocr");
    assert_eq!(slurm_text("NUST (H-12) R&D / AI", "x"), "nust (h-12) r&d / ai");
    assert_eq!(slurm_text("it's \"quoted\" | piped, = set", "x"), "it s quoted piped set");
    assert_eq!(slurm_text("جامعہ پنجاب", "mzi-pu"), "mzi-pu");
    assert_eq!(slurm_text("   ", "fallback"), "fallback");
    let long = slurm_text(&"word ".repeat(60), "x");
    assert!(long.len() <= 100 && !long.ends_with(' '), "{long}");
}
