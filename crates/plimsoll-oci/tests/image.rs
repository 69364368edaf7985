//! Images as filesystems: OCI layouts written here layer by layer (tar,
//! gzip, zstd), whiteouts and opaque directories, and the hostile layers the
//! reader must refuse with a named error. The shared stack's real images
//! (pulled from its registry, and copied to `oci:` and `docker-archive:` by
//! skopeo) are in tests/image_sources.rs of the plimsoll crate.

use std::io::Write;
use std::path::Path;

use plimsoll_oci::{Image, ImageError, Kind, LayerErrorKind, Limits};
use sha2::{Digest, Sha256};

/// One tar member: (path, body) or a special entry.
enum Member<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    /// A raw name, written without the tar crate's path checks.
    RawName(&'a str, &'a [u8]),
}

fn tar_of(members: &[Member]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match m {
            Member::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, *data).unwrap();
            }
            Member::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            Member::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            Member::Hardlink(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            Member::RawName(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                let name = h.as_old_mut().name.as_mut();
                name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Writes an OCI layout with one image of these layer blobs; returns `oci:DIR`.
fn layout(dir: &Path, layers: &[Vec<u8>], config: serde_json::Value) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let d = digest(data);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), data).unwrap();
        d
    };
    let config = serde_json::to_vec(&config).unwrap();
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let media = if l.starts_with(&[0x1f, 0x8b]) {
                "application/vnd.oci.image.layer.v1.tar+gzip"
            } else if l.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                "application/vnd.oci.image.layer.v1.tar+zstd"
            } else {
                "application/vnd.oci.image.layer.v1.tar"
            };
            serde_json::json!({"mediaType": media, "digest": put(l), "size": l.len()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(&config), "size": config.len()},
        "layers": layer_descs,
    }))
    .unwrap();
    let m = put(&manifest);
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": manifest.len(),
                           "annotations": {"org.opencontainers.image.ref.name": "1.0"}}],
        }))
        .unwrap(),
    )
    .unwrap();
    format!("oci:{}:1.0", dir.display())
}

/// Opens an OCI layout of `layers`, written under cargo's target/tmp and
/// left there: an opened image reads local layers from their files.
fn open(layers: &[Vec<u8>]) -> Result<Image, ImageError> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let src = layout(&dir, layers, serde_json::json!({"config": {"User": "app"}}));
    Image::open(&src, None, None, Limits::default())
}

fn layer_error(r: Result<Image, ImageError>) -> (LayerErrorKind, String) {
    match r {
        Err(ImageError::Layer(e)) => (e.kind, e.message),
        Err(e) => panic!("not a layer error: {e}"),
        Ok(_) => panic!("the hostile image was accepted"),
    }
}

