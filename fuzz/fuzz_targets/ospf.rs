//! Any bytes as an OSPFv2 packet (RFC 2328): refused with a reason or decoded, never a panic;
//! what decodes encodes to bytes that decode to the same packet; any bytes as an LSA too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_controlplane::ospf::packet::{decode, md5_ok, Auth, Lsa};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = decode(data) {
        let key = b"fuzz";
        let again = p.encode(key);
        assert_eq!(decode(&again).as_ref(), Ok(&p));
        if let Auth::Md5 { .. } = p.header.auth {
            assert!(md5_ok(&again, key));
        }
    }
    let _ = Lsa::decode(data);
});
