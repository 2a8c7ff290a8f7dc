/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message signalled interrupts of a function (PCI 3.0 6.8): the MSI
 * capability in configuration space (64-bit, per-vector masking) and
 * MSI-X with its table and pending-bit array in a BAR. A device model
 * raises a vector; what software programmed decides the message - the
 * (address, data) write the function issues - which reaches the machine's
 * interrupt controller (hw_msi_set_handler). A masked vector is pending
 * and sent when unmasked; with neither capability enabled, or bus
 * mastering off, nothing is sent (INTx is not modelled).
 *
 * The message is a memory write to the interrupt window: the remapping
 * unit never translates requests without PASID there (SPEC H-11), so it
 * goes straight to the controller. A message outside the window is a DMA
 * to memory the model does not carry out (dropped).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "../machine.h"

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct hw_pci_msi {
	pthread_mutex_t lock;          /* the table, the pending bits */
	uint16_t msi_cap, msix_cap;
	unsigned msix_vectors, msix_bar;
	uint64_t table_off, pba_off;
	struct msix_entry *table;
	uint64_t *pba;
	uint32_t msi_pending;
};

static struct hw_pci_msi *msi_state(struct hw_pci_function *d)
{
	if (!d->msi) {
		d->msi = calloc(1, sizeof(*d->msi));
		if (d->msi)
			pthread_mutex_init(&d->msi->lock, NULL);
	}
	return d->msi;
}

/* A standard capability at the head of the list. */
static int add_std_cap(struct hw_pci_function *d, uint8_t id, unsigned size, unsigned *out)
{
	unsigned off = d->cap_next ? d->cap_next : 0x40;
	if (off + size > PCI_CFG_SPACE_SIZE)
		return -ENOSPC;
	hw_pci_cfg_set8(d, off, id);
	hw_pci_cfg_set8(d, off + PCI_CAP_LIST_NEXT, d->cfg[PCI_CAPABILITY_LIST]);
	d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_next = (uint8_t)((off + size + 3) & ~3u);
	*out = off;
	return 0;
}

