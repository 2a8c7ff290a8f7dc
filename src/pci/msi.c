/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSI and MSI-X for drivers (Linux drivers/pci/msi in shape): a function's
 * vectors are programmed with messages to the interrupt window whose data
 * is a host vector number, and the host's interrupt controller
 * (hw_msi_set_handler) dispatches each message to the handler a driver
 * requested for that vector. One host vector per function vector; MSI's
 * multiple messages take an aligned block (the function puts the vector
 * number in the low data bits).
 *
 * Concurrency: the host's vector table is under irq_lock - read-held
 * while a handler runs (the device's thread), write-held to change it, so
 * pci_free_irq returns only once no call of the handler is in flight.
 * A function's vectors change under the caller's exclusion (its driver).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "../hw/iface/pci.h"
#include "../util/slab.h"

#define VECTOR_FIRST 0x20   /* below: exceptions, as on x86 */
#define VECTOR_LAST  0xfe

struct pci_irq_desc {
	struct pci_dev *pdev;
	pci_irq_handler_t handler;
	void *data;
};

struct pci_msi_desc {
	bool msix;
	unsigned nvec;                 /* what the driver asked for */
	unsigned hw_nvec;              /* MSI enables a power of two */
	uint8_t vector[];
};

int pci_msi_vec_count(struct pci_dev *pdev)
{
	uint16_t flags;
	if (!pdev->msi_cap || pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags))
		return -EINVAL;
	return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
}

int pci_msix_vec_count(struct pci_dev *pdev)
{
	uint16_t flags;
	if (!pdev->msix_cap || pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags))
		return -EINVAL;
	return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
}

/* ---- host vectors (irq_lock write-held) ---- */

static bool vec_used(struct pci_host_bridge *br, unsigned v)
{
	return br->irqs[v] != NULL;
}

/* n vectors, aligned to n if `aligned`, into out[]: 0, -ENOSPC if there
 * are not enough, -ENOMEM. */
static int vec_alloc(struct pci_host_bridge *br, struct pci_dev *pdev, unsigned n, bool aligned,
		      uint8_t *out)
{
	unsigned got = 0;
	for (unsigned v = VECTOR_FIRST; v <= VECTOR_LAST && got < n; v++) {
		if (aligned && got == 0 && (v & (n - 1)))
			continue;
		if (vec_used(br, v)) {
			got = 0; /* an aligned block starts over */
			continue;
		}
		out[got++] = (uint8_t)v;
	}
	if (got < n)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		struct pci_irq_desc *d = kcalloc(1, sizeof(*d));
		if (!d) {
			for (unsigned j = 0; j < i; j++) {
				free(br->irqs[out[j]]);
				br->irqs[out[j]] = NULL;
			}
			return -ENOMEM;
		}
		d->pdev = pdev;
		br->irqs[out[i]] = d;
	}
	return 0;
}

static void vec_free(struct pci_host_bridge *br, const uint8_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(br->irqs[v[i]]);
		br->irqs[v[i]] = NULL;
	}
}

/* ---- programming the function ---- */

static void msi_program(struct pci_dev *pdev, unsigned nvec, uint8_t base)
{
	unsigned c = pdev->msi_cap;
	uint16_t flags;
	pci_read_config_word(pdev, c + PCI_MSI_FLAGS, &flags);
	unsigned log2 = (unsigned)__builtin_ctz(nvec);
	pci_write_config_dword(pdev, c + PCI_MSI_ADDRESS_LO, (uint32_t)PCI_MSI_WINDOW_BASE);
	pci_write_config_dword(pdev, c + PCI_MSI_ADDRESS_HI, 0);
	pci_write_config_word(pdev, c + PCI_MSI_DATA_64, base);
	pci_write_config_dword(pdev, c + PCI_MSI_MASK_64, 0);
	flags = (uint16_t)((flags & ~PCI_MSI_FLAGS_QSIZE) | (log2 << 4) | PCI_MSI_FLAGS_ENABLE);
	pci_write_config_word(pdev, c + PCI_MSI_FLAGS, flags);
}

/* The table's BAR and offset. */
static void msix_table(struct pci_dev *pdev, unsigned *bar, uint64_t *off)
{
	uint32_t t = 0;
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &t);
	*bar = t & PCI_MSIX_TABLE_BIR;
	*off = t & PCI_MSIX_TABLE_OFFSET;
}

static void msix_program(struct pci_dev *pdev, unsigned nvec, const uint8_t *v)
{
	unsigned bar;
	uint64_t t;
	msix_table(pdev, &bar, &t);
	uint16_t flags;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	/* Masked as a whole while the entries change. */
	pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
			      flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned i = 0; i < nvec; i++) {
		uint64_t e = t + i * PCI_MSIX_ENTRY_SIZE;
		pci_bar_write(pdev, bar, e + PCI_MSIX_ENTRY_LOWER_ADDR, 4, PCI_MSI_WINDOW_BASE);
		pci_bar_write(pdev, bar, e + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		pci_bar_write(pdev, bar, e + PCI_MSIX_ENTRY_DATA, 4, v[i]);
		pci_bar_write(pdev, bar, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	}
	pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
			      (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
}

static void disable(struct pci_dev *pdev, const struct pci_msi_desc *m)
{
	if (!m->msix) {
		uint16_t flags;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags);
		pci_write_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				      flags & ~PCI_MSI_FLAGS_ENABLE);
		return;
	}
	unsigned bar;
	uint64_t t;
	msix_table(pdev, &bar, &t);
	for (unsigned i = 0; i < m->nvec; i++)
		pci_bar_write(pdev, bar, t + i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL,
			      4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	uint16_t flags;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
			      flags & ~PCI_MSIX_FLAGS_ENABLE);
}

