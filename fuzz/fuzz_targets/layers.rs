//! Reads arbitrary bytes as image layers (tar, gzip- or zstd-compressed tar;
//! the input is split into up to three layers at 0xFF 0x00 0xFF markers):
//! building the merged filesystem and reading every visible file, directory
//! listing and glob must never panic, overflow the stack or loop, whatever
//! the entries, links, whiteouts or compression say. Errors are fine; they
//! must be named.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_oci::layers::LayerBlob;
use plimsoll_oci::{BlobData, Filesystem, Kind, Limits};

fuzz_target!(|data: &[u8]| {
    let mut layers = Vec::new();
    let mut rest = data;
    while layers.len() < 2 {
        match rest.windows(3).position(|w| w == [0xff, 0x00, 0xff]) {
            Some(i) => {
                layers.push(rest[..i].to_vec());
                rest = &rest[i + 3..];
            }
            None => break,
        }
    }
    layers.push(rest.to_vec());
    let blobs = layers
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| LayerBlob {
            digest: format!("sha256:{i:064}"),
            data: BlobData::memory(bytes),
        })
        .collect();
    // Small budgets, so a bomb is refused quickly instead of slowly.
    let limits = Limits {
        max_layer_bytes: 16 << 20,
        max_ratio: 50,
        max_entries: 20_000,
        ..Limits::default()
    };
    let Ok(fs) = Filesystem::build(blobs, limits) else {
        return;
    };
    let paths: Vec<(String, Kind)> = fs
        .visible()
        .map(|e| (e.path.clone(), e.kind.clone()))
        .take(2_000)
        .collect();
    for (path, kind) in &paths {
        match kind {
            Kind::Dir => {
                let _ = fs.list_dir(path);
            }
            _ => {
                let _ = fs.read_file(path, 1 << 20);
                let _ = fs.resolve(path);
            }
        }
    }
    let _ = fs.list_dir("");
    let _ = fs.glob("**/*");
    for e in fs.entries.iter().take(2_000) {
        let _ = fs.read_entry(e, 1 << 20);
    }
});
