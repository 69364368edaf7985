//! Hostile layers cost bounded time and memory (alone in this test binary,
//! so that peak RSS is this test's): 10,000 whiteouts and opaque markers
//! over 10,000 files, and a small gzip layer of long names that expands to
//! far more names than the image may hold, each finish within 2 s and raise
//! peak RSS by at most 256 MiB.

use std::io::Write;
use std::time::{Duration, Instant};

use plimsoll_oci::layers::LayerBlob;
use plimsoll_oci::{BlobData, Filesystem, LayerErrorKind, Limits};

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap()
        >> 10
}

fn gzip_tar(names: impl Iterator<Item = String>) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for n in names {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &n, &[][..]).unwrap();
    }
    let mut gz = b.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

fn build(layers: Vec<Vec<u8>>) -> Result<Filesystem, plimsoll_oci::LayerError> {
    let blobs = layers
        .into_iter()
        .enumerate()
        .map(|(i, data)| LayerBlob {
            digest: format!("sha256:{i:064}"),
            data: BlobData::memory(data),
        })
        .collect();
    Filesystem::build(blobs, Limits::default())
}

#[test]
fn hostile_layers_finish_in_bounded_time_and_memory() {
    let n = 10_000;
    let lower = gzip_tar((0..n).map(|i| format!("d/f{i:06}")));
    let upper = gzip_tar(
        (0..n)
            .map(|i| format!("d/g{i:06}"))
            .chain((0..n).map(|i| format!("d/.wh.f{i:06}")))
            .chain((0..n).map(|_| "d/.wh..wh..opq".to_string())),
    );
    // ~4 KB names: a few MB of gzip that expands to far more names than
    // the image may hold.
    let long = gzip_tar((0..120_000u32).map(|i| format!("{}/{i}", "n".repeat(4000))));
    eprintln!("long-names layer: {} KiB of gzip", long.len() >> 10);

    let before = peak_rss_mib();
    let started = Instant::now();
    let fs = build(vec![lower, upper]).unwrap();
    let took = started.elapsed();
    assert_eq!(fs.list_dir("d").unwrap().len(), n);
    drop(fs);
    let started = Instant::now();
    let e = build(vec![long]).err().expect("refused");
    let took_long = started.elapsed();
    let grew = peak_rss_mib().saturating_sub(before);
    eprintln!("whiteouts: {took:?}; long names: {took_long:?} ({e}); peak RSS +{grew} MiB");
    assert_eq!(e.kind, LayerErrorKind::TooLarge, "{e}");
    assert!(took < Duration::from_secs(2) && took_long < Duration::from_secs(2));
    assert!(grew <= 256, "peak RSS grew by {grew} MiB");
}
