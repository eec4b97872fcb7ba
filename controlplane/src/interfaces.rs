//! `/interface`: DPDK ports as `ether1`..`etherN` in port order, with their state and the
//! workers' counters.

use crate::table::{Cell, Row, Table};
use dataplane::counters::{sum_port, WorkerCounters};
use dataplane::dpdk::{Port, PortInfo};
use shared::api::{Format, Request, Response};
use std::sync::Arc;

/// One interface backed by a DPDK port.
pub struct Interface {
    /// RouterOS name (`ether1`).
    pub name: String,
    /// The port.
    pub info: PortInfo,
    /// Handle for link state and device counters.
    pub port: Port,
}

/// The interfaces and every worker's counters: what `/interface print` reads.
pub struct Interfaces {
    /// In port order.
    pub list: Vec<Interface>,
    /// One block per worker.
    pub counters: Vec<Arc<WorkerCounters>>,
}

/// The RouterOS name of the `index`-th port (0-based): `ether1`, `ether2`, …
pub fn ether_name(index: usize) -> String {
    format!("ether{}", index + 1)
}

fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Interfaces {
    /// `/interface print`.
    pub fn print(&self) -> Table {
        Table {
            legend: vec![('R', "RUNNING")],
            columns: vec!["NAME", "TYPE", "ACTUAL-MTU", "MAC-ADDRESS", "DRIVER"],
            rows: self
                .list
                .iter()
                .enumerate()
                .map(|(i, ifc)| Row {
                    number: Some(i),
                    flags: if ifc.port.link_up() { "R" } else { "" }.into(),
                    cells: vec![
                        Cell::Text(ifc.name.clone()),
                        Cell::Text("ether".into()),
                        ifc.info
                            .mtu
                            .map_or(Cell::Text(String::new()), |m| Cell::Num(u64::from(m))),
                        Cell::Text(mac_text(&ifc.info.mac)),
                        Cell::Text(ifc.info.driver.clone()),
                    ],
                })
                .collect(),
        }
    }

    /// `/interface print stats`: the workers' counts, plus what the device itself dropped.
    pub fn print_stats(&self) -> Table {
        Table {
            legend: vec![('R', "RUNNING")],
            columns: vec![
                "NAME",
                "RX-BYTE",
                "TX-BYTE",
                "RX-PACKET",
                "TX-PACKET",
                "RX-DROP",
                "TX-DROP",
                "TX-QUEUE-DROP",
                "RX-ERROR",
                "TX-ERROR",
            ],
            rows: self
                .list
                .iter()
                .enumerate()
                .map(|(i, ifc)| {
                    let c = sum_port(self.counters.iter().map(|c| &**c), ifc.info.id);
                    let dev = ifc.port.stats().unwrap_or_default();
                    Row {
                        number: Some(i),
                        flags: if ifc.port.link_up() { "R" } else { "" }.into(),
                        cells: vec![
                            Cell::Text(ifc.name.clone()),
                            Cell::Counter(c.rx_bytes),
                            Cell::Counter(c.tx_bytes),
                            Cell::Counter(c.rx_packets),
                            Cell::Counter(c.tx_packets),
                            Cell::Counter(dev.rx_missed + dev.rx_nombuf + c.drop_no_peer),
                            Cell::Counter(0),
                            Cell::Counter(c.drop_tx_queue_full),
                            Cell::Counter(dev.rx_errors),
                            Cell::Counter(dev.tx_errors),
                        ],
                    }
                })
                .collect(),
        }
    }
}

/// The commands this build serves, for error messages.
pub const SERVED: &str = "/interface print, /interface print stats";

impl crate::api::Handler for Interfaces {
    fn handle(&self, req: &Request) -> Response {
        // Paths may be written with spaces or slashes: `/interface/print stats`.
        let words: Vec<&str> = req
            .command
            .split(|c: char| c.is_whitespace() || c == '/')
            .filter(|w| !w.is_empty())
            .collect();
        let table = match words.as_slice() {
            ["interface", "print"] => self.print(),
            ["interface", "print", "stats"] => self.print_stats(),
            [] => return Response::Ok(String::new()),
            _ => {
                return Response::Error(format!(
                    "line 1, column 1: unknown command {:?}; this build serves {SERVED}",
                    req.command.trim()
                ))
            }
        };
        Response::Ok(match req.format {
            Format::Text => table.render_text(),
            Format::Json => table.render_json(),
        })
    }
}
