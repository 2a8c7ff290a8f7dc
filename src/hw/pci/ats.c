/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "ats.h"
#include "../vtd/vtd.h"

#define K_VALID (1ull << 63)

static uint64_t make_key(uint32_t pasid, bool priv)
{
	uint64_t k = K_VALID | ((uint64_t)priv << 22);
	if (pasid != VTD_PASID_NONE)
		k |= (1ull << 21) | (pasid & 0xfffff);
	return k;
}

static unsigned index_of(uint64_t vpn, uint64_t key)
{
	return (unsigned)((vpn ^ (key * 0x9e3779b1u)) & (PCI_ATC_ENTRIES - 1));
}

struct pci_atc *pci_atc_new(void)
{
	struct pci_atc *a = calloc(1, sizeof(*a));
	if (a)
		spin_init(&a->lock);
	return a;
}

void pci_atc_free(struct pci_atc *a)
{
	free(a);
}

bool pci_atc_lookup(struct pci_atc *a, uint32_t pasid, bool priv, uint64_t addr,
		    struct pci_atc_hit *hit)
{
	uint64_t key = make_key(pasid, priv), vpn = addr >> 12;
	struct pci_atc_entry *e = &a->e[index_of(vpn, key)];
	uint64_t s = seq_read_begin(&e->seq);
	uint64_t k = ld64(&e->key), v = ld64(&e->vpn), out = ld64(&e->out), sh = ld64(&e->shift);
	if (k == key && v == vpn && seq_read_ok(&e->seq, s)) {
		hit->out_base = out & ~0xfffull;
		hit->perm = (uint8_t)(out & 7);
		hit->size_shift = (uint8_t)sh;
		stat_inc(&a->hits);
		return true;
	}
	stat_inc(&a->misses);
	return false;
}

void pci_atc_insert(struct pci_atc *a, uint32_t pasid, bool priv, uint64_t addr,
		    const struct pci_atc_hit *hit, const _Atomic unsigned long long *gen_now,
		    uint64_t gen0)
{
	uint64_t key = make_key(pasid, priv), vpn = addr >> 12;
	struct pci_atc_entry *e = &a->e[index_of(vpn, key)];
	spin_lock(&a->lock);
	if (atomic_load_explicit(gen_now, memory_order_acquire) == gen0) {
		seq_write_begin(&e->seq);
		st64(&e->key, key);
		st64(&e->vpn, vpn);
		st64(&e->out, (hit->out_base & ~0xfffull) | (hit->perm & 7));
		st64(&e->shift, hit->size_shift);
		seq_write_end(&e->seq);
	}
	spin_unlock(&a->lock);
}

void pci_atc_invalidate(struct pci_atc *a, bool no_pasid, uint32_t pasid, bool all_pasids,
			uint64_t base, uint64_t size)
{
	uint64_t last = size ? base + size - 1 : ~0ull;
	spin_lock(&a->lock);
	for (unsigned i = 0; i < PCI_ATC_ENTRIES; i++) {
		struct pci_atc_entry *e = &a->e[i];
		uint64_t k = ld64(&e->key);
		if (!(k & K_VALID))
			continue;
		bool has_pasid = k & (1ull << 21);
		if (no_pasid && has_pasid)
			continue;
		if (!no_pasid && !all_pasids && (!has_pasid || (k & 0xfffff) != (pasid & 0xfffff)))
			continue;
		if (!no_pasid && all_pasids && !has_pasid)
			continue;
		/* Drop every entry whose translation overlaps the range. */
		uint64_t sh = ld64(&e->shift);
		uint64_t start = (ld64(&e->vpn) << 12) & ~((1ull << sh) - 1);
		uint64_t end = start + (1ull << sh) - 1;
		if (end < base || start > last)
			continue;
		seq_write_begin(&e->seq);
		st64(&e->key, 0);
		seq_write_end(&e->seq);
	}
	spin_unlock(&a->lock);
	stat_inc(&a->invalidations);
}

unsigned pci_atc_count(struct pci_atc *a)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PCI_ATC_ENTRIES; i++)
		if (ld64(&a->e[i].key) & K_VALID)
			n++;
	return n;
}
