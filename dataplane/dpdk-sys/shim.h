/* Out-of-line wrappers for DPDK's static inline functions and per-lcore variables, so that
 * Rust can call them. One call crosses the FFI boundary per burst, never per packet. */
#ifndef RSPE_SHIM_H
#define RSPE_SHIM_H
#include <stdint.h>
struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct rte_lpm;

uint16_t rspe_eth_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t rspe_eth_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
struct rte_mbuf *rspe_pktmbuf_alloc(struct rte_mempool *mp);
int rspe_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned int count);
void rspe_pktmbuf_free(struct rte_mbuf *m);
char *rspe_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
unsigned int rspe_ring_enqueue_burst(struct rte_ring *r, void *const *objs, unsigned int n);
unsigned int rspe_ring_dequeue_burst(struct rte_ring *r, void **objs, unsigned int n);
int rspe_lpm_lookup(struct rte_lpm *lpm, uint32_t ip, uint32_t *next_hop);
int rspe_lpm_lookup_bulk(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t *next_hops, unsigned int n);
/* Benchmark baselines: whole loops in C, so that the FFI call is paid once per array, not
 * per lookup, and DPDK's inline lookups run as a C application would run them. */
uint64_t rspe_lpm_scalar_loop(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n, uint32_t *out);
void rspe_lpm_bulk_loop(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n, uint32_t *out);
uint64_t rspe_lpm_chain(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n);
struct rte_fib;
uint64_t rspe_fib_scalar_loop(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t *out);
void rspe_fib_bulk_loop(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t *out);
uint64_t rspe_fib_chain(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t miss);
int rspe_errno(void);
unsigned int rspe_lcore_id(void);
void rspe_pause(void);
uint64_t rspe_rdtsc(void);
#endif
