//! C2SP tlog-tiles paths and tiles, and the tlog-proof format, against the specs and against
//! the independent `tlog_tiles` crate (cloudflare/azul, a port of golang.org/x/mod/sumdb/tlog).
//!
//! Sources (data copied, code not): C2SP `tlog-tiles.md` (last changed in `1cd32db2`) and
//! `tlog-proof.md` (last changed in `ab17a741`), both read at C2SP commit
//! `5ba5ee830903e91240fc6f9f3a7a9293d49e69c9`.

use std::collections::BTreeSet;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::checkpoint::{Checkpoint, TlogProof};
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::merkle::{self, Hash};
use mizan_ledger::note::{CosignatureSigner, Note, NoteSigner};
use mizan_ledger::store::{LogStore, MemoryStore};
use mizan_ledger::tile::{self, TileId, TilePath};
use proptest::prelude::*;

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[11u8; 32])).unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    format!("decision {i} {}", "·".repeat((i % 5) as usize)).into_bytes()
}

// ---------------------------------------------------------------------------------------------
// (c) tlog-tiles paths

fn check_path(id: TileId, hash_path: &str, entries_path: &str) {
    assert_eq!(id.path(), hash_path);
    assert_eq!(TilePath::parse(hash_path).unwrap(), TilePath::Hash(id));
    if id.level == 0 {
        assert_eq!(id.entries_path(), entries_path);
        assert_eq!(TilePath::parse(entries_path).unwrap(), TilePath::Entries(id));
    }
}

#[test]
fn spec_path_examples() {
    // "index 1234067 will be encoded as x001/x234/067"
    check_path(
        TileId { level: 0, index: 1_234_067, width: 256 },
        "tile/0/x001/x234/067",
        "tile/entries/x001/x234/067",
    );
    check_path(
        TileId { level: 0, index: 1_234_067, width: 8 },
        "tile/0/x001/x234/067.p/8",
        "tile/entries/x001/x234/067.p/8",
    );
    check_path(TileId { level: 3, index: 0, width: 255 }, "tile/3/000.p/255", "");
    check_path(TileId { level: 63, index: 999, width: 1 }, "tile/63/999.p/1", "");
    check_path(TileId { level: 1, index: 1000, width: 256 }, "tile/1/x001/000", "");
    check_path(
        TileId { level: 0, index: u64::MAX, width: 256 },
        "tile/0/x018/x446/x744/x073/x709/x551/615",
        "tile/entries/x018/x446/x744/x073/x709/x551/615",
    );
    assert_eq!(TilePath::parse("checkpoint").unwrap(), TilePath::Checkpoint);
    for bad in [
        "",
        "tile",
        "tile/0",
        "tile/0/",
        "tile/0/1",
        "tile/0/0001",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/0/x000/001",
        "tile/0/001/234",
        "tile/0/x001/234/x567",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/08",
        "tile/0/000.p/",
        "tile/0/000.p/1/",
        "tile/0/000/",
        "tile/0//000",
        "tile/entries/x000/000",
        "tile/entries/000.p/0",
        "tile/data/000",
        "tile/8/0/000",
        "/tile/0/000",
        "tile/0/../000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "checkpoint/",
    ] {
        assert!(TilePath::parse(bad).is_err(), "`{bad}` was accepted");
    }
}

#[test]
fn spec_sizes_have_the_spec_tiles() {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level
    // 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    // partial level 2 tile of width 1"
    let t = tile::tiles_for_size(70_000);
    let full0 = t.iter().filter(|t| t.level == 0 && t.is_full()).count();
    assert_eq!(full0, 273);
    let rest: Vec<TileId> = t.into_iter().filter(|t| !(t.level == 0 && t.is_full())).collect();
    assert_eq!(
        rest,
        vec![
            TileId { level: 0, index: 273, width: 112 },
            TileId { level: 1, index: 0, width: 256 },
            TileId { level: 1, index: 1, width: 17 },
            TileId { level: 2, index: 0, width: 1 },
        ]
    );
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    // tile of width 1"
    assert_eq!(
        tile::tiles_for_size(256),
        vec![TileId { level: 0, index: 0, width: 256 }, TileId { level: 1, index: 0, width: 1 }]
    );
}

