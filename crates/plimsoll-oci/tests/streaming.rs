//! Registry layers are streamed to the cache directory, never held whole in
//! memory: a 96 MiB blob served on the fly raises this process's peak RSS by
//! far less than its size. (Alone in its test binary, so that no other test
//! allocates meanwhile.)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use sha2::{Digest, Sha256};

const SIZE: usize = 96 << 20;
const CHUNK: usize = 1 << 16;

/// Incompressible bytes, the same every time: chunk `i` of the blob.
fn chunk(i: usize, buf: &mut [u8]) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_large_layer_is_streamed_to_disk() {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    for i in 0..SIZE / CHUNK {
        chunk(i, &mut buf);
        h.update(&buf);
    }
    let digest = format!("sha256:{}", hex::encode(h.finalize()));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                // A TLS probe (HTTPS is tried first) is not a request line.
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                if !line.contains("/blobs/") {
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    );
                    return;
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\nConnection: close\r\n\r\n"
                );
                conn.write_all(head.as_bytes()).unwrap();
                let mut buf = vec![0u8; CHUNK];
                for i in 0..SIZE / CHUNK {
                    chunk(i, &mut buf);
                    if conn.write_all(&buf).is_err() {
                        return;
                    }
                }
            });
        }
    });

    let cache = tempfile::tempdir().unwrap();
    let reg = plimsoll_oci::Registry::new(plimsoll_oci::RegistryOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let before = peak_rss_kib();
    let path = reg
        .blob_file(&format!("{addr}/team/app"), &digest, usize::MAX)
        .unwrap()
        .expect("a cache directory was given");
    let grew = peak_rss_kib().saturating_sub(before);
    eprintln!("before {before} KiB, after {} KiB", peak_rss_kib());
    assert_eq!(std::fs::metadata(&path).unwrap().len(), SIZE as u64);
    assert!(
        grew < 32 << 10,
        "peak RSS grew by {} MiB downloading a {} MiB layer",
        grew >> 10,
        SIZE >> 20
    );
    // A second ask is served from the cache.
    assert_eq!(
        reg.blob_file(&format!("{addr}/team/app"), &digest, usize::MAX)
            .unwrap(),
        Some(path)
    );
}
