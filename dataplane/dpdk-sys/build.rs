//! Generates bindings to the system DPDK (22.11, `libdpdk` by pkg-config) and compiles the
//! C shim that gives DPDK's static inline functions a symbol. See DESIGN.md §9 for why each
//! bindgen option is set.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=shim.h");
    println!("cargo:rerun-if-changed=shim.c");

    let dpdk = match pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
    {
        Ok(lib) => lib,
        Err(e) => {
            eprintln!(
                "rspe-dpdk-sys: DPDK 22.11 not found by pkg-config ({e}).\n\
                 Install it with `scripts/setup` (apt-get install libdpdk-dev)."
            );
            std::process::exit(1);
        }
    };

    // The whole --cflags output: it carries `-include rte_config.h -march=corei7`, which the
    // inline headers need, and must reach both bindgen and the C compiler.
    let cflags: Vec<String> = match std::process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        _ => dpdk
            .include_paths
            .iter()
            .map(|p| format!("-I{}", p.display()))
            .collect(),
    };

    let mut build = cc::Build::new();
    build.file("shim.c").opt_level(3).warnings(false);
    // Flags go one by one and in order, which keeps `-include rte_config.h` together.
    for flag in &cflags {
        build.flag(flag);
    }
    build.compile("rspe_dpdk_shim");

    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(&cflags)
        .allowlist_function("rte_.*|rspe_.*")
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*|rte_.*")
        // A packed struct holding an aligned one: keep it as an opaque blob.
        .opaque_type("rte_l2tpv2_.*")
        .derive_debug(false)
        .derive_default(true)
        .layout_tests(false)
        .generate_comments(false)
        .prepend_enum_name(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen could not generate the DPDK bindings");

    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("could not write bindings.rs");
}