proptest! {
    /// "The partial tile at level l for a tree of size s has floor(s / 256**l) mod 256
    /// entries", and paths agree with `tlog_tiles` (whose Go-style paths carry the height:
    /// `tile/8/...`, `tile/8/data/...`).
    #[test]
    fn partial_widths_and_paths_agree_with_tlog_tiles(size in 1u64..(1 << 22)) {
        let tiles = tile::tiles_for_size(size);
        for l in 0u8..6 {
            let w = (size >> (8 * u32::from(l))) % 256;
            let partial = tiles.iter().find(|t| t.level == l && !t.is_full());
            prop_assert_eq!(partial.map(|t| u64::from(t.width)), (w > 0).then_some(w));
        }
        for t in tiles.iter().rev().take(12) {
            let theirs = tlog_tiles::Tile::new(8, t.level, t.index, u32::from(t.width), false);
            prop_assert_eq!(theirs.path().replacen("tile/8/", "tile/", 1), t.path());
            prop_assert_eq!(TilePath::parse(&t.path()).unwrap(), TilePath::Hash(*t));
            if t.level == 0 {
                let mut data = theirs;
                data.set_is_data();
                prop_assert_eq!(data.path().replacen("tile/8/data/", "tile/entries/", 1), t.entries_path());
            }
        }
    }
}

#[test]
fn entry_bundles_are_uint16_length_prefixed() {
    let b = tile::encode_bundle(&[b"".as_slice(), b"ab", &[0xff; 258]]).unwrap();
    assert_eq!(&b[..6], &[0x00, 0x00, 0x00, 0x02, b'a', b'b']);
    assert_eq!(&b[6..8], &[0x01, 0x02], "258 as big-endian uint16");
    assert_eq!(b.len(), 2 + 4 + 2 + 258);
}

// ---------------------------------------------------------------------------------------------
// (e) our tiles and roots, read by an independent client

/// Serves our store to `tlog_tiles` as a tile server would.
struct Served<'a>(&'a dyn LogStore);

