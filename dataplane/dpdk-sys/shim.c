#include <rte_config.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_fib.h>
#include "shim.h"

uint16_t rspe_eth_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{ return rte_eth_rx_burst(port, queue, pkts, n); }

uint16_t rspe_eth_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{ return rte_eth_tx_burst(port, queue, pkts, n); }

struct rte_mbuf *rspe_pktmbuf_alloc(struct rte_mempool *mp)
{ return rte_pktmbuf_alloc(mp); }

int rspe_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned int count)
{ return rte_pktmbuf_alloc_bulk(mp, mbufs, count); }

void rspe_pktmbuf_free(struct rte_mbuf *m)
{ rte_pktmbuf_free(m); }

char *rspe_pktmbuf_append(struct rte_mbuf *m, uint16_t len)
{ return rte_pktmbuf_append(m, len); }

unsigned int rspe_ring_enqueue_burst(struct rte_ring *r, void *const *objs, unsigned int n)
{ return rte_ring_enqueue_burst(r, objs, n, NULL); }

unsigned int rspe_ring_dequeue_burst(struct rte_ring *r, void **objs, unsigned int n)
{ return rte_ring_dequeue_burst(r, objs, n, NULL); }

int rspe_lpm_lookup(struct rte_lpm *lpm, uint32_t ip, uint32_t *next_hop)
{ return rte_lpm_lookup(lpm, ip, next_hop); }

int rspe_lpm_lookup_bulk(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t *next_hops, unsigned int n)
{ return rte_lpm_lookup_bulk(lpm, ips, next_hops, n); }

int rspe_errno(void)
{ return rte_errno; }

unsigned int rspe_lcore_id(void)
{ return rte_lcore_id(); }

void rspe_pause(void)
{ rte_pause(); }

uint64_t rspe_rdtsc(void)
{ return rte_rdtsc(); }

/* rte_lpm_lookup per address; misses give 0xffffffff. Returns the sum of the results. */
uint64_t rspe_lpm_scalar_loop(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n, uint32_t *out)
{
	uint64_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t nh;
		if (rte_lpm_lookup((struct rte_lpm *)lpm, ips[i], &nh) != 0)
			nh = UINT32_MAX;
		out[i] = nh;
		acc += nh;
	}
	return acc;
}

/* rte_lpm_lookup_bulk over bursts of 32; results raw (RTE_LPM_LOOKUP_SUCCESS | next hop). */
void rspe_lpm_bulk_loop(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n, uint32_t *out)
{
	uint32_t i = 0;
	for (; i + 32 <= n; i += 32)
		rte_lpm_lookup_bulk(lpm, ips + i, out + i, 32);
	if (i < n)
		rte_lpm_lookup_bulk(lpm, ips + i, out + i, n - i);
}

/* A dependent chain: each address is ips[i] plus the previous result (0 on a miss). */
uint64_t rspe_lpm_chain(const struct rte_lpm *lpm, const uint32_t *ips, uint32_t n)
{
	uint64_t acc = 0;
	uint32_t nh = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r;
		if (rte_lpm_lookup((struct rte_lpm *)lpm, ips[i] + nh, &r) != 0)
			r = 0;
		nh = r;
		acc += r;
	}
	return acc;
}

/* rte_fib has no single-address lookup: a bulk of one per address. */
uint64_t rspe_fib_scalar_loop(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t *out)
{
	uint64_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		rte_fib_lookup_bulk(fib, (uint32_t *)ips + i, out + i, 1);
		acc += out[i];
	}
	return acc;
}

void rspe_fib_bulk_loop(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t *out)
{
	uint32_t i = 0;
	for (; i + 32 <= n; i += 32)
		rte_fib_lookup_bulk(fib, (uint32_t *)ips + i, out + i, 32);
	if (i < n)
		rte_fib_lookup_bulk(fib, (uint32_t *)ips + i, out + i, n - i);
}

uint64_t rspe_fib_chain(struct rte_fib *fib, const uint32_t *ips, uint32_t n, uint64_t miss)
{
	uint64_t acc = 0;
	uint32_t nh = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = ips[i] + nh;
		uint64_t r;
		rte_fib_lookup_bulk(fib, &a, &r, 1);
		if (r == miss)
			r = 0;
		nh = (uint32_t)r;
		acc += r;
	}
	return acc;
}
