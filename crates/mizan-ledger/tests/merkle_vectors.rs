//! Known-answer tests against the RFC 6962 reference tree vectors in
//! `tests/data/transparency-dev/`, with negative cases built by mutating valid inputs.

use mizan_ledger::merkle::{self, Hash};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/transparency-dev/rfc6962_reference.json")).unwrap()
}

fn h(v: &Value) -> Hash {
    Hash::from_hex(v.as_str().unwrap()).unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(h).collect()
}

fn leaves() -> Vec<Hash> {
    let v = vectors();
    v["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| merkle::leaf_hash(&hex::decode(l.as_str().unwrap()).unwrap()))
        .collect()
}

#[test]
fn roots_match_reference() {
    let v = vectors();
    let leaves = leaves();
    assert_eq!(merkle::tree_root(&leaves[..], 0).unwrap(), h(&v["empty_root"]));
    for (i, root) in hashes(&v["roots"]).iter().enumerate() {
        assert_eq!(&merkle::tree_root(&leaves[..], i as u64 + 1).unwrap(), root, "size {}", i + 1);
    }
}

#[test]
fn inclusion_matches_reference_and_mutations_fail() {
    let v = vectors();
    let leaves = leaves();
    let roots = hashes(&v["roots"]);
    for case in v["inclusion"].as_array().unwrap() {
        let index = case["index"].as_u64().unwrap();
        let size = case["size"].as_u64().unwrap();
        let proof = hashes(&case["proof"]);
        let root = roots[size as usize - 1];
        assert_eq!(merkle::prove_inclusion(&leaves[..], index, size).unwrap(), proof);
        let leaf = leaves[index as usize];
        merkle::verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        // negative cases
        assert!(merkle::verify_inclusion(&leaf, index, size + 1, &proof, &root).is_err());
        assert!(merkle::verify_inclusion(&leaf, index + 1, size, &proof, &root).is_err());
        assert!(merkle::verify_inclusion(&leaf, size, size, &proof, &root).is_err());
        assert!(merkle::verify_inclusion(&leaves[1], index, size, &proof, &root).is_err());
        assert!(merkle::verify_inclusion(&leaf, index, size, &proof[..proof.len() - 1], &root).is_err());
        let mut longer = proof.clone();
        longer.push(proof[0]);
        assert!(merkle::verify_inclusion(&leaf, index, size, &longer, &root).is_err());
        let mut flipped = proof.clone();
        flipped[1].0[31] ^= 0x80;
        assert!(merkle::verify_inclusion(&leaf, index, size, &flipped, &root).is_err());
    }
}

#[test]
fn consistency_matches_reference_and_mutations_fail() {
    let v = vectors();
    let leaves = leaves();
    let roots = hashes(&v["roots"]);
    for case in v["consistency"].as_array().unwrap() {
        let old = case["old"].as_u64().unwrap();
        let new = case["new"].as_u64().unwrap();
        let proof = hashes(&case["proof"]);
        assert_eq!(merkle::prove_consistency(&leaves[..], old, new).unwrap(), proof, "{old}->{new}");
        let (ro, rn) = (roots[old as usize - 1], roots[new as usize - 1]);
        merkle::verify_consistency(old, new, &ro, &rn, &proof).unwrap();
        assert!(merkle::verify_consistency(old, new, &rn, &ro, &proof).is_err());
        assert!(merkle::verify_consistency(old, new, &roots[old as usize], &rn, &proof).is_err());
        assert!(merkle::verify_consistency(old, new, &ro, &roots[new as usize - 2], &proof).is_err());
        assert!(merkle::verify_consistency(old, new, &ro, &rn, &proof[..proof.len() - 1]).is_err());
        assert!(merkle::verify_consistency(old, new, &ro, &rn, &[]).is_err());
    }
    // edge cases
    let r = roots[3];
    merkle::verify_consistency(4, 4, &r, &r, &[]).unwrap();
    assert!(merkle::verify_consistency(4, 4, &r, &roots[2], &[]).is_err());
    assert!(merkle::verify_consistency(5, 4, &r, &r, &[]).is_err());
    assert!(merkle::prove_consistency(&leaves[..], 5, 4).is_err());
    assert!(merkle::prove_inclusion(&leaves[..], 8, 8).is_err());
    assert!(Hash::from_hex("zz").is_err());
}