#[test]
fn layers_merge_with_whiteouts_opaque_dirs_and_links() {
    let l0 = gzip(&tar_of(&[
        Member::Dir("etc/"),
        Member::File("etc/os-release", b"ID=debian\n"),
        Member::File("etc/secret.conf", b"API_TOKEN=x\n"),
        Member::Dir("var/cache/"),
        Member::File("var/cache/a", b"aaaa"),
        Member::File("var/cache/b", b"bbbb"),
        Member::Symlink("bin", "usr/bin"),
        Member::File("usr/bin/sh", b"#!sh"),
        Member::Symlink("etc/alt", "/usr/bin/sh"),
        Member::Hardlink("usr/bin/dash", "usr/bin/sh"),
    ]));
    let l1 = zstd::encode_all(
        &tar_of(&[
            Member::File("etc/.wh.secret.conf", b""),
            Member::File("var/cache/.wh..wh..opq", b""),
            Member::File("var/cache/c", b"c"),
            Member::File("etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
        ])[..],
        3,
    )
    .unwrap();
    let img = open(&[l0, l1]).unwrap();
    let fs = &img.fs;
    assert_eq!(img.config["config"]["User"], "app");
    assert_eq!(img.layers.len(), 2);
    // Overwritten in layer 1.
    assert_eq!(
        &**fs.read_file("/etc/os-release", 1 << 20).unwrap(),
        b"ID=debian\nVERSION_ID=12\n"
    );
    // Deleted by a whiteout: gone from the view, still among the entries.
    assert_eq!(fs.lookup("etc/secret.conf"), None);
    let deleted = fs
        .entries
        .iter()
        .find(|e| e.path == "etc/secret.conf")
        .unwrap();
    assert_eq!(deleted.hidden_by, Some(1));
    assert_eq!(
        &**fs.read_entry(deleted, 1 << 20).unwrap(),
        b"API_TOKEN=x\n"
    );
    // Opaque directory: only layer 1's contents remain.
    let names: Vec<&str> = fs
        .list_dir("var/cache")
        .unwrap()
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(names, vec!["var/cache/c"]);
    // Symlinks resolve inside the image (absolute ones from its root),
    // hard links read their target.
    assert_eq!(&**fs.read_file("bin/sh", 1024).unwrap(), b"#!sh");
    assert_eq!(&**fs.read_file("etc/alt", 1024).unwrap(), b"#!sh");
    assert_eq!(&**fs.read_file("usr/bin/dash", 1024).unwrap(), b"#!sh");
    assert!(matches!(fs.lookup("bin").unwrap().kind, Kind::Symlink(_)));
    let globbed: Vec<&str> = fs
        .glob("/etc/**")
        .unwrap()
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(globbed, vec!["etc/alt", "etc/os-release"]);
    assert_eq!(img.fs.layers[1].entries, 4);
    let e = fs.read_file("nope", 10).unwrap_err();
    assert_eq!(e.kind, LayerErrorKind::NotFound);
}

#[test]
fn large_files_are_read_again_from_their_layer() {
    let big = vec![b'x'; 3 << 20];
    let img = open(&[gzip(&tar_of(&[Member::File("big.bin", &big)]))]).unwrap();
    assert_eq!(img.fs.read_file("big.bin", 8 << 20).unwrap().len(), 3 << 20);
    let e = img.fs.read_file("big.bin", 1 << 20).unwrap_err();
    assert_eq!(e.kind, LayerErrorKind::TooLarge);
    // Uncompressed layers (docker save) are read in place.
    let img = open(&[tar_of(&[
        Member::File("a", b"aaa"),
        Member::File("big.bin", &big),
    ])])
    .unwrap();
    assert_eq!(&**img.fs.read_file("a", 16).unwrap(), b"aaa");
    assert_eq!(img.fs.read_file("big.bin", 8 << 20).unwrap().len(), 3 << 20);
}

#[test]
fn entries_that_climb_out_of_the_root_are_refused() {
    let (kind, msg) = layer_error(open(&[tar_of(&[Member::RawName(
        "../../etc/passwd",
        b"x",
    )])]));
    assert_eq!(kind, LayerErrorKind::PathTraversal);
    assert!(
        msg.contains("layer 0") && msg.contains("../../etc/passwd"),
        "{msg}"
    );
    let (kind, _) = layer_error(open(&[tar_of(&[Member::Hardlink(
        "x",
        "../../etc/shadow",
    )])]));
    assert_eq!(kind, LayerErrorKind::PathTraversal);
}

#[test]
fn writing_through_a_symlink_and_escaping_symlinks_are_refused() {
    // The classic extraction attack: `etc -> /etc`, then `etc/cron.d/x`.
    let (kind, msg) = layer_error(open(&[
        tar_of(&[Member::Symlink("escape", "/etc")]),
        tar_of(&[Member::File("escape/cron.d/x", b"* * * * * root sh")]),
    ]));
    assert_eq!(kind, LayerErrorKind::SymlinkEscape);
    assert!(
        msg.contains("layer 1") && msg.contains("escape/cron.d/x"),
        "{msg}"
    );
    // A symlink whose target climbs above the root never reads the host.
    let img = open(&[tar_of(&[Member::Symlink("up", "../../../../etc/passwd")])]).unwrap();
    let e = img.fs.read_file("up", 1024).unwrap_err();
    assert_eq!(e.kind, LayerErrorKind::SymlinkEscape, "{e}");
    // An absolute symlink stays inside the image: not the host's /etc/passwd.
    let img = open(&[tar_of(&[Member::Symlink("abs", "/etc/passwd")])]).unwrap();
    assert_eq!(
        img.fs.read_file("abs", 1024).unwrap_err().kind,
        LayerErrorKind::NotFound
    );
}

#[test]
fn decompression_bombs_and_truncated_layers_are_refused() {
    // 128 MiB of zeros gzip to ~128 KiB: past both the 64 MiB floor and 200x.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut h = tar::Header::new_gnu();
    h.set_path("zeros").unwrap();
    h.set_size(128 << 20);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    e.write_all(h.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..128 {
        e.write_all(&chunk).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let (kind, msg) = layer_error(open(&[bomb]));
    assert_eq!(kind, LayerErrorKind::DecompressionBomb);
    assert!(msg.contains("layer 0"), "{msg}");

    let good = gzip(&tar_of(&[Member::File("a", &vec![7u8; 100_000])]));
    let cut = good[..good.len() / 2].to_vec();
    let (kind, msg) = layer_error(open(&[cut]));
    assert_eq!(kind, LayerErrorKind::Truncated);
    assert!(msg.contains("truncated"), "{msg}");
}

#[test]
fn blobs_that_do_not_match_their_digest_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layer = gzip(&tar_of(&[Member::File("a", b"a")]));
    let src = layout(
        dir.path(),
        std::slice::from_ref(&layer),
        serde_json::json!({}),
    );
    let path = dir
        .path()
        .join("blobs/sha256")
        .join(digest(&layer).trim_start_matches("sha256:"));
    std::fs::write(&path, gzip(&tar_of(&[Member::File("a", b"b")]))).unwrap();
    let err = Image::open(&src, None, None, Limits::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), "digest-mismatch", "{err}");
    // A tag the layout does not have, and a layout that is not there.
    let other = src.replace(":1.0", ":2.0");
    let err = Image::open(&other, None, None, Limits::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no image tagged `2.0`"), "{err}");
    let err = Image::open("oci:/nonexistent/layout", None, None, Limits::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

/// Some writers stop right after the last file's data (no padding, no
/// end-of-archive blocks), as the shared stack's images do and Docker
/// accepts; a stream cut inside a file's data is still truncation.
#[test]
fn a_missing_tar_trailer_is_accepted_but_cut_data_is_not() {
    let full = tar_of(&[
        Member::File("a", b"first"),
        Member::File("var/lib/dpkg/status", &[b'x'; 700]),
    ]);
    // Header (512) + data (700) of the second entry start at 1024.
    let unpadded = full[..1024 + 512 + 700].to_vec();
    let img = open(&[gzip(&unpadded)]).unwrap();
    assert_eq!(
        img.fs.read_file("var/lib/dpkg/status", 4096).unwrap().len(),
        700
    );
    let cut = full[..1024 + 512 + 300].to_vec();
    let (kind, _) = layer_error(open(&[gzip(&cut)]));
    assert_eq!(kind, LayerErrorKind::Truncated);
    let (kind, _) = layer_error(open(&[cut]));
    assert_eq!(kind, LayerErrorKind::Truncated);
}

/// A hard-link cycle (`a` -> `b` -> `a`) is a named error when read, never a
/// stack overflow; a long chain is bounded too.
#[test]
fn hard_link_cycles_are_a_named_error() {
    let img = open(&[gzip(&tar_of(&[
        Member::File("c", b"data"),
        Member::Hardlink("a", "c"),
        Member::Hardlink("b", "a"),
    ]))])
    .unwrap();
    assert_eq!(&**img.fs.read_file("b", 16).unwrap(), b"data");
    // A later layer turns it into a cycle: a -> b, b -> a.
    let img = open(&[
        gzip(&tar_of(&[
            Member::File("x", b"1"),
            Member::Hardlink("b", "x"),
        ])),
        gzip(&tar_of(&[
            Member::File("y", b"2"),
            Member::Hardlink("a", "y"),
        ])),
        gzip(&tar_of(&[
            Member::Hardlink("b", "a"),
            Member::Hardlink("a", "b"),
        ])),
    ])
    .unwrap();
    let e = img.fs.read_file("a", 16).unwrap_err();
    assert_eq!(e.kind, LayerErrorKind::NotAFile, "{e}");
    assert!(e.message.contains("cycle"), "{e}");
}

/// Whiteouts, deletions and opaque directories cost linear time whatever
/// their order: time for 2,500 / 5,000 / 10,000 whiteouts over as many
/// files must grow about linearly (a quadratic reader takes 4x per
/// doubling; this allows 3x to stay clear of noise on a loaded machine).
#[test]
fn whiteouts_cost_linear_time() {
    fn image_of(n: usize) -> Vec<Vec<u8>> {
        let names: Vec<String> = (0..n).map(|i| format!("d/f{i:06}")).collect();
        let lower: Vec<Member> = names.iter().map(|p| Member::File(p, b"x")).collect();
        let wh: Vec<String> = (0..n).map(|i| format!("d/.wh.f{i:06}")).collect();
        // Upper: its own files first, then many opaque markers and
        // whiteouts, each of which used to rescan the whole directory.
        let own: Vec<String> = (0..n).map(|i| format!("d/g{i:06}")).collect();
        let mut upper: Vec<Member> = own.iter().map(|p| Member::File(p, b"y")).collect();
        upper.extend(wh.iter().map(|p| Member::File(p, b"")));
        let opq: Vec<Member> = (0..n)
            .map(|_| Member::File("d/.wh..wh..opq", b""))
            .collect();
        upper.extend(opq);
        vec![gzip(&tar_of(&lower)), gzip(&tar_of(&upper))]
    }
    let time = |n: usize| {
        let layers = image_of(n);
        let started = std::time::Instant::now();
        let img = open(&layers).unwrap();
        let took = started.elapsed();
        let visible = img.fs.list_dir("d").unwrap().len();
        assert_eq!(visible, n, "only the upper layer's files stay");
        took
    };
    time(1000); // warm up
    // The fastest of three runs per size: other tests share the machine.
    let best = |n: usize| (0..3).map(|_| time(n)).min().unwrap();
    let (a, b, c) = (best(2_500), best(5_000), best(10_000));
    eprintln!("whiteouts: 2,500 {a:?}, 5,000 {b:?}, 10,000 {c:?}");
    assert!(
        c < std::time::Duration::from_secs(2),
        "10,000 whiteouts took {c:?}"
    );
    assert!(
        c.as_secs_f64() < 3.0 * b.as_secs_f64().max(0.01)
            && b.as_secs_f64() < 3.0 * a.as_secs_f64().max(0.01),
        "growth is not linear: {a:?} {b:?} {c:?}"
    );
}

/// Reading many large files of one compressed layer decompresses it once,
/// not once per file.
#[test]
fn many_large_files_of_a_compressed_layer_are_read_in_linear_time() {
    // Incompressible, so the layer is no "bomb": xorshift bytes.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let body: Vec<u8> = (0..(1 << 20) + 1)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let names: Vec<String> = (0..64).map(|i| format!("big/{i:03}.bin")).collect();
    let members: Vec<Member> = names.iter().map(|p| Member::File(p, &body)).collect();
    let img = open(&[gzip(&tar_of(&members))]).unwrap();
    let started = std::time::Instant::now();
    for n in names.iter().rev() {
        assert_eq!(img.fs.read_file(n, 2 << 20).unwrap().len(), body.len());
    }
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "64 re-reads took {took:?}"
    );
}

/// Names longer than PATH_MAX are refused by name; the entry limit counts
/// each entry once.
#[test]
fn long_names_and_entry_counts_are_bounded() {
    let long = format!("{}/f", "d".repeat(5000));
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_entry_type(tar::EntryType::Regular);
    let mut b = tar::Builder::new(Vec::new());
    b.append_data(&mut h, &long, &b"x"[..]).unwrap();
    let (kind, msg) = layer_error(open(&[gzip(&b.into_inner().unwrap())]));
    assert_eq!(kind, LayerErrorKind::TooLarge, "{msg}");
    assert!(msg.contains("4096"), "{msg}");

    let names: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
    let members: Vec<Member> = names.iter().map(|p| Member::File(p, b"x")).collect();
    let layers = [gzip(&tar_of(&members))];
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let src = layout(dir.path(), &layers, serde_json::json!({}));
    let exactly = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    assert!(
        Image::open(&src, None, None, exactly).is_ok(),
        "10 entries within a limit of 10"
    );
    let under = Limits {
        max_entries: 9,
        ..Limits::default()
    };
    let (kind, msg) = layer_error(Image::open(&src, None, None, under));
    assert_eq!(kind, LayerErrorKind::TooLarge);
    assert!(msg.contains("more than 9 entries"), "{msg}");
}