impl tlog_tiles::TileReader for Served<'_> {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                let path = t.path().replacen("tile/8/", "tile/", 1);
                self.0.read(&path).unwrap().ok_or(tlog_tiles::Error::InvalidTile)
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// A `tlog_tiles` hash store built record by record with its own `stored_hashes`.
#[derive(Default)]
struct Reference(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Reference {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn th(h: Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(h.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// After each batch: every tile `tlog_tiles` says must be published for the growth
    /// exists with the bytes `tlog_tiles` computes, roots agree, and `tlog_tiles`' tile-reading
    /// client proves inclusion and consistency from our tiles, checked against our root.
    #[test]
    fn tiles_roots_and_proofs_agree_with_tlog_tiles(batches in proptest::collection::vec(1u64..700, 1..5)) {
        let store = Arc::new(MemoryStore::new());
        let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        let mut reference = Reference::default();
        let mut sizes = vec![0u64];
        for b in batches {
            let old = log.size();
            let entries: Vec<Vec<u8>> = (old..old + b).map(entry).collect();
            for (i, e) in entries.iter().enumerate() {
                let new = tlog_tiles::stored_hashes(old + i as u64, e, &reference).unwrap();
                reference.0.extend(new);
            }
            log.append_batch(&entries).unwrap();
            let size = log.size();
            prop_assert_eq!(tlog_tiles::tree_hash(size, &reference).unwrap(), th(log.root()));
            for t in tlog_tiles::Tile::new_tiles(8, old, size) {
                let ours = store.read(&t.path().replacen("tile/8/", "tile/", 1)).unwrap();
                prop_assert_eq!(ours, Some(t.read_data(&reference).unwrap()), "tile {}", t.path());
            }
            let served = Served(store.as_ref());
            let client = tlog_tiles::TileHashReader::new(size, th(log.root()), &served);
            for idx in [0, size / 2, size - 1] {
                let p = tlog_tiles::prove_record(size, idx, &client).unwrap();
                let ours = log.prove_inclusion(LeafIndex(idx), size).unwrap();
                prop_assert_eq!(p.iter().map(|h| h.0).collect::<Vec<_>>(), ours.iter().map(|h| h.0).collect::<Vec<_>>());
                let leaf = merkle::leaf_hash(&entry(idx));
                prop_assert!(tlog_tiles::check_record(&p, size, th(log.root()), idx, th(leaf)).is_ok());
            }
            for &old_size in sizes.iter().filter(|&&s| s > 0) {
                let p = tlog_tiles::prove_tree(size, old_size, &client).unwrap();
                let old_root = tlog_tiles::tree_hash(old_size, &reference).unwrap();
                prop_assert!(tlog_tiles::check_tree(&p, size, th(log.root()), old_size, old_root).is_ok());
                let ours = log.prove_consistency(old_size, size).unwrap();
                prop_assert!(merkle::verify_consistency(old_size, size, &Hash(old_root.0), &log.root(), &ours).is_ok());
            }
            sizes.push(size);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (d) tlog-proof

/// The example of `tlog-proof.md`; its signatures are elided (`[...]`) in the spec, so only
/// the proof lines can be checked, with a stand-in signature.
const SPEC_PROOF_HEAD: &str = "c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

";

#[test]
fn spec_proof_example_parses_and_re_encodes() {
    let text = format!("{SPEC_PROOF_HEAD}— example.com/fancylog hI2DJwAAAAA=\n");
    let p = TlogProof::parse(&text).unwrap();
    assert_eq!(p.index, 73894);
    assert_eq!(p.proof.len(), 5);
    assert!(p.extra.as_deref().unwrap().starts_with(b"age-v1.2.1-darwin-arm64.tar.gz"));
    assert!(p.checkpoint.starts_with("example.com/fancylog\n109482\n"));
    assert_eq!(p.encode(), text, "encoding is byte-for-byte the spec's layout");
}

#[test]
fn malformed_proofs_are_rejected_with_the_line() {
    let sig = "— example.com/fancylog hI2DJwAAAAA=\n";
    let good = format!("{SPEC_PROOF_HEAD}{sig}");
    let cases: Vec<(String, &str)> = vec![
        (good.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1), "line 1"),
        (good.replacen("index 73894", "index 073894", 1), "line 3"),
        (good.replacen("index 73894", "index +73894", 1), "line 3"),
        (good.replacen("index 73894", "index  73894", 1), "line 3"),
        (good.replacen("index 73894\n", "", 1), "line 3"),
        // `extra` only as the second line
        (good.replacen("extra ", "index 1\nextra ", 1).replacen("index 73894\n", "", 1), "line 3"),
        (good.replacen("extra YWdl", "extra *Wdl", 1), "line 2"),
        (good.replacen("gSKyXoYZ", "gSKyXoY", 1), "line 4"),
        (good.replacen("AHCioX9n", "AHCioX9nAAAA", 1), "line 8"),
        (good.replacen("\n\nexample.com", "\nexample.com", 1), "line 9"),
        (good.replacen("109482", "0109482", 1), "checkpoint"),
        (good.replacen(sig, "", 1), "checkpoint"),
        (
            SPEC_PROOF_HEAD.replacen(
                "\n\nexample.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n",
                "",
                1,
            ),
            "line 1",
        ),
    ];
    for (text, needle) in cases {
        let err = TlogProof::parse(&text).unwrap_err();
        assert!(matches!(err, LedgerError::Malformed(_)), "{err}");
        assert!(err.to_string().contains(needle), "`{err}` should name {needle}\n{text}");
    }
    let many = good.replacen(
        "index 73894\n",
        &format!("index 73894\n{}", "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n".repeat(60)),
        1,
    );
    assert!(TlogProof::parse(&many).unwrap_err().to_string().contains("more than 64"));
}

#[test]
fn receipts_verify_with_a_witness_quorum() {
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store, signer(), ORIGIN).unwrap();
    log.append_batch(&(0..37).map(entry).collect::<Vec<_>>()).unwrap();
    let receipt = log.receipt(LeafIndex(12)).unwrap();
    let w: Vec<CosignatureSigner> = (0..3u8)
        .map(|i| {
            CosignatureSigner::new(&format!("witness{i}.example"), SigningKey::from_bytes(&[40 + i; 32]))
                .unwrap()
        })
        .collect();
    let wv: Vec<_> = w.iter().map(CosignatureSigner::verifier).collect();
    let mut note = Note::parse(receipt.checkpoint.as_bytes()).unwrap();
    for s in &w[..2] {
        note.signatures.push(s.cosign(&note.text, 1_780_000_000).unwrap());
    }
    let cosigned = TlogProof { checkpoint: note.to_text(), ..receipt.clone() };
    let text = cosigned.encode();
    let parsed = TlogProof::parse(&text).unwrap();
    let log_key = signer().verifier();
    let (cp, counted) = parsed.verify_with_witnesses(&entry(12), &log_key, &wv, 2).unwrap();
    assert_eq!(cp.checkpoint, Checkpoint::parse_body(&note.text).unwrap());
    assert_eq!(counted.len(), 2);
    let err = parsed.verify_with_witnesses(&entry(12), &log_key, &wv, 3).unwrap_err();
    assert!(err.to_string().contains("2 of the 3"), "{err}");
    assert!(parsed.verify_with_witnesses(&entry(13), &log_key, &wv, 1).is_err());
    // a listed witness's bad cosignature fails the proof outright
    let mut forged = note.clone();
    forged.signatures[1].sig[20] ^= 1;
    let bad = TlogProof { checkpoint: forged.to_text(), ..receipt };
    assert!(matches!(
        bad.verify_with_witnesses(&entry(12), &log_key, &wv, 1),
        Err(LedgerError::Signature(_))
    ));
}

/// Paths the log writes are exactly the ones the spec names for its checkpoint sizes.
#[test]
fn the_log_writes_only_spec_paths() {
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    let mut expected = BTreeSet::new();
    for b in [1u64, 255, 1, 300, 65_000, 700] {
        let s = log.size();
        log.append_batch(&(s..s + b).map(entry).collect::<Vec<_>>()).unwrap();
        for t in tile::tiles_for_size(log.size()) {
            expected.insert(t.path());
            if t.level == 0 {
                expected.insert(t.entries_path());
            }
        }
    }
    expected.insert("checkpoint".into());
    // A partial tile is deleted once its full tile is published (the spec allows it; readers
    // fall back to the full tile).
    let superseded = |p: &String| p.split_once(".p/").is_some_and(|(full, _)| expected.contains(full));
    let expected: BTreeSet<String> = expected.iter().filter(|p| !superseded(p)).cloned().collect();
    let written: BTreeSet<String> = store.paths().into_iter().collect();
    for p in &written {
        assert!(TilePath::parse(p).is_ok(), "`{p}` is not a spec path");
    }
    assert_eq!(expected, written);
}

// ---------------------------------------------------------------------------------------------
// Untrusted bytes: every parser returns an error, never panics.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), pick in 0usize..6) {
        // Bias towards almost-valid input by splicing the bytes into valid documents.
        let base = [
            "tile/0/x001/x234/067.p/8",
            SPEC_PROOF_HEAD,
            "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
            "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "",
        ][pick];
        let cut = base.len().min(bytes.len());
        let mut doc = base.as_bytes()[..base.len() - cut].to_vec();
        doc.extend_from_slice(&bytes);
        let text = String::from_utf8_lossy(&doc);
        let _ = TilePath::parse(&text);
        let _ = TlogProof::parse(&text);
        let _ = Note::parse(&doc);
        let _ = Checkpoint::parse_body(&text);
        let _ = mizan_ledger::note::NoteVerifier::from_vkey(&text);
        let _ = mizan_ledger::note::NoteSigner::from_skey(&text);
        let _ = tile::decode_bundle(&doc);
        let _ = mizan_ledger::log::decode_staged(&doc);
        let _ = mizan_ledger::leaf::LeafCommitment::from_bytes(&doc);
    }
}