static void wmask_set(struct hw_pci_function *d, unsigned off, unsigned len, uint32_t mask)
{
	for (unsigned i = 0; i < len; i++)
		d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

int hw_pci_add_msi_cap(struct hw_pci_function *d, unsigned vectors_log2)
{
	struct hw_pci_msi *st = msi_state(d);
	unsigned off;
	if (!st)
		return -ENOMEM;
	if (st->msi_cap || vectors_log2 > 5)
		return st->msi_cap ? -EEXIST : -EINVAL;
	int rc = add_std_cap(d, PCI_CAP_ID_MSI, PCI_MSI_SIZEOF_64, &off);
	if (rc)
		return rc;
	hw_pci_cfg_set16(d, off + PCI_MSI_FLAGS,
			 (uint16_t)((vectors_log2 << 1) | PCI_MSI_FLAGS_64BIT |
				    PCI_MSI_FLAGS_MASKBIT));
	wmask_set(d, off + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	wmask_set(d, off + PCI_MSI_ADDRESS_LO, 4, 0xfffffffc);
	wmask_set(d, off + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
	wmask_set(d, off + PCI_MSI_DATA_64, 2, 0xffff);
	wmask_set(d, off + PCI_MSI_MASK_64, 4, (uint32_t)((1ull << (1u << vectors_log2)) - 1));
	st->msi_cap = (uint16_t)off;
	return 0;
}

int hw_pci_add_msix_cap(struct hw_pci_function *d, unsigned vectors, unsigned bar,
			uint64_t table_off, uint64_t pba_off)
{
	struct hw_pci_msi *st = msi_state(d);
	unsigned off;
	if (!st)
		return -ENOMEM;
	if (st->msix_cap)
		return -EEXIST;
	if (!vectors || vectors > 2048 || bar >= PCI_MAX_BARS || (table_off & 7) || (pba_off & 7) ||
	    table_off + vectors * PCI_MSIX_ENTRY_SIZE > d->bar_size[bar] ||
	    pba_off + (vectors + 63) / 64 * 8 > d->bar_size[bar])
		return -EINVAL;
	st->table = calloc(vectors, sizeof(*st->table));
	st->pba = calloc((vectors + 63) / 64, sizeof(*st->pba));
	int rc = st->table && st->pba ? add_std_cap(d, PCI_CAP_ID_MSIX, PCI_MSIX_SIZEOF, &off) :
					-ENOMEM;
	if (rc) {
		free(st->table);
		free(st->pba);
		st->table = NULL;
		st->pba = NULL;
		return rc;
	}
	hw_pci_cfg_set16(d, off + PCI_MSIX_FLAGS, (uint16_t)(vectors - 1));
	hw_pci_cfg_set32(d, off + PCI_MSIX_TABLE, (uint32_t)table_off | bar);
	hw_pci_cfg_set32(d, off + PCI_MSIX_PBA, (uint32_t)pba_off | bar);
	wmask_set(d, off + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned v = 0; v < vectors; v++)
		st->table[v].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* masked at reset */
	st->msix_cap = (uint16_t)off;
	st->msix_vectors = vectors;
	st->msix_bar = bar;
	st->table_off = table_off;
	st->pba_off = pba_off;
	return 0;
}

/* ---- sending ---- */

static void deliver(struct hw_pci_function *d, uint64_t addr, uint32_t data)
{
	struct hw_machine *m = d->m;
	if (addr < PCI_MSI_WINDOW_BASE || addr >= PCI_MSI_WINDOW_BASE + PCI_MSI_WINDOW_SIZE)
		return;
	pthread_rwlock_rdlock(&m->msi_lock);
	if (m->msi_handler)
		m->msi_handler(addr, data, m->msi_opaque);
	pthread_rwlock_unlock(&m->msi_lock);
}

/* The message for `vector` if it may go now; else it is pending (if
 * masked) or dropped. st->lock held. */
static bool message(struct hw_pci_function *d, struct hw_pci_msi *st, unsigned vector,
		    uint64_t *addr, uint32_t *data)
{
	if (st->msix_cap) {
		uint16_t ctrl = hw_pci_cfg_get16(d, st->msix_cap + PCI_MSIX_FLAGS);
		if (ctrl & PCI_MSIX_FLAGS_ENABLE) {
			if (vector >= st->msix_vectors)
				return false;
			struct msix_entry *e = &st->table[vector];
			if ((ctrl & PCI_MSIX_FLAGS_MASKALL) ||
			    (e->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
				st->pba[vector / 64] |= 1ull << (vector % 64);
				return false;
			}
			*addr = e->addr_lo | (uint64_t)e->addr_hi << 32;
			*data = e->data;
			return true;
		}
	}
	if (!st->msi_cap)
		return false;
	unsigned c = st->msi_cap;
	uint16_t ctrl = hw_pci_cfg_get16(d, c + PCI_MSI_FLAGS);
	unsigned n = 1u << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4);
	if (!(ctrl & PCI_MSI_FLAGS_ENABLE) || vector >= n)
		return false;
	if (hw_pci_cfg_read(d, c + PCI_MSI_MASK_64, 4) & (1u << vector)) {
		st->msi_pending |= 1u << vector;
		return false;
	}
	*addr = hw_pci_cfg_read(d, c + PCI_MSI_ADDRESS_LO, 4) |
		(uint64_t)hw_pci_cfg_read(d, c + PCI_MSI_ADDRESS_HI, 4) << 32;
	/* Multiple messages: the vector number in the low bits of data. */
	*data = (hw_pci_cfg_read(d, c + PCI_MSI_DATA_64, 2) & ~(n - 1)) | vector;
	return true;
}

void hw_pci_msi_notify(struct hw_pci_function *d, unsigned vector)
{
	struct hw_pci_msi *st = d->msi;
	if (!st || !hw_pci_bus_master(d))
		return;
	uint64_t addr;
	uint32_t data;
	pthread_mutex_lock(&st->lock);
	bool send = message(d, st, vector, &addr, &data);
	pthread_mutex_unlock(&st->lock);
	if (send)
		deliver(d, addr, data);
}

/* Pending vectors whose mask went away are sent now. */
static void flush_pending(struct hw_pci_function *d)
{
	struct hw_pci_msi *st = d->msi;
	unsigned n = st->msix_cap ? st->msix_vectors : 32;
	for (unsigned v = 0; v < n; v++) {
		bool pending;
		pthread_mutex_lock(&st->lock);
		if (st->msix_cap && (hw_pci_cfg_get16(d, st->msix_cap + PCI_MSIX_FLAGS) &
				     PCI_MSIX_FLAGS_ENABLE)) {
			pending = st->pba[v / 64] & (1ull << (v % 64));
			st->pba[v / 64] &= ~(1ull << (v % 64));
		} else {
			pending = st->msi_pending & (1u << v);
			st->msi_pending &= ~(1u << v);
		}
		pthread_mutex_unlock(&st->lock);
		if (pending)
			hw_pci_msi_notify(d, v); /* masked still: pending again */
	}
}

void hw_pci_msi_cfg_written(struct hw_pci_function *d, unsigned off, unsigned size)
{
	struct hw_pci_msi *st = d->msi;
	if (!st)
		return;
	unsigned msi = st->msi_cap, msix = st->msix_cap;
	if ((msi && off < msi + PCI_MSI_SIZEOF_64 && off + size > msi) ||
	    (msix && off < msix + PCI_MSIX_SIZEOF && off + size > msix))
		flush_pending(d);
}

/* ---- the MSI-X table and PBA in the BAR ---- */

bool hw_pci_msix_bar_access(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
			    uint64_t *val, bool write)
{
	struct hw_pci_msi *st = d->msi;
	if (!st || !st->msix_cap || bar != st->msix_bar)
		return false;
	uint64_t tlen = st->msix_vectors * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = (st->msix_vectors + 63) / 64 * 8;
	bool in_table = off >= st->table_off && off < st->table_off + tlen;
	bool in_pba = off >= st->pba_off && off < st->pba_off + plen;
	if (!in_table && !in_pba)
		return false;
	/* Aligned dwords and qwords only (PCI 3.0 6.8.2): others go nowhere. */
	if (size < 4 || (off & (size - 1))) {
		if (!write)
			*val = 0;
		return true;
	}
	bool unmasked = false;
	pthread_mutex_lock(&st->lock);
	/* Dwords (a qword is two); the PBA is read-only. */
	for (unsigned i = 0; i < size; i += 4) {
		uint64_t o = off + i;
		uint32_t *reg = NULL, pba_dw[2];
		if (in_table) {
			uint64_t t = o - st->table_off;
			struct msix_entry *e = &st->table[t / PCI_MSIX_ENTRY_SIZE];
			uint32_t *f[] = { &e->addr_lo, &e->addr_hi, &e->data, &e->ctrl };
			reg = f[t % PCI_MSIX_ENTRY_SIZE / 4];
		} else {
			uint64_t q = st->pba[(o - st->pba_off) / 8];
			pba_dw[0] = (uint32_t)q;
			pba_dw[1] = (uint32_t)(q >> 32);
			reg = &pba_dw[(o - st->pba_off) % 8 / 4];
		}
		if (!write) {
			*val = (i ? *val : 0) | (uint64_t)*reg << (8 * i);
		} else if (in_table) {
			uint32_t nv = (uint32_t)(*val >> (8 * i));
			bool was = reg == &st->table[(o - st->table_off) / 16].ctrl && (*reg & 1);
			*reg = nv;
			unmasked |= was && !(nv & PCI_MSIX_ENTRY_CTRL_MASKBIT);
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (unmasked)
		flush_pending(d);
	return true;
}

void hw_pci_msi_reset(struct hw_pci_function *d)
{
	struct hw_pci_msi *st = d->msi;
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	for (unsigned v = 0; v < st->msix_vectors; v++)
		st->table[v] = (struct msix_entry){ .ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT };
	if (st->pba)
		memset(st->pba, 0, (st->msix_vectors + 63) / 64 * 8);
	st->msi_pending = 0;
	pthread_mutex_unlock(&st->lock);
}

void hw_pci_msi_free(struct hw_pci_function *d)
{
	struct hw_pci_msi *st = d->msi;
	if (!st)
		return;
	free(st->table);
	free(st->pba);
	pthread_mutex_destroy(&st->lock);
	free(st);
	d->msi = NULL;
}

/* ---- the interrupt controller's side (hw/iface/pci.h) ---- */

void hw_msi_set_handler(struct hw_machine *m, hw_msi_fn fn, void *opaque)
{
	/* The write lock waits for messages being delivered. */
	pthread_rwlock_wrlock(&m->msi_lock);
	m->msi_handler = fn;
	m->msi_opaque = opaque;
	pthread_rwlock_unlock(&m->msi_lock);
}
