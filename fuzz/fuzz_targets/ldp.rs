//! Any bytes as an LDP PDU stream (RFC 5036): cut into PDUs as a session reads them, each
//! decoded; refused with a status or decoded, never a panic; what decodes encodes back to
//! the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_controlplane::ldp::packet::{decode, frame, DEFAULT_MAX_PDU};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some(len)) = frame(rest, DEFAULT_MAX_PDU) {
        let (pdu, bytes) = rest.split_at(len);
        rest = bytes;
        if let Ok((p, advisories)) = decode(pdu) {
            // Messages skipped (unknown, or dropped with an advisory) are not re-encoded;
            // when none was, the PDU encodes back to its own bytes.
            let again = p.encode();
            if advisories.is_empty() && again.len() == pdu.len() {
                assert_eq!(again, pdu);
            }
        }
    }
    let _ = decode(data);
});
