//! Developer tasks. `cargo xtask bench [NAME...]` measures plimsoll against its
//! peers in the same run and prints ratios; speed targets live here, never in
//! tests.

mod bench;
mod bench_images;
mod bench_manifests;
mod bench_plugins;
mod bench_registry;
pub mod compare;
mod compare_packages;
mod docs;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("compare-peers") => compare::run(&args[1..]),
        Some("compare-packages") => compare_packages::run(&args[1..]),
        Some("docs") => docs::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask bench [startup|parse|lint|registry|plugins|images|manifests|all]\n       cargo xtask compare-peers [--refresh] [--plimsoll BIN]\n       cargo xtask compare-packages\n       cargo xtask docs [--plimsoll BIN] [--no-build]\n\n\
                 startup  cold and warm whole-process `plimsoll check` on one file, and\n\
                 \x20        per-(plugin, file) overhead over 1,000 files\n\
                 parse    parse the whole ../shared/corpus: MB/s and files/s\n\
                 lint     the corpus: plimsoll vs hadolint vs trivy config (wall time, peak RSS)\n\
                 registry 50 references: plimsoll pin vs a skopeo inspect loop (time, requests)\n\
                 plugins  the Rust, Python and JS example plugins: size, cold compile, cached load, per file\n\
                 images   debootstrapped image: check --image and SBOM vs trivy and syft (time, peak RSS)"
            );
            std::process::exit(2);
        }
    }
}
