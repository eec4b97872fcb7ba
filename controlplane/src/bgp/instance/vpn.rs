//! The instance's VPN-IPv4 side: UPDATEs into the VPN RIB (with RFC 4456's loop checks),
//! and what each peer that negotiated VPN-IPv4 is sent: our exported routes, and, when we
//! reflect, the best paths of other iBGP peers.

use super::{unusable_next_hop, Advertised, Instance, PeerId, PeerInfo, PeerRib};
use crate::bgp::config::Role;
use crate::bgp::packet::{self, Update};
use crate::bgp::vpn::codec::Rd;
use crate::bgp::vpn::out::{Sent, Target};
use crate::system::rib_service::Change;
use bytes::Bytes;
use shared::types::Prefix4;
use std::sync::Arc;

/// How `info`'s peer is sent VPN routes.
fn target(info: &PeerInfo) -> Target {
    Target {
        as4: info.as4,
        next_hop: info.local_addr,
        ebgp: info.ebgp(),
        local_as: info.cfg.local_as,
        router_id: info.cfg.router_id,
    }
}

impl Instance {
    /// The VPN-IPv4 routes of an UPDATE (checked by the session) into the VPN RIB.
    pub(super) fn vpn_update(&mut self, id: PeerId, u: &Update) {
        use crate::bgp::vpn::codec;
        if let Some(w) = u.mp_unreach.as_ref().filter(|w| w.safi == packet::afi::VPN) {
            if let Ok(gone) = codec::decode(&w.withdrawn, true, true, 1) {
                self.vpn.withdraw(id, &gone);
            }
        }
        let Some(r) = u.mp_reach.as_ref().filter(|r| r.safi == packet::afi::VPN) else {
            return;
        };
        let (Ok(routes), Some(nh)) = (
            codec::decode(&r.nlri, true, false, 1),
            codec::decode_next_hop(&r.next_hop),
        ) else {
            return;
        };
        let (local_as, own, router_id) = self.peers.get(&id).map_or((0, 0, 0), |p| {
            (p.info.cfg.local_as, p.info.local_addr, p.info.cfg.router_id)
        });
        if unusable_next_hop(nh, own) {
            self.ignored += routes.len() as u64;
        }
        // RFC 4456 §8: our own route come back, or one that went round our cluster.
        let reflected_loop =
            u.attrs.originator_id == Some(router_id) || u.attrs.cluster_list.contains(&router_id);
        if matches!(u.treatment, packet::Treatment::TreatAsWithdraw(_))
            || u.attrs.has_loop(local_as, 0)
            || unusable_next_hop(nh, own)
            || reflected_loop
        {
            self.vpn.withdraw(id, &routes);
            return;
        }
        let attrs = crate::bgp::vpn::rib::PathAttrs {
            next_hop: nh,
            local_pref: u.attrs.local_pref.unwrap_or(100),
            path_len: u.attrs.path_len(),
            ext_communities: u.attrs.ext_communities.clone(),
            full: Arc::new(u.attrs.clone()),
        };
        self.vpn.announce(id, &routes, &attrs);
    }

    /// What peer `to` should have for `key`: our exported route, or the best received path
    /// when RFC 4456 has it reflected there (from a client to everyone, from a non-client to
    /// clients; never back to where it came from, never to or from eBGP here).
    fn vpn_want(&self, to: PeerId, key: &(Rd, Prefix4)) -> Option<Sent> {
        if let Some(e) = self.exports.get(key) {
            return Some(Sent::Local(e.clone()));
        }
        let dst = &self.peers.get(&to)?.info;
        let best = self.vpn.best(key)?;
        let src = &self.peers.get(&best.peer)?.info;
        if best.peer == to || dst.ebgp() || src.ebgp() {
            return None;
        }
        let client = |p: &PeerInfo| p.cfg.role == Role::IbgpRr;
        if !(client(dst) || (client(src) && !dst.cfg.no_c2c_reflection)) {
            return None;
        }
        Some(Sent::Reflected {
            label: best.label,
            next_hop: best.next_hop,
            attrs: best.attrs.clone(),
            originator: src.remote_id,
        })
    }

    /// Whether any peer is our route-reflector client.
    fn reflects(&self) -> bool {
        self.peers.values().any(|p| p.info.cfg.role == Role::IbgpRr)
    }

    /// Applies the VPN RIB's changes: imports into the VRFs go to `imported` (a batch for
    /// the RIB), reflected routes to the peers.
    pub fn flush_vpn(&mut self, imported: &mut Vec<Change>) {
        self.vpn.flush(imported);
        let changed = self.vpn.take_changed();
        if changed.is_empty() || !self.reflects() {
            return;
        }
        for p in self.peers.values_mut() {
            if let Some(v) = &mut p.vpn_out {
                for key in &changed {
                    v.queue(*key);
                }
            }
        }
        self.send_pending();
    }

    /// A new VPN-IPv4 peer: what it is due beside our exports (every received path, when
    /// we reflect).
    pub(super) fn vpn_initial(&mut self, id: PeerId) {
        if !self.reflects() {
            return;
        }
        let keys: Vec<(Rd, Prefix4)> = self.vpn.keys().copied().collect();
        if let Some(v) = self.peers.get_mut(&id).and_then(|p| p.vpn_out.as_mut()) {
            for k in keys {
                v.queue(k);
            }
        }
    }

    /// The VPN UPDATEs due to peer `id`.
    pub(super) fn vpn_messages(&mut self, id: PeerId) -> Vec<Bytes> {
        let Some(p) = self.peers.get_mut(&id) else {
            return Vec::new();
        };
        let Some(mut v) = p.vpn_out.take() else {
            return Vec::new();
        };
        let to = target(&p.info);
        let msgs = v.messages(|k| self.vpn_want(id, k), &to);
        if let Some(p) = self.peers.get_mut(&id) {
            p.vpn_out = Some(v);
        }
        msgs
    }

    /// What `p` was sent of VPN routes, for `/routing bgp advertisements print`.
    pub(super) fn vpn_advertised(&self, p: &PeerRib, out: &mut Vec<Advertised>) {
        let Some(v) = &p.vpn_out else {
            return;
        };
        let to = target(&p.info);
        let mut list: Vec<_> = v.sent().collect();
        list.sort_by_key(|x| *x.0);
        for ((rd, dst), s) in list {
            let (mut attrs, nh) = s.attrs(&to);
            attrs.next_hop = Some(nh);
            out.push(Advertised {
                peer: p.info.cfg.name.clone(),
                dst: *dst,
                attrs: Arc::new(attrs),
                afi: "vpnv4",
                rd: Some(*rd),
                label: Some(s.label()),
            });
        }
    }
}
