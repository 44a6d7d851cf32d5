//! The C2SP tlog-witness `add-checkpoint` request body: an `old <size>` line, up to 63
//! consistency-proof lines (base64 hashes), an empty line, then the signed checkpoint.
//!
//! Parsed from untrusted bytes, so every path returns an error naming the line rather than
//! panicking; the checkpoint itself is left to the witness engine to parse and verify.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use mizan_ledger::Hash;

/// Most consistency-proof lines a request may carry (tlog-witness: the client "MUST NOT send
/// more than 63").
pub const MAX_PROOF_LINES: usize = 63;

/// Why a request body is malformed (HTTP 400).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("add-checkpoint body line {line}: {message}")]
pub struct RequestError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the client believes the witness has cosigned (0 when it does not know).
    pub old_size: u64,
    /// Consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: Vec<u8>,
}

/// Splits off one newline-terminated line (without its newline); `None` when there is none.
fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let end = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..end];
    *rest = &rest[end + 1..];
    Some(line)
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

impl AddCheckpoint {
    /// Parses a request body.
    ///
    /// # Errors
    /// [`RequestError`] naming the line: a bad `old` line, a proof line that is not a base64
    /// SHA-256 hash, more than [`MAX_PROOF_LINES`] proof lines, or no empty line.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let err = |line: usize, message: &str| RequestError { line, message: message.to_owned() };
        let mut rest = body;
        let mut line_no = 1usize;
        let first =
            next_line(&mut rest).ok_or_else(|| err(1, "expected `old <size>` ending in a newline"))?;
        let old_size = std::str::from_utf8(first)
            .ok()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(decimal)
            .ok_or_else(|| err(1, "expected `old <size>`, the size in decimal without leading zeros"))?;
        let mut proof = Vec::new();
        loop {
            line_no += 1;
            let line = next_line(&mut rest).ok_or_else(|| {
                err(line_no, "expected a proof line or the empty line before the checkpoint")
            })?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(err(line_no, &format!("more than {MAX_PROOF_LINES} consistency proof lines")));
            }
            let raw = B64.decode(line).map_err(|_| err(line_no, "proof line is not base64"))?;
            let h: [u8; 32] = raw.try_into().map_err(|_| err(line_no, "proof line is not a 32-byte hash"))?;
            proof.push(Hash(h));
        }
        if rest.is_empty() {
            return Err(err(line_no + 1, "expected the checkpoint after the empty line"));
        }
        Ok(Self { old_size, proof, checkpoint: rest.to_vec() })
    }

    /// Encodes the request body.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("old {}\n", self.old_size).into_bytes();
        for h in &self.proof {
            out.extend_from_slice(B64.encode(h.0).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.checkpoint);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Untrusted bytes: an error naming a line, never a panic; what parses re-encodes to
        /// the same request.
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(r) = AddCheckpoint::parse(&bytes) {
                prop_assert_eq!(AddCheckpoint::parse(&r.encode()).unwrap(), r);
            }
        }

        #[test]
        fn structured_bodies_round_trip(old in any::<u64>(), n in 0u8..=63, cp in "[a-z0-9/\n]{1,80}") {
            let proof = (0..n).map(|i| Hash([i; 32])).collect();
            let r = AddCheckpoint { old_size: old, proof, checkpoint: cp.into_bytes() };
            prop_assert_eq!(AddCheckpoint::parse(&r.encode()).unwrap(), r);
        }
    }

    fn check(body: &str, expect: Result<(u64, usize), (usize, &str)>) {
        match (AddCheckpoint::parse(body.as_bytes()), expect) {
            (Ok(r), Ok((old, n))) => {
                assert_eq!((r.old_size, r.proof.len()), (old, n));
                assert_eq!(AddCheckpoint::parse(&r.encode()).unwrap(), r);
            }
            (Err(e), Err((line, needle))) => {
                assert_eq!(e.line, line, "{e}");
                assert!(e.to_string().contains(needle), "`{e}` lacks `{needle}`");
            }
            (got, want) => panic!("{body:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn spec_example_body_parses() {
        // The request body of C2SP tlog-witness "add-checkpoint" (its signatures shortened
        // to keep the example's structure; the witness engine checks them).
        let body = "old 20852014\n\
            PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
            jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
            5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
            /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
            \n\
            example.com/behind-the-sofa\n\
            20852163\n\
            CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
            \n\
            \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        check(body, Ok((20_852_014, 4)));
        let r = AddCheckpoint::parse(body.as_bytes()).unwrap();
        assert!(r.checkpoint.starts_with(b"example.com/behind-the-sofa\n20852163\n"));
    }

    #[test]
    fn malformed_bodies_name_the_line() {
        let h = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=";
        check("old 0\n\ncp\n", Ok((0, 0)));
        check("", Err((1, "expected `old <size>`")));
        check("old 0", Err((1, "ending in a newline")));
        check("old 01\n\ncp\n", Err((1, "without leading zeros")));
        check("old -1\n\ncp\n", Err((1, "expected `old <size>`")));
        check("old  1\n\ncp\n", Err((1, "expected `old <size>`")));
        check("new 1\n\ncp\n", Err((1, "expected `old <size>`")));
        check("old 99999999999999999999\n\ncp\n", Err((1, "expected `old <size>`")));
        check("old 1\nnot base64!\n\ncp\n", Err((2, "not base64")));
        check("old 1\nAAAA\n\ncp\n", Err((2, "not a 32-byte hash")));
        check(&format!("old 1\n{h}\n"), Err((3, "expected a proof line or the empty line")));
        check(&format!("old 1\n{h}\n\n"), Err((4, "expected the checkpoint")));
        let many = format!("old 1\n{}\ncp\n", format!("{h}\n").repeat(64));
        check(&many, Err((65, "more than 63")));
        let max = format!("old 1\n{}\ncp\n", format!("{h}\n").repeat(63));
        check(&max, Ok((1, 63)));
    }
}
