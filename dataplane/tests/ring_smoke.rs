//! Bindings smoke test: EAL without huge pages, a `net_ring` port (its tx ring is its rx
//! ring), a burst sent and the same burst received, byte for byte.
//! One test per file: the EAL can be initialised once per process.

use rspe_dataplane::dpdk::{Eal, Mbuf, MbufBurst, Mempool, Port, PortConfig, BURST};
use std::sync::Arc;

#[test]
fn net_ring_burst_round_trip() {
    let prefix = format!("--file-prefix=rspe-smoke-{}", std::process::id());
    let args = [
        "--no-huge",
        "-m",
        "512",
        "--no-shconf",
        "--no-pci",
        "-l",
        "0",
        "--log-level",
        "lib.eal:warning",
        prefix.as_str(),
        "--vdev",
        "net_ring0",
    ];
    let eal = Eal::init("ring_smoke", &args).expect("EAL init without huge pages");
    let ports = Port::available(&eal);
    assert_eq!(ports, vec![0], "one net_ring port");
    let info = Port::info(&eal, 0).expect("port info");
    assert_eq!(info.driver, "net_ring");

    let pool = Arc::new(
        Mempool::pktmbuf(&eal, "smoke", 1023, 32, 2048 + 128, eal.socket_id()).expect("pool"),
    );
    let cfg = PortConfig {
        queues: 1,
        rx_desc: 256,
        tx_desc: 256,
        promiscuous: false,
    };
    let (port, mut rxq, mut txq) = Port::start(&eal, 0, cfg, pool.clone()).expect("port start");
    let free_before = pool.available();

    let mut sent = Vec::new();
    let mut burst = MbufBurst::new();
    for i in 0..BURST {
        let mut m = Mbuf::alloc(&pool).expect("mbuf");
        let len = 60 + i as u16;
        let data = m.append(len).expect("room in the mbuf");
        for (j, b) in data.iter_mut().enumerate() {
            *b = (i * 7 + j) as u8;
        }
        sent.push(m.data().to_vec());
        burst.push(m).map_err(|_| "burst full").unwrap();
    }
    let taken = txq[0].tx_burst(&mut burst);
    assert_eq!(taken, BURST, "the ring takes the whole burst");
    assert!(burst.is_empty());

    let mut got = MbufBurst::new();
    let n = rxq[0].rx_burst(&mut got);
    assert_eq!(n, BURST, "the whole burst comes back");
    let received: Vec<Vec<u8>> = got.as_slice().iter().map(|m| m.data().to_vec()).collect();
    assert_eq!(received, sent, "frames come back byte for byte, in order");
    drop(got);
    assert_eq!(
        pool.available(),
        free_before,
        "every mbuf is back in the pool"
    );

    let stats = port.stats().expect("stats");
    assert_eq!(stats.tx_packets, BURST as u64);
    assert_eq!(stats.rx_packets, BURST as u64);

    drop((rxq.pop(), txq.pop()));
    port.stop();
    drop(port);
    drop(pool);
    drop(eal);
}
