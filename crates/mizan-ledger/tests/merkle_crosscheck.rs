//! Cross-checks our RFC 6962 tree and proofs against the independent `ct-merkle` crate on
//! random trees, in both directions.

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash, mem_backed_tree::MemoryBackedTree};
use mizan_ledger::merkle::{self, Hash};
use proptest::prelude::*;
use sha2_011::Sha256;

type Built = (Vec<Vec<u8>>, Vec<Hash>, MemoryBackedTree<Sha256, Vec<u8>>);

fn build(n: usize, seed: u8) -> Built {
    let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut entries = Vec::new();
    for i in 0..n {
        let e = vec![seed, (i % 251) as u8, (i / 251) as u8, (i * 7 % 13) as u8];
        ct.push(e.clone());
        entries.push(e);
    }
    let hashes = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    (entries, hashes, ct)
}

fn ct_root(ct: &MemoryBackedTree<Sha256, Vec<u8>>) -> Hash {
    Hash(ct.root().as_bytes().as_slice().try_into().expect("32 bytes"))
}

fn flat(p: &[Hash]) -> Vec<u8> {
    p.iter().flat_map(|h| h.0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn roots_and_inclusion_agree(n in 1usize..300, pick in any::<u64>(), seed in any::<u8>()) {
        let (entries, hashes, ct) = build(n, seed);
        let root = merkle::tree_root(&hashes[..], n as u64).unwrap();
        prop_assert_eq!(root, ct_root(&ct));
        let idx = pick % n as u64;
        let ours = merkle::prove_inclusion(&hashes[..], idx, n as u64).unwrap();
        let theirs = ct.prove_inclusion(idx as usize);
        prop_assert_eq!(flat(&ours), theirs.as_bytes().to_vec());
        // ct-merkle verifies our proof
        let ct_proof = InclusionProof::<Sha256>::from_bytes(flat(&ours));
        prop_assert!(ct.root().verify_inclusion(&entries[idx as usize], idx, &ct_proof).is_ok());
        // we verify theirs
        let theirs_h: Vec<Hash> = theirs.as_bytes().chunks(32).map(|c| Hash(c.try_into().unwrap())).collect();
        prop_assert!(merkle::verify_inclusion(&hashes[idx as usize], idx, n as u64, &theirs_h, &root).is_ok());
        // a wrong index fails
        if n > 1 {
            let other = (idx + 1) % n as u64;
            prop_assert!(merkle::verify_inclusion(&hashes[idx as usize], other, n as u64, &ours, &root).is_err());
        }
    }

    #[test]
    fn consistency_agrees(n in 2usize..300, pick in any::<u64>(), seed in any::<u8>()) {
        let (_entries, hashes, ct) = build(n, seed);
        let old = 1 + pick % (n as u64 - 1);
        let ours = merkle::prove_consistency(&hashes[..], old, n as u64).unwrap();
        let theirs = ct.prove_consistency((n as u64 - old) as usize);
        prop_assert_eq!(flat(&ours), theirs.as_bytes().to_vec());
        let old_root = merkle::tree_root(&hashes[..], old).unwrap();
        let new_root = merkle::tree_root(&hashes[..], n as u64).unwrap();
        prop_assert!(merkle::verify_consistency(old, n as u64, &old_root, &new_root, &ours).is_ok());
        let ct_old = RootHash::<Sha256>::new(old_root.0.into(), old);
        let ct_proof = ConsistencyProof::<Sha256>::try_from_bytes(flat(&ours)).unwrap();
        prop_assert!(ct.root().verify_consistency(&ct_old, &ct_proof).is_ok());
        // swapping a root fails
        prop_assert!(merkle::verify_consistency(old, n as u64, &new_root, &old_root, &ours).is_err() || old_root == new_root);
        // flipping a byte of the proof fails
        let mut bad = ours.clone();
        bad[0].0[0] ^= 1;
        prop_assert!(merkle::verify_consistency(old, n as u64, &old_root, &new_root, &bad).is_err());
    }
}

proptest! {
    #[test]
    fn hex_form_is_lower_case_and_round_trips(bytes in any::<[u8; 32]>()) {
        let text = merkle::hex32(&bytes);
        prop_assert_eq!(&text, &hex::encode(bytes));
        prop_assert_eq!(Hash(bytes).to_hex(), text.clone());
        prop_assert_eq!(Hash::from_hex(&text).unwrap(), Hash(bytes));
    }
}
