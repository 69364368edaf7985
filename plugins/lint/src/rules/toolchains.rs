//! Package names that are build toolchains or debugging tools: what should not
//! stay in a final image.

/// A build toolchain package (compiler, headers, build system).
pub fn is_build_tool(pkg: &str) -> bool {
    let name = pkg.split(['=', '~', '>', '<', ':']).next().unwrap_or(pkg);
    matches!(
        name,
        "build-essential"
            | "build-base"
            | "gcc"
            | "g++"
            | "gcc-c++"
            | "cpp"
            | "make"
            | "cmake"
            | "clang"
            | "llvm"
            | "gfortran"
            | "autoconf"
            | "automake"
            | "libtool"
            | "pkg-config"
            | "pkgconf"
            | "golang"
            | "golang-go"
            | "go"
            | "rustc"
            | "cargo"
            | "maven"
            | "gradle"
            | "openjdk-17-jdk"
            | "openjdk-21-jdk"
            | "default-jdk"
            | "nasm"
            | "yasm"
            | "ninja-build"
            | "meson"
            | "bison"
            | "flex"
            | "musl-dev"
            | "linux-headers"
            | "libc6-dev"
            | "libc-dev"
    ) || name.ends_with("-dev") && !name.ends_with("udev")
        || name.ends_with("-devel")
        || name.starts_with("gcc-") && name[4..].chars().all(|c| c.is_ascii_digit())
}

/// A debugging or network tool that only helps an attacker in production.
pub fn is_debug_tool(pkg: &str) -> bool {
    let name = pkg.split(['=', '~', '>', '<', ':']).next().unwrap_or(pkg);
    matches!(
        name,
        "vim"
            | "vim-tiny"
            | "vi"
            | "emacs"
            | "nano"
            | "strace"
            | "ltrace"
            | "gdb"
            | "tcpdump"
            | "nmap"
            | "netcat"
            | "netcat-openbsd"
            | "netcat-traditional"
            | "ncat"
            | "nc"
            | "telnet"
            | "socat"
            | "wireshark"
            | "tshark"
    )
}