/* Try one kind with as many vectors as it offers, within [min, max]. */
static int alloc_kind(struct pci_dev *pdev, unsigned min, unsigned max, bool msix)
{
	struct pci_host_bridge *br = pdev->bus->bridge;
	int cap = msix ? pci_msix_vec_count(pdev) : pci_msi_vec_count(pdev);
	if (cap < 0)
		return cap;
	unsigned n = max < (unsigned)cap ? max : (unsigned)cap, hw = n;
	if (n < min)
		return -ENOSPC;
	/* MSI enables a power of two of vectors (cap is one); the ones past
	 * n are reserved but not the driver's. */
	while (!msix && (hw & (hw - 1)))
		hw += hw & -hw;
	struct pci_msi_desc *m = kcalloc(1, sizeof(*m) + hw);
	if (!m)
		return -ENOMEM;
	m->msix = msix;
	m->nvec = n;
	m->hw_nvec = hw;
	pthread_rwlock_wrlock(&br->irq_lock);
	int rc = vec_alloc(br, pdev, hw, !msix, m->vector);
	pthread_rwlock_unlock(&br->irq_lock);
	if (rc) {
		free(m);
		return rc;
	}
	if (msix)
		msix_program(pdev, n, m->vector);
	else
		msi_program(pdev, hw, m->vector[0]);
	pdev->msi = m;
	return (int)n;
}

int pci_alloc_irq_vectors(struct pci_dev *pdev, unsigned min, unsigned max, unsigned flags)
{
	if (!pdev || !min || min > max || !(flags & (PCI_IRQ_MSI | PCI_IRQ_MSIX)) ||
	    (flags & ~(PCI_IRQ_MSI | PCI_IRQ_MSIX)))
		return -EINVAL;
	if (pdev->msi)
		return -EBUSY;
	int rc = -ENOSPC;
	/* MSI-X first, as Linux prefers it. */
	if (flags & PCI_IRQ_MSIX)
		rc = alloc_kind(pdev, min, max, true);
	if (rc < 0 && rc != -ENOMEM && (flags & PCI_IRQ_MSI))
		rc = alloc_kind(pdev, min, max, false);
	return rc;
}

void pci_free_irq_vectors(struct pci_dev *pdev)
{
	struct pci_msi_desc *m = pdev ? pdev->msi : NULL;
	if (!m)
		return;
	disable(pdev, m);
	struct pci_host_bridge *br = pdev->bus->bridge;
	pthread_rwlock_wrlock(&br->irq_lock);
	vec_free(br, m->vector, m->hw_nvec);
	pthread_rwlock_unlock(&br->irq_lock);
	pdev->msi = NULL;
	free(m);
}

void pci_restore_msi_state(struct pci_dev *pdev)
{
	struct pci_msi_desc *m = pdev->msi;
	if (!m)
		return;
	if (m->msix)
		msix_program(pdev, m->nvec, m->vector);
	else
		msi_program(pdev, m->hw_nvec, m->vector[0]);
}

int pci_irq_vector(struct pci_dev *pdev, unsigned nr)
{
	struct pci_msi_desc *m = pdev ? pdev->msi : NULL;
	return m && nr < m->nvec ? m->vector[nr] : -EINVAL;
}

int pci_request_irq(struct pci_dev *pdev, unsigned nr, pci_irq_handler_t handler, void *data)
{
	int irq = pci_irq_vector(pdev, nr);
	if (irq < 0 || !handler)
		return -EINVAL;
	struct pci_host_bridge *br = pdev->bus->bridge;
	pthread_rwlock_wrlock(&br->irq_lock);
	struct pci_irq_desc *d = br->irqs[irq];
	int rc = d->handler ? -EBUSY : 0;
	if (!rc) {
		d->handler = handler;
		d->data = data;
	}
	pthread_rwlock_unlock(&br->irq_lock);
	return rc;
}

void pci_free_irq(struct pci_dev *pdev, unsigned nr)
{
	int irq = pci_irq_vector(pdev, nr);
	if (irq < 0)
		return;
	struct pci_host_bridge *br = pdev->bus->bridge;
	pthread_rwlock_wrlock(&br->irq_lock);
	br->irqs[irq]->handler = NULL;
	br->irqs[irq]->data = NULL;
	pthread_rwlock_unlock(&br->irq_lock);
}

/* ---- the interrupt controller ---- */

static void dispatch(uint64_t addr, uint32_t data, void *opaque)
{
	struct pci_host_bridge *br = opaque;
	unsigned v = data & 0xff;
	(void)addr;
	pthread_rwlock_rdlock(&br->irq_lock);
	struct pci_irq_desc *d = br->irqs[v];
	if (d && d->handler)
		d->handler((int)v, d->data);
	else
		__atomic_add_fetch(&br->spurious_irqs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&br->irq_lock);
}

void pci_msi_init(struct pci_host_bridge *br)
{
	pthread_rwlock_init(&br->irq_lock, NULL);
	hw_msi_set_handler(br->m, dispatch, br);
}

void pci_msi_fini(struct pci_host_bridge *br)
{
	hw_msi_set_handler(br->m, NULL, NULL);
	for (unsigned v = 0; v < 256; v++)
		free(br->irqs[v]);
	pthread_rwlock_destroy(&br->irq_lock);
}
